"""The 12345 platform link's races, on a real PostgreSQL: the same order pushed by several
requests at once, the same event sent twice at once, two workers delivering at once. Each
order ends up once, each event applied once, each message delivered once."""

from __future__ import annotations

import pytest
import time_machine

from jieban.exchange.actions import EventIn, receive_orders, take_event
from jieban.exchange.models import Platform, PlatformEvent, PlatformMessage, PlatformOrder
from jieban.exchange.outbox import deliver_due
from jieban.org.actions import create_person, create_unit
from jieban.org.models import User
from jieban.tickets import transitions
from jieban.tickets.defaults import create_default_categories
from jieban.tickets.models import Category, SupervisionOrder, Ticket
from tests.platform_peer import NOW, Peer, make_platform, order, peer
from tests.races import race

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]
__all__ = ["peer"]


@pytest.fixture
def handler() -> User:
    # A transactional test starts from flushed tables: the migration's categories are gone.
    create_default_categories(Category)
    create_unit(code="BUR", kind="bureau", name="局")
    create_unit(code="PS-A", kind="station", name="甲所", parent="BUR")
    return create_person(username="h1", role="unit_handler", unit="PS-A", password="test-pass-1")


def platform_with(base_url: str = "http://127.0.0.1:9/api") -> Platform:
    return make_platform(base_url=base_url)


def test_it_takes_the_same_order_pushed_at_once_exactly_once(handler: User) -> None:
    with time_machine.travel(NOW, tick=True):
        platform = platform_with()
        sent = order("SZ0300")
        results = race(4, lambda index: receive_orders(platform, [sent]))
    statuses = sorted(result[0]["status"] for result in results)
    assert statuses == ["created", "unchanged", "unchanged", "unchanged"]
    assert PlatformOrder.objects.count() == 1
    assert Ticket.objects.count() == 1


def test_it_takes_overlapping_batches_pushed_at_once_each_order_once(handler: User) -> None:
    with time_machine.travel(NOW, tick=True):
        platform = platform_with()
        sent = [order(f"SZ04{index:02d}") for index in range(15)]
        # Three requests at once: orders 0-9, 5-14 and 0-14, each a batch of the intake.
        requests = [sent[:10], sent[5:], sent]
        results = race(3, lambda index: receive_orders(platform, requests[index]))
    assert not [result for result in results if isinstance(result, Exception)]
    created = [a["number"] for result in results for a in result if a["status"] == "created"]
    assert sorted(created) == sorted(item["number"] for item in sent)
    statuses = {a["status"] for result in results for a in result}
    assert statuses <= {"created", "unchanged"}
    # Every answer names the order's one ticket.
    tickets = {a["number"]: a["ticket"] for result in results for a in result}
    for result in results:
        assert all(tickets[a["number"]] == a["ticket"] for a in result)
    assert PlatformOrder.objects.count() == Ticket.objects.count() == 15


def test_it_takes_an_order_once_when_its_waiting_copy_is_stored_at_once(handler: User) -> None:
    # One request sends the order with a code no mapping covers (it waits), another with
    # mapped codes, at once: whichever is first, the order is kept once, no request fails.
    with time_machine.travel(NOW, tick=True):
        platform = platform_with()
        copies = [order("SZ0500", category="C99"), order("SZ0500")]
        results = race(2, lambda index: receive_orders(platform, [copies[index]]))
    assert not [result for result in results if isinstance(result, Exception)]
    stored = PlatformOrder.objects.get()
    assert Ticket.objects.count() == (1 if stored.ticket_id else 0)
    statuses = sorted(result[0]["status"] for result in results)
    assert statuses in (["created", "unchanged"], ["needs_mapping", "unchanged"])


def test_it_applies_the_same_event_sent_at_once_exactly_once(handler: User) -> None:
    with time_machine.travel(NOW, tick=True):
        platform = platform_with()
        (taken,) = receive_orders(platform, [order("SZ0301")])
        transitions.accept_ticket(taken["ticket"], by=handler)
        urge = EventIn(0, "U1", "urge", "SZ0301", NOW, {"note": "请尽快办理"})
        results = race(3, lambda index: take_event(platform, urge))
    applied = [r for r in results if isinstance(r, dict) and r["status"] == "applied"]
    assert len(applied) == 1
    assert PlatformEvent.objects.count() == 1
    assert SupervisionOrder.objects.count() == 1


def test_two_workers_deliver_each_message_once(handler: User, peer: Peer) -> None:
    with time_machine.travel(NOW, tick=True):
        platform = platform_with(peer.url)
        taken = receive_orders(platform, [order(f"SZ04{index:02d}") for index in range(10)])
        for answer in taken:
            transitions.accept_ticket(answer["ticket"], by=handler)
        race(2, lambda index: deliver_due())
    assert PlatformMessage.objects.filter(delivered_at__isnull=False).count() == 10
    assert len(peer.accepted) == 10
    assert peer.duplicates == 0
    assert peer.requests == 10
