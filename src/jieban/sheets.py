"""Reading a sheet someone uploaded (an Excel workbook or a CSV file) defensively, and saying
what is wrong with its rows: shared by every import of the domain (the building heads' bulk
entry, the ticket imports).

The file's size, its unpacked size (a zip bomb) and its type are bounded before a parser reads
it, and a file that does not parse is one clear message on `file`, never a crash. What each
row must hold is the importing module's own business; an error it finds names the sheet's row
(the headers are row 1), the column's header, and what is wrong (`RowError`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import load_workbook

from jieban.errors import InvalidInput
from jieban.inputs import aware_moment

# A sheet's rows, the headers first, read as they are asked for; close it when done early.
Rows = Generator[tuple[Any, ...], None, None]
# How an .xlsx file (a zip archive) begins, and an old binary .xls (an OLE compound file).
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"
# A date as Chinese sheets write it: 2026-07-14, 2026/7/14, 2026.7.14, 2026年7月14日; then
# maybe a time: 9:05, 09:05:00, 9时5分, 9点5分30秒.
SHEET_DATE = re.compile(
    r"^(?P<year>\d{1,4})\s*[-/.年]\s*(?P<month>\d{1,2})\s*[-/.月]\s*(?P<day>\d{1,2})\s*日?"
    r"(?:\s*T?\s*(?P<hour>\d{1,2})\s*[:时点]\s*"
    r"(?:(?P<minute>\d{1,2})\s*分?\s*(?::?\s*(?P<second>\d{1,2})\s*秒?)?)?)?$"
)
# An Excel serial number: days since 1899-12-30 (Excel's day 60 is the 1900-02-29 that never
# was; every date since 1900-03-01 counts right from there), the fraction the time of day.
EXCEL_EPOCH = dt.datetime(1899, 12, 30)
EXCEL_SERIAL = re.compile(r"^\d{1,7}(?:\.\d+)?$")
LAST_EXCEL_SERIAL = 2958466  # the day after 9999-12-31
# The encodings a CSV file is read in, in this order: UTF-8 (with or without its byte-order
# mark), then GB18030, a superset of the GBK that Chinese Excel writes its CSV exports in.
CSV_ENCODINGS = ("utf-8-sig", "gb18030")


@dataclass(frozen=True)
class RowError:
    """What is wrong with one cell: the sheet's row number (the headers are row 1), the
    column's header, and a message a person can act on; where the error is kept to be read
    later (an import's), also its `code` and `params`, so that it is shown in the reader's
    language rather than the checker's."""

    row: int
    column: str
    message: str
    code: str = ""
    params: dict[str, Any] = field(default_factory=dict)


class NotAMoment(InvalidInput):
    """A cell that holds no date or time at all (rather than one out of range)."""


@dataclass(frozen=True)
class SheetRow:
    """A data row as read: its row number and its cells by column key."""

    number: int
    cells: dict[str, Any]


def listed(items: list[str]) -> str:
    """`items` as the active language lists them (、 in Chinese)."""
    return pgettext("list separator", ", ").join(items)


def check_size(content: bytes, *, max_bytes: int) -> None:
    """InvalidInput on `file` when `content` is empty or larger than `max_bytes`."""
    if not content:
        raise InvalidInput(_("The file is empty."), field="file")
    if len(content) > max_bytes:
        raise InvalidInput(
            _("The file is larger than %(max)d MB.") % {"max": max_bytes // 2**20},
            field="file",
        )


def workbook_values(
    content: bytes, *, max_bytes: int, max_unpacked: int, not_a_workbook: str
) -> Rows:
    """The rows of the workbook's first sheet (the headers first), cell values as openpyxl
    reads them (dates as datetimes); InvalidInput on `file` when the file is empty, too large,
    too large once unpacked, or no workbook (`not_a_workbook` says so)."""
    check_size(content, max_bytes=max_bytes)
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > max_unpacked:
            raise InvalidInput(_("The workbook is too large once unpacked."), field="file")
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except InvalidInput:
        raise
    except Exception:
        # A file that is no workbook, or a workbook whose parts do not parse: openpyxl and
        # the XML parser under it raise many kinds (BadZipFile, KeyError, ParseError, ...),
        # and every one means the same to the person who uploaded it.
        raise InvalidInput(not_a_workbook, field="file") from None
    try:
        if not book.worksheets:
            raise InvalidInput(_("The workbook has no sheet."), field="file")
        rows = book.worksheets[0].iter_rows(values_only=True)
        while True:
            try:
                values = next(rows)
            except StopIteration:
                return
            except Exception:
                # A part that parsed at first and breaks further down (see above).
                raise InvalidInput(not_a_workbook, field="file") from None
            yield values
    finally:
        book.close()


def csv_values(content: bytes, *, max_bytes: int) -> Rows:
    """The rows of a CSV file (the headers first), each cell a string; UTF-8 with or without
    its byte-order mark, or GB18030/GBK; InvalidInput on `file` when it is empty, too large,
    in another encoding, or not CSV."""
    check_size(content, max_bytes=max_bytes)
    for encoding in CSV_ENCODINGS:
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InvalidInput(
            _("The CSV file is neither UTF-8 nor GBK: save it again as CSV (UTF-8)."),
            field="file",
        )
    try:
        for values in csv.reader(io.StringIO(text, newline="")):
            yield tuple(values)
    except csv.Error:
        raise InvalidInput(
            _("The file is not a CSV file: save the sheet again as CSV or .xlsx."), field="file"
        ) from None


def sheet_values(content: bytes, *, max_bytes: int, max_unpacked: int) -> Rows:
    """The rows of an uploaded sheet, an .xlsx workbook or a CSV file told apart by their
    first bytes; an old binary .xls is refused with what to do."""
    if content.startswith(OLE_MAGIC):
        raise InvalidInput(
            _("Old Excel files (.xls) are not read: save the sheet as .xlsx or CSV."),
            field="file",
        )
    if content.startswith(ZIP_MAGIC):
        yield from workbook_values(
            content,
            max_bytes=max_bytes,
            max_unpacked=max_unpacked,
            not_a_workbook=_("The file is not an Excel workbook (.xlsx) or a CSV file."),
        )
    else:
        yield from csv_values(content, max_bytes=max_bytes)


def is_blank(value: Any) -> bool:
    """Whether a cell is empty (None, or only spaces)."""
    return value is None or str(value).strip() == ""


def _not_a_moment(value: Any, field: str) -> InvalidInput:
    return NotAMoment(
        _("%(value)s is not a date or time (write it e.g. 2026/7/14 9:05 or 2026年7月14日).")
        % {"value": str(value)[:40]},
        field=field,
    )


def sheet_moment(value: Any, *, field: str, end_of_day: bool = False) -> dt.datetime:
    """The aware moment a cell holds: an Excel date cell, an Excel serial number (a number or
    its text), or a text as Chinese sheets write dates (`SHEET_DATE`), a naive one in the
    bureau's time zone. A date without a time is its day's start, or its end (23:59:59) with
    `end_of_day` (a deadline's day). InvalidInput on `field` when it is no date or falls
    outside the bureau's years (`jieban.inputs`)."""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time())
        if end_of_day:
            moment = moment.replace(hour=23, minute=59, second=59)
    elif isinstance(value, bool):
        raise _not_a_moment(value, field)
    elif isinstance(value, int | float) or EXCEL_SERIAL.match(str(value).strip()):
        serial = float(value)
        if not 1 <= serial < LAST_EXCEL_SERIAL:
            raise _not_a_moment(value, field)
        moment = EXCEL_EPOCH + dt.timedelta(seconds=round(serial * 86400))
        if end_of_day and serial.is_integer():
            moment = moment.replace(hour=23, minute=59, second=59)
    else:
        text = str(value).strip()
        found = SHEET_DATE.match(text) if len(text) <= 40 else None
        if found is None:
            raise _not_a_moment(value, field)
        parts = {name: int(number) for name, number in found.groupdict().items() if number}
        timed = "hour" in parts
        if not timed and end_of_day:
            parts.update(hour=23, minute=59, second=59)
        try:
            moment = dt.datetime(
                parts["year"], parts["month"], parts["day"],
                parts.get("hour", 0), parts.get("minute", 0), parts.get("second", 0),
            )  # fmt: skip
        except ValueError:
            raise _not_a_moment(value, field) from None
    return aware_moment(moment, field=field)
