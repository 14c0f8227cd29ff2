"""The 12345 platform link, outbound: every step a unit takes on a platform's ticket becomes a
message in the step's transaction, delivered signed to a real local server playing the
platform (which fails, answers 500 and times out) until it arrives exactly once; and orders
pulled from the platform's cursor, each taken in once."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
import time_machine
from django.db import transaction

from jieban.errors import InvalidInput
from jieban.exchange.actions import report_progress
from jieban.exchange.models import MessageAttempt, PlatformMessage, PlatformMode, PlatformOrder
from jieban.exchange.outbox import deliver_due, pull_due
from jieban.tickets import transitions
from jieban.tickets.extensions import request_extension
from jieban.tickets.models import Ticket
from jieban.worker.runner import run_sweep
from tests.conftest import Cast, new_ticket
from tests.platform_peer import CODE, NOW, Peer, make_platform, order, peer, push_orders

__all__ = ["peer"]


def ticket_of(number: str) -> Ticket:
    return Ticket.objects.get(channel="hotline_12345", external_id=f"{CODE}:{number}")


def deliver_for(minutes: int, start: dt.datetime) -> None:
    """Keep the worker delivering, minute after minute, past each backoff."""
    for minute in range(minutes):
        with time_machine.travel(start + dt.timedelta(minutes=minute), tick=False):
            deliver_due()


def test_it_queues_each_step_in_its_own_transaction(cast: Cast) -> None:
    with time_machine.travel(NOW, tick=False):
        make_platform()
        push_orders(order("SZ0100"))
        ticket = ticket_of("SZ0100")
        transitions.accept_ticket(ticket.number, by=cast.handler_a)
        report_progress(ticket.number, note="已联系施工方", by=cast.handler_a)
        request_extension(ticket.number, days=2, reason="需协调物业", by=cast.handler_a)
        # A step that fails leaves no message behind.
        with pytest.raises(InvalidInput), transaction.atomic():
            transitions.resolve_ticket(ticket.number, result="", by=cast.handler_a)
        transitions.resolve_ticket(ticket.number, result="已停止夜间施工", by=cast.handler_a)
        # A ticket of another channel tells no platform.
        other = new_ticket(cast.dispatcher)
        transitions.dispatch_ticket(other.number, unit=cast.handler_a.unit, by=cast.dispatcher)
        transitions.accept_ticket(other.number, by=cast.handler_a)
    kinds = list(PlatformMessage.objects.values_list("kind", flat=True))
    assert kinds == ["accepted", "progress", "extension_request", "result"]
    result = PlatformMessage.objects.get(kind="result")
    assert result.payload["result"] == "已停止夜间施工"
    assert result.payload["result_code"] == "0"
    assert result.payload["order"] == "SZ0100"


def test_it_delivers_every_message_exactly_once_through_failures(cast: Cast, peer: Peer) -> None:
    peer.script = ["500", "slow", "500"]
    with time_machine.travel(NOW, tick=False):
        platform = make_platform(base_url=peer.url)
        push_orders(order("SZ0101"), order("SZ0102"))
        for number in ("SZ0101", "SZ0102"):
            transitions.accept_ticket(ticket_of(number).number, by=cast.handler_a)
    deliver_for(20, NOW)
    messages = PlatformMessage.objects.all()
    assert messages.count() == 2
    assert all(message.delivered_at is not None for message in messages)
    assert set(peer.accepted) == {str(message.message_id) for message in messages}
    assert peer.bad_signatures == 0
    # The slow answer came too late: the same message again, which the platform dropped.
    assert peer.duplicates == 1
    tried = MessageAttempt.objects.order_by("at", "pk")
    assert tried.count() == 5
    assert [attempt.ok for attempt in tried].count(True) == 2
    assert "HTTP 500" in tried[0].error
    for message in messages:
        assert json.loads(message.acknowledgment) == {"received": str(message.message_id)}
    platform.refresh_from_db()
    assert platform.last_delivery_at is not None
    # Nothing is left to deliver, and nothing goes twice.
    requests = peer.requests
    deliver_for(3, NOW + dt.timedelta(hours=1))
    assert peer.requests == requests


def test_it_keeps_retrying_a_platform_that_is_down(cast: Cast) -> None:
    with time_machine.travel(NOW, tick=False):
        # Nothing listens on the discard port.
        make_platform(base_url="http://127.0.0.1:9/api")
        push_orders(order("SZ0103"))
        transitions.accept_ticket(ticket_of("SZ0103").number, by=cast.handler_a)
    deliver_for(3, NOW)
    message = PlatformMessage.objects.get()
    assert message.delivered_at is None
    assert message.attempts >= 2
    assert message.last_error
    assert message.next_attempt_at is not None and message.next_attempt_at > NOW


def test_it_pulls_orders_from_the_stored_cursor_each_once(cast: Cast, peer: Peer) -> None:
    with time_machine.travel(NOW, tick=False):
        platform = make_platform(base_url=peer.url, mode=PlatformMode.PULL)
        first, second, third = order("P1"), order("P2"), order("P3")
    peer.pages = {"": ([first, second], "c1"), "c1": ([second, third], "c2")}
    peer.pull_failures = 1
    with time_machine.travel(NOW, tick=False):
        assert pull_due(NOW).failed == 1
    platform.refresh_from_db()
    assert platform.pull_cursor == "" and platform.last_pull_at is None
    with time_machine.travel(NOW + dt.timedelta(seconds=10), tick=False):
        assert pull_due(NOW + dt.timedelta(seconds=10)).orders == 2
        # Within the minute: not pulled again.
        assert pull_due(NOW + dt.timedelta(seconds=30)).platforms == 0
    with time_machine.travel(NOW + dt.timedelta(seconds=80), tick=False):
        # The worker's sweep runs the pull job.
        report = run_sweep()
    assert report.platform_pulled == 2
    platform.refresh_from_db()
    assert platform.pull_cursor == "c2"
    assert sorted(PlatformOrder.objects.values_list("number", flat=True)) == ["P1", "P2", "P3"]
    assert Ticket.objects.filter(channel="hotline_12345").count() == 3


def test_it_signs_each_message_with_its_own_id(cast: Cast, peer: Peer) -> None:
    with time_machine.travel(NOW, tick=False):
        make_platform(base_url=peer.url)
        push_orders(order("SZ0104"))
        transitions.accept_ticket(ticket_of("SZ0104").number, by=cast.handler_a)
        deliver_due()
    (received,) = peer.accepted.values()
    assert uuid.UUID(received["id"]) == PlatformMessage.objects.get().message_id
    assert (received["kind"], received["order"], received["status"]) == (
        "accepted",
        "SZ0104",
        "accepted",
    )
