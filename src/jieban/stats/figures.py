"""The statistics, computed exactly as docs/statistics.md defines them (the contract; the
README's section "Statistics and frozen reports" sums it up). The definitions themselves are
in `jieban.stats.definitions`, shared with the rollups.

For a period [start, end) in local time, over tickets *received* in it, excluding `invalid` and
`merged`:
- total; resolved = now `resolved` or `closed`; closure rate = resolved / total;
- on time = resolved by the deadline and never overdue on the way (a ticket answered on the
  spot has no deadline and is on time); on-time rate = on time / resolved;
- visited = the latest follow-up call reached the resident (unreachable is not a visit);
  satisfied = that call was satisfied or basically satisfied; satisfaction rate = satisfied /
  visited;
- open overdue = the clock runs and the deadline has passed, now;
- practical = in a "practical matter for residents" category; repeats = marked as a repeat;
- accepted on time = signed for by the end of the signing clock (`accept_due_at`, the very
  second included); its rate's denominator is the tickets whose signing clock has ended: signed
  for, or still unsigned past `accept_due_at` now (`accept_late_open`, a figure of now);
- first visited / first-visit satisfied = by each ticket's first call that reached the
  resident; escalated = went to the leaders after level 3; returns and extensions = the
  returns and approved extension requests on the counted tickets, by the unit that made them.
A rate whose denominator is 0 is None ("no figure"), never 0. Rates are exact fractions of 1;
what pages, workbooks and reports show is rounded by one rule, in `jieban.stats.rates`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from django.db import connection
from django.db.models import BooleanField, Count, DateField, F, Func, Q, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import TruncDate, TruncDay, TruncMonth, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _

from jieban.databases import from_replica
from jieban.errors import InvalidInput
from jieban.inputs import check_period
from jieban.org.actors import Viewer
from jieban.org.models import Unit, User
from jieban.org.permissions import has_inbox, sees_whole_bureau
from jieban.stats.definitions import (
    COUNTS,
    DIMENSIONS,
    HAPPENING_CODES,
    HAPPENINGS,
    ROLLED_UP,
    accept_late_open,
    counted_between,
    local_bounds,
)
from jieban.stats.rates import fraction
from jieban.stats.rollups import summed
from jieban.tickets.access import visible_tickets
from jieban.tickets.models import (
    CLOCK_RUNNING,
    OPEN,
    Status,
    Ticket,
    clock_running,
    status_is,
)
from jieban.tickets.supervision import visible_orders
from jieban.workcalendar.workdays import local_zone

PERIODS = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}
MAX_SPAN = dt.timedelta(days=366 * 3)


def rate(part: int, whole: int) -> float | None:
    """The exact fraction, unrounded: pages round it by `jieban.stats.rates.percent`."""
    return fraction(part, whole)


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
    basically_satisfied: int = 0
    accepted: int = 0
    accepted_on_time: int = 0
    accept_late_open: int = 0
    first_visited: int = 0
    first_visit_satisfied: int = 0
    escalated: int = 0
    returns: int = 0
    extensions: int = 0
    network: int = 0
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

    @property
    def network_share(self) -> float | None:
        """Reported by the network (building heads, grid officers) over all received."""
        return rate(self.network, self.total)

    @property
    def accept_clock_ended(self) -> int:
        """The dispatched tickets whose signing clock has ended: signed for, or past it."""
        return self.accepted + self.accept_late_open

    @property
    def accepted_on_time_rate(self) -> float | None:
        return rate(self.accepted_on_time, self.accept_clock_ended)

    @property
    def first_visit_satisfaction_rate(self) -> float | None:
        return rate(self.first_visit_satisfied, self.first_visited)

    def as_row(self) -> dict[str, Any]:
        row = asdict(self)
        row.update(
            closure_rate=self.closure_rate,
            on_time_rate=self.on_time_rate,
            satisfaction_rate=self.satisfaction_rate,
            practical_share=self.practical_share,
        )
        row.update(
            accept_clock_ended=self.accept_clock_ended,
            accepted_on_time_rate=self.accepted_on_time_rate,
            first_visit_satisfaction_rate=self.first_visit_satisfaction_rate,
            network_share=self.network_share,
        )
        return row


def _aggregates(now: dt.datetime) -> dict[str, Any]:
    counts: dict[str, Any] = {
        name: Count("pk", filter=condition) for name, condition in COUNTS.items()
    }
    counts["overdue_open"] = Count("pk", filter=Q(status__in=CLOCK_RUNNING, due_at__lt=now))
    counts["accept_late_open"] = Count("pk", filter=accept_late_open(now))
    return counts


def check_window(start: dt.date, end: dt.date) -> None:
    """A figures' window [start, end): in range, in order, at most three years."""
    check_period(start, end, start_field="start", end_field="end")
    if end <= start:
        raise InvalidInput(_("The end must come after the start."), field="end")
    if end - start > MAX_SPAN:
        raise InvalidInput(_("Ask for at most three years at a time."), field="end")


