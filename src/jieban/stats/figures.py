"""The statistics, computed exactly as DESIGN.md defines them (the contract).

For a period [start, end) in local time, over tickets *received* in it, excluding `invalid` and
`merged`:
- total; resolved = now `resolved` or `closed`; closure rate = resolved / total;
- on time = resolved by the deadline and never overdue on the way (a ticket answered on the
  spot has no deadline and is on time); on-time rate = on time / resolved;
- visited = the latest follow-up call reached the resident (unreachable is not a visit);
  satisfied = that call was satisfied or basically satisfied; satisfaction rate = satisfied /
  visited;
- open overdue = the clock runs and the deadline has passed, now;
- practical = in a "practical matter for residents" category; repeats = marked as a repeat.
A rate whose denominator is 0 is None ("no figure"), never 0.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from django.db import connection
from django.db.models import BooleanField, Count, F, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _

from jieban.errors import InvalidInput
from jieban.org.models import Unit
from jieban.stats.rollups import COUNTS, summed
from jieban.tickets.access import visible_tickets
from jieban.tickets.models import (
    CLOCK_RUNNING,
    Category,
    Status,
    SupervisionOrder,
    Ticket,
    VisitOutcome,
    clock_running,
)
from jieban.workcalendar.workdays import local_zone

DEFINITIONS_VERSION = 1
PERIODS = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}
GROUPS = {
    "category": ("category__code", "category__name"),
    "unit": ("unit__code", "unit__name"),
    "channel": ("channel", None),
    "grid": ("grid__code", "grid__name"),
}
OUT_OF_EVERY_RATE = (Status.INVALID, Status.MERGED)
RESOLVED = Q(status__in=(Status.RESOLVED, Status.CLOSED))
ON_TIME = (
    RESOLVED
    & Q(breached_at__isnull=True)
    & (Q(due_at__isnull=True) | Q(resolved_at__lte=F("due_at")))
)
REACHED = (VisitOutcome.SATISFIED, VisitOutcome.BASICALLY_SATISFIED, VisitOutcome.DISSATISFIED)
VISITED = Q(visit_outcome__in=REACHED)
SATISFIED = Q(visit_outcome__in=(VisitOutcome.SATISFIED, VisitOutcome.BASICALLY_SATISFIED))
MAX_SPAN = dt.timedelta(days=366 * 3)
MIN_YEAR, MAX_YEAR = 1990, 2200


def rate(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(part / whole, 4)


@dataclass
class Figures:
    key: str
    total: int = 0
    resolved: int = 0
    on_time: int = 0
    visited: int = 0
    satisfied: int = 0
    overdue_open: int = 0
    practical: int = 0
    repeats: int = 0
    name: str = ""
    period: str = ""

    @property
    def closure_rate(self) -> float | None:
        return rate(self.resolved, self.total)

    @property
    def on_time_rate(self) -> float | None:
        return rate(self.on_time, self.resolved)

    @property
    def satisfaction_rate(self) -> float | None:
        return rate(self.satisfied, self.visited)

    @property
    def practical_share(self) -> float | None:
        return rate(self.practical, self.total)

    def as_row(self) -> dict[str, Any]:
        row = asdict(self)
        row.update(
            closure_rate=self.closure_rate,
            on_time_rate=self.on_time_rate,
            satisfaction_rate=self.satisfaction_rate,
            practical_share=self.practical_share,
        )
        return row


def _aggregates(now: dt.datetime) -> dict[str, Any]:
    return {
        "total": Count("pk"),
        "resolved": Count("pk", filter=RESOLVED),
        "on_time": Count("pk", filter=ON_TIME),
        "visited": Count("pk", filter=VISITED),
        "satisfied": Count("pk", filter=SATISFIED),
        "overdue_open": Count("pk", filter=Q(status__in=CLOCK_RUNNING, due_at__lt=now)),
        "practical": Count("pk", filter=Q(category__practical=True)),
        "repeats": Count("pk", filter=Q(repeat_of__isnull=False)),
    }


def local_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    zone = local_zone()
    return (
        dt.datetime.combine(start, dt.time(), tzinfo=zone),
        dt.datetime.combine(end, dt.time(), tzinfo=zone),
    )


def received_in(user: Any, start: dt.date, end: dt.date) -> QuerySet[Ticket]:
    """The tickets the figures count: visible, received in [start, end), not invalid/merged."""
    for value, field in ((start, "start"), (end, "end")):
        if not MIN_YEAR <= value.year <= MAX_YEAR:
            raise InvalidInput(
                _("Give a date between %(first)d and %(last)d.")
                % {"first": MIN_YEAR, "last": MAX_YEAR},
                field=field,
            )
    if end <= start:
        raise InvalidInput(_("The end must come after the start."), field="end")
    if end - start > MAX_SPAN:
        raise InvalidInput(_("Ask for at most three years at a time."), field="end")
    first, stop = local_bounds(start, end)
    return (
        visible_tickets(user)
        .filter(received_at__gte=first, received_at__lt=stop)
        .exclude(status__in=OUT_OF_EVERY_RATE)
    )


def bucket_label(moment: dt.datetime | dt.date, period: str) -> str:
    day = moment.date() if isinstance(moment, dt.datetime) else moment
    if period == "day":
        return day.isoformat()
    if period == "week":
        year, week, _weekday = day.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{day:%Y-%m}"


def figures(
    user: Any,
    *,
    start: dt.date,
    end: dt.date,
    period: str | None = None,
    group_by: str | None = None,
    now: dt.datetime | None = None,
) -> list[Figures]:
    """Rows of figures, per period bucket (`day`, `week`, `month`) and/or per group, or one
    overall row when neither is asked for.

    The bureau's figures come from the daily rollups (rebuilt first where dirty); a unit's,
    a small set, are counted from its tickets directly. Both follow the same definitions."""
    if period is not None and period not in PERIODS:
        raise InvalidInput(_("The period is day, week or month."), field="period")
    if group_by is not None and group_by not in GROUPS:
        raise InvalidInput(_("Group by category, unit, channel or grid."), field="group_by")
    now = now or timezone.now()
    tickets = received_in(user, start, end)
    if user.sees_whole_bureau:
        rows = _from_rollups(start, end, period=period, group_by=group_by, now=now)
    else:
        rows = _counted(tickets, period=period, group_by=group_by, now=now)
    rows.sort(key=lambda item: (item.period, item.key))
    return rows


def _counted(
    tickets: QuerySet[Ticket], *, period: str | None, group_by: str | None, now: dt.datetime
) -> list[Figures]:
    fields: list[str] = []
    if period is not None:
        tickets = tickets.annotate(bucket=PERIODS[period]("received_at", tzinfo=local_zone()))
        fields.append("bucket")
    if group_by is not None:
        code, name = GROUPS[group_by]
        fields += [code] + ([name] if name else [])
    if not fields:
        totals = tickets.aggregate(**_aggregates(now))
        return [Figures(key="all", **totals)]
    result = []
    for row in tickets.order_by().values(*fields).annotate(**_aggregates(now)):
        label = bucket_label(row.pop("bucket"), period) if period is not None else ""
        key, name = label, ""
        if group_by is not None:
            code, name_field = GROUPS[group_by]
            key = row.pop(code) or ""
            name = (row.pop(name_field) if name_field else "") or ""
        result.append(Figures(key=key, name=name, period=label, **row))
    return result


def _from_rollups(
    start: dt.date,
    end: dt.date,
    *,
    period: str | None,
    group_by: str | None,
    now: dt.datetime,
) -> list[Figures]:
    dimension = group_by or "all"
    merged: dict[tuple[str, str], Figures] = {}

    def slot(label: str, key: str) -> Figures:
        row_key = key if group_by is not None else (label or "all")
        found = merged.get((label, row_key))
        if found is None:
            found = merged[(label, row_key)] = Figures(key=row_key, period=label)
        return found

    for row in summed(start, end, dimension=dimension, by_day=period is not None):
        label = bucket_label(row["day"], period) if period is not None else ""
        target = slot(label, row["key"])
        for name in COUNTS:
            setattr(target, name, getattr(target, name) + (row[name] or 0))
    # Open overdue is a figure of now, not of the day: counted live from the few such tickets.
    code_field = GROUPS[group_by][0] if group_by is not None else None
    overdue = Ticket.objects.filter(clock_running(), _received_between(start, end), due_at__lt=now)
    if period is None:
        grouped = overdue.order_by().values(*([code_field] if code_field else []))
        for row in grouped.annotate(count=Count("pk")):
            key = (row[code_field] if code_field else "") or ""
            slot("", key).overdue_open += row["count"]
    else:
        fields = ["received_at", *([code_field] if code_field else [])]
        for received, *code in overdue.values_list(*fields):
            label = bucket_label(timezone.localtime(received), period)
            slot(label, (code[0] if code else "") or "").overdue_open += 1
    if group_by is not None and GROUPS[group_by][1]:
        names = _names(group_by)
        for item in merged.values():
            item.name = names.get(item.key, "")
    if not merged and group_by is None and period is None:
        return [Figures(key="all")]
    return list(merged.values())


def _received_between(start: dt.date, end: dt.date) -> Q | RawSQL:
    """`received_at` in [start, end), written so that the planner keeps to the deadline index.

    On SQLite the unary `+` stops the planner from choosing the received-at index, which
    would read a whole month of tickets to find the few overdue ones. PostgreSQL's planner
    weighs both by their statistics and needs no hint."""
    first, stop = local_bounds(start, end)
    if connection.vendor != "sqlite":
        return Q(received_at__gte=first, received_at__lt=stop)
    return RawSQL(
        '+"tickets_ticket"."received_at" >= %s AND +"tickets_ticket"."received_at" < %s',
        tuple(connection.ops.adapt_datetimefield_value(moment) for moment in (first, stop)),
        output_field=BooleanField(),
    )


def _names(group_by: str) -> dict[str, str]:
    model = Category if group_by == "category" else Unit
    return dict(model.objects.values_list("code", "name"))


def orders_by_level(user: Any, *, start: dt.date, end: dt.date) -> dict[str, int]:
    """Supervision orders issued in [start, end), by level, on tickets the user may see."""
    first, stop = local_bounds(start, end)
    orders = SupervisionOrder.objects.filter(issued_at__gte=first, issued_at__lt=stop)
    if not user.sees_whole_bureau:
        orders = orders.filter(ticket__in=visible_tickets(user))
    counts = dict(orders.order_by().values_list("level").annotate(count=Count("pk")))
    return {str(level): counts.get(level, 0) for level in (1, 2, 3)}
