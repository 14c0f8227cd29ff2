"""The outbox: in-app, email and webhook notifications, delivered with retries, never lost."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import time_machine
from django.core import mail

from jieban.notify.models import DeliveryAttempt, Notification
from jieban.notify.outbox import deliver_due
from jieban.org.models import Unit
from jieban.tickets import transitions
from jieban.tickets.models import Ticket
from jieban.worker.runner import run_sweep
from tests.conftest import Cast, local, new_ticket

SECRET = "test-webhook-secret"


class Receiver:
    """A real HTTP server that refuses the first `failures` requests, then accepts."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.requests = 0
        self.accepted: list[dict[str, Any]] = []
        self.bad_signatures = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests += 1
                if receiver.requests <= receiver.failures:
                    self.send_response(503)
                    self.end_headers()
                    return
                expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
                if not hmac.compare_digest(expected, self.headers["X-Jieban-Signature"]):
                    receiver.bad_signatures += 1
                    self.send_response(401)
                    self.end_headers()
                    return
                event = json.loads(body)
                assert event["id"] == self.headers["X-Jieban-Event-Id"]
                receiver.accepted.append(event)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook(settings: Any) -> Iterator[Receiver]:
    with Receiver(failures=3) as receiver:
        settings.JIEBAN_WEBHOOK_URL = receiver.url
        settings.JIEBAN_WEBHOOK_SECRET = SECRET
        yield receiver


def overdue_tickets(cast: Cast, count: int) -> list[Ticket]:
    """Tickets the unit signed for at once and then left past their deadline."""
    with time_machine.travel(local(2026, 3, 2), tick=False):
        tickets = []
        for _ in range(count):
            ticket = new_ticket(cast.dispatcher)
            transitions.dispatch_ticket(
                ticket.number, unit=Unit.objects.get(code="PS-A"), by=cast.dispatcher
            )
            tickets.append(transitions.accept_ticket(ticket.number, by=cast.handler_a))
    return tickets


def test_a_webhook_that_fails_then_recovers_gets_every_message_exactly_once(
    cast: Cast, webhook: Receiver
) -> None:
    overdue_tickets(cast, 3)
    start = local(2026, 3, 10, 9)
    with time_machine.travel(start, tick=False):
        run_sweep()
    queued = Notification.objects.filter(gateway="webhook")
    assert queued.count() == 3
    # Keep the worker coming back, with time moving on past each backoff.
    for minute in range(1, 30):
        with time_machine.travel(start + dt.timedelta(minutes=minute), tick=False):
            deliver_due()
    ids = [event["id"] for event in webhook.accepted]
    assert sorted(ids) == sorted(str(n.event_id) for n in queued)
    assert len(ids) == len(set(ids)) == 3
    assert webhook.bad_signatures == 0
    assert webhook.requests == 6  # three refusals, three deliveries
    assert DeliveryAttempt.objects.filter(ok=False).count() == 3
    assert all(n.state == "delivered" for n in queued.all())
    assert {event["kind"] for event in webhook.accepted} == {"supervision_order"}
    assert all(event["payload"]["unit"] == "PS-A" for event in webhook.accepted)


def test_a_failed_delivery_waits_for_its_backoff(cast: Cast, webhook: Receiver) -> None:
    overdue_tickets(cast, 1)
    start = local(2026, 3, 10, 9)
    with time_machine.travel(start, tick=False):
        run_sweep()  # attempt 1 fails
        assert deliver_due().delivered == 0  # not due again yet: nothing is tried
    assert webhook.requests == 1
    with time_machine.travel(start + dt.timedelta(seconds=11), tick=False):
        deliver_due()  # attempt 2 fails
    assert webhook.requests == 2
    notification = Notification.objects.get(gateway="webhook")
    assert notification.attempts == 2
    assert notification.next_attempt_at == start + dt.timedelta(seconds=31)


def test_a_gateway_that_is_down_never_blocks_a_ticket_change(cast: Cast, settings: Any) -> None:
    settings.JIEBAN_WEBHOOK_URL = "http://127.0.0.1:9/closed"
    settings.JIEBAN_WEBHOOK_TIMEOUT = 1
    tickets = overdue_tickets(cast, 1)
    with time_machine.travel(local(2026, 3, 10, 9), tick=False):
        report = run_sweep()
    assert len(report.orders) == 1
    assert Ticket.objects.get(pk=tickets[0].pk).supervision_level == 1
    pending = Notification.objects.get(gateway="webhook")
    assert (pending.state, pending.attempts) == ("pending", 1)


def test_email_goes_through_djangos_backend(cast: Cast, settings: Any) -> None:
    settings.JIEBAN_EMAIL_ENABLED = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    cast.handler_a.email = "handler_a@example.org"
    cast.handler_a.save()
    overdue_tickets(cast, 1)
    with time_machine.travel(local(2026, 3, 10, 9), tick=False):
        run_sweep()
    assert [message.to for message in mail.outbox] == [["handler_a@example.org"]]
    assert "DB20260310-0001" in mail.outbox[0].subject


def test_the_in_app_list_counts_unread_and_marks_read(cast: Cast, api_as: Any) -> None:
    overdue_tickets(cast, 2)
    with time_machine.travel(local(2026, 3, 10, 9), tick=False):
        run_sweep()
    client = api_as(cast.handler_a)
    data = client.get("/notifications").json()
    assert data["unread"] == 2 and len(data["items"]) == 2
    assert data["items"][0]["kind"] == "supervision_order"
    first = data["items"][0]["id"]
    after = client.post("/notifications/read", {"ids": [first]}).json()
    assert after["unread"] == 1
    assert client.post("/notifications/read", {}).json()["unread"] == 0
    assert api_as(cast.handler_b).get("/notifications").json() == {"unread": 0, "items": []}