def received_in(user: Viewer, start: dt.date, end: dt.date) -> QuerySet[Ticket]:
    """The tickets the figures count: visible, received in [start, end), not invalid/merged."""
    check_window(start, end)
    return counted_between(visible_tickets(user), start, end)


def bucket_label(moment: dt.datetime | dt.date, period: str) -> str:
    day = moment.date() if isinstance(moment, dt.datetime) else moment
    if period == "day":
        return day.isoformat()
    if period == "week":
        year, week, _weekday = day.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{day:%Y-%m}"


@from_replica
def figures(
    user: Viewer,
    *,
    start: dt.date,
    end: dt.date,
    period: str | None = None,
    group_by: str | None = None,
    now: dt.datetime | None = None,
    refresh: bool = True,
) -> list[Figures]:
    """Rows of figures, per period bucket (`day`, `week`, `month`) and/or per group, or one
    overall row when neither is asked for.

    Whose tickets: the whole bureau's for the command centre and leaders; for a unit's people,
    the tickets their unit holds, so a unit reads exactly its own row of the bureau's figures;
    for anyone else, the tickets they may see. The bureau's and a unit's figures come from the
    daily rollups (rebuilt first where dirty), except a unit's split by another dimension,
    which is counted from its tickets. Every way follows the same definitions. A caller that
    reads several figures of one period rebuilds the dirty days once (`refresh_range`) and
    passes `refresh=False`."""
    if period is not None and period not in PERIODS:
        raise InvalidInput(_("The period is day, week or month."), field="period")
    if group_by is not None and group_by not in DIMENSIONS:
        raise InvalidInput(_("Group by category, unit, channel or grid."), field="group_by")
    now = now or timezone.now()
    tickets = received_in(user, start, end)
    if sees_whole_bureau(user):
        rows = _from_rollups(start, end, period=period, group_by=group_by, now=now, refresh=refresh)
    elif isinstance(user, User) and has_inbox(user):  # only a person has an inbox
        if group_by in (None, "unit"):
            rows = _from_rollups(
                start,
                end,
                period=period,
                group_by=group_by,
                now=now,
                unit=user.unit,
                refresh=refresh,
            )
        else:
            held = counted_between(Ticket.objects.filter(unit=user.unit_id), start, end)
            # Returns and extensions are the unit's own, on whichever tickets it made them.
            code = user.unit.code if user.unit is not None else ""
            done = (counted_between(Ticket.objects.all(), start, end), code)
            rows = _counted(held, period=period, group_by=group_by, now=now, done_by=done)
    else:
        rows = _counted(tickets, period=period, group_by=group_by, now=now)
    rows.sort(key=lambda item: (item.period, item.key))
    return rows


