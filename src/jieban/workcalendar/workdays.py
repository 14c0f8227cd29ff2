"""Chinese working days: official data from `chinesecalendar`, admin overrides on top.

A deadline is 23:59:59 local time of the Nth working day after the dispatch day (the dispatch
day itself does not count). Where a day falls in a year with no official data and no override,
only weekends are rest days, and the result says so.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import chinese_calendar
from django.conf import settings
from django.db import connection, transaction
from django.utils.translation import gettext as _

from jieban.errors import InvalidInput
from jieban.inputs import check_day, clean_text
from jieban.org.actors import SYSTEM, Actor, person_of
from jieban.org.permissions import can_edit_calendar, require
from jieban.workcalendar.models import CalendarOverride, DayKind

# Recorded on each deadline: which calendar produced it.
BASIS_OFFICIAL = "official"
BASIS_WEEKENDS_ONLY = "weekends_only"

# Longest span a deadline may reach; guards against a runaway loop on absurd inputs.
MAX_DEADLINE_DAYS = 365


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


@functools.cache
def official_years() -> range:
    """The years for which the installed `chinesecalendar` carries the State Council schedule."""
    years = {day.year for day in chinese_calendar.holidays} | {
        day.year for day in chinese_calendar.workdays
    }
    return range(min(years), max(years) + 1)


def has_official_data(year: int) -> bool:
    return year in official_years()


def missing_data_warning(years: list[int]) -> str:
    listed = ", ".join(str(year) for year in sorted(set(years)))
    return _(
        "No official holiday schedule for %(years)s: only weekends were treated as rest days. "
        "Enter the State Council's notice as calendar overrides."
    ) % {"years": listed}


@dataclass
class Deadline:
    due_at: dt.datetime
    basis: str
    years_without_data: list[int] = field(default_factory=list)

    @property
    def warning(self) -> str | None:
        if not self.years_without_data:
            return None
        return missing_data_warning(self.years_without_data)


@functools.cache
def _overrides_sql() -> str:
    quote = connection.ops.quote_name
    meta = CalendarOverride._meta
    day, kind = quote(meta.get_field("date").column), quote(meta.get_field("kind").column)
    return f"SELECT {day}, {kind} FROM {quote(meta.db_table)} WHERE {day} > %s AND {day} <= %s"


def _overrides_between(after: dt.date, last: dt.date) -> dict[dt.date, str]:
    """The overrides of the days in (after, last]. Every deadline and every ticket page asks
    this, so it is one plain statement rather than an ORM query compiled each time."""
    adapt = connection.ops.adapt_datefield_value
    with connection.cursor() as cursor:
        cursor.execute(_overrides_sql(), [adapt(after), adapt(last)])
        rows = cursor.fetchall()
    # SQLite hands dates back as ISO text, PostgreSQL as dates.
    return {
        (day if isinstance(day, dt.date) else dt.date.fromisoformat(day)): kind
        for day, kind in rows
    }


class WorkdayOracle:
    """Answers "is this a working day?" with the overrides of a span loaded once.

    Build one for a whole span and pass it to `deadline_with` to compute many deadlines with
    one query; it loads more overrides by itself if a deadline runs past the span.
    """

    def __init__(self, first: dt.date, last: dt.date) -> None:
        self.first = first
        self.last = last
        self.overrides = _overrides_between(first - dt.timedelta(days=1), last)
        self.years_without_data: set[int] = set()
        self._official = official_years()
        self._deadlines: dict[tuple[dt.date, int], Deadline] = {}

    def extend_to(self, last: dt.date) -> None:
        """Load the overrides up to `last` as well."""
        if last <= self.last:
            return
        self.overrides.update(_overrides_between(self.last, last))
        self.last = last

    def classify(self, day: dt.date) -> tuple[bool, bool]:
        """(is a working day, backed by an override or official data) for `day`."""
        kind = self.overrides.get(day)
        if kind is not None:
            return kind == DayKind.WORKDAY, True
        if day.year in self._official:
            return bool(chinese_calendar.is_workday(day)), True
        return day.weekday() < 5, False

    def is_workday(self, day: dt.date) -> bool:
        working, known = self.classify(day)
        if not known:
            self.years_without_data.add(day.year)
        return working

    def source_of(self, day: dt.date) -> str:
        if day in self.overrides:
            return "override"
        if day.year in self._official:
            return BASIS_OFFICIAL
        return BASIS_WEEKENDS_ONLY


def _check_days(days: int) -> None:
    if days < 1 or days > MAX_DEADLINE_DAYS:
        raise InvalidInput(
            _("Working days must be between 1 and %(max)d.") % {"max": MAX_DEADLINE_DAYS},
            field="days",
        )


def _local_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(local_zone()).date() if moment.tzinfo else moment.date()


def _span_for(days: int) -> dt.timedelta:
    # Worst case a long holiday run; three times the span plus a month is ample headroom.
    return dt.timedelta(days=days * 3 + 31)


def deadline_with(oracle: WorkdayOracle, dispatched_at: dt.datetime, days: int) -> Deadline:
    """The deadline rule, answered from `oracle`: no query unless it must load more overrides.

    Deadlines depend only on the local dispatch day and `days`, so they are remembered per
    oracle; the returned `Deadline` is shared and must not be changed.
    """
    _check_days(days)
    start = _local_date(dispatched_at)
    key = (start, days)
    known = oracle._deadlines.get(key)
    if known is not None:
        return known
    if start < oracle.first:
        raise ValueError(f"{start} is before the span of this calendar ({oracle.first})")
    day = start
    counted = 0
    missing: set[int] = set()
    while counted < days:
        day += dt.timedelta(days=1)
        if day > oracle.last:
            oracle.extend_to(day + _span_for(days))
        working, backed = oracle.classify(day)
        if not backed:
            missing.add(day.year)
        if working:
            counted += 1
    oracle.years_without_data |= missing
    due = dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=local_zone())
    ordered = sorted(missing)
    deadline = Deadline(
        due_at=due,
        basis=BASIS_WEEKENDS_ONLY if ordered else BASIS_OFFICIAL,
        years_without_data=ordered,
    )
    oracle._deadlines[key] = deadline
    return deadline


def compute_deadline(dispatched_at: dt.datetime, days: int) -> Deadline:
    """Deadline of a ticket dispatched at `dispatched_at` with `days` working days."""
    _check_days(days)
    start = _local_date(dispatched_at)
    oracle = WorkdayOracle(start, start + _span_for(days))
    return deadline_with(oracle, dispatched_at, days)


@dataclass
class CalendarDay:
    date: dt.date
    is_workday: bool
    source: str
    note: str


def year_calendar(year: int) -> tuple[list[CalendarDay], bool]:
    """Every day of `year` that is not an ordinary weekday/weekend, and whether data is official."""
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    oracle = WorkdayOracle(first, last)
    notes = {item.date: item.source for item in CalendarOverride.objects.filter(date__year=year)}
    special: list[CalendarDay] = []
    day = first
    while day <= last:
        working = oracle.is_workday(day)
        ordinary = day.weekday() < 5
        source = oracle.source_of(day)
        if working != ordinary or source == "override":
            note = notes.get(day, "")
            if not note and source == BASIS_OFFICIAL:
                holiday_name = chinese_calendar.get_holiday_detail(day)[1]
                note = str(holiday_name or "")
            special.append(CalendarDay(day, working, source, note))
        day += dt.timedelta(days=1)
    return special, has_official_data(year)


def set_override(*, date: dt.date, kind: str, source: str, by: Actor = SYSTEM) -> CalendarOverride:
    """Record that `date` is a holiday or a working day, citing the notice it comes from.

    `by` is the person doing it (administrators only), or the system (the operator's command
    line).
    """
    require(can_edit_calendar(by), _("Only administrators may change the calendar."))
    if kind not in DayKind.values:
        raise InvalidInput(_("Kind must be 'holiday' or 'workday'."), field="kind")
    check_day(date, field="date")
    source = clean_text(source, field="source", label=_("The source notice"), limit=300)
    if not source:
        raise InvalidInput(_("Give the notice this comes from."), field="source")
    with transaction.atomic():
        override, _created = CalendarOverride.objects.update_or_create(
            date=date, defaults={"kind": kind, "source": source, "updated_by": person_of(by)}
        )
    return override


def remove_override(*, date: dt.date, by: Actor = SYSTEM) -> bool:
    """Remove the override on `date`, if any; the official schedule applies again."""
    require(can_edit_calendar(by), _("Only administrators may change the calendar."))
    with transaction.atomic():
        deleted, _detail = CalendarOverride.objects.filter(date=date).delete()
    return deleted > 0


def due_soon_horizon(now: dt.datetime) -> dt.datetime:
    """The end of the next working day: a deadline before it is due soon (到期预警)."""
    return compute_deadline(now, 1).due_at
