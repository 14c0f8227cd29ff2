"""Supervision orders (督办单), escalation, and the deadline sweep.

An order is issued when a ticket's deadline passes, when an order's own deadline passes and the
ticket is still not resolved, when a follow-up call finds the resident dissatisfied, or by a
supervisor's hand. Every order takes the ticket's level plus one, at most 3, and has its own
deadline (2 working days by default); it never moves the ticket's `due_at`, so a late ticket
stays late until it is resolved. A new order supersedes the ticket's open one: a ticket has at
most one open order, its latest. When a level-3 order's deadline passes, no fourth order comes:
the ticket is escalated to the bureau's leaders (`escalated_at`), who are told once.

The sweep reads only the tickets whose `watch_at` (the next moment something is due: the
deadline, or the open order's deadline) has passed. It is idempotent and safe with several
workers: it re-checks each ticket under a row lock (skipping rows another worker holds) and a
unique constraint forbids a second order for one missed deadline.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from jieban.errors import Conflict, InvalidInput, NotFound
from jieban.inputs import check_text, clean_text
from jieban.notify.outbox import Message, notify_all
from jieban.org.actors import SYSTEM, Actor, Viewer, person_of
from jieban.org.models import UNIT_WORKER_ROLES, Role, Unit, User
from jieban.org.permissions import can_supervise, require, sees_whole_bureau
from jieban.tickets.access import access_ticket, visible_tickets
from jieban.tickets.events import escalate_payload, supervise_payload
from jieban.tickets.models import (
    CLOCK_RUNNING,
    ORDER_OPEN,
    EventKind,
    SupervisionLevel,
    SupervisionOrder,
    SupervisionReason,
    Ticket,
    TicketEvent,
    clock_running,
)
from jieban.tickets.numbering import ORDER_PREFIX, allocate_numbers, local_day_of
from jieban.tickets.selectors import decode_cursor, encode_cursor
from jieban.workcalendar.workdays import Deadline, WorkdayOracle, deadline_with

MAX_LEVEL = 3
# From level 2 (重点办) the bureau's leaders and supervisors are told as well, and they are
# the ones a ticket is escalated to after level 3.
ESCALATION_ROLES = (Role.LEADER, Role.SUPERVISOR)


def order_days(reason: str) -> int:
    """An order's deadline in working days, by its reason (configured)."""
    return int(settings.JIEBAN_SUPERVISION_DAYS[reason])


def next_level(current: int) -> int:
    """The level of a new order on a ticket at `current`: one more, at most `MAX_LEVEL`."""
    return min(MAX_LEVEL, current + 1)


def breach_of(missed: dt.datetime | None, reason: str) -> dt.datetime | None:
    """The deadline an order is issued for missing (the ticket's, or the open order's): an
    overdue order's only, one order per missed deadline."""
    return missed if reason == SupervisionReason.OVERDUE else None


# What the sweep does when a ticket's watch time has passed.
ISSUE, ESCALATE = "issue", "escalate"


def due_step(
    *,
    now: dt.datetime,
    due_at: dt.datetime | None,
    due_ordered: bool,
    order_due_at: dt.datetime | None,
    order_level: int | None,
    escalated: bool,
) -> tuple[str, dt.datetime] | None:
    """The sweep's rule for one running ticket: what is due `now`, and for which missed deadline.

    `due_ordered` says an overdue order was issued for the ticket's current `due_at`;
    `order_due_at`/`order_level` describe its open order, if any. The deadline passing first
    brings an order (level + 1); an open order's deadline passing brings the next level, or,
    after level 3, the escalation to the leaders (once per ticket).
    """
    if due_at is not None and due_at < now and not due_ordered:
        return ISSUE, due_at
    if order_due_at is not None and order_due_at < now and order_level is not None:
        if order_level < MAX_LEVEL:
            return ISSUE, order_due_at
        if not escalated:
            return ESCALATE, order_due_at
    return None


def watch_from(
    *,
    due_at: dt.datetime | None,
    due_ordered: bool,
    order_due_at: dt.datetime | None,
    order_level: int | None,
    escalated: bool,
) -> dt.datetime | None:
    """When the sweep must next look at a running ticket (None: nothing more can be due)."""
    moments = []
    if due_at is not None and not due_ordered:
        moments.append(due_at)
    if (
        order_due_at is not None
        and order_level is not None
        and (order_level < MAX_LEVEL or not escalated)
    ):
        moments.append(order_due_at)
    return min(moments) if moments else None


