"""What every Excel export shares: text that residents or staff typed stays text, no phone
number typed into it leaves whole, and no character Excel cannot hold makes the export fail.
Every row of every workbook goes through `guarded_row`.

openpyxl stores a string that starts with "=" as a formula and one like "#N/A" as an error, so
a title such as `=HYPERLINK("http://…")` would run in the reader's Excel. Such a string goes into
a cell typed as text, and with Excel's quote prefix so that it stays text when someone edits the
cell; "+", "-" and "@" start formulas as typed into Excel, so they get the same treatment.

A workbook cannot hold control characters (openpyxl raises IllegalCharacterError) nor lone
surrogates. Intake refuses them (`jieban.inputs`), but a text stored before that rule, or a
name typed in the back office, must not make an export fail for everyone who can see it: they
are dropped from every text written (`printable`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, Cell
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.worksheet import Worksheet

from jieban.inputs import printable, unstorable_character
from jieban.tickets.access import mask_phone

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS = ("=", "+", "-", "@")
# A resident may have typed a phone number into the title: an export never carries one whole.
PHONE_IN_TEXT = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1\d{2}[- ]?\d{4}[- ]?\d{4}(?!\d)")


def without_phones(text: str) -> str:
    """A phone number typed into free text is masked like a phone column."""
    return PHONE_IN_TEXT.sub(lambda match: mask_phone(re.sub(r"\D", "", match.group())), text)


def looks_like_formula(value: object) -> bool:
    """Whether Excel or openpyxl would take the string `value` for something other than text."""
    return isinstance(value, str) and (value.startswith(FORMULA_STARTS) or value in ERROR_CODES)


def text_cell(sheet: Worksheet | WriteOnlyWorksheet, value: str) -> Cell:
    """A cell of `sheet` that holds `value` as text, whatever it starts with."""
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell


def guarded_row(
    sheet: Worksheet | WriteOnlyWorksheet, values: Iterable[Any], *, font: Font | None = None
) -> list[Any]:
    """`values` ready for `sheet.append`: text without the characters a workbook cannot hold,
    and in a text cell when it looks like a formula.

    Other values pass through as they are (no cell object each: the common case in an export
    of tens of thousands of rows), unless `font` asks for every cell to be styled.
    """
    row: list[Any] = []
    for value in values:
        if isinstance(value, str) and unstorable_character(value) is not None:
            value = printable(value)
        if looks_like_formula(value):
            cell = text_cell(sheet, value)
        elif font is not None:
            cell = WriteOnlyCell(sheet, value=value)
        else:
            row.append(value)
            continue
        if font is not None:
            cell.font = font
        row.append(cell)
    return row
