"""The 12345 platform link's writes: orders in, decisions and calls back in, progress notes,
and the exchange page's actions. Every write here is one transaction; a platform acts as
`SYSTEM`.

Orders (`receive_orders`): each becomes a dispatched ticket of channel `hotline_12345` through
the one intake (`register_ticket`), its external id `<platform code>:<order number>` (unique
across platforms), its unit and category read from the platform's mapping tables. An order is
kept once by platform and number: the same revision again changes nothing, a newer one updates
the ticket and says so on its timeline; an order whose category or department no mapping
covers waits (`needs_mapping`) until `apply_waiting_orders` finds the mapping.

Events (`receive_events`): kept once by the platform's event id and applied in the order of
their times; one that no longer fits the order (a decision with no request waiting, older than
the request or than the latest event applied, or one the ticket's state refuses) is stored and
flagged, never applied.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jieban.errors import Conflict, InvalidInput, NotFound
from jieban.exchange.models import (
    Awaiting,
    CategoryMapping,
    CodeKind,
    CodeMapping,
    EventState,
    OrderState,
    Platform,
    PlatformEvent,
    PlatformMessage,
    PlatformOrder,
    UnitMapping,
)
from jieban.inputs import aware_moment, check_text, clean_text
from jieban.intake.actions import PHONE_PATTERN, TicketDraft
from jieban.org.actors import SYSTEM, Actor, person_of
from jieban.org.models import Unit
from jieban.org.permissions import can_manage_exchange, can_work_unit_tickets, require
from jieban.suggestions.actions import register_and_suggest, register_many_and_suggest
from jieban.tickets.access import access_ticket
from jieban.tickets.events import channel_dispatch_payload
from jieban.tickets.extensions import approve_extension, reject_extension
from jieban.tickets.models import (
    CLOCK_RUNNING,
    TERMINAL,
    Category,
    Channel,
    EventKind,
    Status,
    SupervisionReason,
    Ticket,
    TicketEvent,
    TicketUnit,
    VisitOutcome,
)
from jieban.tickets.supervision import end_open_orders, issue_order, rewatch
from jieban.tickets.transitions import (
    Action,
    apply_transition,
    cancel_pending_extension,
    refuse_return,
    return_ticket,
    start_handling_clock,
)
from jieban.tickets.visits import record_visit

MAX_ORDERS = 500
MAX_EVENTS = 500
CHILD_NUMBER = re.compile(r"^(?P<root>.+)-\d{2}$")
# The intake's field names, as the platform's order names them.
ORDER_FIELDS = {
    "due_at": "deadline",
    "resident_name": "caller_name",
    "resident_phone": "caller_phone",
    "unit": "department",
    "external_id": "number",
}


class Answer:
    """What became of one order or event, as the platform is told."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    NEEDS_MAPPING = "needs_mapping"
    APPLIED = "applied"
    FLAGGED = "flagged"
    DUPLICATE = "duplicate"
    INVALID = "invalid"
    CONFLICT = "conflict"


# --- orders in -------------------------------------------------------------------------------


def _text(item: Mapping[str, Any], name: str, *, limit: int, required: bool = False) -> str:
    value = item.get(name)
    if value is not None and not isinstance(value, str):
        raise InvalidInput(_("%(name)s must be a text.") % {"name": name}, field=name)
    return clean_text(value, field=name, label=name, limit=limit, required=required)


def _moment(item: Mapping[str, Any], name: str, *, required: bool) -> dt.datetime | None:
    value = item.get(name)
    if value in (None, ""):
        if required:
            raise InvalidInput(_("This field is required."), field=name)
        return None
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(
            _("%(name)s must be a date and time (ISO 8601).") % {"name": name}, field=name
        ) from None
    return aware_moment(moment, field=name)


def _revision(item: Mapping[str, Any]) -> int:
    value = item.get("revision", 1)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 1_000_000:
        raise InvalidInput(_("The revision is a whole number from 1."), field="revision")
    return value


def checked_payload(item: Mapping[str, Any]) -> dict[str, Any]:
    """`item` as it is stored, once every text in it (keys too, at any depth) holds no control
    character or lone surrogate (`check_text`); else InvalidInput naming its path."""
    pending: list[tuple[str, Any]] = [("", item)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, str):
            check_text(value, field=path)
        elif isinstance(value, dict):
            for key, inner in value.items():
                check_text(str(key), field=path or str(key))
                pending.append((f"{path}.{key}" if path else str(key), inner))
        elif isinstance(value, list):
            pending.extend((f"{path}.{index}", inner) for index, inner in enumerate(value))
    return dict(item)


