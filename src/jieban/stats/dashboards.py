"""Reads for the home pages: counts of the lists a person can open, and figures over fixed windows.

Every count here is the count of a list the pages offer: `ListCount.filters` are the very
filters the ticket list applies, so a number on a home page and the list behind it agree by
construction. Figures come from `jieban.stats.figures` and follow its definitions unchanged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count

from jieban.databases import from_replica
from jieban.org.actors import Viewer
from jieban.org.models import Unit
from jieban.stats.definitions import DIMENSIONS
from jieban.stats.figures import Figures, figures
from jieban.tickets.models import (
    NOT_COUNTED,
    ORDER_OPEN,
    RESOLVED,
    Category,
    Status,
)
from jieban.tickets.selectors import TicketFilters, filter_tickets
from jieban.tickets.supervision import visible_orders

TREND_DAYS = 30
# The ticket list's status filters for the tickets the figures count (all but invalid and
# merged) and for those they count as resolved.
COUNTED_STATUSES = ",".join(status for status in Status if status not in NOT_COUNTED)
RESOLVED_STATUSES = ",".join(RESOLVED)


@dataclass(frozen=True)
class ListCount:
    """How many tickets the ticket list shows with `filters`."""

    key: str
    count: int
    filters: TicketFilters


@dataclass(frozen=True)
class Window:
    """Local dates [start, end): the figures' period convention."""

    start: dt.date
    end: dt.date

    @property
    def last_day(self) -> dt.date:
        return self.end - dt.timedelta(days=1)


def month_window(day: dt.date) -> Window:
    start = day.replace(day=1)
    end = dt.date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return Window(start, end)


def trend_window(today: dt.date, days: int = TREND_DAYS) -> Window:
    """The last `days` days, today included."""
    return Window(today - dt.timedelta(days=days - 1), today + dt.timedelta(days=1))


def list_count(user: Viewer, key: str, filters: TicketFilters) -> ListCount:
    return ListCount(key, filter_tickets(user, filters).count(), filters)


def follow_up_count(user: Viewer) -> ListCount:
    """Resolved tickets waiting for their follow-up call, as the queue lists them: not those
    whose call waits for the people's mediation of their dispute (`visit_held_at`)."""
    filters = TicketFilters(status=Status.RESOLVED)
    waiting = filter_tickets(user, filters).filter(visit_held_at__isnull=True)
    return ListCount("follow_up", waiting.count(), filters)


def received_filters(window: Window, *, statuses: str = COUNTED_STATUSES) -> TicketFilters:
    """The ticket-list filters that select the tickets a figures row over `window` counts."""
    return TicketFilters(
        status=statuses,
        received_from=window.start.isoformat(),
        received_to=window.last_day.isoformat(),
    )


@dataclass
class CentreCounts:
    received_today: ListCount
    awaiting_dispatch: ListCount
    due_soon: ListCount
    overdue: ListCount
    follow_up: ListCount
    open_orders: int
    dispatch_late: ListCount
    escalated: ListCount


@from_replica
def centre_counts(user: Viewer, *, today: dt.date, open_orders: int | None = None) -> CentreCounts:
    """The command centre's work in hand; each count is one indexed COUNT of its list (the
    open orders' unless the caller has counted them already)."""
    day = today.isoformat()
    return CentreCounts(
        received_today=list_count(
            user, "received_today", TicketFilters(received_from=day, received_to=day)
        ),
        awaiting_dispatch=list_count(user, "awaiting_dispatch", TicketFilters(status=Status.NEW)),
        due_soon=list_count(user, "due_soon", TicketFilters(due_soon=True)),
        overdue=list_count(user, "overdue", TicketFilters(overdue=True)),
        # The follow-up queue is every visible resolved ticket.
        follow_up=follow_up_count(user),
        open_orders=(
            open_orders
            if open_orders is not None
            else visible_orders(user).filter(ORDER_OPEN).count()
        ),
        dispatch_late=list_count(user, "dispatch_late", TicketFilters(dispatch_late=True)),
        escalated=list_count(user, "escalated", TicketFilters(escalated=True)),
    )


@from_replica
def daily_trend(user: Viewer, window: Window, *, refresh: bool = True) -> list[Figures]:
    """One figures row per day of `window`, days without tickets included as zero rows."""
    rows = {
        row.key: row
        for row in figures(user, start=window.start, end=window.end, period="day", refresh=refresh)
    }
    days = (window.end - window.start).days
    trend = []
    for offset in range(days):
        label = (window.start + dt.timedelta(days=offset)).isoformat()
        trend.append(rows.get(label) or Figures(key=label, period=label))
    return trend


def _rate_key(rate: float | None) -> float:
    # No figure sorts after every figure, 0 included.
    return -1.0 if rate is None else rate


@from_replica
def units_ranked(user: Viewer, window: Window, *, refresh: bool = True) -> list[Figures]:
    """Units by on-time rate, then satisfaction rate, then volume; tickets never dispatched
    (no unit) are not a unit's."""
    rows = figures(user, start=window.start, end=window.end, group_by="unit", refresh=refresh)
    rows = [row for row in rows if row.key]
    rows.sort(
        key=lambda row: (
            -_rate_key(row.on_time_rate),
            -_rate_key(row.satisfaction_rate),
            -row.total,
            row.key,
        )
    )
    return rows


@from_replica
def by_category(user: Viewer, window: Window, *, refresh: bool = True) -> list[Figures]:
    """Categories by volume, largest first."""
    rows = figures(user, start=window.start, end=window.end, group_by="category", refresh=refresh)
    rows.sort(key=lambda row: (-row.total, row.key))
    return rows


@from_replica
def overall(user: Viewer, window: Window) -> Figures:
    return figures(user, start=window.start, end=window.end)[0]


@dataclass
class UnitOrders:
    code: str
    name: str
    name_en: str
    by_level: dict[int, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.by_level.values())


@dataclass
class OpenOrders:
    units: list[UnitOrders]
    by_level: dict[int, int]

    @property
    def total(self) -> int:
        return sum(self.by_level.values())


@from_replica
def open_orders_by_unit_and_level(user: Viewer) -> OpenOrders:
    """Open supervision orders the user may see, per unit and level: one query grouped in the
    order of the open-orders index (`unit_id, level`), the units' names put on after."""
    rows = (
        visible_orders(user)
        .filter(ORDER_OPEN)
        .order_by()
        .values_list("unit_id", "level")
        .annotate(count=Count("pk"))
    )
    counts: dict[int, dict[int, int]] = {}
    by_level = {1: 0, 2: 0, 3: 0}
    for unit_id, level, count in rows:
        counts.setdefault(unit_id, {})[level] = count
        by_level[level] = by_level.get(level, 0) + count
    units = Unit.objects.filter(pk__in=counts).only("code", "name", "name_en")
    entries = [
        UnitOrders(unit.code, unit.name, unit.name_en or "", counts[unit.pk]) for unit in units
    ]
    ranked = sorted(entries, key=lambda unit: (-unit.total, unit.code))
    return OpenOrders(ranked, by_level)


def names_of(group_by: str, keys: Iterable[str]) -> dict[str, Unit | Category]:
    """The units or categories behind figures rows' keys (codes), for names in both languages.
    Channels have no table: their names are the channel choices."""
    codes = sorted({key for key in keys if key})
    dimension = DIMENSIONS.get(group_by)
    if not codes or dimension is None or dimension.model is None:
        return {}
    items = dimension.model.objects.filter(code__in=codes).only("code", "name", "name_en")
    return {item.code: item for item in items}