def first_breach(
    breached_at: dt.datetime | None,
    breached_due_at: dt.datetime | None,
    ticket_due_at: dt.datetime | None,
    now: dt.datetime,
) -> dt.datetime | None:
    """When the ticket first missed its deadline, after an order issued `now` for missing
    `breached_due_at` (an order's own deadline running out does not make the ticket late)."""
    if breached_at is None and breached_due_at is not None and breached_due_at == ticket_due_at:
        return now
    return breached_at


class Recipients:
    """Who hears of a ticket's troubles, looked up once per unit within one sweep."""

    def __init__(self) -> None:
        self._units: dict[int, list[User]] = {}
        self._escalation: list[User] | None = None

    def of_unit(self, unit_id: int | None) -> list[User]:
        if unit_id is None:
            return []
        if unit_id not in self._units:
            self._units[unit_id] = list(
                User.objects.filter(unit_id=unit_id, role__in=UNIT_WORKER_ROLES, is_active=True)
            )
        return self._units[unit_id]

    def escalation(self) -> list[User]:
        if self._escalation is None:
            self._escalation = list(User.objects.filter(role__in=ESCALATION_ROLES, is_active=True))
        return self._escalation


def level_label(level: int) -> str:
    return str(SupervisionLevel(level).label)


class Prepared(NamedTuple):
    """An order (or an escalation) worked out but not yet written: the sweep writes a whole
    batch of them with one INSERT per table."""

    order: SupervisionOrder | None  # None for an escalation
    event: TicketEvent
    message: Message


def prepare_order(
    ticket: Ticket,
    *,
    reason: str,
    now: dt.datetime,
    number: str,
    by: Actor = SYSTEM,
    note: str = "",
    days: int | None = None,
    missed: dt.datetime | None = None,
    due_ordered: bool | None = None,
    oracle: WorkdayOracle | None = None,
    recipients: Recipients | None = None,
) -> Prepared:
    """Work out an order on a ticket locked by the caller and change the ticket in memory (its
    level, first breach and watch time; never `due_at`). `due_ordered` says whether an overdue
    order was already issued for the ticket's current deadline (looked up when not given)."""
    if ticket.unit_id is None:
        raise Conflict(_("Ticket %(number)s is with no unit.") % {"number": ticket.number})
    level = next_level(ticket.supervision_level)
    if oracle is None:
        local_day = local_day_of(now)
        oracle = WorkdayOracle(local_day, local_day + dt.timedelta(days=60))
    deadline: Deadline = deadline_with(oracle, now, days or order_days(reason))
    order = SupervisionOrder(
        number=number,
        ticket=ticket,
        unit_id=ticket.unit_id,
        reason=reason,
        level=level,
        issued_at=now,
        issued_by=person_of(by),
        due_at=deadline.due_at,
        breached_due_at=breach_of(missed or ticket.due_at, reason),
        note=note,
    )
    ticket.supervision_level = level
    ticket.breached_at = first_breach(ticket.breached_at, order.breached_due_at, ticket.due_at, now)
    missed_own_deadline = (
        order.breached_due_at is not None and order.breached_due_at == ticket.due_at
    )
    if due_ordered is None:
        due_ordered = _due_ordered(ticket)
    ticket.watch_at = watch_from(
        due_at=ticket.due_at,
        due_ordered=missed_own_deadline or due_ordered,
        order_due_at=deadline.due_at,
        order_level=level,
        escalated=ticket.escalated_at is not None,
    )
    ticket.version += 1
    event = TicketEvent(
        ticket=ticket,
        kind=EventKind.SUPERVISE,
        actor=person_of(by),
        at=now,
        from_status=ticket.status,
        to_status=ticket.status,
        payload=supervise_payload(
            order=order.number,
            reason=reason,
            level=level,
            due_at=deadline.due_at,
            ticket_due_at=ticket.due_at,
            note=note,
        ),
    )
    recipients = recipients or Recipients()
    people = list(recipients.of_unit(ticket.unit_id))
    if level >= 2:
        people += recipients.escalation()
    with override(settings.LANGUAGE_CODE):
        title = _("Supervision order %(order)s (%(level)s) on %(ticket)s") % {
            "order": order.number,
            "level": level_label(level),
            "ticket": ticket.number,
        }
        body = _("%(title)s. The order is due by %(due)s. Reason: %(reason)s. %(note)s") % {
            "title": ticket.title,
            "due": timezone.localtime(deadline.due_at).strftime("%Y-%m-%d %H:%M"),
            "reason": SupervisionReason(reason).label,
            "note": note,
        }
    message = Message(
        "supervision_order",
        recipients=people,
        title=title,
        body=body.strip(),
        ticket_id=ticket.pk,
        payload={
            "ticket": ticket.number,
            "order": order.number,
            "level": level,
            "reason": reason,
            "unit": ticket.unit.code if ticket.unit else None,
            "due_at": deadline.due_at.isoformat(),
        },
    )
    return Prepared(order, event, message)