def _number(item: Mapping[str, Any]) -> str:
    return _text(item, "number", limit=80, required=True)


def external_id_of(platform: Platform, number: str) -> str:
    """The ticket's external id for an order: unique across platforms."""
    return f"{platform.code}:{number}"


def unmapped_codes(platform: Platform, payload: Mapping[str, Any]) -> list[str]:
    """The order's category and department codes that no mapping of `platform` covers."""
    return _Mappings.of(platform).unmapped(payload)


@dataclass(frozen=True)
class _Mappings:
    """A platform's mapping tables, read once: its codes to our categories' and units'."""

    categories: dict[str, str]
    units: dict[str, str]

    @classmethod
    def of(cls, platform: Platform) -> _Mappings:
        return cls(
            dict(
                CategoryMapping.objects.filter(platform=platform).values_list(
                    "code", "category__code"
                )
            ),
            dict(UnitMapping.objects.filter(platform=platform).values_list("code", "unit__code")),
        )

    def unmapped(self, payload: Mapping[str, Any]) -> list[str]:
        """The order's category and department codes that these tables do not cover, as
        "category:C99", "department:D77"."""
        missing = []
        category = str(payload.get("category") or "")
        department = str(payload.get("department") or "")
        if category not in self.categories:
            missing.append(f"category:{category}")
        if department not in self.units:
            missing.append(f"department:{department}")
        return missing


def _draft(
    platform: Platform, number: str, payload: Mapping[str, Any], mappings: _Mappings
) -> TicketDraft:
    """The ticket an order of `platform` becomes, its codes mapped (InvalidInput naming the
    ticket's field that is wrong)."""
    return TicketDraft(
        channel=Channel.HOTLINE_12345,
        external_id=external_id_of(platform, number),
        content=_text(payload, "content", limit=4000, required=True),
        title=_text(payload, "title", limit=200),
        category=mappings.categories[str(payload.get("category") or "")],
        resident_name=_text(payload, "caller_name", limit=60),
        resident_phone=_text(payload, "caller_phone", limit=20),
        address=_text(payload, "address", limit=300),
        received_at=_moment(payload, "received_at", required=True),
        unit=mappings.units[str(payload.get("department") or "")],
        due_at=_moment(payload, "deadline", required=True),
        platform_decides=True,
    )


def _as_order_field(exc: InvalidInput) -> InvalidInput:
    """The intake's error, naming the order's field rather than the ticket's."""
    field = ORDER_FIELDS.get(exc.field or "", exc.field)
    return InvalidInput(exc.message, field=field)


def _register(
    platform: Platform, order: PlatformOrder, now: dt.datetime, mappings: _Mappings
) -> Ticket:
    """The order's ticket, taken in dispatched; the order is applied and linked to its root."""
    try:
        draft = _draft(platform, order.number, order.payload, mappings)
        ticket = register_and_suggest(draft, by=SYSTEM).ticket
    except InvalidInput as exc:
        raise _as_order_field(exc) from None
    order.ticket = ticket
    order.state = OrderState.APPLIED
    order.unmapped = []
    order.updated_at = now
    order.save()
    _link_to_root(platform, order, now)
    return ticket


def _link_to_root(platform: Platform, order: PlatformOrder, now: dt.datetime) -> None:
    """A child order linked to its root order, and its ticket's timeline told which."""
    order.root = _root_of(platform, order)
    if order.root is None:
        return
    order.save(update_fields=["root"])
    if order.root.ticket is not None and order.ticket is not None:
        TicketEvent.objects.create(
            ticket=order.ticket,
            kind=EventKind.PLATFORM_UPDATE,
            at=now,
            from_status=order.ticket.status,
            to_status=order.ticket.status,
            payload={"root": order.root.number, "root_ticket": order.root.ticket.number},
        )


def _root_of(platform: Platform, order: PlatformOrder) -> PlatformOrder | None:
    """The root order of a child order ("…-01"): named by `root`, or by its number."""
    named = str(order.payload.get("root") or "")
    match = CHILD_NUMBER.match(order.number)
    number = named or (match.group("root") if match else "")
    if not number or number == order.number:
        return None
    return (
        PlatformOrder.objects.filter(platform=platform, number=number)
        .select_related("ticket")
        .first()
    )


