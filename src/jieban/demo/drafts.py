"""A ticket as the generator builds it: plain attributes, its timeline, its orders and calls.

Nothing here is a model instance: a draft becomes rows (dicts by column name) for the bulk
writer. The timeline moves from status to status by the table of allowed transitions
(`jieban.tickets.transitions.ALLOWED`), as the actions do.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jieban.addresses import Address, read_address
from jieban.demo.organisation import Place
from jieban.org.models import Unit
from jieban.tickets.events import supervise_payload
from jieban.tickets.models import Category, EventKind, ExtensionStatus, Status
from jieban.tickets.transitions import ALLOWED

# An event's payload, or what builds it once the orders it names have their numbers.
Payload = dict[str, Any] | Callable[[], dict[str, Any]]

# The event kinds that are transitions: each moves the status by the table.
TRANSITIONS = frozenset(action for moves in ALLOWED.values() for action in moves)
# Events that bump the ticket's version: every transition (`apply_transition`), supervision
# order (`issue_order`), escalation (`escalate`) and step of an extension request
# (`request_extension`, `approve_extension`, `reject_extension`); registering, calls and
# repeats do not.
VERSIONED = TRANSITIONS | {
    EventKind.SUPERVISE,
    EventKind.ESCALATE,
    EventKind.EXTENSION_REQUEST,
    EventKind.EXTENSION_APPROVE,
    EventKind.EXTENSION_REJECT,
}


@dataclass(slots=True)
class OrderDraft:
    """A supervision order (督办单) as the demo builds it. Its number is given once every order
    of its day is known, so that a day's numbers follow the order of issue, as the sweep's do."""

    ticket_pk: int
    unit_id: int
    reason: str
    level: int
    issued_at: dt.datetime
    issued_by_id: int | None
    due_at: dt.datetime
    breached_due_at: dt.datetime | None
    # The ticket's deadline when the order was issued, which the order leaves (its event
    # records it).
    ticket_due_at: dt.datetime | None
    note: str
    day: dt.date
    fulfilled_at: dt.datetime | None = None
    # The later order on the ticket that took this one's place while it was open.
    superseded_by: OrderDraft | None = None
    # The orders this one superseded, gathered once the ticket's story is final.
    supersedes: list[OrderDraft] = field(default_factory=list)
    number: str = ""

    @property
    def is_open(self) -> bool:
        return self.fulfilled_at is None and self.superseded_by is None

    def columns(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "ticket_id": self.ticket_pk,
            "unit_id": self.unit_id,
            "reason": self.reason,
            "level": self.level,
            "issued_at": self.issued_at,
            "issued_by_id": self.issued_by_id,
            "due_at": self.due_at,
            "breached_due_at": self.breached_due_at,
            "fulfilled_at": self.fulfilled_at,
            "note": self.note,
        }

    def event_payload(self) -> dict[str, Any]:
        """The payload of its "supervise" event, once it has its number."""
        return supervise_payload(
            order=self.number,
            reason=self.reason,
            level=self.level,
            due_at=self.due_at,
            ticket_due_at=self.ticket_due_at,
            note=self.note,
        )


@dataclass(slots=True)
class ExtensionDraft:
    """A request for more time (延期) as the demo builds it: asked by the holding unit before
    its deadline, then approved, rejected, or still waiting for the command centre."""

    ticket_pk: int
    unit_id: int
    days: int
    reason: str
    requested_by_id: int | None
    requested_at: dt.datetime
    due_at_before: dt.datetime
    status: str = ExtensionStatus.PENDING
    due_at_after: dt.datetime | None = None
    decided_by_id: int | None = None
    decided_at: dt.datetime | None = None
    note: str = ""

    def columns(self) -> dict[str, Any]:
        return {
            "ticket_id": self.ticket_pk,
            "unit_id": self.unit_id,
            "days": self.days,
            "reason": self.reason,
            "status": self.status,
            "requested_by_id": self.requested_by_id,
            "requested_at": self.requested_at,
            "due_at_before": self.due_at_before,
            "due_at_after": self.due_at_after,
            "decided_by_id": self.decided_by_id,
            "decided_at": self.decided_at,
            "note": self.note,
        }


@dataclass(slots=True)
class Step:
    """One event of a ticket's timeline, before it becomes a `TicketEvent`. The payload of a
    "supervise" step names its order, that of a "resolve" step the orders it fulfilled: it is
    built when the event is written, once they have their numbers."""

    kind: str
    at: dt.datetime
    actor: int | None
    to_status: str
    payload: Payload


@dataclass(slots=True)
class TicketRow:
    """A ticket as the demo builds it: plain attributes, written without model instances."""

    pk: int
    number: str
    channel: str
    external_id: str | None
    category: Category
    grid_id: int | None
    title: str
    content: str
    address: str
    resident_name: str
    resident_phone: str
    received_at: dt.datetime
    registered_at: dt.datetime
    registered_by_id: int
    first_handler_id: int | None
    status: str = Status.NEW
    unit: Unit | None = None
    dispatched_at: dt.datetime | None = None
    due_at: dt.datetime | None = None
    due_basis: str = ""
    accepted_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    result: str = ""
    close_note: str = ""
    merged_into_id: int | None = None
    version: int = 1
    supervision_level: int = 0
    breached_at: dt.datetime | None = None
    visit_outcome: str = ""
    repeat_count: int = 0
    repeat_of_id: int | None = None
    dispatch_due_at: dt.datetime | None = None
    dispatch_late_at: dt.datetime | None = None
    accept_due_at: dt.datetime | None = None
    accept_late_at: dt.datetime | None = None
    visit_due_at: dt.datetime | None = None
    watch_at: dt.datetime | None = None
    escalated_at: dt.datetime | None = None

    @property
    def keys(self) -> Address:
        """The address read into its keys, as `Ticket.keep_address_keys` reads it."""
        return read_address(self.address)

    def columns(self) -> dict[str, Any]:
        """Values by column name (`attname`)."""
        keys = self.keys
        return {
            "id": self.pk,
            "number": self.number,
            "status": self.status,
            "channel": self.channel,
            "external_id": self.external_id,
            "category_id": self.category.pk,
            "unit_id": self.unit.pk if self.unit is not None else None,
            "grid_id": self.grid_id,
            "title": self.title,
            "content": self.content,
            "address": self.address,
            "address_key": keys.home_key,
            "building_key": keys.building_key,
            "resident_name": self.resident_name,
            "resident_phone": self.resident_phone,
            "received_at": self.received_at,
            "registered_at": self.registered_at,
            "registered_by_id": self.registered_by_id,
            "first_handler_id": self.first_handler_id,
            "dispatched_at": self.dispatched_at,
            "due_at": self.due_at,
            "due_basis": self.due_basis,
            "accepted_at": self.accepted_at,
            "resolved_at": self.resolved_at,
            "closed_at": self.closed_at,
            "result": self.result,
            "close_note": self.close_note,
            "merged_into_id": self.merged_into_id,
            "version": self.version,
            "supervision_level": self.supervision_level,
            "breached_at": self.breached_at,
            "visit_outcome": self.visit_outcome,
            "repeat_count": self.repeat_count,
            "repeat_of_id": self.repeat_of_id,
            "dispatch_due_at": self.dispatch_due_at,
            "dispatch_late_at": self.dispatch_late_at,
            "accept_due_at": self.accept_due_at,
            "accept_late_at": self.accept_late_at,
            "visit_due_at": self.visit_due_at,
            "watch_at": self.watch_at,
            "escalated_at": self.escalated_at,
        }


# The ticket's fields the tail of its life changes: saved before trying a natural pace, put
# back when that pace does not fit before "now".
TAIL_FIELDS = (
    "status", "due_at", "due_basis", "supervision_level", "breached_at", "resolved_at",
    "result", "closed_at", "close_note", "visit_outcome", "visit_due_at", "watch_at",
    "escalated_at",
)  # fmt: skip


@dataclass
class Draft:
    """A ticket being generated: the row, its timeline, the units that held it, its orders
    and follow-up calls."""

    ticket: TicketRow
    place: Place
    rng: random.Random
    steps: list[Step] = field(default_factory=list)
    holdings: list[dict[str, Any]] = field(default_factory=list)
    orders: list[OrderDraft] = field(default_factory=list)
    visits: list[dict[str, Any]] = field(default_factory=list)
    extensions: list[ExtensionDraft] = field(default_factory=list)
    # Unanswered calls since the ticket was last resolved (three close it).
    unanswered: int = 0

    def add(self, kind: str, at: dt.datetime, actor: int | None, payload: Payload) -> None:
        """One event: a transition moves the status as the table allows it, any other event
        leaves it where it is."""
        status = self.ticket.status
        if kind in TRANSITIONS:
            moves = ALLOWED.get(status, {})
            if kind not in moves:
                raise ValueError(f"the demo took “{kind}” on a ticket in “{status}”")
            status = moves[kind]
        self.steps.append(Step(kind, at, actor, status, payload))
        self.ticket.status = status

    def open_order(self) -> OrderDraft | None:
        """The ticket's open order (at most one: its latest)."""
        return next((order for order in reversed(self.orders) if order.is_open), None)

    def due_ordered(self) -> bool:
        """Whether an overdue order was issued for the ticket's current deadline."""
        due = self.ticket.due_at
        return due is not None and any(
            order.reason == "overdue" and order.breached_due_at == due for order in self.orders
        )

    def version(self) -> int:
        """1, plus one for every transition and every supervision order after the intake."""
        return 1 + sum(1 for step in self.steps if step.kind in VERSIONED)

    def checkpoint(self) -> tuple[Any, ...]:
        return (
            len(self.steps),
            len(self.orders),
            len(self.visits),
            len(self.extensions),
            self.unanswered,
            [getattr(self.ticket, name) for name in TAIL_FIELDS],
            [(order.fulfilled_at, order.superseded_by) for order in self.orders],
        )

    def restore(self, saved: tuple[Any, ...]) -> None:
        steps, orders, visits, extensions, self.unanswered, values, closed = saved
        del self.steps[steps:], self.orders[orders:], self.visits[visits:]
        del self.extensions[extensions:]
        for name, value in zip(TAIL_FIELDS, values, strict=True):
            setattr(self.ticket, name, value)
        for order, (at, by) in zip(self.orders, closed, strict=True):
            order.fulfilled_at, order.superseded_by = at, by


@dataclass
class Batch:
    tickets: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    holdings: list[dict[str, Any]] = field(default_factory=list)
    visits: list[dict[str, Any]] = field(default_factory=list)
    orders: list[dict[str, Any]] = field(default_factory=list)
    extensions: list[dict[str, Any]] = field(default_factory=list)
    # (earlier order, the later one that superseded it) by number, the later one in `orders`.
    supersessions: list[tuple[str, str]] = field(default_factory=list)
    # Tickets written in an earlier batch that were reported again: pk → how many more times.
    repeats: dict[int, int] = field(default_factory=dict)