# The ticket's columns an order or an escalation changes.
ORDER_FIELDS = ["supervision_level", "breached_at", "watch_at", "version"]
ESCALATION_FIELDS = ["escalated_at", "watch_at", "version"]


def issue_order(
    ticket: Ticket,
    *,
    reason: str,
    now: dt.datetime,
    by: Actor = SYSTEM,
    note: str = "",
    days: int | None = None,
    missed: dt.datetime | None = None,
) -> SupervisionOrder:
    """Issue an order on a ticket locked by the caller, with its own deadline; the ticket's
    `due_at` stays. An overdue order names the deadline it is issued for missing (`missed`,
    the ticket's by default). It supersedes the ticket's earlier open orders."""
    prepared = prepare_order(
        ticket,
        reason=reason,
        now=now,
        by=by,
        note=note,
        days=days,
        missed=missed,
        number=allocate_numbers(ORDER_PREFIX, local_day_of(now))[0],
    )
    order = prepared.order
    assert order is not None
    order.save()
    supersede_earlier_orders([order])
    ticket.save(update_fields=ORDER_FIELDS)
    prepared.event.save()
    notify_all([prepared.message])
    return order


def _due_ordered(ticket: Ticket) -> bool:
    """Whether an overdue order was issued for the ticket's current deadline."""
    if ticket.due_at is None:
        return False
    return SupervisionOrder.objects.filter(
        ticket=ticket, reason=SupervisionReason.OVERDUE, breached_due_at=ticket.due_at
    ).exists()


def open_order_of(ticket: Ticket) -> SupervisionOrder | None:
    """The ticket's open order (at most one: its latest)."""
    return (
        SupervisionOrder.objects.filter(ORDER_OPEN, ticket=ticket)
        .order_by("-issued_at", "-pk")
        .first()
    )


def end_open_orders(ticket: Ticket, now: dt.datetime) -> list[str]:
    """The ticket was resolved or left the unit the orders were addressed to: its open orders
    end (the ones they superseded stay closed as superseded). Returns their numbers."""
    ended = SupervisionOrder.objects.filter(ORDER_OPEN, ticket=ticket)
    numbers = list(ended.values_list("number", flat=True))
    ended.update(fulfilled_at=now)
    return numbers


def rewatch(ticket: Ticket) -> dt.datetime | None:
    """Set `watch_at` on a ticket locked by the caller after its deadline or orders changed
    (not saved: the caller saves the ticket)."""
    if ticket.status not in CLOCK_RUNNING:
        ticket.watch_at = None
        return None
    order = open_order_of(ticket)
    ticket.watch_at = watch_from(
        due_at=ticket.due_at,
        due_ordered=_due_ordered(ticket),
        order_due_at=order.due_at if order else None,
        order_level=order.level if order else None,
        escalated=ticket.escalated_at is not None,
    )
    return ticket.watch_at