@dataclass
class OrderAnswer:
    number: str
    status: str
    ticket: str | None = None
    unmapped: list[str] | None = None
    detail: str = ""
    field: str | None = None

    def as_dict(self) -> dict[str, Any]:
        answer: dict[str, Any] = {"number": self.number, "status": self.status}
        if self.ticket:
            answer["ticket"] = self.ticket
        if self.unmapped:
            answer["unmapped"] = self.unmapped
        if self.detail:
            answer["detail"] = self.detail
            answer["field"] = self.field
        return answer


def _check_batch(items: object, *, name: str, limit: int) -> list[Any]:
    if not isinstance(items, list):
        raise InvalidInput(_("%(name)s must be a list.") % {"name": name}, field=name)
    if len(items) > limit:
        raise InvalidInput(_("At most %(limit)d items a request.") % {"limit": limit}, field=name)
    return items


def _refused(index: int, item: object, exc: InvalidInput | Conflict) -> OrderAnswer:
    number = item.get("number") if isinstance(item, dict) else None
    field = f"orders.{index}.{exc.field}" if exc.field else f"orders.{index}"
    status = Answer.INVALID if isinstance(exc, InvalidInput) else Answer.CONFLICT
    return OrderAnswer(str(number or ""), status, detail=exc.message, field=field)


@dataclass(frozen=True)
class _Checked:
    """An order as checked: its payload as stored, its number and revision."""

    payload: dict[str, Any]
    number: str
    revision: int


class _OrderTaken(Exception):
    """A concurrent request stored one of the batch's orders first."""


def receive_orders(
    platform: Platform, items: object, *, pushed: bool = True
) -> list[dict[str, Any]]:
    """Take in a platform's orders (at most MAX_ORDERS), one answer each in the same order;
    `pushed` by the platform (its last push is noted), or pulled.

    The new orders whose codes are mapped are taken in together through the batch intake
    (`register_many_and_suggest`: one transaction, bulk inserts); the others (a number seen
    before or twice in the request, an unmapped code) one by one after them, in the request's
    order, as `take_order` takes them. When a concurrent request stores one of the batch's
    orders first, the batch is undone and each of its orders taken one by one too."""
    items = _check_batch(items, name="orders", limit=MAX_ORDERS)
    answers: dict[int, OrderAnswer] = {}
    checked: dict[int, _Checked] = {}
    for index, item in enumerate(items):
        try:
            if not isinstance(item, dict):
                raise InvalidInput(_("Each order is an object."), field="")
            checked[index] = _Checked(checked_payload(item), _number(item), _revision(item))
        except InvalidInput as exc:
            answers[index] = _refused(index, item, exc)
    known = set(
        PlatformOrder.objects.filter(
            platform=platform, number__in={order.number for order in checked.values()}
        ).values_list("number", flat=True)
    )
    mappings = _Mappings.of(platform)
    drafts: dict[int, TicketDraft] = {}
    one_by_one: list[int] = []
    for index, order in checked.items():
        if order.number in known or mappings.unmapped(order.payload):
            one_by_one.append(index)
            continue
        known.add(order.number)
        try:
            drafts[index] = _draft(platform, order.number, order.payload, mappings)
        except InvalidInput as exc:
            answers[index] = _refused(index, items[index], _as_order_field(exc))
    if drafts:
        try:
            answers.update(_take_new_orders(platform, checked, drafts))
        except _OrderTaken:
            one_by_one.extend(drafts)
    for index in sorted(one_by_one):
        try:
            answers[index] = take_order(platform, items[index])
        except (InvalidInput, Conflict) as exc:
            answers[index] = _refused(index, items[index], exc)
    if pushed:
        Platform.objects.filter(pk=platform.pk).update(last_push_at=timezone.now())
    return [answers[index].as_dict() for index in range(len(items))]


