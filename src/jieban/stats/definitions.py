"""What the figures count, defined once: `figures`, `rollups`, `dashboards` and `reports` all
read these, so a direct count, a daily rollup and a frozen report cannot disagree.

The definitions are the contract written in docs/statistics.md (and the README's section
"Statistics and frozen reports"). Change one here, and bump `DEFINITIONS_VERSION`: every
published report stores the version its figures were computed with.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Exists, F, Model, OuterRef, Q, QuerySet, Subquery
from django.db.models.expressions import BaseExpression
from django.db.models.fields.json import KT
from django.db.models.lookups import In

from jieban.org.models import Unit
from jieban.tickets import models as ticket_models
from jieban.tickets import visits
from jieban.tickets.models import (
    Category,
    EventKind,
    Extension,
    ExtensionStatus,
    Status,
    Ticket,
    TicketEvent,
    Visit,
    VisitOutcome,
)
from jieban.workcalendar.workdays import local_zone

# 1: the first definitions. 2: added the signing clock (accepted, accepted on time), the first
# call's satisfaction, basically satisfied, escalated, approved extensions and returns.
DEFINITIONS_VERSION = 3

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
# Of those, the latest call was "basically satisfied" (the scorecard weighs it apart).
BASICALLY_SATISFIED = Q(visit_outcome=VisitOutcome.BASICALLY_SATISFIED)
PRACTICAL = Q(category__practical=True)
REPEAT = Q(repeat_of__isnull=False)
# Reported by the community network from the phone (随手报): building heads and grid officers.
NETWORK = Q(channel__in=ticket_models.NETWORK_CHANNELS)

# The signing clock (签收) of the ticket's latest dispatch: `accept_due_at` is set at dispatch
# (the end of the next working day) and cleared when a unit sends the ticket back. Signed for
# under a clock, and signed for by its end (the very second included).
ACCEPTED = Q(accepted_at__isnull=False, accept_due_at__isnull=False)
ACCEPTED_ON_TIME = ACCEPTED & Q(accepted_at__lte=F("accept_due_at"))


def accept_late_open(now: dt.datetime) -> Q:
    """Dispatched, not signed for, and the signing clock ran out by `now`: a figure of now
    (like open overdue), which with `accepted` makes the on-time signing rate's denominator.
    A ticket still within its signing window is in neither."""
    return Q(status=Status.DISPATCHED, accepted_at__isnull=True, accept_due_at__lt=now)


# The calls that reached the resident, of the ticket in the outer query, oldest first.
_REACHED_CALLS = Visit.objects.filter(ticket=OuterRef("pk"), outcome__in=REACHED).order_by(
    "at", "id"
)
# The ticket's first call that reached the resident (unreachable calls skipped) ...
FIRST_VISITED = Exists(_REACHED_CALLS)
# ... was satisfied or basically satisfied, whatever later calls said.
FIRST_VISIT_SATISFIED: BaseExpression = In(
    Subquery(_REACHED_CALLS.values("outcome")[:1]), list(visits.SATISFIED)
)
# A level-3 order ran out with the ticket not resolved: it went to the bureau's leaders.
ESCALATED = Q(escalated_at__isnull=False)

# The counts of a period that add up day by day (what a daily rollup stores), each with the
# condition a counted ticket meets to be in it (None: every counted ticket). Open overdue is
# not here: it is a figure of now, not of the day a ticket was received.
COUNTS: dict[str, Q | BaseExpression | None] = {
    "total": None,
    "resolved": RESOLVED,
    "on_time": ON_TIME,
    "visited": VISITED,
    "satisfied": SATISFIED,
    "practical": PRACTICAL,
    "repeats": REPEAT,
    "basically_satisfied": BASICALLY_SATISFIED,
    "accepted": ACCEPTED,
    "accepted_on_time": ACCEPTED_ON_TIME,
    "first_visited": FIRST_VISITED,
    "first_visit_satisfied": FIRST_VISIT_SATISFIED,
    "escalated": ESCALATED,
    "network": NETWORK,
}


# --- What happened to the counted tickets, counted by the unit that did it -------------------


# Counts of things done to the counted tickets (not of tickets). Each belongs to its ticket's
# day, category, channel and grid, but to the unit that did it (`unit_code`), which need not be
# the unit holding the ticket now: a unit that sent a ticket back no longer holds it.


def _returns(tickets: QuerySet[Ticket], unit_code: str | None = None) -> QuerySet[Model]:
    # Each time a unit sent the ticket back to the command centre (退回), by that unit.
    returns = TicketEvent.objects.filter(kind=EventKind.RETURN, ticket__in=tickets.values("pk"))
    if unit_code is not None:
        returns = returns.filter(payload__unit=unit_code)
    return returns.annotate(unit_code=KT("payload__unit")).order_by()


def _extensions(tickets: QuerySet[Ticket], unit_code: str | None = None) -> QuerySet[Model]:
    # Each approved extension request (延期), by the unit that asked.
    extensions = Extension.objects.filter(
        status=ExtensionStatus.APPROVED, ticket__in=tickets.values("pk")
    )
    if unit_code is not None:
        extensions = extensions.filter(unit__code=unit_code)
    return extensions.annotate(unit_code=F("unit__code")).order_by()


# Each of the period's tickets' returns or extensions; with a unit's code, that unit's only.
HAPPENINGS: dict[str, Callable[[QuerySet[Ticket], str | None], QuerySet[Model]]] = {
    "returns": _returns,
    "extensions": _extensions,
}
# How a happening's row reaches each dimension's code: through its ticket, but its own unit.
HAPPENING_CODES = {
    "category": "ticket__category__code",
    "unit": "unit_code",
    "channel": "ticket__channel",
    "grid": "ticket__grid__code",
}
# Every count a daily rollup stores.
ROLLED_UP = (*COUNTS, *HAPPENINGS)


# Each rate of a figures row, as (numerator, denominator): the counts it divides. Pages,
# workbooks and reports round a rate from these counts (`jieban.stats.rates.row_percent`).
RATES: dict[str, tuple[str, str]] = {
    "closure_rate": ("resolved", "total"),
    "on_time_rate": ("on_time", "resolved"),
    "satisfaction_rate": ("satisfied", "visited"),
    "practical_share": ("practical", "total"),
    "accepted_on_time_rate": ("accepted_on_time", "accept_clock_ended"),
    "first_visit_satisfaction_rate": ("first_visit_satisfied", "first_visited"),
    "network_share": ("network", "total"),
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
