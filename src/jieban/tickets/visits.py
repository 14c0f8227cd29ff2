"""Follow-up calls (回访): the resident says whether the matter was really settled."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jieban.errors import Conflict, InvalidInput
from jieban.inputs import check_text, clean_text
from jieban.org.actors import Actor, Viewer, person_of
from jieban.org.models import Unit
from jieban.org.permissions import can_record_visit, require
from jieban.tickets.access import access_ticket, visible_tickets
from jieban.tickets.events import reopen_payload, visit_close_payload, visit_payload
from jieban.tickets.models import (
    Channel,
    EventKind,
    Status,
    SupervisionReason,
    Ticket,
    TicketEvent,
    Visit,
    VisitOutcome,
    status_is,
)
from jieban.tickets.selectors import MAX_PAGE, decode_cursor, encode_cursor
from jieban.tickets.supervision import issue_order, rewatch
from jieban.tickets.transitions import Action, apply_transition

# After this many unanswered calls the ticket is closed as unreachable (out of satisfaction).
MAX_UNREACHABLE = 3
SATISFIED = (VisitOutcome.SATISFIED, VisitOutcome.BASICALLY_SATISFIED)
# What a call leads to.
CLOSES, REOPENS = "close", "reopen"
# The channel of a resident's own answer on the tracking page (/track/), where no call was
# made: besides the ticket channels (a 12345 platform reporting its own call).
ONLINE = "online"
VISIT_CHANNELS = (*Channel.values, ONLINE)


def consequence(outcome: str, unanswered: int) -> str | None:
    """What a call with `outcome` does to the resolved ticket, `unanswered` counting the
    unreachable calls since it was resolved, this one included: it closes it (the resident is
    satisfied, or was unreachable `MAX_UNREACHABLE` times), reopens it (dissatisfied), or
    leaves it waiting for the next call (None)."""
    if outcome in SATISFIED:
        return CLOSES
    if outcome == VisitOutcome.DISSATISFIED:
        return REOPENS
    if outcome == VisitOutcome.UNREACHABLE and unanswered >= MAX_UNREACHABLE:
        return CLOSES
    return None


def record_visit(
    number: str, *, outcome: str, note: str, by: Actor, channel: str = ""
) -> tuple[Visit, Ticket]:
    """Record a call about a resolved ticket and do what its outcome calls for."""
    if outcome not in VisitOutcome.values:
        raise InvalidInput(
            _("The outcome must be one of: %(choices)s.")
            % {"choices": ", ".join(VisitOutcome.values)},
            field="outcome",
        )
    note = clean_text(note, field="note", label=_("The note on the call"), limit=4000)
    if channel and channel not in VISIT_CHANNELS:
        raise InvalidInput(
            _("Unknown channel %(channel)s.") % {"channel": channel}, field="channel"
        )
    with transaction.atomic():
        ticket = access_ticket(by, number, for_update=True)
        require(can_record_visit(by), _("Follow-up calls are made by the command centre."))
        if ticket.status != Status.RESOLVED:
            raise Conflict(
                _("Ticket %(number)s is “%(status)s”: only resolved tickets are called back.")
                % {"number": ticket.number, "status": Status(ticket.status).label}
            )
        if ticket.visit_on_hold:
            raise Conflict(
                _(
                    "Ticket %(number)s was handed over for mediation: it is called back when "
                    "the case concludes."
                )
                % {"number": ticket.number}
            )
        now = timezone.now()
        visit = Visit.objects.create(
            ticket=ticket,
            outcome=outcome,
            note=note,
            called_by=person_of(by),
            reported_by_channel=channel,
            at=now,
        )
        ticket.visit_outcome = outcome
        ticket.save(update_fields=["visit_outcome"])
        TicketEvent.objects.create(
            ticket=ticket,
            kind=EventKind.VISIT,
            actor=person_of(by),
            at=now,
            from_status=ticket.status,
            to_status=ticket.status,
            payload=visit_payload(outcome=outcome, note=note, channel=channel),
        )
        unanswered = _unanswered_calls(ticket) if outcome == VisitOutcome.UNREACHABLE else 0
        then = consequence(outcome, unanswered)
        if then == CLOSES:
            _close(ticket, by=by, now=now, outcome=outcome)
        elif then == REOPENS:
            reopen_round(
                ticket,
                by=by,
                now=now,
                reason=SupervisionReason.DISSATISFIED,
                note=note,
                payload=reopen_payload(outcome=VisitOutcome.DISSATISFIED, note=note),
            )
    return visit, ticket


def reopen_round(
    ticket: Ticket,
    *,
    by: Actor,
    now: dt.datetime,
    reason: str,
    note: str,
    payload: dict[str, Any],
) -> None:
    """Reopen a resolved ticket locked by the caller for a new handling round at its unit,
    with a supervision order for `reason` whose deadline is the round's (the caller checked
    who may cause it: a dissatisfied call, a failed mediation)."""

    def apply(ticket: Ticket, at: dt.datetime) -> dict[str, Any]:
        ticket.resolved_at = None
        ticket.visit_due_at = None
        ticket.visit_held_at = None
        return payload

    apply_transition(ticket, by=by, action=Action.REOPEN, now=now, role_checked=True, apply=apply)
    order = issue_order(ticket, reason=reason, now=now, by=by, note=note)
    # A new handling round: its deadline is the order's.
    ticket.due_at = order.due_at
    rewatch(ticket)
    ticket.save(update_fields=["due_at", "watch_at"])


def _close(ticket: Ticket, *, by: Actor, now: dt.datetime, outcome: str) -> None:
    def apply(ticket: Ticket, at: dt.datetime) -> dict[str, Any]:
        ticket.closed_at = at
        return visit_close_payload(outcome=outcome)

    apply_transition(ticket, by=by, action=Action.CLOSE, now=now, role_checked=True, apply=apply)


def _unanswered_calls(ticket: Ticket) -> int:
    counted = with_unanswered_calls(Ticket.objects.filter(pk=ticket.pk)).get()
    return int(getattr(counted, "unanswered_calls", 0))


def with_unanswered_calls(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """Each ticket with `unanswered_calls`: unreachable calls since it was last resolved, the
    count that closes it at MAX_UNREACHABLE."""
    # A subquery per ticket, not a join grouped over every resolved ticket: a page reads
    # its own rows' calls only (a join and GROUP BY took a second at a million tickets).
    calls = (
        Visit.objects.filter(
            ticket=OuterRef("pk"),
            outcome=VisitOutcome.UNREACHABLE,
            at__gte=OuterRef("resolved_at"),
        )
        .order_by()
        .values("ticket")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return tickets.annotate(unanswered_calls=Coalesce(Subquery(calls), 0))


class EarlierCalls(models.TextChoices):
    """What the follow-up queue can be narrowed to by the calls already made."""

    # Never called yet: the first call is due.
    NONE = "none", gettext_lazy("Not called yet")
    # Unanswered since it was last resolved: the calls that count towards MAX_UNREACHABLE.
    UNREACHABLE = "unreachable", gettext_lazy("Unreachable before")
    # Reopened by a dissatisfied resident once, and resolved again since.
    DISSATISFIED = "dissatisfied", gettext_lazy("Dissatisfied before")


# The longest wait one may ask for, in days: more than any ticket waits.
MAX_WAITED_DAYS = 3650


@dataclass
class FollowUpFilters:
    unit: str | None = None
    # One of EarlierCalls.
    calls: str | None = None
    # Waiting at least this many days (of 24 hours) since it was resolved.
    waited_days: int | None = None


def waiting_for_call(user: Viewer, filters: FollowUpFilters | None = None) -> QuerySet[Ticket]:
    """Resolved tickets waiting for their call, narrowed by `filters` (unknown values are
    InvalidInput), in no order: what the queue lists and counts. The queue is the command
    centre's."""
    require(can_record_visit(user), _("Follow-up calls are made by the command centre."))
    # Spelled out for the partial index ticket_resolved_idx.
    # A ticket handed to people's mediation waits for the case to conclude.
    tickets = visible_tickets(user).filter(status_is(Status.RESOLVED), visit_held_at__isnull=True)
    return _narrowed(tickets, filters) if filters is not None else tickets