def _counted(
    tickets: QuerySet[Ticket],
    *,
    period: str | None,
    group_by: str | None,
    now: dt.datetime,
    done_by: tuple[QuerySet[Ticket], str] | None = None,
) -> list[Figures]:
    """The figures counted from `tickets` directly; returns and extensions on them, or with
    `done_by` (tickets, a unit's code) those the unit made on any of those tickets."""
    fields: list[str] = []
    if period is not None:
        tickets = tickets.annotate(bucket=PERIODS[period]("received_at", tzinfo=local_zone()))
        fields.append("bucket")
    if group_by is not None:
        dimension = DIMENSIONS[group_by]
        fields += [dimension.code] + ([dimension.name] if dimension.name else [])
    if not fields:
        totals = tickets.aggregate(**_aggregates(now))
        overall = Figures(key="all", **totals)
        _add_happenings([overall], tickets, period=None, group_by=None, done_by=done_by)
        return [overall]
    result = []
    for row in tickets.order_by().values(*fields).annotate(**_aggregates(now)):
        label = bucket_label(row.pop("bucket"), period) if period is not None else ""
        key, name = label, ""
        if group_by is not None:
            dimension = DIMENSIONS[group_by]
            key = row.pop(dimension.code) or ""
            name = (row.pop(dimension.name) if dimension.name else "") or ""
        result.append(Figures(key=key, name=name, period=label, **row))
    _add_happenings(result, tickets, period=period, group_by=group_by, done_by=done_by)
    return result


def _add_happenings(
    result: list[Figures],
    tickets: QuerySet[Ticket],
    *,
    period: str | None,
    group_by: str | None,
    done_by: tuple[QuerySet[Ticket], str] | None = None,
) -> None:
    """Returns and extensions on `tickets` (or, with `done_by`, those a unit made), into the
    rows of `result` (new rows where a group has them but no ticket, such as a unit that sent
    all its tickets back); `result` is one overall row (key "all") without period and group."""
    if period is None and group_by is None:
        [overall] = result
        for happening, of in HAPPENINGS.items():
            setattr(overall, happening, _done(of, tickets, done_by).count())
        return
    rows = {(item.period, item.key): item for item in result}
    fields: dict[str, Any] = {}
    if period is not None:
        fields["bucket"] = PERIODS[period]("ticket__received_at", tzinfo=local_zone())
    if group_by is not None:
        fields["group"] = F(HAPPENING_CODES[group_by])
    for happening, of in HAPPENINGS.items():
        done = _done(of, tickets, done_by)
        counted = done.annotate(**fields).values(*fields).annotate(count=Count("pk"))
        for row in counted:
            label = bucket_label(row["bucket"], period) if period is not None else ""
            key = (row["group"] or "") if group_by is not None else label
            target = rows.get((label, key))
            if target is None:
                target = rows[(label, key)] = Figures(key=key, period=label)
                result.append(target)
            setattr(target, happening, getattr(target, happening) + row["count"])
    if group_by is not None:
        nameless = [item for item in result if not item.name and item.key]
        known = {code: name for code, name in _known(group_by).values()} if nameless else {}
        for item in nameless:
            item.name = known.get(item.key, "")


def _done(
    of: Callable[[QuerySet[Ticket], str | None], QuerySet[Any]],
    tickets: QuerySet[Ticket],
    done_by: tuple[QuerySet[Ticket], str] | None,
) -> QuerySet[Any]:
    if done_by is None:
        return of(tickets, None)
    everyone, unit_code = done_by
    return of(everyone, unit_code)


