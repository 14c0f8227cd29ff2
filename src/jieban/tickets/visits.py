"""Follow-up calls (回访): the resident says whether the matter was really settled."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from jieban.errors import Conflict, InvalidInput
from jieban.org.actors import Actor, Viewer, person_of
from jieban.org.permissions import can_record_visit, require
from jieban.tickets.access import access_ticket, visible_tickets
from jieban.tickets.events import reopen_payload, visit_close_payload, visit_payload
from jieban.tickets.models import (
    EventKind,
    Status,
    SupervisionReason,
    Ticket,
    TicketEvent,
    Visit,
    VisitOutcome,
)
from jieban.tickets.supervision import issue_order, rewatch
from jieban.tickets.transitions import Action, apply_transition

# After this many unanswered calls the ticket is closed as unreachable (out of satisfaction).
MAX_UNREACHABLE = 3
SATISFIED = (VisitOutcome.SATISFIED, VisitOutcome.BASICALLY_SATISFIED)
# What a call leads to.
CLOSES, REOPENS = "close", "reopen"


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
    note = (note or "").strip()
    if len(note) > 4000:
        raise InvalidInput(_("The note is longer than 4000 characters."), field="note")
    with transaction.atomic():
        ticket = access_ticket(by, number, for_update=True)
        require(can_record_visit(by), _("Follow-up calls are made by the command centre."))
        if ticket.status != Status.RESOLVED:
            raise Conflict(
                _("Ticket %(number)s is “%(status)s”: only resolved tickets are called back.")
                % {"number": ticket.number, "status": Status(ticket.status).label}
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
            apply_transition(
                ticket,
                by=by,
                action=Action.REOPEN,
                now=now,
                role_checked=True,
                apply=lambda t, at: _reopen(t, at, note),
            )
            order = issue_order(
                ticket, reason=SupervisionReason.DISSATISFIED, now=now, by=by, note=note
            )
            # A new handling round: its deadline is the order's.
            ticket.due_at = order.due_at
            rewatch(ticket)
            ticket.save(update_fields=["due_at", "watch_at"])
    return visit, ticket


def _reopen(ticket: Ticket, now: dt.datetime, note: str) -> dict[str, Any]:
    ticket.resolved_at = None
    ticket.visit_due_at = None
    return reopen_payload(outcome=VisitOutcome.DISSATISFIED, note=note)


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
    return tickets.annotate(
        unanswered_calls=Count(
            "visits",
            filter=Q(visits__outcome=VisitOutcome.UNREACHABLE, visits__at__gte=F("resolved_at")),
        )
    )


def follow_up_queue(user: Viewer) -> QuerySet[Ticket]:
    """Resolved tickets waiting for their call, oldest resolution first, with their
    `unanswered_calls`. The queue is the command centre's."""
    require(can_record_visit(user), _("Follow-up calls are made by the command centre."))
    return with_unanswered_calls(
        visible_tickets(user)
        .filter(status=Status.RESOLVED)
        .select_related("category", "unit")
        .order_by("resolved_at", "pk")
    )
