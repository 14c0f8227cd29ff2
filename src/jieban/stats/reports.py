"""Daily, weekly and monthly reports; a published report is stored and never recomputed."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jieban.databases import from_replica
from jieban.errors import Conflict, InvalidInput, NotFound
from jieban.inputs import check_day
from jieban.org.actors import SYSTEM, Actor, Viewer, person_of
from jieban.org.permissions import can_publish_report, can_read_reports, require
from jieban.stats.definitions import DEFINITIONS_VERSION, DIMENSIONS
from jieban.stats.figures import figures, orders_by_level
from jieban.stats.mediation import (
    GROUPINGS,
    MEDIATION_DEFINITIONS_VERSION,
    first_case_accepted,
    mediation_figures,
    studios_and_committees,
)
from jieban.stats.models import PublishedReport, ReportKind
from jieban.stats.rates import ROUNDING_KEY, configured_rounding
from jieban.stats.rollups import refresh_range
from jieban.stats.scorecards import scorecard_for, scored, weights_of
from jieban.tickets.models import Ticket

DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
MONTH = re.compile(r"^(\d{4})-(\d{2})$")
TREND_PERIOD = {"daily": None, "weekly": "day", "monthly": "day"}
# The kinds whose period is a month: the monthly report and the monthly mediation report.
MONTHS = (ReportKind.MONTHLY, ReportKind.MEDIATION)


def period_bounds(kind: str, period: str) -> tuple[dt.date, dt.date]:
    """[start, end) of `period`: `2026-07-14` (daily), `2026-W29` (weekly), `2026-07`."""
    start: dt.date | None = None
    try:
        if kind == ReportKind.DAILY and DAY.match(period):
            start = dt.date.fromisoformat(period)
        elif kind == ReportKind.WEEKLY and (week := WEEK.match(period)):
            start = dt.date.fromisocalendar(int(week[1]), int(week[2]), 1)
        elif kind in MONTHS and (month := MONTH.match(period)):
            start = dt.date(int(month[1]), int(month[2]), 1)
    except ValueError:
        start = None
    if start is not None:
        # Checked before any arithmetic: year 9999's last day has no day after it.
        check_day(start, field="period")
        if kind == ReportKind.DAILY:
            end = start + dt.timedelta(days=1)
        elif kind == ReportKind.WEEKLY:
            end = start + dt.timedelta(days=7)
        else:
            end = dt.date(start.year + (start.month == 12), start.month % 12 + 1, 1)
        # The whole period within the days any input may name.
        check_day(end - dt.timedelta(days=1), field="period")
        return start, end
    if kind not in ReportKind.values:
        raise InvalidInput(_("The report is daily, weekly or monthly."), field="kind")
    examples = {
        "daily": "2026-07-14",
        "weekly": "2026-W29",
        "monthly": "2026-07",
        "mediation": "2026-07",
    }
    raise InvalidInput(
        _("%(period)s is not a %(kind)s period (like %(example)s).")
        % {"period": period, "kind": ReportKind(kind).label, "example": examples[kind]},
        field="period",
    )


def current_period(kind: str, today: dt.date) -> str:
    if kind == ReportKind.DAILY:
        return today.isoformat()
    if kind == ReportKind.WEEKLY:
        year, week, _weekday = today.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{today:%Y-%m}"


@from_replica
def build_report(user: Viewer, kind: str, period: str) -> dict[str, Any]:
    """Every figure of a report, computed now from the tickets, with the rule its rates are
    shown by (`rounding`): a published copy keeps showing them the way it was published."""
    if kind == ReportKind.MEDIATION:
        return build_mediation_report(user, period)
    start, end = period_bounds(kind, period)
    now = timezone.now()
    refresh_range(start, end)  # once for every figure below
    overall = figures(user, start=start, end=end, now=now, refresh=False)[0]
    trend_period = TREND_PERIOD[kind]
    trend = (
        figures(user, start=start, end=end, period=trend_period, now=now, refresh=False)
        if trend_period
        else []
    )
    # The scorecard in effect for the period, frozen with it: a published report is always
    # read with the weights it was scored with, whatever the scorecards say later.
    weights = weights_of(scorecard_for(start))
    by = {
        group: [
            row.as_row()
            for row in figures(user, start=start, end=end, group_by=group, now=now, refresh=False)
        ]
        for group in DIMENSIONS
    }
    scored(by["unit"], weights, configured_rounding())
    return {
        "definitions_version": DEFINITIONS_VERSION,
        ROUNDING_KEY: configured_rounding().value,
        "kind": kind,
        "period": period,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "computed_at": timezone.localtime(now).isoformat(),
        "overall": overall.as_row(),
        "trend": [row.as_row() for row in trend],
        "by": by,
        "orders_by_level": orders_by_level(user, start=start, end=end),
        "scorecard": weights,
    }


@from_replica
def build_mediation_report(user: Viewer, period: str) -> dict[str, Any]:
    """The month's mediation figures, overall and by each grouping, with the number of studios
    and committees its lead sentence names, and the rule its rates are shown by."""
    start, end = period_bounds(ReportKind.MEDIATION, period)
    now = timezone.now()
    overall = mediation_figures(user, start=start, end=end)[0]
    studios, committees = studios_and_committees()
    return {
        "definitions_version": MEDIATION_DEFINITIONS_VERSION,
        ROUNDING_KEY: configured_rounding().value,
        "kind": ReportKind.MEDIATION.value,
        "period": period,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "computed_at": timezone.localtime(now).isoformat(),
        "studios": studios,
        "committees": committees,
        "overall": overall.as_row(),
        "by": {
            group: [
                row.as_row()
                for row in mediation_figures(user, start=start, end=end, group_by=group)
            ]
            for group in GROUPINGS
        },
    }


def publish_report(kind: str, period: str, *, by: Actor = SYSTEM) -> tuple[PublishedReport, bool]:
    """Freeze the report of `period` (bureau-wide); publishing again returns the stored one."""
    require(can_publish_report(by), _("Reports are published by the command centre and leaders."))
    start, end = period_bounds(kind, period)
    existing = PublishedReport.objects.filter(kind=kind, period=period).first()
    if existing is not None:
        return existing, False
    if end > timezone.localdate():
        # Frozen figures of a period still running would be read as final.
        raise Conflict(
            _("%(period)s has not ended yet: publish it from %(end)s on.")
            % {"period": period, "end": end.isoformat()}
        )
    # Bureau-wide whoever publishes it: only bureau-wide roles may.
    data = build_report(by, kind, period)
    try:
        with transaction.atomic():
            report = PublishedReport.objects.create(
                kind=kind,
                period=period,
                start=start,
                end=end,
                published_at=timezone.now(),
                published_by=person_of(by),
                data=data,
            )
    except IntegrityError:
        return PublishedReport.objects.get(kind=kind, period=period), False
    return report, True


@from_replica
def published_report(user: Viewer, kind: str, period: str) -> PublishedReport:
    period_bounds(kind, period)
    if not can_read_reports(user):
        raise NotFound(
            _("No published report of %(period)s (%(kind)s).")
            % {"kind": ReportKind(kind).label, "period": period}
        )
    report = PublishedReport.objects.filter(kind=kind, period=period).first()
    if report is None:
        raise NotFound(
            _("No published report of %(period)s (%(kind)s).")
            % {"kind": ReportKind(kind).label, "period": period}
        )
    return report


def ended_periods(today: dt.date, *, since: dt.date) -> list[tuple[str, str]]:
    """Every daily, weekly and monthly period that ended by `today` and has a day on or after
    `since`, the oldest first (by their end; on one end, the shorter first)."""
    found: list[tuple[dt.date, dt.date, str, str]] = []
    day = since
    while day + dt.timedelta(days=1) <= today:
        found.append((day + dt.timedelta(days=1), day, ReportKind.DAILY, day.isoformat()))
        day += dt.timedelta(days=1)
    monday = since - dt.timedelta(days=since.weekday())
    while monday + dt.timedelta(days=7) <= today:
        period = current_period(ReportKind.WEEKLY, monday)
        found.append((monday + dt.timedelta(days=7), monday, ReportKind.WEEKLY, period))
        monday += dt.timedelta(days=7)
    first = since.replace(day=1)
    while True:
        following = dt.date(first.year + (first.month == 12), first.month % 12 + 1, 1)
        if following > today:
            break
        found.append((following, first, ReportKind.MONTHLY, f"{first:%Y-%m}"))
        first = following
    found.sort(key=lambda entry: (entry[0], -entry[1].toordinal()))
    return [(kind, period) for _end, _start, kind, period in found]


def unpublished_periods(today: dt.date, *, horizon_days: int) -> list[tuple[str, str]]:
    """The ended periods not yet frozen, oldest first: none before the first ticket was
    received, and none wholly more than `horizon_days` before `today`."""
    first_received = (
        Ticket.objects.order_by("received_at").values_list("received_at", flat=True).first()
    )
    if first_received is None:
        return unpublished_mediation_months(today, horizon_days=horizon_days)
    since = max(timezone.localdate(first_received), today - dt.timedelta(days=horizon_days))
    published = set(PublishedReport.objects.filter(end__gt=since).values_list("kind", "period"))
    waiting = [entry for entry in ended_periods(today, since=since) if entry not in published]
    return waiting + unpublished_mediation_months(today, horizon_days=horizon_days)


def unpublished_mediation_months(today: dt.date, *, horizon_days: int) -> list[tuple[str, str]]:
    """The ended months whose mediation report is not yet frozen, oldest first: none before the
    first case was accepted, and none wholly more than `horizon_days` before `today`."""
    first_accepted = first_case_accepted()
    if first_accepted is None:
        return []
    since = max(timezone.localdate(first_accepted), today - dt.timedelta(days=horizon_days))
    published = set(
        PublishedReport.objects.filter(kind=ReportKind.MEDIATION, end__gt=since).values_list(
            "period", flat=True
        )
    )
    return [
        (ReportKind.MEDIATION.value, period)
        for kind, period in ended_periods(today, since=since)
        if kind == ReportKind.MONTHLY and period not in published
    ]


def publish_ended_periods(
    today: dt.date,
    *,
    limit: int,
    horizon_days: int,
    should_stop: Callable[[], bool] = lambda: False,
) -> tuple[list[str], int]:
    """Freeze the reports of the periods that ended and were not frozen, oldest first, at
    most `limit` of them: the worker catches up a few a sweep after it was down. Returns the
    reports published (`daily 2026-03-02`) and how many are still to do."""
    waiting = unpublished_periods(today, horizon_days=horizon_days)
    published = []
    done = 0
    for kind, period in waiting[:limit]:
        if should_stop():
            break
        # Another worker may have frozen it meanwhile: then it is done, not published here.
        report, created = publish_report(kind, period, by=SYSTEM)
        done += 1
        if created:
            published.append(f"{report.kind} {report.period}")
    return published, len(waiting) - done