def _take_new_orders(
    platform: Platform, checked: Mapping[int, _Checked], drafts: Mapping[int, TicketDraft]
) -> dict[int, OrderAnswer]:
    """New, mapped orders taken in at once: their tickets (with the suggestions), the orders
    and their links to their roots in one transaction; the answers by the request's index."""
    indexes = list(drafts)
    now = timezone.now()
    orders: dict[int, PlatformOrder] = {}

    def store_orders(tickets: dict[int, Ticket]) -> None:
        # Anew on each attempt of the batch (`register_tickets` tries again when a concurrent
        # request stored one of its tickets first).
        orders.clear()
        for position, ticket in tickets.items():
            sent = checked[indexes[position]]
            orders[indexes[position]] = PlatformOrder(
                platform=platform,
                number=sent.number,
                revision=sent.revision,
                payload=sent.payload,
                state=OrderState.APPLIED,
                ticket=ticket,
                received_at=now,
                updated_at=now,
            )
        try:
            with transaction.atomic():
                PlatformOrder.objects.bulk_create(orders.values())
        except IntegrityError:
            raise _OrderTaken from None
        stored = dict(
            PlatformOrder.objects.filter(
                platform=platform, number__in=[order.number for order in orders.values()]
            ).values_list("number", "pk")
        )
        for order in orders.values():
            order.pk = stored[order.number]
            order._state.adding = False
            # After all are stored: a child may come in the same request as its root.
            _link_to_root(platform, order, now)

    results = register_many_and_suggest(
        [drafts[index] for index in indexes], by=SYSTEM, then=store_orders
    )
    answers: dict[int, OrderAnswer] = {}
    for index, result in zip(indexes, results, strict=True):
        number = checked[index].number
        if result.status == 201:
            answers[index] = _answer_of(orders[index], Answer.CREATED)
        elif result.ticket is not None:
            # Its ticket was stored by a concurrent request, with its order.
            answers[index] = OrderAnswer(number, Answer.UNCHANGED, ticket=result.ticket.number)
        elif result.error is not None:
            answers[index] = _refused(index, {"number": number}, _error_of(result.error))
    return answers


def _error_of(error: InvalidInput | Conflict) -> InvalidInput | Conflict:
    return _as_order_field(error) if isinstance(error, InvalidInput) else error


def take_order(platform: Platform, item: Mapping[str, Any]) -> OrderAnswer:
    """One order: new, a replay (nothing changes), or a newer revision (the ticket changes)."""
    payload = checked_payload(item)
    number = _number(item)
    revision = _revision(item)
    now = timezone.now()
    with transaction.atomic():
        order = (
            PlatformOrder.objects.select_for_update(of=("self",))
            .filter(platform=platform, number=number)
            .first()
        )
        if order is not None:
            if revision <= order.revision:
                return _answer_of(order, Answer.UNCHANGED)
            return _revise(platform, order, payload, revision, now)
        order = PlatformOrder(
            platform=platform,
            number=number,
            revision=revision,
            payload=payload,
            state=OrderState.NEEDS_MAPPING,
            received_at=now,
            updated_at=now,
        )
        try:
            with transaction.atomic():
                order.save(force_insert=True)
        except IntegrityError:
            # The same order from a concurrent request, taken first by it.
            existing = PlatformOrder.objects.get(platform=platform, number=number)
            return _answer_of(existing, Answer.UNCHANGED)
        return _apply(platform, order, now, created=True)


def _apply(
    platform: Platform, order: PlatformOrder, now: dt.datetime, *, created: bool
) -> OrderAnswer:
    mappings = _Mappings.of(platform)
    missing = mappings.unmapped(order.payload)
    if missing:
        order.unmapped = missing
        order.state = OrderState.NEEDS_MAPPING
        order.save(update_fields=["unmapped", "state", "payload", "revision", "updated_at"])
        return _answer_of(order, Answer.NEEDS_MAPPING)
    _register(platform, order, now, mappings)
    return _answer_of(order, Answer.CREATED if created else Answer.UPDATED)


def _answer_of(order: PlatformOrder, status: str) -> OrderAnswer:
    ticket = order.ticket.number if order.ticket_id and order.ticket else None
    unmapped = list(order.unmapped) if order.state == OrderState.NEEDS_MAPPING else None
    return OrderAnswer(order.number, status, ticket=ticket, unmapped=unmapped)


# The ticket's fields a corrected order may change, and the order's names for them.
REVISED_FIELDS = {
    "title": ("title", 200),
    "content": ("content", 4000),
    "address": ("address", 300),
    "resident_name": ("caller_name", 60),
    "resident_phone": ("caller_phone", 20),
}


