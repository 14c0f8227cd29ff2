"""Every change of a ticket's status, one function each.

Each function checks access (404), the actor's role (403) and the allowed-transition table
(409), locks the row, and writes the ticket and one `TicketEvent` in one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, override

from jieban.errors import Conflict, Forbidden, InvalidInput, NotFound
from jieban.inputs import clean_text
from jieban.notify.outbox import notify
from jieban.org.actors import Actor, Viewer, is_system, person_of
from jieban.org.models import Unit
from jieban.org.permissions import (
    can_dispatch,
    can_hand_over,
    can_record_visit,
    can_work_unit_tickets,
)
from jieban.tickets.access import access_ticket
from jieban.tickets.events import (
    CHANNEL_BASIS,
    DispatchRuleRef,
    close_payload,
    dispatch_payload,
    invalidate_payload,
    merge_payload,
    merged_in_payload,
    resolve_payload,
    return_payload,
)
from jieban.tickets.models import (
    NETWORK_CHANNELS,
    NOT_COUNTED,
    EventKind,
    Extension,
    ExtensionStatus,
    Outcome,
    Status,
    Ticket,
    TicketEvent,
    TicketUnit,
)
from jieban.tickets.supervision import end_open_orders
from jieban.workcalendar.workdays import (
    Deadline,
    WorkdayOracle,
    compute_deadline,
    deadline_with,
)


class Action:
    """The transitions; each is recorded as the event kind of the same name."""

    DISPATCH = EventKind.DISPATCH.value
    ACCEPT = EventKind.ACCEPT.value
    RETURN = EventKind.RETURN.value
    RESOLVE = EventKind.RESOLVE.value
    CLOSE = EventKind.CLOSE.value
    INVALIDATE = EventKind.INVALIDATE.value
    MERGE = EventKind.MERGE.value
    REOPEN = EventKind.REOPEN.value
    HANDOVER = EventKind.HANDOVER.value


# The one table of allowed transitions: status → action → new status.
ALLOWED: dict[str, dict[str, str]] = {
    Status.NEW: {
        Action.DISPATCH: Status.DISPATCHED,
        Action.CLOSE: Status.CLOSED,
        Action.INVALIDATE: Status.INVALID,
        Action.MERGE: Status.MERGED,
    },
    Status.DISPATCHED: {
        Action.DISPATCH: Status.DISPATCHED,  # reassign
        Action.ACCEPT: Status.IN_PROGRESS,
        Action.RETURN: Status.NEW,
    },
    # Handing the dispute to people's mediation resolves the handling (jieban.tickets.handover).
    Status.IN_PROGRESS: {Action.RESOLVE: Status.RESOLVED, Action.HANDOVER: Status.RESOLVED},
    # Reopened by a dissatisfied follow-up call (see jieban.tickets.visits), or when the
    # mediation it was handed to is declined or fails (jieban.tickets.handover).
    Status.RESOLVED: {Action.CLOSE: Status.CLOSED, Action.REOPEN: Status.IN_PROGRESS},
}

# Actions of the command centre, and actions of the unit holding the ticket.
CENTRE_ACTIONS = frozenset({Action.DISPATCH, Action.CLOSE, Action.INVALIDATE, Action.MERGE})
# Actions taken only as the consequence of something else (a follow-up call), never offered alone.
DERIVED_ACTIONS = frozenset({Action.REOPEN})
UNIT_ACTIONS = frozenset({Action.ACCEPT, Action.RETURN, Action.RESOLVE})
# The hand-over to people's mediation: taken through `jieban.mediation.handovers`, which names
# the committee and writes the hand-over beside the ticket.
HANDOVER_ACTIONS = frozenset({Action.HANDOVER})

MAX_TEXT = 4000

ACTION_LABELS = {
    Action.DISPATCH: gettext_lazy("Dispatch"),
    Action.ACCEPT: gettext_lazy("Accept"),
    Action.RETURN: gettext_lazy("Return"),
    Action.RESOLVE: gettext_lazy("Resolve"),
    Action.CLOSE: gettext_lazy("Close"),
    Action.INVALIDATE: gettext_lazy("Invalidate"),
    Action.MERGE: gettext_lazy("Merge"),
    Action.REOPEN: gettext_lazy("Reopen"),
    Action.HANDOVER: gettext_lazy("Hand over for mediation"),
}


def role_allows(user: Viewer, ticket: Ticket, action: str) -> bool:
    """Whether `user` may take `action` on `ticket` (whatever its state): the permissions."""
    if action in CENTRE_ACTIONS:
        return can_dispatch(user)
    if action in DERIVED_ACTIONS:
        return can_record_visit(user)
    if action in UNIT_ACTIONS:
        return can_work_unit_tickets(user, ticket.unit_id)
    if action in HANDOVER_ACTIONS:
        return can_hand_over(user, ticket.unit_id)
    return False


# What a unit may not do while its return request waits for the platform's decision.
WAITING_FOR_RETURN = frozenset({Action.ACCEPT, Action.RETURN})


def available_actions(user: Viewer, ticket: Ticket) -> list[str]:
    """The actions `user` may take on `ticket` now: what the pages offer, nothing more."""
    return [
        action
        for action in ALLOWED.get(ticket.status, {})
        if role_allows(user, ticket, action)
        and not (ticket.return_requested_at and action in WAITING_FOR_RETURN)
    ]


def _required_text(value: str | None, *, field: str, label: str) -> str:
    return clean_text(value, field=field, label=label, limit=MAX_TEXT, required=True)


def apply_transition(
    ticket: Ticket,
    *,
    by: Actor,
    action: str,
    apply: Callable[[Ticket, dt.datetime], dict[str, Any]],
    expected_version: int | None = None,
    now: dt.datetime | None = None,
    role_checked: bool = False,
) -> Ticket:
    """Take `action` on a ticket already locked in the caller's transaction.

    Checks the role (unless the caller's own action was checked and this is its consequence)
    and the allowed-transition table, then writes the ticket and its event.
    """
    target = check_transition(
        ticket, by=by, action=action, expected_version=expected_version, role_checked=role_checked
    )
    now = now or timezone.now()
    from_status = ticket.status
    payload = apply(ticket, now)
    ticket.status = target
    ticket.version += 1
    ticket.save()
    TicketEvent.objects.create(
        ticket=ticket,
        kind=action,
        actor=person_of(by),
        at=now,
        from_status=from_status,
        to_status=target,
        payload=payload,
    )
    return ticket


def check_transition(
    ticket: Ticket,
    *,
    by: Actor,
    action: str,
    expected_version: int | None = None,
    role_checked: bool = False,
) -> str:
    """The status `action` leads to from the ticket's, once the role (403), the table (409)
    and the version (409) allow it."""
    if not role_checked and not role_allows(by, ticket, action):
        raise Forbidden(
            _("Your role may not do “%(action)s” on this ticket.")
            % {"action": ACTION_LABELS.get(action, action)}
        )
    target = ALLOWED.get(ticket.status, {}).get(action)
    if target is None:
        raise Conflict(
            _("Ticket %(number)s is now “%(status)s”: “%(action)s” is not possible. Reload it.")
            % {
                "number": ticket.number,
                "status": Status(ticket.status).label,
                "action": ACTION_LABELS.get(action, action),
            }
        )
    if expected_version is not None and expected_version != ticket.version:
        raise Conflict(
            _("Ticket %(number)s was changed by someone else since you opened it. Reload it.")
            % {"number": ticket.number}
        )
    waiting = ticket.return_requested_at is not None and action in WAITING_FOR_RETURN
    if waiting and not is_system(by):  # the platform's approval returns it
        raise Conflict(
            _(
                "Ticket %(number)s waits for the 12345 platform's decision on its return: "
                "nothing else can be done by the unit until then."
            )
            % {"number": ticket.number}
        )
    return target


def _transition(
    number: str,
    *,
    by: Actor,
    action: str,
    expected_version: int | None,
    apply: Callable[[Ticket, dt.datetime], dict[str, Any]],
) -> Ticket:
    with transaction.atomic():
        ticket = access_ticket(by, number, for_update=True)
        return apply_transition(
            ticket, by=by, action=action, apply=apply, expected_version=expected_version
        )


def cancel_pending_extension(ticket: Ticket, now: dt.datetime) -> None:
    """A pending extension request ends undecided when the ticket is resolved or leaves the
    unit that asked."""
    Extension.objects.filter(ticket=ticket, status=ExtensionStatus.PENDING).update(
        status=ExtensionStatus.CANCELLED, decided_at=now
    )


def dispatch_ticket(
    number: str,
    *,
    unit: Unit,
    by: Actor,
    expected_version: int | None = None,
    rule: DispatchRuleRef | None = None,
) -> Ticket:
    """Send the ticket to `unit` with a fresh deadline (also reassigns a dispatched ticket);
    `rule`: the dispatch rule that sent it, named on the timeline."""

    def apply(ticket: Ticket, now: dt.datetime) -> dict[str, Any]:
        if not unit.can_handle_tickets or not unit.is_active:
            raise InvalidInput(
                _("Unit %(code)s cannot handle tickets.") % {"code": unit.code}, field="unit"
            )
        if ticket.status == Status.DISPATCHED and ticket.unit_id == unit.pk:
            raise Conflict(
                _("Ticket %(number)s is already dispatched to %(unit)s.")
                % {"number": ticket.number, "unit": unit.name}
            )
        deadline = compute_deadline(now, ticket.category.deadline_days)
        previous = ticket.unit.code if ticket.unit else None
        # A fresh clock for the new unit: the old unit's orders and pending request end.
        ended = end_open_orders(ticket, now) if previous else []
        cancel_pending_extension(ticket, now)
        start_handling_clock(ticket, unit=unit, now=now, due=deadline)
        TicketUnit.objects.get_or_create(ticket=ticket, unit=unit, defaults={"first_held_at": now})
        return dispatch_payload(
            unit=unit.code,
            deadline=deadline,
            previous_unit=previous,
            ended_orders=ended,
            rule=rule,
        )

    return _transition(
        number, by=by, action=Action.DISPATCH, expected_version=expected_version, apply=apply
    )


def dispatch_deadline(now: dt.datetime) -> dt.datetime:
    """When a ticket registered (or returned) `now` should be dispatched at the latest."""
    return now + dt.timedelta(hours=settings.JIEBAN_DISPATCH_WITHIN_HOURS)


def visit_deadline(resolved_at: dt.datetime) -> dt.datetime:
    """When a ticket resolved at `resolved_at` should have had its follow-up call."""
    return compute_deadline(resolved_at, settings.JIEBAN_VISIT_WITHIN_DAYS).due_at


def start_handling_clock(
    ticket: Ticket,
    *,
    unit: Unit,
    now: dt.datetime,
    due: Deadline | dt.datetime,
    calendar: WorkdayOracle | None = None,
) -> None:
    """The ticket goes to `unit` `now` with the deadline `due` (a ticket locked by the
    caller; not saved): its signing clock starts, and the sweep watches the deadline. Many
    tickets at once share one `calendar` (one query for all their signing clocks)."""
    ticket.unit = unit
    ticket.dispatched_at = now
    if isinstance(due, Deadline):
        ticket.due_at, ticket.due_basis = due.due_at, due.basis
    else:
        ticket.due_at, ticket.due_basis = due, CHANNEL_BASIS
    ticket.accepted_at = None
    ticket.return_requested_at = None
    accept_due = deadline_with(calendar, now, 1) if calendar else compute_deadline(now, 1)
    ticket.accept_due_at = accept_due.due_at
    ticket.accept_late_at = None
    ticket.watch_at = ticket.due_at


def accept_ticket(number: str, *, by: Actor, expected_version: int | None = None) -> Ticket:
    """The holding unit signs for the ticket; its clock has run since dispatch all the same."""

    def apply(ticket: Ticket, now: dt.datetime) -> dict[str, Any]:
        ticket.accepted_at = now
        return {}

    return _transition(
        number, by=by, action=Action.ACCEPT, expected_version=expected_version, apply=apply
    )


def return_ticket(
    number: str, *, reason: str, by: Actor, expected_version: int | None = None
) -> Ticket:
    """The unit sends the ticket back to the command centre (not its jurisdiction). On a
    platform's ticket this is a request (退单申请): the ticket stays with the unit, its clocks
    running, until the platform approves (`SYSTEM` returns it then) or refuses."""

    def apply(ticket: Ticket, now: dt.datetime) -> dict[str, Any]:
        text = _required_text(reason, field="reason", label=_("The reason"))
        payload = return_payload(reason=text, unit=ticket.unit.code if ticket.unit else None)
        end_open_orders(ticket, now)
        cancel_pending_extension(ticket, now)
        ticket.return_requested_at = None
        ticket.unit = None
        ticket.dispatched_at = None
        ticket.due_at = None
        ticket.due_basis = ""
        ticket.accepted_at = None
        ticket.accept_due_at = None
        ticket.accept_late_at = None
        ticket.watch_at = None
        # Back with the command centre: its dispatch clock starts again.
        ticket.dispatch_due_at = dispatch_deadline(now)
        return payload

    with transaction.atomic():
        ticket = access_ticket(by, number, for_update=True)
        if ticket.platform_decides and not is_system(by):
            return _request_return(ticket, reason=reason, by=by, expected_version=expected_version)
        return apply_transition(
            ticket, by=by, action=Action.RETURN, apply=apply, expected_version=expected_version
        )


def _request_return(
    ticket: Ticket, *, reason: str, by: Actor, expected_version: int | None
) -> Ticket:
    """退单申请: the return waits for the platform; the ticket stays, its clocks running."""
    check_transition(ticket, by=by, action=Action.RETURN, expected_version=expected_version)
    text = _required_text(reason, field="reason", label=_("The reason"))
    now = timezone.now()
    ticket.return_requested_at = now
    ticket.version += 1
    ticket.save(update_fields=["return_requested_at", "version"])
    TicketEvent.objects.create(
        ticket=ticket,
        kind=EventKind.RETURN_REQUEST,
        actor=person_of(by),
        at=now,
        from_status=ticket.status,
        to_status=ticket.status,
        payload=return_payload(reason=text, unit=ticket.unit.code if ticket.unit else None),
    )
    return ticket


def refuse_return(number: str, *, note: str, by: Actor) -> Ticket:
    """The platform refuses the unit's return request: the ticket stays with the unit, and its
    timeline says so. Only the platform (`SYSTEM`) decides."""
    if not is_system(by):
        raise Forbidden(_("The 12345 platform decides the return of its tickets."))
    with transaction.atomic():
        ticket = access_ticket(by, number, for_update=True)
        if ticket.return_requested_at is None:
            raise Conflict(
                _("Ticket %(number)s has no return request waiting.") % {"number": ticket.number}
            )
        text = clean_text(note, field="note", label=_("The note"), limit=MAX_TEXT)
        ticket.return_requested_at = None
        ticket.version += 1
        ticket.save(update_fields=["return_requested_at", "version"])
        TicketEvent.objects.create(
            ticket=ticket,
            kind=EventKind.RETURN_REFUSED,
            at=timezone.now(),
            from_status=ticket.status,
            to_status=ticket.status,
            payload={"note": text},
        )
        return ticket


def resolve_ticket(
    number: str,
    *,
    result: str,
    by: Actor,
    outcome: str = Outcome.RESOLVED,
    expected_version: int | None = None,
) -> Ticket:
    """The unit reports the result and its outcome (resolved unless it says otherwise); this
    stops the clock."""

    def apply(ticket: Ticket, now: dt.datetime) -> dict[str, Any]:
        text = _required_text(result, field="result", label=_("The result"))
        chosen = checked_outcome(outcome)
        ticket.resolved_at = now
        ticket.result = text
        ticket.result_outcome = chosen
        ticket.watch_at = None
        ticket.visit_due_at = visit_deadline(now)
        cancel_pending_extension(ticket, now)
        # Resolving fulfils the ticket's open supervision order; the ones it superseded stay
        # closed as superseded, not fulfilled.
        orders = end_open_orders(ticket, now)
        tell_the_reporter(ticket)
        return resolve_payload(
            result=text,
            on_time=bool(ticket.resolved_on_time),
            fulfilled_orders=orders,
            outcome=chosen,
        )

    return _transition(
        number, by=by, action=Action.RESOLVE, expected_version=expected_version, apply=apply
    )


def checked_outcome(value: object) -> str:
    """`value` if it is an outcome (`Outcome`), else InvalidInput on `outcome`."""
    if value in (None, ""):
        return Outcome.RESOLVED
    if value not in Outcome.values:
        raise InvalidInput(
            _("Unknown outcome %(outcome)s (one of: %(choices)s).")
            % {"outcome": value, "choices": ", ".join(Outcome.values)},
            field="outcome",
        )
    return str(value)


def tell_the_reporter(ticket: Ticket) -> None:
    """A building head or grid officer who reported `ticket` from the phone (随手报) is told
    it is resolved, with the result, in the resolving transaction (the outbox)."""
    reporter = ticket.registered_by if ticket.channel in NETWORK_CHANNELS else None
    if reporter is None:
        return
    with override(settings.LANGUAGE_CODE):
        title = _("Your report %(ticket)s is resolved") % {"ticket": ticket.number}
    notify(
        "report_resolved",
        recipients=[reporter],
        title=title,
        body=ticket.result,
        ticket_id=ticket.pk,
        payload={"ticket": ticket.number},
    )


def close_ticket(
    number: str, *, note: str, by: Actor, expected_version: int | None = None
) -> Ticket:
    """Archive a resolved ticket, or answer a new one on the spot (a consultation)."""

    def apply(ticket: Ticket, now: dt.datetime) -> dict[str, Any]:
        text = clean_text(note, field="note", label=_("The closing note"), limit=MAX_TEXT)
        if ticket.status == Status.NEW:
            if not text:
                raise InvalidInput(
                    _("Closing a new ticket needs the answer given to the resident."),
                    field="note",
                )
            # Answered on the spot: resolved and closed at once, on time by definition.
            ticket.resolved_at = now
            ticket.result = text
        ticket.closed_at = now
        ticket.close_note = text
        return close_payload(note=text)

    return _transition(
        number, by=by, action=Action.CLOSE, expected_version=expected_version, apply=apply
    )


def invalidate_ticket(
    number: str, *, reason: str, by: Actor, expected_version: int | None = None
) -> Ticket:
    """Mark a new ticket invalid (spam, a wrong number); it leaves every rate."""

    def apply(ticket: Ticket, now: dt.datetime) -> dict[str, Any]:
        text = _required_text(reason, field="reason", label=_("The reason"))
        ticket.close_note = text
        ticket.closed_at = now
        return invalidate_payload(reason=text)

    return _transition(
        number, by=by, action=Action.INVALIDATE, expected_version=expected_version, apply=apply
    )


def merge_ticket(
    number: str, *, into: str, by: Actor, expected_version: int | None = None
) -> Ticket:
    """Merge a new ticket into another that reports the same matter."""

    def apply(ticket: Ticket, now: dt.datetime) -> dict[str, Any]:
        target_number = (into or "").strip()
        if not target_number:
            raise InvalidInput(_("Give the number of the ticket to merge into."), field="into")
        if target_number == ticket.number:
            raise InvalidInput(_("A ticket cannot be merged into itself."), field="into")
        try:
            target = access_ticket(by, target_number, for_update=True)
        except NotFound as exc:
            raise InvalidInput(
                _("No ticket %(number)s to merge into.") % {"number": target_number},
                field="into",
            ) from exc
        if target.status in NOT_COUNTED:
            raise Conflict(
                _("Ticket %(number)s is %(status)s: merge into the ticket it became.")
                % {"number": target.number, "status": Status(target.status).label}
            )
        ticket.merged_into = target
        ticket.closed_at = now
        TicketEvent.objects.create(
            ticket=target,
            kind=EventKind.MERGED_IN,
            actor=person_of(by),
            at=now,
            from_status=target.status,
            to_status=target.status,
            payload=merged_in_payload(merged=ticket.number),
        )
        return merge_payload(into=target.number)

    return _transition(
        number, by=by, action=Action.MERGE, expected_version=expected_version, apply=apply
    )