def prepare_escalation(
    ticket: Ticket,
    *,
    order: SupervisionOrder,
    now: dt.datetime,
    recipients: Recipients | None = None,
) -> Prepared:
    """A level-3 order ran out with the ticket still not resolved: no fourth order; the ticket
    goes to the bureau's leaders, who are told once (ticket locked by the caller; changed in
    memory, written by the caller)."""
    ticket.escalated_at = now
    ticket.watch_at = None
    ticket.version += 1
    event = TicketEvent(
        ticket=ticket,
        kind=EventKind.ESCALATE,
        actor=None,
        at=now,
        from_status=ticket.status,
        to_status=ticket.status,
        payload=escalate_payload(order=order.number, order_due_at=order.due_at),
    )
    recipients = recipients or Recipients()
    with override(settings.LANGUAGE_CODE):
        title = _("Escalated to the leaders: %(ticket)s, still not resolved after %(level)s") % {
            "ticket": ticket.number,
            "level": level_label(order.level),
        }
        body = _("%(title)s. Held by %(unit)s, deadline %(due)s, order %(order)s ran out.") % {
            "title": ticket.title,
            "unit": ticket.unit.name if ticket.unit else "",
            "due": timezone.localtime(ticket.due_at).strftime("%Y-%m-%d %H:%M")
            if ticket.due_at
            else "",
            "order": order.number,
        }
    message = Message(
        "escalated",
        recipients=recipients.escalation(),
        title=title,
        body=body,
        ticket_id=ticket.pk,
        payload={
            "ticket": ticket.number,
            "order": order.number,
            "unit": ticket.unit.code if ticket.unit else None,
        },
    )
    return Prepared(None, event, message)


def escalate(
    ticket: Ticket,
    *,
    order: SupervisionOrder,
    now: dt.datetime,
    recipients: Recipients | None = None,
) -> None:
    """Escalate one ticket now (see `prepare_escalation`)."""
    prepared = prepare_escalation(ticket, order=order, now=now, recipients=recipients)
    ticket.save(update_fields=ESCALATION_FIELDS)
    prepared.event.save()
    notify_all([prepared.message])


def supersede_earlier_orders(orders: Sequence[SupervisionOrder]) -> int:
    """Mark the other open orders on these new orders' tickets (locked by the caller) as
    superseded by the new order of their ticket, in one UPDATE; returns how many."""
    newest = {order.ticket_id: order.pk for order in orders}
    if not newest:
        return 0
    earlier = SupervisionOrder.objects.filter(ORDER_OPEN, ticket_id__in=list(newest)).exclude(
        pk__in=list(newest.values())
    )
    if len(newest) == 1:
        return earlier.update(superseded_by_id=next(iter(newest.values())))
    new_order_of_ticket = SupervisionOrder.objects.filter(
        pk__in=list(newest.values()), ticket_id=OuterRef("ticket_id")
    ).values("pk")[:1]
    return earlier.update(superseded_by_id=Subquery(new_order_of_ticket))


def supervise_ticket(
    number: str, *, note: str, by: Actor, days: int | None = None
) -> SupervisionOrder:
    """A supervisor orders the holding unit to finish a ticket by a new deadline."""
    with transaction.atomic():
        ticket = access_ticket(by, number, for_update=True)
        require(can_supervise(by), _("Only supervisors may issue supervision orders."))
        note = clean_text(note, field="note", label=_("The supervision note"), limit=4000)
        if not note:
            raise InvalidInput(_("Say what the unit must do."), field="note")
        if days is not None and not 1 <= days <= 30:
            raise InvalidInput(_("The deadline must be 1 to 30 working days."), field="days")
        if ticket.status not in CLOCK_RUNNING:
            raise Conflict(
                _("Ticket %(number)s is not being handled by a unit: nothing to supervise.")
                % {"number": ticket.number}
            )
        return issue_order(
            ticket,
            reason=SupervisionReason.MANUAL,
            now=timezone.now(),
            by=by,
            note=note,
            days=days,
        )


# --- the sweep -------------------------------------------------------------------------------


def _lock_batch(ids: list[int]) -> Any:
    rows = Ticket.objects.filter(pk__in=ids).select_related("unit")
    if connection.features.has_select_for_update_skip_locked:
        # Another worker holds these rows: leave them to it rather than wait.
        rows = rows.select_for_update(skip_locked=True, of=("self",))
    return rows


class Swept(NamedTuple):
    orders: list[str]  # the numbers of the orders issued
    escalated: list[str]  # the numbers of the tickets escalated to the leaders