def _revise(
    platform: Platform, order: PlatformOrder, payload: dict[str, Any], revision: int,
    now: dt.datetime,
) -> OrderAnswer:  # fmt: skip
    """A corrected re-send: the order's newer revision; its ticket's fields change, on its
    timeline. An order still waiting for a mapping is tried again with it. Another category or
    department moves the ticket while it is still with the first unit (`_rerouting`); else the
    revision is stored and the order flagged."""
    previous = order.payload
    order.payload, order.revision, order.updated_at = payload, revision, now
    if order.ticket_id is None:
        return _apply(platform, order, now, created=True)
    ticket = access_ticket(SYSTEM, number_of(order), for_update=True)
    if ticket.status in TERMINAL:
        raise Conflict(
            _("Ticket %(number)s is “%(status)s”: a finished ticket is not changed.")
            % {"number": ticket.number, "status": Status(ticket.status).label}
        )
    changed: dict[str, Any] = {}
    for field, (name, limit) in REVISED_FIELDS.items():
        if name in payload:
            value = _text(payload, name, limit=limit, required=field == "content")
            if field == "resident_phone" and value and not PHONE_PATTERN.match(value):
                raise InvalidInput(
                    _("%(phone)s is not a phone number.") % {"phone": value}, field=name
                )
            if value != getattr(ticket, field):
                changed[field] = value
    deadline = _moment(payload, "deadline", required=False)
    if deadline is not None and ticket.status in CLOCK_RUNNING and deadline != ticket.due_at:
        changed["due_at"] = deadline
    rerouting = _rerouting(platform, previous, payload, ticket)
    if rerouting.category is not None:
        changed["category"] = rerouting.category
    for field, value in changed.items():
        setattr(ticket, field, value)
    if "address" in changed:
        ticket.keep_address_keys()
    if "due_at" in changed:
        rewatch(ticket)
    ticket.version += 1
    ticket.save()
    event_payload: dict[str, Any] = {
        "revision": revision,
        "changed": {key: _shown(value) for key, value in changed.items() if key != "category"},
    }
    if rerouting.category is not None:
        event_payload["category"] = rerouting.category.code
    if rerouting.not_applied:
        event_payload["not_applied"] = rerouting.not_applied
    TicketEvent.objects.create(
        ticket=ticket,
        kind=EventKind.PLATFORM_UPDATE,
        at=now,
        from_status=ticket.status,
        to_status=ticket.status,
        payload=event_payload,
    )
    if rerouting.unit is not None:
        _move(ticket, rerouting.unit, _moment(payload, "deadline", required=False), now)
    order.flag = rerouting.not_applied
    order.save(update_fields=["payload", "revision", "updated_at", "flag"])
    return _answer_of(order, Answer.UPDATED)


def _shown(value: object) -> object:
    return value.isoformat() if isinstance(value, dt.datetime) else value


@dataclass
class Rerouting:
    """What a revision's codes change: the category, the unit, or why it changes neither."""

    category: Category | None = None
    unit: Unit | None = None
    not_applied: str = ""


def _rerouting(
    platform: Platform, previous: Mapping[str, Any], payload: Mapping[str, Any], ticket: Ticket
) -> Rerouting:
    """A revision naming another category or department: the ticket takes them while it is
    still with the order's first unit and not resolved (the unit only while not yet signed
    for: a reassignment, as the transition table allows); otherwise nothing moves and why is
    said (the order is flagged)."""
    codes = {
        name: (str(previous.get(name) or ""), str(payload.get(name) or ""))
        for name in ("category", "department")
    }
    if all(old == new for old, new in codes.values()):
        return Rerouting()
    old_category, new_category = codes["category"]
    old_department, new_department = codes["department"]
    category_mapping = CategoryMapping.objects.filter(platform=platform, code=new_category).first()
    unit_mapping = UnitMapping.objects.filter(platform=platform, code=new_department).first()
    first = UnitMapping.objects.filter(platform=platform, code=old_department).first()
    if (old_category != new_category and category_mapping is None) or (
        old_department != new_department and unit_mapping is None
    ):
        return Rerouting(
            not_applied=_("The revision names a code no mapping covers: %(codes)s.")
            % {"codes": ", ".join(unmapped_codes(platform, payload))}
        )
    category = (
        category_mapping.category
        if category_mapping is not None and category_mapping.category_id != ticket.category_id
        else None
    )
    unit = (
        unit_mapping.unit
        if unit_mapping is not None and unit_mapping.unit_id != ticket.unit_id
        else None
    )
    if category is None and unit is None:
        return Rerouting()
    with_first = (
        first is not None and ticket.unit_id == first.unit_id and ticket.status in CLOCK_RUNNING
    )
    if not with_first or (unit is not None and ticket.status != Status.DISPATCHED):
        return Rerouting(
            not_applied=_(
                "The revision names another category or department, but the ticket is no "
                "longer with the first unit, or was signed for or resolved: nothing moved."
            )
        )
    return Rerouting(category=category, unit=unit)