def follow_up_queue(user: Viewer, filters: FollowUpFilters | None = None) -> QuerySet[Ticket]:
    """`waiting_for_call`, oldest resolution first, with their `unanswered_calls`."""
    return with_unanswered_calls(
        waiting_for_call(user, filters)
        .select_related("category", "unit")
        .order_by("resolved_at", "pk")
    )


def _narrowed(tickets: QuerySet[Ticket], filters: FollowUpFilters) -> QuerySet[Ticket]:
    check_text(filters.unit or "", field="unit")
    check_text(filters.calls or "", field="calls")
    if filters.unit:
        unit_id = Unit.objects.filter(code=filters.unit).values_list("pk", flat=True).first()
        if unit_id is None:
            raise InvalidInput(_("Unknown unit %(code)s.") % {"code": filters.unit}, field="unit")
        tickets = tickets.filter(unit_id=unit_id)
    if filters.calls:
        if filters.calls not in EarlierCalls.values:
            raise InvalidInput(
                _("The earlier calls must be one of: %(choices)s.")
                % {"choices": ", ".join(EarlierCalls.values)},
                field="calls",
            )
        tickets = tickets.filter(_earlier_calls(filters.calls))
    if filters.waited_days is not None:
        if not 0 <= filters.waited_days <= MAX_WAITED_DAYS:
            raise InvalidInput(
                _("The days waited must be between 0 and %(max)d.") % {"max": MAX_WAITED_DAYS},
                field="waited",
            )
        waited_since = timezone.now() - dt.timedelta(days=filters.waited_days)
        tickets = tickets.filter(resolved_at__lte=waited_since)
    return tickets


def _earlier_calls(calls: str) -> Q:
    visits = Visit.objects.filter(ticket=OuterRef("pk"))
    if calls == EarlierCalls.NONE:
        return ~Q(Exists(visits))
    if calls == EarlierCalls.UNREACHABLE:
        since = visits.filter(outcome=VisitOutcome.UNREACHABLE, at__gte=OuterRef("resolved_at"))
        return Q(Exists(since))
    return Q(Exists(visits.filter(outcome=VisitOutcome.DISSATISFIED)))


def follow_up_page(
    user: Viewer, filters: FollowUpFilters, *, cursor: str | None, limit: int
) -> tuple[list[Ticket], str | None]:
    """One page of the follow-up queue, oldest resolution first; the next page starts after
    the cursor (the rows called meanwhile have left the queue, the others keep their place)."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(
            _("The limit must be between 1 and %(max)d.") % {"max": MAX_PAGE}, field="limit"
        )
    tickets = follow_up_queue(user, filters)
    if cursor:
        resolved, pk = decode_cursor(cursor)
        tickets = tickets.filter(Q(resolved_at__gt=resolved) | Q(resolved_at=resolved, pk__gt=pk))
    rows = list(tickets[: limit + 1])
    last = rows[limit - 1] if len(rows) > limit else None
    next_cursor = None
    if last is not None and last.resolved_at is not None:
        next_cursor = encode_cursor(last.resolved_at, last.pk)
    return rows[:limit], next_cursor
