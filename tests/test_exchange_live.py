"""The 12345 platform pushing over real HTTP: a client speaking to Jieban's live server as the
platform does (urllib, the exact body bytes signed, its headers), sending the same order twice,
a corrected revision, events out of order and again, a forged and a stale signature, and a
body cut short. Each order ends up once, each event is applied once, and what is refused
changes nothing (the same cases in-process: tests/test_exchange_platform.py)."""

from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from django.utils import timezone

from jieban.exchange.models import Awaiting, PlatformEvent, PlatformOrder
from jieban.tickets import transitions
from jieban.tickets.extensions import request_extension
from jieban.tickets.models import (
    EventKind,
    Extension,
    ExtensionStatus,
    SupervisionOrder,
    SupervisionReason,
    Ticket,
)
from tests.conftest import Cast
from tests.platform_peer import CODE, SECRET, make_platform, order, signature

pytestmark = pytest.mark.django_db(transaction=True)


class Platform:
    """The platform's side: signed POSTs to the live server."""

    def __init__(self, base: str) -> None:
        self.base = base

    def post(
        self,
        path: str,
        body: bytes,
        *,
        secret: str = SECRET,
        age: dt.timedelta = dt.timedelta(),
    ) -> tuple[int, Any]:
        timestamp = str(int((timezone.now() - age).timestamp()))
        request = urllib.request.Request(
            f"{self.base}/api/v1/exchange/{CODE}/{path}",
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "X-Jieban-Timestamp": timestamp,
                "X-Jieban-Signature": signature(secret, timestamp, body),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def send(self, path: str, key: str, items: list[dict[str, Any]], **signing: Any) -> Any:
        status, answer = self.post(path, json.dumps({key: items}).encode(), **signing)
        assert status == 200, answer
        return [item["status"] for item in answer["results"]]


def event(event_id: str, kind: str, number: str, at: dt.datetime, **fields: Any) -> dict[str, Any]:
    return {"id": event_id, "kind": kind, "order": number, "occurred_at": at.isoformat(), **fields}


def test_a_platform_pushing_over_http_meets_each_order_and_event_once(
    live_cast: Cast, live_server: Any
) -> None:
    make_platform()
    platform = Platform(live_server.url)
    sent = order("SZ0500")

    # Sent, then sent again (the platform's retry after a lost answer), then twice at once.
    assert platform.send("orders", "orders", [sent]) == ["created"]
    assert platform.send("orders", "orders", [sent, sent]) == ["unchanged", "unchanged"]
    ticket = Ticket.objects.get(channel="hotline_12345", external_id=f"{CODE}:SZ0500")
    # A corrected re-send updates the ticket and shows on its timeline; an older one does not.
    corrected = order("SZ0500", revision=2, content="更正：夜间施工噪音，已持续一周")
    assert platform.send("orders", "orders", [corrected]) == ["updated"]
    assert platform.send("orders", "orders", [sent]) == ["unchanged"]
    ticket.refresh_from_db()
    assert ticket.content == "更正：夜间施工噪音，已持续一周"
    assert ticket.events.filter(kind=EventKind.PLATFORM_UPDATE).count() == 1
    assert (Ticket.objects.count(), PlatformOrder.objects.count()) == (1, 1)

    # Refused: a forged signature, a stale timestamp, a body that is not the one signed, a body
    # cut short. None of them changes anything.
    other = json.dumps({"orders": [order("SZ0501")]}).encode()
    assert platform.post("orders", other, secret="not-the-secret")[0] == 401
    assert platform.post("orders", other, age=dt.timedelta(minutes=6))[0] == 401
    status, answer = platform.post("orders", other[:-5])
    assert status == 400, answer
    assert (Ticket.objects.count(), PlatformOrder.objects.count()) == (1, 1)

    # Events out of order (the urging, later, before the approval), then all again.
    transitions.accept_ticket(ticket.number, by=live_cast.handler_a)
    request_extension(ticket.number, days=3, reason="需协调物业", by=live_cast.handler_a)
    assert PlatformOrder.objects.get().awaiting == Awaiting.EXTENSION
    later = timezone.now() + dt.timedelta(minutes=30)
    urge = event("E2", "urge", "SZ0500", later, note="请尽快办理")
    approve = event("E1", "extension_approved", "SZ0500", later - dt.timedelta(minutes=10))
    assert platform.send("events", "events", [urge, approve]) == ["applied", "applied"]
    assert platform.send("events", "events", [approve, urge]) == ["duplicate", "duplicate"]
    kinds = [e.kind for e in ticket.events.all() if e.kind in ("extension_approve", "supervise")]
    assert kinds == ["extension_approve", "supervise"]
    assert Extension.objects.get().status == ExtensionStatus.APPROVED
    assert SupervisionOrder.objects.get().reason == SupervisionReason.PLATFORM
    # An older rejection contradicts the approval applied: stored and flagged, not applied.
    reject = event("E0", "extension_rejected", "SZ0500", later - dt.timedelta(minutes=20))
    assert platform.send("events", "events", [reject]) == ["flagged"]
    assert Extension.objects.get().status == ExtensionStatus.APPROVED
    assert PlatformEvent.objects.count() == 3