def _move(ticket: Ticket, unit: Unit, deadline: dt.datetime | None, now: dt.datetime) -> None:
    """The platform's revision sends the ticket to another unit with the order's deadline (a
    reassignment of a dispatched ticket: the old unit's orders and pending request end)."""
    due = deadline or ticket.due_at
    assert due is not None  # dispatched

    def apply(ticket: Ticket, now: dt.datetime) -> dict[str, Any]:
        previous = ticket.unit.code if ticket.unit else None
        ended = end_open_orders(ticket, now)
        cancel_pending_extension(ticket, now)
        start_handling_clock(ticket, unit=unit, now=now, due=due)
        TicketUnit.objects.get_or_create(ticket=ticket, unit=unit, defaults={"first_held_at": now})
        return {
            **channel_dispatch_payload(unit=unit.code, due_at=due),
            "previous_unit": previous,
            "ended_orders": ended,
        }

    apply_transition(ticket, by=SYSTEM, action=Action.DISPATCH, apply=apply, now=now)


def apply_waiting_orders(*, by: Actor, platform: Platform | None = None) -> int:
    """Take in the orders that waited for a mapping and now have one; how many went on."""
    require(
        can_manage_exchange(by),
        _("The exchange with the 12345 platforms is managed by the command centre."),
    )
    waiting = PlatformOrder.objects.filter(state=OrderState.NEEDS_MAPPING)
    if platform is not None:
        waiting = waiting.filter(platform=platform)
    applied = 0
    # Each platform's mapping tables read once for all its waiting orders.
    mappings: dict[int, _Mappings] = {}
    for order_id in list(waiting.order_by("received_at", "pk").values_list("pk", flat=True)):
        with transaction.atomic():
            order = (
                PlatformOrder.objects.select_for_update(of=("self",))
                .select_related("platform")
                .filter(pk=order_id, state=OrderState.NEEDS_MAPPING)
                .first()
            )
            if order is None:
                continue
            if order.platform_id not in mappings:
                mappings[order.platform_id] = _Mappings.of(order.platform)
            if mappings[order.platform_id].unmapped(order.payload):
                continue
            try:
                with transaction.atomic():
                    _register(order.platform, order, timezone.now(), mappings[order.platform_id])
            except InvalidInput as exc:
                order.unmapped = [f"invalid:{exc.field}"]
                order.save(update_fields=["unmapped"])
                continue
            applied += 1
    return applied


# --- decisions and calls back in --------------------------------------------------------------


class EventKindIn:
    """What a platform's event may be."""

    RETURN_APPROVED = "return_approved"
    RETURN_REJECTED = "return_rejected"
    EXTENSION_APPROVED = "extension_approved"
    EXTENSION_REJECTED = "extension_rejected"
    VISIT = "visit"
    URGE = "urge"

    ALL = (
        RETURN_APPROVED,
        RETURN_REJECTED,
        EXTENSION_APPROVED,
        EXTENSION_REJECTED,
        VISIT,
        URGE,
    )


# Decisions and what they decide.
DECIDES = {
    EventKindIn.RETURN_APPROVED: Awaiting.RETURN,
    EventKindIn.RETURN_REJECTED: Awaiting.RETURN,
    EventKindIn.EXTENSION_APPROVED: Awaiting.EXTENSION,
    EventKindIn.EXTENSION_REJECTED: Awaiting.EXTENSION,
}


@dataclass
class EventIn:
    index: int
    event_id: str
    kind: str
    order: str
    occurred_at: dt.datetime
    payload: dict[str, Any]


def _event_in(index: int, item: object) -> EventIn:
    if not isinstance(item, dict):
        raise InvalidInput(_("Each event is an object."), field="")
    kind = _text(item, "kind", limit=24, required=True)
    if kind not in EventKindIn.ALL:
        raise InvalidInput(
            _("Unknown kind %(kind)s (one of: %(choices)s).")
            % {"kind": kind, "choices": ", ".join(EventKindIn.ALL)},
            field="kind",
        )
    occurred_at = _moment(item, "occurred_at", required=True)
    assert occurred_at is not None
    return EventIn(
        index=index,
        event_id=_text(item, "id", limit=80, required=True),
        kind=kind,
        order=_text(item, "order", limit=80, required=True),
        occurred_at=occurred_at,
        payload=checked_payload(item),
    )