def _from_rollups(
    start: dt.date,
    end: dt.date,
    *,
    period: str | None,
    group_by: str | None,
    now: dt.datetime,
    unit: Unit | None = None,
    refresh: bool = True,
) -> list[Figures]:
    """The figures summed from the daily rollups: the bureau's, or with `unit` (grouped by
    nothing or by unit) that unit's own row of them."""
    dimension = "unit" if unit is not None else group_by or "all"
    merged: dict[tuple[str, str], Figures] = {}

    def slot(label: str, key: str) -> Figures:
        row_key = key if group_by is not None else (label or "all")
        found = merged.get((label, row_key))
        if found is None:
            found = merged[(label, row_key)] = Figures(key=row_key, period=label)
        return found

    keys = None if unit is None else [unit.code]
    # Units or categories behind the group's keys: id → (code, name), in one query.
    known = _known(group_by)
    rows = summed(
        start, end, dimension=dimension, by_day=period is not None, keys=keys, refresh=refresh
    )
    for row in rows:
        label = bucket_label(row["day"], period) if period is not None else ""
        target = slot(label, row["key"])
        for name in ROLLED_UP:
            setattr(target, name, getattr(target, name) + (row[name] or 0))
    codes = {pk: code for pk, (code, _name) in known.items()}
    _add_open_overdue(
        slot, start, end, period=period, group_by=group_by, now=now, unit=unit, codes=codes
    )
    _add_accept_late(
        slot, start, end, period=period, group_by=group_by, now=now, unit=unit, codes=codes
    )
    if known:
        names = dict(known.values())
        for item in merged.values():
            item.name = names.get(item.key, "")
    if not merged and group_by is None and period is None:
        return [Figures(key="all")]
    return list(merged.values())


def _add_open_overdue(
    slot: Callable[[str, str], Figures],
    start: dt.date,
    end: dt.date,
    *,
    period: str | None,
    group_by: str | None,
    now: dt.datetime,
    unit: Unit | None,
    codes: dict[int, str],
) -> None:
    """Open overdue is a figure of now, not of the day: counted live, grouped in SQL, from the
    deadline index that covers every column it needs (`ticket_open_due_idx`)."""
    overdue = Ticket.objects.filter(
        clock_running(), _received_between(start, end), due_at__lt=now
    ).order_by()
    if unit is not None:
        overdue = overdue.filter(unit_id=unit.pk)
    _add_live(
        slot, overdue, "overdue_open", start, end, period=period, group_by=group_by, codes=codes
    )


def _add_accept_late(
    slot: Callable[[str, str], Figures],
    start: dt.date,
    end: dt.date,
    *,
    period: str | None,
    group_by: str | None,
    now: dt.datetime,
    unit: Unit | None,
    codes: dict[int, str],
) -> None:
    """Tickets still unsigned past their signing clock: a figure of now, counted live from the
    signing-deadline index (`ticket_accept_due_idx`, on dispatched tickets)."""
    late = Ticket.objects.filter(
        status_is(Status.DISPATCHED), accept_late_open(now), _received_between(start, end)
    ).order_by()
    if unit is not None:
        late = late.filter(unit_id=unit.pk)
    _add_live(
        slot, late, "accept_late_open", start, end, period=period, group_by=group_by, codes=codes
    )


def _add_live(
    slot: Callable[[str, str], Figures],
    live: QuerySet[Ticket],
    field: str,
    start: dt.date,
    end: dt.date,
    *,
    period: str | None,
    group_by: str | None,
    codes: dict[int, str],
) -> None:
    """Add the count of `live` (tickets received in [start, end)) to `field` of each row."""
    fields = []
    if period is not None:
        live = live.annotate(day=_local_date(start, end))
        fields.append("day")
    # The grouping's own column on the ticket row: grouped by it from the deadline index alone,
    # with the codes put on afterwards.
    column = DIMENSIONS[group_by].column if group_by is not None else None
    if column is not None:
        fields.append(column)
    if not fields:
        count = live.count()
        if count:
            target = slot("", "")
            setattr(target, field, getattr(target, field) + count)
        return
    # Channels are their own codes; the others are ids to turn into codes.
    for row in live.values(*fields).annotate(count=Count("pk")):
        label = bucket_label(row["day"], period) if period is not None else ""
        key = ""
        if column is not None:
            value = row[column]
            key = (value if column == "channel" else codes.get(value, "")) or ""
        target = slot(label, key)
        setattr(target, field, getattr(target, field) + row["count"])


