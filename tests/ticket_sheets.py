"""Sheets for the ticket import's tests, written in the test with openpyxl or as CSV: the
columns of a 12345 platform's export (the source's default mapping), and rows for them."""

from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import Workbook

from jieban.exchange.imports import default_mapping, save_source
from jieban.exchange.models import ImportSource
from jieban.org.actors import SYSTEM

FIELDS = list(default_mapping())
HEADERS = list(default_mapping().values())
SOURCE = "city-12345"


def make_source(name: str = SOURCE, **columns: str) -> ImportSource:
    """A source of the default columns (or others given as field=header)."""
    mapping = {**default_mapping(), **columns}
    source, _created = save_source(name=name, channel="hotline_12345", mapping=mapping, by=SYSTEM)
    return source


def row(order: str, **cells: Any) -> list[Any]:
    """A good row of order number `order`: a noise complaint for station A, due in 5 days."""
    values: dict[str, Any] = {
        "order_number": order,
        "received_at": "2026/3/10 9:05",
        "resident_name": "张三",
        "resident_phone": "13812341234",
        "title": "",
        "content": f"楼上装修噪音（{order}）",
        "address": "甲一社区 3 栋 502",
        "category": "renovation_noise",
        "unit": "PS-A",
        "due_at": "2026年3月17日",
    }
    values.update(cells)
    return [values[name] for name in FIELDS]


def xlsx(rows: list[list[Any]], headers: list[str] | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(headers or HEADERS)
    for values in rows:
        sheet.append(values)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_file(rows: list[list[Any]], *, encoding: str = "utf-8") -> bytes:
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(HEADERS)
    for values in rows:
        writer.writerow(values)
    return text.getvalue().encode(encoding)