def receive_events(platform: Platform, items: object) -> list[dict[str, Any]]:
    """Take a platform's events in the order of their times; one answer each, in the order
    they were sent."""
    batch = _check_batch(items, name="events", limit=MAX_EVENTS)
    answers: list[dict[str, Any]] = [{} for _item in batch]
    parsed = []
    for index, item in enumerate(batch):
        try:
            parsed.append(_event_in(index, item))
        except InvalidInput as exc:
            field = f"events.{index}.{exc.field}" if exc.field else f"events.{index}"
            event_id = item.get("id") if isinstance(item, dict) else None
            answers[index] = {
                "id": str(event_id or ""),
                "status": Answer.INVALID,
                "detail": exc.message,
                "field": field,
            }
    for event in sorted(parsed, key=lambda event: (event.occurred_at, event.index)):
        try:
            answers[event.index] = take_event(platform, event)
        except InvalidInput as exc:
            answers[event.index] = {
                "id": event.event_id,
                "status": Answer.INVALID,
                "detail": exc.message,
                "field": f"events.{event.index}.{exc.field}",
            }
    return answers


def take_event(platform: Platform, event: EventIn) -> dict[str, Any]:
    """One event, once: applied, or stored and flagged with the reason."""
    with transaction.atomic():
        order = (
            PlatformOrder.objects.select_for_update(of=("self",))
            .select_related("ticket")
            .filter(platform=platform, number=event.order)
            .first()
        )
        if order is None or order.ticket is None:
            raise InvalidInput(
                _("No order %(number)s taken in from this platform.") % {"number": event.order},
                field="order",
            )
        known = PlatformEvent.objects.filter(platform=platform, event_id=event.event_id).first()
        if known is not None:
            return {"id": event.event_id, "status": Answer.DUPLICATE, "state": known.state}
        reason = _stale(order, event)
        if not reason:
            try:
                with transaction.atomic():
                    _apply_event(platform, order, event)
            except (Conflict, InvalidInput, NotFound) as exc:
                reason = exc.message
        state = EventState.FLAGGED if reason else EventState.APPLIED
        try:
            with transaction.atomic():
                PlatformEvent.objects.create(
                    platform=platform,
                    event_id=event.event_id,
                    kind=event.kind,
                    order=order,
                    occurred_at=event.occurred_at,
                    payload=event.payload,
                    state=state,
                    reason=reason[:500],
                )
        except IntegrityError as exc:
            # The same event from a concurrent request: undo what this one applied.
            raise Conflict(_("Event %(id)s is being taken in.") % {"id": event.event_id}) from exc
        if not reason:
            order.last_event_at = max(filter(None, [order.last_event_at, event.occurred_at]))
            if event.kind in DECIDES:
                order.awaiting, order.awaiting_since = Awaiting.NOTHING, None
            order.save(update_fields=["last_event_at", "awaiting", "awaiting_since"])
    answer = {"id": event.event_id, "status": Answer.FLAGGED if reason else Answer.APPLIED}
    if reason:
        answer["reason"] = reason
    return answer


def _stale(order: PlatformOrder, event: EventIn) -> str:
    """Why `event` no longer fits the order (empty when it does)."""
    contradicts = event.kind in DECIDES or event.kind == EventKindIn.VISIT
    if contradicts and order.last_event_at and event.occurred_at < order.last_event_at:
        return _("Older than the latest event applied to this order.")
    waiting_for = DECIDES.get(event.kind)
    if waiting_for is None:
        return ""
    if order.awaiting != waiting_for:
        return _("No such request is waiting for the platform's decision.")
    if order.awaiting_since is not None and event.occurred_at < order.awaiting_since:
        return _("Older than the request it would decide.")
    return ""


def _note(event: EventIn) -> str:
    return _text(event.payload, "note", limit=4000)


def _apply_event(platform: Platform, order: PlatformOrder, event: EventIn) -> None:
    assert order.ticket is not None
    number = order.ticket.number
    handlers: dict[str, Callable[[], None]] = {
        EventKindIn.RETURN_APPROVED: lambda: _return_approved(number, event),
        EventKindIn.RETURN_REJECTED: lambda: _return_rejected(number, event),
        EventKindIn.EXTENSION_APPROVED: lambda: _extension_decided(number, event, approve=True),
        EventKindIn.EXTENSION_REJECTED: lambda: _extension_decided(number, event, approve=False),
        EventKindIn.VISIT: lambda: _visit(platform, number, event),
        EventKindIn.URGE: lambda: _urge(number, event),
    }
    handlers[event.kind]()