def _local_date(start: dt.date, end: dt.date) -> Func | TruncDate:
    """The local date of `received_at`, for tickets received in local days [start, end).

    Django's TruncDate on SQLite calls a Python function for every row (its time-zone rules);
    while the zone keeps one UTC offset over the period (China's always does), SQLite's own
    `date(received_at, '+28800 seconds')` gives the same date some ten times faster."""
    zone = local_zone()
    if connection.vendor == "sqlite":
        days = (end - start).days
        offsets = {
            dt.datetime.combine(
                start + dt.timedelta(days=offset), dt.time(), tzinfo=zone
            ).utcoffset()
            for offset in range(days + 1)
        }
        if len(offsets) == 1:
            [offset] = offsets
            seconds = int(offset.total_seconds()) if offset is not None else 0
            return Func(
                F("received_at"),
                Value(f"{seconds:+d} seconds"),
                function="date",
                output_field=DateField(),
            )
    return TruncDate("received_at", tzinfo=zone)


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


def _known(group_by: str | None) -> dict[int, tuple[str, str]]:
    """The units or categories behind a grouping, by id: (code, name); none for channels."""
    model = DIMENSIONS[group_by].model if group_by is not None else None
    if model is None:
        return {}
    return {pk: (code, name) for pk, code, name in model.objects.values_list("pk", "code", "name")}


@from_replica
def orders_by_level(user: Viewer, *, start: dt.date, end: dt.date) -> dict[str, int]:
    """Supervision orders issued in [start, end), by level, on tickets the user may see."""
    first, stop = local_bounds(start, end)
    orders = visible_orders(user).filter(issued_at__gte=first, issued_at__lt=stop)
    # One count per level, each a range of the (level, issued_at) index.
    return {str(level): orders.filter(level=level).count() for level in (1, 2, 3)}


@dataclass(frozen=True)
class GridFigures:
    """A grid's figures on the grid map: the statistics' own for the period (`received` is
    `total`, the satisfaction rate `satisfied / visited`, None without a visit), and two
    figures of now over the grid's tickets whenever received: `open` (still on someone's desk,
    `tickets.models.OPEN`) and `overdue` (the definition of `overdue_open`)."""

    received: int = 0
    visited: int = 0
    satisfied: int = 0
    open: int = 0
    overdue: int = 0

    @property
    def satisfaction_rate(self) -> float | None:
        return rate(self.satisfied, self.visited)


@from_replica
def figures_by_grid(
    user: Viewer, *, start: dt.date, end: dt.date, now: dt.datetime | None = None
) -> dict[str, GridFigures]:
    """Each grid's figures (by grid code) over the tickets whose figures `user` reads, as
    `figures` chooses them: the period's from `figures(group_by="grid")` itself, so the map and
    the statistics page cannot disagree, and open and overdue now in one grouped query. Grids
    with no ticket are not in it."""
    now = now or timezone.now()
    counted = {
        row.key: row
        for row in figures(user, start=start, end=end, group_by="grid", now=now)
        if row.key
    }
    live = {
        row["grid__code"]: row
        for row in whose_tickets(user)
        .filter(status__in=OPEN, grid__isnull=False)
        .order_by()
        .values("grid__code")
        .annotate(
            open=Count("pk"),
            overdue=Count("pk", filter=Q(status__in=CLOCK_RUNNING, due_at__lt=now)),
        )
    }
    result = {}
    for code in counted.keys() | live.keys():
        period, current = counted.get(code), live.get(code, {})
        result[code] = GridFigures(
            received=period.total if period else 0,
            visited=period.visited if period else 0,
            satisfied=period.satisfied if period else 0,
            open=current.get("open", 0),
            overdue=current.get("overdue", 0),
        )
    return result


def whose_tickets(user: Viewer) -> QuerySet[Ticket]:
    """The tickets whose figures `user` reads (whenever received), as `figures` counts them:
    the whole bureau's for the command centre and the leaders, the tickets a unit's people's
    unit holds, and for anyone else the tickets they may see."""
    if sees_whole_bureau(user):
        return Ticket.objects.all()
    if isinstance(user, User) and has_inbox(user):
        return Ticket.objects.filter(unit=user.unit_id)
    return visible_tickets(user)
