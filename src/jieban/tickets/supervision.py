"""Supervision orders (督办单) and the deadline sweep.

An order is issued when a ticket's deadline passes (one per ticket and missed deadline), when
a follow-up call finds the resident dissatisfied, or by a supervisor's hand. Its new deadline
becomes the ticket's `due_at`; its level is 1 + the orders before it, at most 3. It supersedes
the ticket's earlier open orders, so a ticket has at most one open order: its latest. The sweep is
idempotent and safe with several workers: it re-checks each ticket under a row lock (skipping
rows another worker holds) and a unique constraint forbids a second order for one breach.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from jieban.errors import Conflict, InvalidInput, NotFound
from jieban.notify.outbox import notify
from jieban.org.actors import SYSTEM, Actor, Viewer, person_of
from jieban.org.models import UNIT_WORKER_ROLES, Role, Unit, User
from jieban.org.permissions import can_supervise, require, sees_whole_bureau
from jieban.tickets.access import access_ticket, visible_tickets
from jieban.tickets.events import supervise_payload
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
# From level 2 (重点办) the bureau's leaders and supervisors are told as well.
ESCALATION_ROLES = (Role.LEADER, Role.SUPERVISOR)


def order_days(reason: str) -> int:
    """An order's deadline in working days, by its reason (configured)."""
    return int(settings.JIEBAN_SUPERVISION_DAYS[reason])


def next_level(current: int) -> int:
    """The level of a new order on a ticket at `current`: one more, at most `MAX_LEVEL`."""
    return min(MAX_LEVEL, current + 1)


def breach_of(ticket_due_at: dt.datetime | None, reason: str) -> dt.datetime | None:
    """The deadline an order is issued for missing: an overdue order's only (one per breach)."""
    return ticket_due_at if reason == SupervisionReason.OVERDUE else None


def first_breach(
    breached_at: dt.datetime | None, reason: str, now: dt.datetime
) -> dt.datetime | None:
    """When the ticket first missed a deadline, after an order issued `now` for `reason`."""
    if reason == SupervisionReason.OVERDUE and breached_at is None:
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


def issue_order(
    ticket: Ticket,
    *,
    reason: str,
    now: dt.datetime,
    by: Actor = SYSTEM,
    note: str = "",
    days: int | None = None,
    oracle: WorkdayOracle | None = None,
    recipients: Recipients | None = None,
    number: str | None = None,
    supersede: bool = True,
) -> SupervisionOrder:
    """Issue an order on a ticket locked by the caller; its deadline becomes the ticket's and it
    supersedes the ticket's earlier open orders (`supersede=False`: the caller does that, as
    the sweep does for a whole batch in one UPDATE)."""
    if ticket.unit_id is None:
        raise Conflict(_("Ticket %(number)s is with no unit.") % {"number": ticket.number})
    level = next_level(ticket.supervision_level)
    if oracle is None:
        local_day = local_day_of(now)
        oracle = WorkdayOracle(local_day, local_day + dt.timedelta(days=60))
    deadline: Deadline = deadline_with(oracle, now, days or order_days(reason))
    order = SupervisionOrder.objects.create(
        number=number or allocate_numbers(ORDER_PREFIX, local_day_of(now))[0],
        ticket=ticket,
        unit_id=ticket.unit_id,
        reason=reason,
        level=level,
        issued_at=now,
        issued_by=person_of(by),
        due_at=deadline.due_at,
        breached_due_at=breach_of(ticket.due_at, reason),
        note=note,
    )
    if supersede:
        supersede_earlier_orders([order])
    previous_due = ticket.due_at
    ticket.due_at = deadline.due_at
    ticket.due_basis = deadline.basis
    ticket.supervision_level = level
    ticket.breached_at = first_breach(ticket.breached_at, reason, now)
    ticket.version += 1
    ticket.save(
        update_fields=["due_at", "due_basis", "supervision_level", "breached_at", "version"]
    )
    TicketEvent.objects.create(
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
            previous_due_at=previous_due,
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
        body = _("%(title)s. New deadline: %(due)s. Reason: %(reason)s. %(note)s") % {
            "title": ticket.title,
            "due": timezone.localtime(deadline.due_at).strftime("%Y-%m-%d %H:%M"),
            "reason": SupervisionReason(reason).label,
            "note": note,
        }
    notify(
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
    return order


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
        note = (note or "").strip()
        if not note:
            raise InvalidInput(_("Say what the unit must do."), field="note")
        if len(note) > 4000:
            raise InvalidInput(_("The note is longer than 4000 characters."), field="note")
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


def sweep_overdue(
    now: dt.datetime, *, batch: int = 200, should_stop: Callable[[], bool] | None = None
) -> list[str]:
    """Issue an order on every ticket whose deadline passed; returns the order numbers."""
    issued: list[str] = []
    seen: set[int] = set()
    recipients = Recipients()
    local_day = local_day_of(now)
    oracle = WorkdayOracle(local_day, local_day + dt.timedelta(days=60))
    while not (should_stop and should_stop()):
        candidates = list(
            Ticket.objects.filter(clock_running(), due_at__lt=now)
            .exclude(pk__in=seen)
            .order_by("due_at", "pk")
            .values_list("pk", flat=True)[:batch]
        )
        if not candidates:
            break
        seen.update(candidates)
        with transaction.atomic():
            # Re-check under the lock: another worker may have issued the order meanwhile.
            tickets = list(_lock_batch(candidates).filter(clock_running(), due_at__lt=now))
            numbers = allocate_numbers(ORDER_PREFIX, local_day, len(tickets)) if tickets else []
            orders = [
                issue_order(
                    ticket,
                    reason=SupervisionReason.OVERDUE,
                    now=now,
                    oracle=oracle,
                    recipients=recipients,
                    number=number,
                    supersede=False,
                )
                for ticket, number in zip(tickets, numbers, strict=True)
            ]
            # One UPDATE for the batch: each ticket's new order supersedes its earlier ones.
            supersede_earlier_orders(orders)
            issued += [order.number for order in orders]
    return issued


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
            for ticket in _lock_batch(candidates).filter(
                unwarned, clock_running(), due_at__gte=now, due_at__lte=horizon
            ):
                assert ticket.due_at is not None  # filtered on due_at above
                ticket.warned_due_at = ticket.due_at
                ticket.save(update_fields=["warned_due_at"])
                with override(settings.LANGUAGE_CODE):
                    title = _("Due soon: %(ticket)s by %(due)s") % {
                        "ticket": ticket.number,
                        "due": timezone.localtime(ticket.due_at).strftime("%Y-%m-%d %H:%M"),
                    }
                notify(
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
                warned.append(ticket.number)
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
