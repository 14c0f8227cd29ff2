"""The 12345 platform link, inbound: orders pushed to `/api/v1/exchange/<platform>/orders` and
events to `/events`, signed by the platform; each order once, each event once, in time order."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jieban.errors import Conflict
from jieban.exchange.actions import apply_waiting_orders
from jieban.exchange.models import (
    Awaiting,
    CategoryMapping,
    EventState,
    OrderState,
    PlatformEvent,
    PlatformMessage,
    PlatformOrder,
)
from jieban.org.actors import SYSTEM
from jieban.org.models import Unit
from jieban.suggestions.models import Suggestion, SuggestionKind
from jieban.tickets import transitions
from jieban.tickets.extensions import request_extension
from jieban.tickets.models import (
    Category,
    EventKind,
    Extension,
    ExtensionStatus,
    Status,
    SupervisionOrder,
    SupervisionReason,
    Ticket,
    Visit,
)
from tests.conftest import Cast
from tests.platform_peer import (
    CODE,
    NOW,
    SECRET,
    make_platform,
    order,
    push_events,
    push_orders,
    signed_post,
)


@pytest.fixture
def platform(cast: Cast) -> Any:
    return make_platform()


@pytest.fixture(autouse=True)
def at_now() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def ticket_of(number: str) -> Ticket:
    return Ticket.objects.get(channel="hotline_12345", external_id=f"{CODE}:{number}")


def test_it_takes_an_order_in_as_a_dispatched_ticket_once(platform: Any) -> None:
    sent = order("SZ0001")
    first = push_orders(sent)
    again = push_orders(sent, sent)
    ticket = ticket_of("SZ0001")
    assert first == [{"number": "SZ0001", "status": "created", "ticket": ticket.number}]
    assert [answer["status"] for answer in again] == ["unchanged", "unchanged"]
    assert Ticket.objects.count() == 1
    assert PlatformOrder.objects.get().ticket == ticket
    assert ticket.status == Status.DISPATCHED
    assert ticket.unit == Unit.objects.get(code="PS-A")
    assert ticket.category.code == "renovation_noise"
    assert ticket.due_at == dt.datetime.fromisoformat(sent["deadline"])
    assert ticket.resident_phone == "13900001111"
    assert [event.kind for event in ticket.events.all()] == ["intake", "dispatch"]


def test_it_updates_the_ticket_on_a_newer_revision_and_ignores_older_ones(platform: Any) -> None:
    push_orders(order("SZ0002"))
    answers = push_orders(order("SZ0002", revision=2, content="更正：夜间施工噪音，已持续一周"))
    stale = push_orders(order("SZ0002", revision=1, content="旧内容"))
    ticket = ticket_of("SZ0002")
    assert answers[0]["status"] == "updated"
    assert stale[0]["status"] == "unchanged"
    assert ticket.content == "更正：夜间施工噪音，已持续一周"
    update = ticket.events.get(kind=EventKind.PLATFORM_UPDATE)
    assert update.payload == {
        "revision": 2,
        "changed": {"content": "更正：夜间施工噪音，已持续一周"},
    }
    assert PlatformOrder.objects.get().revision == 2


def test_it_links_a_child_order_to_its_root(platform: Any) -> None:
    push_orders(order("SZ0003"))
    push_orders(order("SZ0003-01", content="同一地点再次反映施工噪音"))
    child = PlatformOrder.objects.get(number="SZ0003-01")
    assert child.root == PlatformOrder.objects.get(number="SZ0003")
    link = ticket_of("SZ0003-01").events.get(kind=EventKind.PLATFORM_UPDATE)
    assert link.payload["root_ticket"] == ticket_of("SZ0003").number


def test_it_keeps_an_unmapped_order_waiting_until_its_mapping_is_added(platform: Any) -> None:
    answers = push_orders(order("SZ0004", category="C99"), order("SZ0005", department="D77"))
    assert answers == [
        {"number": "SZ0004", "status": "needs_mapping", "unmapped": ["category:C99"]},
        {"number": "SZ0005", "status": "needs_mapping", "unmapped": ["department:D77"]},
    ]
    assert not Ticket.objects.exists()
    assert apply_waiting_orders(by=SYSTEM) == 0
    CategoryMapping.objects.create(
        platform=platform, code="C99", category=Category.objects.get(code="renovation_noise")
    )
    assert apply_waiting_orders(by=SYSTEM) == 1
    assert PlatformOrder.objects.get(number="SZ0004").state == OrderState.APPLIED
    assert PlatformOrder.objects.get(number="SZ0005").state == OrderState.NEEDS_MAPPING
    assert ticket_of("SZ0004").status == Status.DISPATCHED
    # Sent again, the order taken in since is the same ticket.
    assert push_orders(order("SZ0004", category="C99"))[0]["status"] == "unchanged"
    assert Ticket.objects.count() == 1


def test_it_answers_each_order_of_a_batch_on_its_own(platform: Any) -> None:
    answers = push_orders(order("SZ0006"), order("SZ0007", content=""), order("SZ0008"))
    assert [answer["status"] for answer in answers] == ["created", "invalid", "created"]
    assert answers[1]["field"] == "orders.1.content"
    assert Ticket.objects.count() == 2
    too_many = signed_post("orders", {"orders": [order(f"N{i}") for i in range(501)]})
    assert too_many.status_code == 400
    assert too_many.json()["field"] == "orders"


def test_it_takes_a_requests_new_orders_in_through_the_batch_intake(platform: Any) -> None:
    # The same phone as an earlier call: each new ticket still gets its suggestions.
    push_orders(order("SZ0009"))
    sent = [order(f"SZ01{index:02d}", caller_phone="13900001111") for index in range(20)]
    with CaptureQueriesContext(connection) as queries:
        answers = push_orders(*sent, order("SZ0110-01"), order("SZ0105"))
    inserts = [q["sql"] for q in queries.captured_queries if "INSERT INTO" in q["sql"][:40]]
    # One statement for the tickets (and one each for their events, holdings, orders, ...).
    assert len([sql for sql in inserts if 'INTO "tickets_ticket" (' in sql]) == 1
    assert len([sql for sql in inserts if 'INTO "exchange_platformorder"' in sql]) == 1
    assert [answer["status"] for answer in answers] == ["created"] * 21 + ["unchanged"]
    assert answers[21]["ticket"] == answers[5]["ticket"] == ticket_of("SZ0105").number
    assert Ticket.objects.count() == 22
    # A child order in the same request as its root is linked to it.
    child = PlatformOrder.objects.get(number="SZ0110-01")
    assert child.root == PlatformOrder.objects.get(number="SZ0110")
    link = ticket_of("SZ0110-01").events.get(kind=EventKind.PLATFORM_UPDATE)
    assert link.payload["root_ticket"] == ticket_of("SZ0110").number
    ticket = ticket_of("SZ0119")
    assert ticket.platform_decides
    assert ticket.status == Status.DISPATCHED
    assert ticket.events.filter(kind=EventKind.INTAKE).count() == 1
    repeats = Suggestion.objects.filter(ticket=ticket, kind=SuggestionKind.REPEAT)
    assert ticket_of("SZ0009").number in set(repeats.values_list("value", flat=True))
    assert not Suggestion.objects.filter(ticket=ticket, kind=SuggestionKind.UNIT).exists()


def test_it_refuses_a_bad_signature_or_a_stale_timestamp_and_logs_it(
    platform: Any, caplog: pytest.LogCaptureFixture
) -> None:
    data = {"orders": [order("SZ0009")]}
    with caplog.at_level(logging.WARNING, logger="jieban.exchange"):
        forged = signed_post("orders", data, secret="not-the-secret")
        stale = signed_post("orders", data, age=dt.timedelta(minutes=6))
        unknown = signed_post("orders", data, code="nobody")
    assert [forged.status_code, stale.status_code, unknown.status_code] == [401, 401, 401]
    assert not PlatformOrder.objects.exists()
    reasons = [record.getMessage() for record in caplog.records]
    assert any("bad signature" in reason for reason in reasons)
    assert any("stale timestamp" in reason for reason in reasons)
    # Four minutes old is still fine.
    assert signed_post("orders", data, age=dt.timedelta(minutes=4)).status_code == 200


def test_it_accepts_the_previous_secret_until_its_grace_period_ends(platform: Any) -> None:
    platform.previous_secret = SECRET
    platform.secret = "platform-secret-2"
    platform.previous_secret_until = NOW + dt.timedelta(days=1)
    platform.save()
    data = {"orders": [order("SZ0010")]}
    assert signed_post("orders", data).status_code == 200
    assert signed_post("orders", data, secret="platform-secret-2").status_code == 200
    with time_machine.travel(NOW + dt.timedelta(days=1, minutes=1), tick=False):
        assert signed_post("orders", data).status_code == 401
        assert signed_post("orders", data, secret="platform-secret-2").status_code == 200


# --- events ------------------------------------------------------------------------------------


def event(event_id: str, kind: str, number: str, at: dt.datetime, **fields: Any) -> dict[str, Any]:
    return {"id": event_id, "kind": kind, "order": number, "occurred_at": at.isoformat(), **fields}


def test_it_applies_events_in_the_order_of_their_times_and_each_once(
    cast: Cast, platform: Any
) -> None:
    push_orders(order("SZ0020"))
    ticket = ticket_of("SZ0020")
    transitions.accept_ticket(ticket.number, by=cast.handler_a)
    request_extension(ticket.number, days=3, reason="需协调物业", by=cast.handler_a)
    assert PlatformOrder.objects.get().awaiting == Awaiting.EXTENSION
    later = NOW + dt.timedelta(minutes=30)
    # Sent out of order: the urging (later) before the approval (earlier).
    answers = push_events(
        event("E2", "urge", "SZ0020", later, note="请尽快办理"),
        event("E1", "extension_approved", "SZ0020", later - dt.timedelta(minutes=10)),
    )
    assert [answer["status"] for answer in answers] == ["applied", "applied"]
    kinds = [e.kind for e in ticket.events.all() if e.kind in ("extension_approve", "supervise")]
    assert kinds == ["extension_approve", "supervise"]
    # The same events again: nothing applied twice.
    again = push_events(
        event("E1", "extension_approved", "SZ0020", later - dt.timedelta(minutes=10)),
        event("E2", "urge", "SZ0020", later, note="请尽快办理"),
    )
    assert [answer["status"] for answer in again] == ["duplicate", "duplicate"]
    assert Extension.objects.get().status == ExtensionStatus.APPROVED
    order_row = SupervisionOrder.objects.get()
    assert order_row.reason == SupervisionReason.PLATFORM
    # A rejection older than the approval applied contradicts it: stored, flagged, not applied.
    late = push_events(
        event("E0", "extension_rejected", "SZ0020", later - dt.timedelta(minutes=20))
    )
    assert late[0]["status"] == "flagged"
    flagged = PlatformEvent.objects.get(event_id="E0")
    assert flagged.state == EventState.FLAGGED and flagged.reason
    assert Extension.objects.get().status == ExtensionStatus.APPROVED
    assert PlatformEvent.objects.count() == 3


def test_it_records_the_platforms_follow_up_call_as_a_visit(cast: Cast, platform: Any) -> None:
    push_orders(order("SZ0021"))
    ticket = ticket_of("SZ0021")
    transitions.accept_ticket(ticket.number, by=cast.handler_a)
    transitions.resolve_ticket(ticket.number, result="已协调停止夜间施工", by=cast.handler_a)
    answers = push_events(event("V1", "visit", "SZ0021", NOW + dt.timedelta(hours=1), outcome="1"))
    assert answers[0]["status"] == "applied"
    visit = Visit.objects.get()
    assert (visit.outcome, visit.reported_by_channel, visit.called_by) == (
        "satisfied",
        "hotline_12345",
        None,
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    unknown = push_events(event("V2", "visit", "SZ0021", NOW + dt.timedelta(hours=2), outcome="9"))
    assert unknown[0]["status"] == "flagged"


def test_it_waits_for_the_platform_on_a_return_request(cast: Cast, platform: Any) -> None:
    push_orders(order("SZ0022"), order("SZ0023"))
    approved, rejected = ticket_of("SZ0022"), ticket_of("SZ0023")
    due = rejected.due_at
    for ticket in (approved, rejected):
        transitions.return_ticket(ticket.number, reason="不属本辖区", by=cast.handler_a)
        ticket.refresh_from_db()
        # It waits with the unit, its clocks running, until the platform decides.
        assert (ticket.status, ticket.unit.code) == (Status.DISPATCHED, "PS-A")
        assert ticket.return_requested_at == NOW and ticket.due_at is not None
    messages = PlatformMessage.objects.filter(kind="return_request")
    assert messages.count() == 2
    assert messages.first().payload["reason"] == "不属本辖区"
    assert set(PlatformOrder.objects.values_list("awaiting", flat=True)) == {Awaiting.RETURN}
    # The unit can neither sign for it nor ask again while it waits.
    with pytest.raises(Conflict, match="12345"):
        transitions.accept_ticket(approved.number, by=cast.handler_a)
    at = NOW + dt.timedelta(minutes=5)
    answers = push_events(
        event("R1", "return_approved", "SZ0022", at, note="同意退单"),
        event("R2", "return_rejected", "SZ0023", at, note="属你单位职责"),
    )
    assert [answer["status"] for answer in answers] == ["applied", "applied"]
    approved.refresh_from_db()
    rejected.refresh_from_db()
    # Approved: back with the command centre as a return is, with the unit's reason.
    assert (approved.status, approved.unit, approved.return_requested_at) == (
        Status.NEW,
        None,
        None,
    )
    assert approved.events.get(kind=EventKind.RETURN).payload["reason"] == "不属本辖区"
    # Refused: it stays with the unit, its deadline as it was, and the timeline says so.
    assert rejected.status == Status.DISPATCHED
    assert rejected.unit == Unit.objects.get(code="PS-A")
    assert (rejected.due_at, rejected.return_requested_at) == (due, None)
    refused = rejected.events.get(kind=EventKind.RETURN_REFUSED)
    assert refused.payload == {"note": "属你单位职责"}
    assert set(PlatformOrder.objects.values_list("awaiting", flat=True)) == {""}
    # Only one return message each: the approval sends nothing up.
    assert PlatformMessage.objects.count() == 2
    # A second decision on a request already decided is flagged.
    assert push_events(event("R3", "return_approved", "SZ0023", at))[0]["status"] == "flagged"


def test_it_leaves_a_finished_ticket_as_it_is_on_a_newer_revision(
    cast: Cast, platform: Any
) -> None:
    push_orders(order("SZ0030"))
    ticket = ticket_of("SZ0030")
    transitions.return_ticket(ticket.number, reason="不属本辖区", by=cast.handler_a)
    push_events(event("R9", "return_approved", "SZ0030", NOW + dt.timedelta(minutes=1)))
    transitions.invalidate_ticket(ticket.number, reason="平台已收回", by=cast.dispatcher)
    (answer,) = push_orders(order("SZ0030", revision=2, content="更正内容"))
    assert answer["status"] == "conflict"
    ticket.refresh_from_db()
    assert ticket.content == order("SZ0030")["content"]
    assert PlatformOrder.objects.get().revision == 1
    wrong_phone = push_orders(order("SZ0031"), order("SZ0031", revision=2, caller_phone="abc"))
    assert wrong_phone[1]["field"] == "orders.1.caller_phone"