def sweep_overdue(
    now: dt.datetime, *, batch: int = 200, should_stop: Callable[[], bool] | None = None
) -> Swept:
    """Issue the orders that are due (a missed deadline, an order run out) and escalate the
    tickets whose level-3 order ran out."""
    issued: list[str] = []
    escalated: list[str] = []
    seen: set[int] = set()
    recipients = Recipients()
    local_day = local_day_of(now)
    oracle = WorkdayOracle(local_day, local_day + dt.timedelta(days=60))
    while not (should_stop and should_stop()):
        candidates = list(
            Ticket.objects.filter(clock_running(), watch_at__lt=now)
            .exclude(pk__in=seen)
            .order_by("watch_at", "pk")
            .values_list("pk", flat=True)[:batch]
        )
        if not candidates:
            break
        seen.update(candidates)
        with transaction.atomic():
            # Re-check under the lock: another worker may have acted meanwhile.
            tickets = list(_lock_batch(candidates).filter(clock_running(), watch_at__lt=now))
            open_orders_of = {
                order.ticket_id: order
                for order in SupervisionOrder.objects.filter(
                    ORDER_OPEN, ticket_id__in=[ticket.pk for ticket in tickets]
                ).order_by("issued_at", "pk")
            }
            ordered = set(
                SupervisionOrder.objects.filter(
                    ticket_id__in=[ticket.pk for ticket in tickets],
                    reason=SupervisionReason.OVERDUE,
                    breached_due_at__isnull=False,
                ).values_list("ticket_id", "breached_due_at")
            )
            steps = []
            for ticket in tickets:
                order = open_orders_of.get(ticket.pk)
                step = due_step(
                    now=now,
                    due_at=ticket.due_at,
                    due_ordered=(ticket.pk, ticket.due_at) in ordered,
                    order_due_at=order.due_at if order else None,
                    order_level=order.level if order else None,
                    escalated=ticket.escalated_at is not None,
                )
                steps.append((ticket, order, step))
            issuing = sum(1 for _ticket, _order, step in steps if step and step[0] == ISSUE)
            numbers = iter(allocate_numbers(ORDER_PREFIX, local_day, issuing) if issuing else [])
            prepared: list[Prepared] = []
            rewatched: list[Ticket] = []
            raised: list[Ticket] = []
            for ticket, order, step in steps:
                if step is None:
                    # Nothing due after all (a deadline moved): look again when it is.
                    rewatch(ticket)
                    rewatched.append(ticket)
                elif step[0] == ISSUE:
                    prepared.append(
                        prepare_order(
                            ticket,
                            reason=SupervisionReason.OVERDUE,
                            now=now,
                            missed=step[1],
                            due_ordered=(ticket.pk, ticket.due_at) in ordered,
                            oracle=oracle,
                            recipients=recipients,
                            number=next(numbers),
                        )
                    )
                else:
                    assert order is not None  # escalation follows an open level-3 order
                    prepared.append(
                        prepare_escalation(ticket, order=order, now=now, recipients=recipients)
                    )
                    raised.append(ticket)
                    escalated.append(ticket.number)
            # The batch written with one statement per table.
            orders = SupervisionOrder.objects.bulk_create(
                [step.order for step in prepared if step.order is not None]
            )
            # Each ticket's new order supersedes its earlier ones.
            supersede_earlier_orders(orders)
            Ticket.objects.bulk_update(
                [order.ticket for order in orders], ORDER_FIELDS, batch_size=batch
            )
            if raised:
                Ticket.objects.bulk_update(raised, ESCALATION_FIELDS, batch_size=batch)
            if rewatched:
                Ticket.objects.bulk_update(rewatched, ["watch_at"], batch_size=batch)
            TicketEvent.objects.bulk_create([step.event for step in prepared])
            notify_all(step.message for step in prepared)
            issued += [order.number for order in orders]
    return Swept(issued, escalated)


