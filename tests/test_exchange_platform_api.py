"""The 12345 platform link's API for people and the shape of its signed addresses:
`GET /api/v1/exchange/platforms`, `POST /api/v1/exchange/messages/{id}/retry`,
`POST /api/v1/exchange/tickets/{number}/progress`, and bodies the platform gets wrong."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from jieban.exchange.models import PlatformMessage, PlatformOrder
from jieban.exchange.outbox import deliver_due
from jieban.tickets import transitions
from tests.conftest import Cast, new_ticket
from tests.platform_peer import (
    CODE,
    NOW,
    SECRET,
    make_platform,
    order,
    push_orders,
    signature,
    signed_post,
)


@pytest.fixture(autouse=True)
def at_now() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def api(person: Any) -> Client:
    client = Client()
    client.force_login(person)
    return client


def test_it_lists_each_platforms_link(cast: Cast) -> None:
    make_platform(base_url="http://127.0.0.1:9/api")
    (taken,) = push_orders(order("SZ0500"))
    push_orders(order("SZ0501", category="C77"))
    transitions.accept_ticket(taken["ticket"], by=cast.handler_a)
    deliver_due()
    response = api(cast.dispatcher).get("/api/v1/exchange/platforms")
    assert response.status_code == 200
    (row,) = response.json()
    assert row["code"] == CODE
    assert (row["orders_today"], row["messages_today"], row["undelivered"]) == (2, 1, 1)
    assert (row["failing"], row["needs_mapping"]) == (0, 1)
    assert row["last_push_at"] is not None and row["last_delivery_at"] is None


def test_it_retries_an_undelivered_message_now(cast: Cast) -> None:
    make_platform(base_url="http://127.0.0.1:9/api")
    (taken,) = push_orders(order("SZ0502"))
    transitions.accept_ticket(taken["ticket"], by=cast.handler_a)
    deliver_due()
    message = PlatformMessage.objects.get()
    assert message.next_attempt_at is not None and message.next_attempt_at > timezone.now()
    response = api(cast.supervisor).post(f"/api/v1/exchange/messages/{message.pk}/retry")
    assert response.status_code == 200
    message.refresh_from_db()
    assert message.next_attempt_at == timezone.now()
    missing = api(cast.supervisor).post("/api/v1/exchange/messages/999999/retry")
    assert missing.status_code == 404


def test_it_takes_a_progress_note_only_on_a_platforms_running_ticket(cast: Cast) -> None:
    make_platform()
    (taken,) = push_orders(order("SZ0503"))
    url = f"/api/v1/exchange/tickets/{taken['ticket']}/progress"
    response = api(cast.handler_a).post(
        url, {"note": "已联系施工方"}, content_type="application/json"
    )
    assert response.status_code == 201
    assert response.json()["note"] == "已联系施工方"
    assert PlatformMessage.objects.get().kind == "progress"
    empty = api(cast.handler_a).post(url, {"note": " "}, content_type="application/json")
    assert (empty.status_code, empty.json()["field"]) == (400, "note")
    other = new_ticket(cast.dispatcher)
    transitions.dispatch_ticket(other.number, unit=cast.handler_a.unit, by=cast.dispatcher)
    refused = api(cast.handler_a).post(
        f"/api/v1/exchange/tickets/{other.number}/progress",
        {"note": "进展"},
        content_type="application/json",
    )
    assert refused.status_code == 409


def test_it_answers_a_signed_body_it_cannot_read_with_400(cast: Cast) -> None:
    make_platform()
    body = b"not json"
    timestamp = str(int(timezone.now().timestamp()))
    response = Client().post(
        f"/api/v1/exchange/{CODE}/orders",
        body,
        content_type="application/json",
        HTTP_X_JIEBAN_TIMESTAMP=timestamp,
        HTTP_X_JIEBAN_SIGNATURE=signature(SECRET, timestamp, body),
    )
    assert (response.status_code, response.json()["field"]) == (400, "body")
    wrong_shape = signed_post("orders", {"order": []})
    assert (wrong_shape.status_code, wrong_shape.json()["field"]) == (400, "orders")
    events = signed_post("events", {"events": [{"id": "X1", "kind": "dance"}]})
    assert events.status_code == 200
    assert events.json()["results"][0]["field"] == "events.0.kind"
    # Control characters in an order are refused on their field.
    bad = signed_post("orders", {"orders": [order("SZ0504", content="噪音\x00")]})
    assert bad.json()["results"][0]["field"] == "orders.0.content"
    assert bad.json()["results"][0]["status"] == "invalid"
    # Also in a field Jieban does not read, and in an event: nothing is stored.
    extra = signed_post("orders", {"orders": [order("SZ0505", remark="备注\x00")]})
    assert extra.json()["results"][0]["field"] == "orders.0.remark"
    event = signed_post(
        "events",
        {"events": [{"id": "X2", "kind": "urge", "order": "SZ0505", "note": "\x07",
                     "occurred_at": "2026-03-11T10:00:00+08:00"}]},
    )  # fmt: skip
    assert event.json()["results"][0]["field"] == "events.0.note"
    assert not PlatformOrder.objects.exists()
