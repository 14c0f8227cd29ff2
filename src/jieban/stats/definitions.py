"""What the figures count, defined once: `figures`, `rollups`, `dashboards` and `reports` all
read these, so a direct count, a daily rollup and a frozen report cannot disagree.

The definitions are the contract written in docs/statistics.md (and the README's section
"Statistics and frozen reports"). Change one here, and bump `DEFINITIONS_VERSION`: every
published report stores the version its figures were computed with.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import F, Q, QuerySet

from jieban.org.models import Unit
from jieban.tickets import models as ticket_models
from jieban.tickets import visits
from jieban.tickets.models import Category, Ticket, VisitOutcome
from jieban.workcalendar.workdays import local_zone

DEFINITIONS_VERSION = 1

# --- Which tickets a period counts ------------------------------------------------------------


def local_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The moments that open local days `start` and `end`: the period [start, end) as times."""
    zone = local_zone()
    return (
        dt.datetime.combine(start, dt.time(), tzinfo=zone),
        dt.datetime.combine(end, dt.time(), tzinfo=zone),
    )


def counted_between(tickets: QuerySet[Ticket], start: dt.date, end: dt.date) -> QuerySet[Ticket]:
    """Those of `tickets` the figures of [start, end) count: received then, not invalid or
    merged."""
    first, stop = local_bounds(start, end)
    return tickets.filter(received_at__gte=first, received_at__lt=stop).exclude(
        status__in=ticket_models.NOT_COUNTED
    )


# --- What each count counts, among the counted tickets ----------------------------------------

# The unit reported a result: now resolved, or closed after it.
RESOLVED = Q(status__in=ticket_models.RESOLVED)
# `tickets.models.resolved_on_time` as a condition on the row: resolved by the deadline and
# never overdue on the way. A ticket answered on the spot has no deadline and is on time.
ON_TIME = (
    RESOLVED
    & Q(breached_at__isnull=True)
    & (Q(due_at__isnull=True) | Q(resolved_at__lte=F("due_at")))
)
# The latest follow-up call reached the resident; unreachable is not a visit.
REACHED = (*visits.SATISFIED, VisitOutcome.DISSATISFIED)
VISITED = Q(visit_outcome__in=REACHED)
# The latest call was satisfied or basically satisfied.
SATISFIED = Q(visit_outcome__in=visits.SATISFIED)
PRACTICAL = Q(category__practical=True)
REPEAT = Q(repeat_of__isnull=False)

# The counts of a period that add up day by day (what a daily rollup stores), each with the
# condition a counted ticket meets to be in it (None: every counted ticket). Open overdue is
# not here: it is a figure of now, not of the day a ticket was received.
COUNTS: dict[str, Q | None] = {
    "total": None,
    "resolved": RESOLVED,
    "on_time": ON_TIME,
    "visited": VISITED,
    "satisfied": SATISFIED,
    "practical": PRACTICAL,
    "repeats": REPEAT,
}


# Each rate of a figures row, as (numerator, denominator): the counts it divides. Pages,
# workbooks and reports round a rate from these counts (`jieban.stats.rates.row_percent`).
RATES: dict[str, tuple[str, str]] = {
    "closure_rate": ("resolved", "total"),
    "on_time_rate": ("on_time", "resolved"),
    "satisfaction_rate": ("satisfied", "visited"),
    "practical_share": ("practical", "total"),
}


# --- How the figures group --------------------------------------------------------------------


@dataclass(frozen=True)
class Dimension:
    """One way to split the figures: by a ticket's category, unit, channel or grid."""

    # The lookup of the group's code: a row's key, and a rollup row's key.
    code: str
    # The lookup of the group's name; channels have none (their names are the choices).
    name: str | None
    # The ticket's own column, which the deadline index covers (see `figures`).
    column: str
    # The table behind the codes, for names in both languages; channels have none. Grids
    # are units.
    model: type[Category] | type[Unit] | None


DIMENSIONS = {
    "category": Dimension("category__code", "category__name", "category_id", Category),
    "unit": Dimension("unit__code", "unit__name", "unit_id", Unit),
    "channel": Dimension("channel", None, "channel", None),
    "grid": Dimension("grid__code", "grid__name", "grid_id", Unit),
}
