"""What a hand-over to people's mediation (公调对接) does to the ticket.

Handing the dispute over resolves the station's handling: the clock stops with the result
`HANDOVER_RESULT`, and the follow-up call waits (`visit_held_at`) until the mediation case
concludes. A committee that declines sends the ticket back to the station, in progress, for a
new handling round (the rule of a reopened ticket: its own deadline, `order_days` of a
returned mediation, no order, as the station did nothing late). A case that fails reopens it
as a dissatisfied call does, with a supervision order whose deadline is the new round's. A
case that succeeds (or is withdrawn) makes the follow-up call due. The mediation app calls
these on a ticket it locked; each writes the ticket's event, so the station reads the outcome
on its timeline.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from jieban.org.actors import Actor, person_of
from jieban.tickets.events import resolve_payload
from jieban.tickets.models import EventKind, Status, SupervisionReason, Ticket, TicketEvent
from jieban.tickets.supervision import end_open_orders, order_days, rewatch
from jieban.tickets.transitions import (
    Action,
    apply_transition,
    cancel_pending_extension,
    visit_deadline,
)
from jieban.tickets.visits import reopen_round
from jieban.workcalendar.workdays import compute_deadline

# The result a hand-over records on the ticket, in the bureau's words (data, not a label).
HANDOVER_RESULT = "委托人民调解"


def resolve_by_handover(
    ticket: Ticket, *, by: Actor, now: dt.datetime, committee: str, handover: int
) -> Ticket:
    """The station hands the dispute to `committee` (a code): its handling is resolved, its
    clock stops, and the follow-up call waits for the case. Checks `can_hand_over` and the
    table (a ticket handed over already is resolved: 409)."""

    def apply(ticket: Ticket, at: dt.datetime) -> dict[str, Any]:
        ticket.resolved_at = at
        ticket.result = HANDOVER_RESULT
        ticket.watch_at = None
        ticket.visit_due_at = None
        ticket.visit_held_at = at
        cancel_pending_extension(ticket, at)
        orders = end_open_orders(ticket, at)
        payload = resolve_payload(
            result=HANDOVER_RESULT, on_time=bool(ticket.resolved_on_time), fulfilled_orders=orders
        )
        payload.update(committee=committee, handover=handover)
        return payload

    return apply_transition(ticket, by=by, action=Action.HANDOVER, apply=apply, now=now)


def _event(
    ticket: Ticket, *, kind: str, by: Actor, now: dt.datetime, payload: dict[str, Any]
) -> None:
    TicketEvent.objects.create(
        ticket=ticket,
        kind=kind,
        actor=person_of(by),
        at=now,
        from_status=ticket.status,
        to_status=ticket.status,
        payload=payload,
    )


def record_case_opened(
    ticket: Ticket, *, by: Actor, now: dt.datetime, committee: str, case: str
) -> None:
    """The committee accepted: the mediation case `case` is open."""
    _event(
        ticket,
        kind=EventKind.HANDOVER_ACCEPT,
        by=by,
        now=now,
        payload={"committee": committee, "case": case},
    )


def return_declined(
    ticket: Ticket, *, by: Actor, now: dt.datetime, committee: str, reason: str
) -> bool:
    """The committee declined: the ticket goes back to the station in progress, with a new
    round's deadline. False when it is no longer resolved (closed meanwhile)."""
    if ticket.status != Status.RESOLVED:
        return False
    due = compute_deadline(now, order_days(SupervisionReason.MEDIATION_FAILED))

    def apply(ticket: Ticket, at: dt.datetime) -> dict[str, Any]:
        ticket.resolved_at = None
        ticket.visit_due_at = None
        ticket.visit_held_at = None
        ticket.due_at, ticket.due_basis = due.due_at, due.basis
        return {"committee": committee, "reason": reason, "due_at": due.due_at.isoformat()}

    apply_transition(ticket, by=by, action=Action.REOPEN, now=now, role_checked=True, apply=apply)
    rewatch(ticket)
    ticket.save(update_fields=["watch_at"])
    return True


def return_failed(
    ticket: Ticket,
    *,
    by: Actor,
    now: dt.datetime,
    committee: str,
    case: str,
    route: str,
    conclusion: str,
) -> bool:
    """The mediation failed: the outcome on the timeline, and the ticket reopened at the
    station for a new handling round as after a dissatisfied call. False when it is no longer
    resolved (the command centre closed it meanwhile): then only the outcome is recorded."""
    payload = {"case": case, "mediation": "failed", "route": route, "note": conclusion}
    _event(ticket, kind=EventKind.MEDIATION_END, by=by, now=now, payload=payload)
    if ticket.status != Status.RESOLVED:
        return False
    reopen_round(
        ticket,
        by=by,
        now=now,
        reason=SupervisionReason.MEDIATION_FAILED,
        note=conclusion,
        payload={"committee": committee, "case": case, "note": conclusion},
    )
    return True


def release_follow_up(
    ticket: Ticket, *, by: Actor, now: dt.datetime, case: str, outcome: str
) -> None:
    """The case concluded otherwise (succeeded, withdrawn): the outcome on the timeline, and
    the follow-up call due from now."""
    _event(
        ticket,
        kind=EventKind.MEDIATION_END,
        by=by,
        now=now,
        payload={"case": case, "mediation": outcome},
    )
    if ticket.status == Status.RESOLVED and ticket.visit_on_hold:
        ticket.visit_held_at = None
        ticket.visit_due_at = visit_deadline(now)
        ticket.save(update_fields=["visit_held_at", "visit_due_at"])