def _return_approved(number: str, event: EventIn) -> None:
    """The platform approves the unit's return request: the ticket goes back to the command
    centre as a return does, with the unit's reason."""
    ticket = access_ticket(SYSTEM, number, for_update=True)
    if ticket.return_requested_at is None:
        raise Conflict(
            _("Ticket %(number)s has no return request waiting.") % {"number": ticket.number}
        )
    request = (
        TicketEvent.objects.filter(ticket=ticket, kind=EventKind.RETURN_REQUEST)
        .order_by("-at", "-pk")
        .first()
    )
    reason = str(request.payload.get("reason") or "") if request else ""
    return_ticket(number, reason=reason or _note(event) or _("Return approved."), by=SYSTEM)


def _return_rejected(number: str, event: EventIn) -> None:
    """The platform refuses the return: the ticket stays with its unit, its timeline says so."""
    refuse_return(number, note=_note(event), by=SYSTEM)


def number_of(order: PlatformOrder) -> str:
    assert order.ticket is not None
    return order.ticket.number


def _extension_decided(number: str, event: EventIn, *, approve: bool) -> None:
    note = _note(event)
    if approve:
        approve_extension(number, note=note, by=SYSTEM)
    else:
        reject_extension(number, note=note or _("Refused by the 12345 platform."), by=SYSTEM)


def visit_outcome(platform: Platform, code: str) -> str:
    """Our follow-up outcome for the platform's code (its mapping, or our own name)."""
    mapped = CodeMapping.objects.filter(platform=platform, kind=CodeKind.VISIT, theirs=code).first()
    if mapped is not None:
        return mapped.ours
    if code in VisitOutcome.values:
        return code
    raise InvalidInput(
        _("Unknown call outcome %(code)s: add it to the platform's code mappings.")
        % {"code": code},
        field="outcome",
    )


def _visit(platform: Platform, number: str, event: EventIn) -> None:
    """The platform's own follow-up call, recorded as a visit with the platform as caller."""
    outcome = visit_outcome(platform, _text(event.payload, "outcome", limit=40, required=True))
    record_visit(
        number, outcome=outcome, note=_note(event), by=SYSTEM, channel=Channel.HOTLINE_12345
    )


def _urge(number: str, event: EventIn) -> None:
    """催办 / 督办: a supervision order with the reason `platform`."""
    ticket = access_ticket(SYSTEM, number, for_update=True)
    if ticket.status not in CLOCK_RUNNING:
        raise Conflict(
            _("Ticket %(number)s is “%(status)s”: no unit is handling it to urge.")
            % {"number": ticket.number, "status": Status(ticket.status).label}
        )
    issue_order(
        ticket,
        reason=SupervisionReason.PLATFORM,
        now=timezone.now(),
        by=SYSTEM,
        note=_note(event) or _("Urged by the 12345 platform."),
    )


# --- the units' progress notes and the page's actions ------------------------------------------


def report_progress(number: str, *, note: str, by: Actor) -> TicketEvent:
    """阶段性回复: the unit handling a platform's ticket tells the platform how it goes."""
    with transaction.atomic():
        ticket = access_ticket(by, number, for_update=True)
        require(
            can_work_unit_tickets(by, ticket.unit_id),
            _("Only the unit holding the ticket reports its progress."),
        )
        text = clean_text(
            note, field="note", label=_("The progress note"), limit=4000, required=True
        )
        if not PlatformOrder.objects.filter(ticket=ticket).exists():
            raise Conflict(
                _("Ticket %(number)s did not come from a 12345 platform.")
                % {"number": ticket.number}
            )
        if ticket.status not in CLOCK_RUNNING:
            raise Conflict(
                _("Ticket %(number)s is not being handled: there is no progress to report.")
                % {"number": ticket.number}
            )
        ticket.version += 1
        ticket.save(update_fields=["version"])
        return TicketEvent.objects.create(
            ticket=ticket,
            kind=EventKind.PROGRESS,
            actor=person_of(by),
            at=timezone.now(),
            from_status=ticket.status,
            to_status=ticket.status,
            payload={"note": text},
        )


def retry_message(pk: int, *, by: Actor) -> PlatformMessage:
    """Deliver an undelivered message at the next delivery run, whatever its backoff."""
    require(
        can_manage_exchange(by),
        _("The exchange with the 12345 platforms is managed by the command centre."),
    )
    with transaction.atomic():
        message = PlatformMessage.objects.select_for_update(of=("self",)).filter(pk=pk).first()
        if message is None:
            raise NotFound(_("No message %(id)s.") % {"id": pk})
        if message.delivered_at is not None:
            raise Conflict(_("The message was delivered already."))
        message.next_attempt_at = timezone.now()
        message.save(update_fields=["next_attempt_at"])
    return message
