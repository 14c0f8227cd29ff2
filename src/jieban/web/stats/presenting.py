"""Figures rows as the pages show them: cells (each rate with its fraction), rows and tables,
links from the counts to the ticket lists behind them, and the groups' names in the page's
language. The statistics page, the reports and the home pages all present figures this way."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.functional import Promise
from django.utils.translation import get_language, gettext_lazy, pgettext, pgettext_lazy

from jieban.org.models import Unit
from jieban.stats.dashboards import (
    RESOLVED_STATUSES,
    Window,
    month_window,
    names_of,
    received_filters,
)
from jieban.stats.definitions import RATES
from jieban.stats.rates import Rounding, row_percent
from jieban.tickets.models import Category, Channel, SupervisionLevel
from jieban.tickets.selectors import TicketFilters
from jieban.web.forms import localized_name
from jieban.web.pages import ticket_list_url

# The rates among a figures row's fields; a page shows each with its numerator and denominator.
RATE_FIELDS = frozenset(RATES)
FIELD_LABELS: dict[str, Promise] = {
    "total": pgettext_lazy("the number of tickets", "Total"),
    "resolved": gettext_lazy("Resolved"),
    "closure_rate": gettext_lazy("Closure rate"),
    "on_time": gettext_lazy("On time"),
    "on_time_rate": gettext_lazy("On-time rate"),
    "visited": gettext_lazy("Visited"),
    "satisfied": gettext_lazy("Satisfied"),
    "satisfaction_rate": gettext_lazy("Satisfaction rate"),
    "overdue_open": gettext_lazy("Open overdue"),
    "practical": gettext_lazy("Practical matters"),
    "practical_share": gettext_lazy("Practical share"),
    "repeats": gettext_lazy("Repeats"),
    "accepted_on_time": gettext_lazy("Accepted on time"),
    "accept_clock_ended": gettext_lazy("Signing clock ended"),
    "accepted_on_time_rate": gettext_lazy("On-time acceptance rate"),
    "first_visited": gettext_lazy("First calls reached"),
    "first_visit_satisfied": gettext_lazy("Satisfied at the first call"),
    "first_visit_satisfaction_rate": gettext_lazy("First-call satisfaction rate"),
    "escalated": gettext_lazy("Escalated to leaders"),
    "extensions": gettext_lazy("Extensions approved"),
    "returns": gettext_lazy("Returns"),
    "network": gettext_lazy("Reported by the network"),
    "network_share": gettext_lazy("Network share"),
}
SHOWN = (
    "total",
    "resolved",
    "closure_rate",
    "on_time_rate",
    "satisfaction_rate",
    "overdue_open",
    "practical_share",
    "repeats",
    "accepted_on_time_rate",
    "first_visit_satisfaction_rate",
    "escalated",
    "extensions",
    "returns",
    "network_share",
)
# Counts shown only inside a rate's fraction: they carry their own data-field there.
ONLY_IN_FRACTIONS = frozenset(
    {
        "on_time",
        "visited",
        "satisfied",
        "practical",
        "accepted_on_time",
        "accept_clock_ended",
        "first_visited",
        "first_visit_satisfied",
        "network",
    }
)
GROUP_LABELS: dict[str, Promise] = {
    "category": gettext_lazy("Category"),
    "unit": gettext_lazy("Unit"),
    "channel": gettext_lazy("Channel"),
    "grid": gettext_lazy("Grid"),
}
NO_GROUP: dict[str, Promise] = {
    "category": gettext_lazy("No category"),
    "unit": gettext_lazy("Not dispatched"),
    "channel": gettext_lazy("No channel"),
    "grid": gettext_lazy("No grid"),
}
# How a report says its rates were rounded (`JIEBAN_RATE_ROUNDING`, stored with the report).
ROUNDING_LABELS: dict[Rounding, Promise] = {
    Rounding.HALF_UP: gettext_lazy("rounded half up"),
    Rounding.TRUNCATE: gettext_lazy("truncated"),
}
# Supervision orders are shown by level, every level even when none was issued.
LEVELS = list(SupervisionLevel)


def percent_text(value: Decimal | None) -> str:
    """`Decimal("66.67")` → `66.67%`; no figure (a zero denominator) → `—`."""
    return "—" if value is None else f"{value}%"


def stats_url(window: Window, **params: str) -> str:
    """The statistics page over `window`; its form names the last day counted."""
    query = {"start": window.start.isoformat(), "end": window.last_day.isoformat(), **params}
    return reverse("web:stats") + "?" + urlencode({k: v for k, v in query.items() if v})


@dataclass
class Part:
    """A count inside a rate's fraction; `field` only when no column of its own shows it."""

    field: str | None
    value: int


@dataclass
class Cell:
    """One figure as a page shows it. For a rate, `value` is the exact fraction (the API's,
    in the cell's data-value) and `text` the percentage rounded by the rule; `parts` its
    numerator and denominator."""

    field: str
    value: int | float | None
    text: str
    href: str = ""
    parts: list[Part] = dataclasses.field(default_factory=list)

    @property
    def label(self) -> str:
        return str(FIELD_LABELS[self.field])

    @property
    def is_rate(self) -> bool:
        return self.field in RATE_FIELDS

    @property
    def data_value(self) -> str:
        return "" if self.value is None else str(self.value)


