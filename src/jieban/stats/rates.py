"""Rates, exact and as shown: the one rule by which every page, Excel workbook and frozen report
turns a count over a count into a percentage with two decimals.

The API gives a rate as the exact fraction of 1 (`fraction`). What people read is a percentage
rounded to two decimals by the bureau's rule, `JIEBAN_RATE_ROUNDING`: `half_up` (the default;
1,428 of 1,456 is 98.08 %) or `truncate` (some bureaus publish truncated figures: 98.07 %).
The rounding works on the integer counts, never on a float, so 0.5 of a hundredth is always
exactly a half. A frozen report records the rule it was published with (`rounding_of`).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings

from jieban.stats.definitions import RATES

# The key under which a report's data records its rule.
ROUNDING_KEY = "rounding"


class Rounding(enum.StrEnum):
    """How a percentage drops the digits after its second decimal."""

    HALF_UP = "half_up"
    TRUNCATE = "truncate"


# A report frozen before the rule was stored was shown rounded half up.
STORED_BEFORE_THE_RULE = Rounding.HALF_UP


def fraction(part: int, whole: int) -> float | None:
    """`part / whole` unrounded, as the API gives it; None when `whole` is 0 (no figure)."""
    return None if whole == 0 else part / whole


def percent(part: int, whole: int, rounding: Rounding) -> Decimal | None:
    """`part / whole` as a percentage with two decimals by `rounding`: 1428, 1456 →
    `Decimal("98.08")` half up, `Decimal("98.07")` truncated; None when `whole` is 0.

    Worked in whole hundredths of a percent with the exact remainder of the integer division,
    so the rule sees the true value, not a float's approximation of it."""
    if whole == 0:
        return None
    hundredths, remainder = divmod(part * 10_000, whole)
    if rounding is Rounding.HALF_UP and 2 * remainder >= whole:
        hundredths += 1
    return Decimal(hundredths).scaleb(-2)


def row_percent(row: Mapping[str, Any], name: str, rounding: Rounding) -> Decimal | None:
    """The rate `name` of a figures row (`Figures.as_row()`, live or as a report stored it),
    shown by `rounding`: from the row's own counts, not from its fraction."""
    part, whole = RATES[name]
    if part not in row:
        return None  # a report frozen before the figure was defined has no figure for it
    return percent(int(row.get(part) or 0), int(row.get(whole) or 0), rounding)


def configured_rounding() -> Rounding:
    """The rule of this installation (`JIEBAN_RATE_ROUNDING`), for live figures."""
    return Rounding(settings.JIEBAN_RATE_ROUNDING)


def rounding_of(data: Mapping[str, Any]) -> Rounding:
    """The rule a report's data records; half up for a report frozen before the rule was."""
    stored = data.get(ROUNDING_KEY)
    return STORED_BEFORE_THE_RULE if stored is None else Rounding(stored)
