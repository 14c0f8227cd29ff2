"""The work calendar: a year's holidays and make-up working days, and the overrides."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _
from ninja import Router

from jieban.api.schemas import ERRORS, CalendarOverrideIn, CalendarOverrideOut, CalendarYearOut
from jieban.errors import InvalidInput
from jieban.http import AuthenticatedRequest
from jieban.workcalendar import workdays

router = Router()


def _year(when: str) -> int:
    if not (when.isdigit() and len(when) == 4):
        raise InvalidInput(_("%(value)s is not a year (YYYY).") % {"value": when}, field="year")
    year = int(when)
    if year < 1900 or year > 2200:
        raise InvalidInput(_("The year must be between 1900 and 2200."), field="year")
    return year


def _date(when: str) -> dt.date:
    try:
        return dt.date.fromisoformat(when)
    except ValueError:
        raise InvalidInput(
            _("%(date)s is not a date (YYYY-MM-DD).") % {"date": when}, field="date"
        ) from None


def calendar_year_out(
    year: int, days: list[workdays.CalendarDay], *, official: bool
) -> dict[str, Any]:
    return {
        "year": year,
        "official_data": official,
        "warning": None if official else workdays.missing_data_warning([year]),
        "days": [
            {
                "date": day.date,
                "kind": "workday" if day.is_workday else "holiday",
                "source": day.source,
                "note": day.note,
            }
            for day in days
        ],
    }


# GET takes a year and PUT a date on the same path: one route, as Django resolves paths once.
@router.get("/calendar/{when}", response={200: CalendarYearOut, **ERRORS}, tags=["calendar"])
def get_calendar(request: AuthenticatedRequest, when: str) -> dict[str, Any]:
    """The holidays, make-up working days and overrides of the year `when` (YYYY)."""
    year = _year(when)
    days, official = workdays.year_calendar(year)
    return calendar_year_out(year, days, official=official)


@router.put("/calendar/{when}", response={200: CalendarOverrideOut, **ERRORS}, tags=["calendar"])
def put_calendar_day(
    request: AuthenticatedRequest, when: str, payload: CalendarOverrideIn
) -> dict[str, Any]:
    """Mark the date `when` (YYYY-MM-DD) a holiday or a working day; administrators only."""
    override = workdays.set_override(
        date=_date(when), kind=payload.kind, source=payload.source, by=request.user
    )
    return {"date": override.date, "kind": override.kind, "source": override.source}