def sweep_due_soon(
    now: dt.datetime,
    *,
    horizon: dt.datetime,
    batch: int = 200,
    should_stop: Callable[[], bool] | None = None,
) -> list[str]:
    """Warn the holding unit once per ticket and deadline when the deadline is near."""
    warned: list[str] = []
    seen: set[int] = set()
    recipients = Recipients()
    unwarned = Q(warned_due_at__isnull=True) | ~Q(warned_due_at=F("due_at"))
    while not (should_stop and should_stop()):
        candidates = list(
            Ticket.objects.filter(clock_running(), due_at__gte=now, due_at__lte=horizon)
            .filter(unwarned)
            .exclude(pk__in=seen)
            .order_by("due_at", "pk")
            .values_list("pk", flat=True)[:batch]
        )
        if not candidates:
            break
        seen.update(candidates)
        with transaction.atomic():
            # Re-checked under the lock: each deadline is warned about once, by one worker.
            tickets = list(
                _lock_batch(candidates).filter(
                    unwarned, clock_running(), due_at__gte=now, due_at__lte=horizon
                )
            )
            messages = []
            for ticket in tickets:
                assert ticket.due_at is not None  # filtered on due_at above
                ticket.warned_due_at = ticket.due_at
                with override(settings.LANGUAGE_CODE):
                    title = _("Due soon: %(ticket)s by %(due)s") % {
                        "ticket": ticket.number,
                        "due": timezone.localtime(ticket.due_at).strftime("%Y-%m-%d %H:%M"),
                    }
                messages.append(
                    Message(
                        "due_soon",
                        recipients=recipients.of_unit(ticket.unit_id),
                        title=title,
                        body=ticket.title,
                        ticket_id=ticket.pk,
                        payload={
                            "ticket": ticket.number,
                            "unit": ticket.unit.code if ticket.unit else None,
                            "due_at": ticket.due_at.isoformat(),
                        },
                    )
                )
                warned.append(ticket.number)
            Ticket.objects.bulk_update(tickets, ["warned_due_at"], batch_size=batch)
            notify_all(messages)
    return warned


def open_orders(unit: Unit | None = None) -> QuerySet[SupervisionOrder]:
    orders = SupervisionOrder.objects.filter(ORDER_OPEN)
    return orders.filter(unit=unit) if unit is not None else orders


def visible_orders(user: Viewer) -> QuerySet[SupervisionOrder]:
    """Orders on the tickets `user` may see."""
    if sees_whole_bureau(user):
        return SupervisionOrder.objects.all()
    return SupervisionOrder.objects.filter(ticket__in=visible_tickets(user))


def supervision_order_page(
    user: Viewer,
    *,
    unit: str | None = None,
    level: int | None = None,
    open_only: bool = False,
    overdue: bool = False,
    ticket: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[SupervisionOrder], str | None]:
    """Orders newest first, filtered, keyset-paginated on (issued_at, id). `overdue`: open
    orders whose own deadline has passed."""
    check_text(unit or "", field="unit")
    check_text(ticket or "", field="ticket")
    orders = visible_orders(user)
    if unit:
        unit_id = Unit.objects.filter(code=unit).values_list("pk", flat=True).first()
        if unit_id is None:
            raise InvalidInput(_("Unknown unit %(code)s.") % {"code": unit}, field="unit")
        orders = orders.filter(unit_id=unit_id)
    if level is not None:
        if level not in SupervisionLevel.values:
            raise InvalidInput(_("The level is 1, 2 or 3."), field="level")
        orders = orders.filter(level=level)
    if open_only or overdue:
        orders = orders.filter(ORDER_OPEN)
    if overdue:
        orders = orders.filter(due_at__lt=timezone.now())
    if ticket:
        orders = orders.filter(ticket__number=ticket)
    if not 1 <= limit <= 200:
        raise InvalidInput(
            _("The limit must be between 1 and %(max)d.") % {"max": 200}, field="limit"
        )
    if cursor:
        issued, pk = decode_cursor(cursor)
        orders = orders.filter(Q(issued_at__lt=issued) | Q(issued_at=issued, pk__lt=pk))
    orders = orders.select_related("ticket", "unit", "superseded_by")
    rows = list(orders.order_by("-issued_at", "-pk")[: limit + 1])
    last = rows[limit - 1] if len(rows) > limit else None
    next_cursor = encode_cursor(last.issued_at, last.pk) if last else None
    return rows[:limit], next_cursor


def access_order(user: Viewer, number: str) -> SupervisionOrder:
    """The order `number` if `user` may see its ticket, else NotFound."""
    order = (
        visible_orders(user)
        .select_related("unit", "issued_by", "ticket", "superseded_by")
        .filter(number=number)
        .first()
    )
    if order is None:
        raise NotFound(_("No supervision order %(number)s.") % {"number": number})
    return order