def figure_cells(
    row: dict[str, Any], links: dict[str, str] | None = None, *, rounding: Rounding
) -> list[Cell]:
    """The shown columns of a figures row, each rate with its fraction, rounded by `rounding`
    (the configured rule for live figures, the stored one for a published report)."""
    links = links or {}
    cells = []
    for name in SHOWN:
        if name not in row:
            # A report frozen before this figure existed: no figure, not a zero.
            cells.append(Cell(name, None, "—"))
            continue
        value = row.get(name)
        if name in RATE_FIELDS:
            top, bottom = RATES[name]
            parts = [
                Part(top if top in ONLY_IN_FRACTIONS else None, int(row.get(top) or 0)),
                Part(bottom if bottom in ONLY_IN_FRACTIONS else None, int(row.get(bottom) or 0)),
            ]
            text = percent_text(row_percent(row, name, rounding))
            cells.append(Cell(name, value, text, links.get(name, ""), parts))
        else:
            cells.append(Cell(name, value, str(value or 0), links.get(name, "")))
    return cells


def list_links(window: Window, narrower: TicketFilters | None = None) -> dict[str, str]:
    """Links from the counts of a figures row over `window` to the lists behind them."""
    base = narrower or TicketFilters()

    def narrowed(filters: TicketFilters) -> str:
        filters.unit, filters.category, filters.channel = base.unit, base.category, base.channel
        return ticket_list_url(filters)

    overdue = received_filters(window)
    overdue.status, overdue.overdue = None, True
    return {
        "total": narrowed(received_filters(window)),
        "resolved": narrowed(received_filters(window, statuses=RESOLVED_STATUSES)),
        "overdue_open": narrowed(overdue),
    }


def tile_links(window: Window, *, stats_params: dict[str, str] | None = None) -> dict[str, str]:
    """A home page's figures: counts link to their lists, rates to the statistics page."""
    links = list_links(window)
    rates = stats_url(window, **(stats_params or {}))
    for name in ("closure_rate", "on_time_rate", "satisfaction_rate", "practical_share"):
        links[name] = rates
    for name in ("accepted_on_time_rate", "first_visit_satisfaction_rate", "network_share"):
        links[name] = rates
    links["repeats"] = rates
    return links


@dataclass
class FigureRow:
    key: str
    label: str
    cells: list[Cell]
    period: str = ""
    # The group's name alone, when the label also names the period.
    group: str = ""


@dataclass
class FigureTable:
    testid: str
    heading: str
    rows: list[FigureRow]
    footer: FigureRow | None = None

    @property
    def columns(self) -> list[str]:
        return [str(FIELD_LABELS[name]) for name in SHOWN]


def english() -> bool:
    return (get_language() or "").startswith("en")


class GroupNames:
    """Names of the groups in rows, in the page's language.

    Chinese pages show the name the row carries (frozen with a published report); English
    pages look the English names up by code, one query per kind of group, only when needed.
    """

    def __init__(self, rows_by_group: dict[str, Sequence[dict[str, Any]]]) -> None:
        self.known: dict[str, dict[str, Unit | Category]] = {}
        if english():
            for group_by, rows in rows_by_group.items():
                # Channels have no table: `names_of` returns nothing for them, without a query.
                if rows:
                    self.known[group_by] = names_of(group_by, (row["key"] for row in rows))

    def label(self, group_by: str, key: str, name: str) -> str:
        if not key:
            return str(NO_GROUP[group_by])
        if group_by == "channel":
            return str(Channel(key).label) if key in Channel.values else key
        item = self.known.get(group_by, {}).get(key)
        if item is not None:
            return localized_name(item)
        return name or key


def period_window(label: str, period: str, bounds: Window) -> Window:
    """The days of a period bucket (`2026-07-14`, `2026-W29`, `2026-07`) within `bounds`."""
    if period == "day":
        start = dt.date.fromisoformat(label)
        window = Window(start, start + dt.timedelta(days=1))
    elif period == "week":
        year, week = label.split("-W")
        start = dt.date.fromisocalendar(int(year), int(week), 1)
        window = Window(start, start + dt.timedelta(days=7))
    else:
        window = month_window(dt.date.fromisoformat(f"{label}-01"))
    return Window(max(window.start, bounds.start), min(window.end, bounds.end))


def narrowing(group_by: str | None, key: str) -> TicketFilters | None:
    """The ticket-list filter for one group, or None when the list cannot select it."""
    if group_by is None:
        return TicketFilters()
    if not key or group_by == "grid":
        return None
    if group_by == "unit":
        return TicketFilters(unit=key)
    if group_by == "category":
        return TicketFilters(category=key)
    return TicketFilters(channel=key)


def inclusive_period(start: dt.date | str, end: dt.date | str) -> str:
    """The days of a period [start, end) as people read them, the last day counted named:
    `2026-11-01 至 2026-11-30` (`2026-11-01 – 2026-11-30` in English); a single day alone.
    Dates or ISO text, as a report's data stores them."""
    first = dt.date.fromisoformat(start) if isinstance(start, str) else start
    stop = dt.date.fromisoformat(end) if isinstance(end, str) else end
    last = stop - dt.timedelta(days=1)
    if last <= first:
        return first.isoformat()
    span = pgettext("the first and last day of a period, both included", "%(first)s – %(last)s")
    return span % {"first": first.isoformat(), "last": last.isoformat()}


def local_text(stamp: str | dt.datetime | None) -> str:
    """A stored moment (ISO text or datetime) as the pages and workbooks show it, local time."""
    if stamp is None:
        return ""
    moment = parse_datetime(stamp) if isinstance(stamp, str) else stamp
    if moment is None:
        return str(stamp)
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
