"""Every Excel export writes typed text as text: a name or title that starts like a formula is
never one, read back by openpyxl as Excel would read it."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
import time_machine
from django.test import Client
from openpyxl import Workbook, load_workbook

from jieban.org.actions import create_unit
from jieban.web.excel import guarded_row
from tests.conftest import Cast, local
from tests.web.conftest import dispatched

FORMULA = '=HYPERLINK("http://example.com","点我")'


def read_back(book: Workbook) -> Any:
    buffer = io.BytesIO()
    book.save(buffer)
    return load_workbook(io.BytesIO(buffer.getvalue()))["Rows"]


@pytest.mark.parametrize("write_only", [False, True])
def test_text_that_starts_like_a_formula_stays_text(write_only: bool) -> None:
    book = Workbook(write_only=write_only)
    sheet = book.create_sheet("Rows")
    values = [FORMULA, "+86 phone", "-1 楼", "@所长", "#N/A", "plain", 3, dt.datetime(2026, 3, 1)]
    sheet.append(guarded_row(sheet, values))
    cells = next(read_back(book).iter_rows())
    assert [cell.value for cell in cells] == values
    assert [cell.data_type for cell in cells] == ["s"] * 6 + ["n", "d"]
    # The quote prefix keeps them text when someone edits the cell in Excel; plain text and
    # numbers are written as they are.
    assert [bool(cell.quotePrefix) for cell in cells] == [True] * 5 + [False] * 3


def test_the_report_export_writes_a_unit_name_as_text(client: Client, cast: Cast) -> None:
    create_unit(code="PS-F", kind="station", name=FORMULA, parent="BUR")
    with time_machine.travel(local(2026, 3, 2, 9), tick=False):
        dispatched(cast, "PS-F")
    client.force_login(cast.dispatcher)
    with time_machine.travel(local(2026, 4, 2, 10), tick=False):
        response = client.get("/reports/monthly/2026-03/export.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    rows = {row[0].value: row for row in book["按单位"].iter_rows(min_row=2)}
    name, total = rows["PS-F"][1:3]
    assert (name.value, name.data_type, bool(name.quotePrefix)) == (FORMULA, "s", True)
    assert (total.value, total.data_type) == (1, "n")
