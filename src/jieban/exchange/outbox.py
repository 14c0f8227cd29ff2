"""Messages out to the 12345 platforms, and orders pulled from them.

`queue_message` runs inside the transaction of the ticket's step: `ExchangeConfig.ready`
connects it to the saving of a `TicketEvent` (`tickets` knows nothing of the exchange), so a
message exists exactly when its step does, and one step never makes two (`ticket_event_id` is
unique). `deliver_due` runs in the worker: it claims each message with a conditional update (a
lease, as `notify.outbox` does), posts it signed, with its own id, to `<base URL>/messages`,
records each attempt, and retries with backoff until the platform answers 2xx; the answer's body
is kept as the acknowledgment. `pull_orders` reads `<base URL>/orders?cursor=…` for the
platforms that do not push, signed both ways, and moves the cursor only once the page's orders
are taken in.
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from jieban.exchange.actions import receive_orders
from jieban.exchange.models import (
    Awaiting,
    CodeKind,
    CodeMapping,
    MessageAttempt,
    MessageKind,
    Platform,
    PlatformMessage,
    PlatformMode,
    PlatformOrder,
)
from jieban.exchange.signatures import (
    MESSAGE_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    signed_headers,
    verify,
)
from jieban.notify.outbox import backoff
from jieban.tickets.models import Channel, EventKind, Outcome, TicketEvent

LEASE = dt.timedelta(seconds=120)
PULL_EVERY = dt.timedelta(seconds=60)
# The steps the platform must know, by the ticket event that records each.
MESSAGE_OF_EVENT = {
    EventKind.ACCEPT: MessageKind.ACCEPTED,
    # The unit's return request (the return itself follows the platform's approval).
    EventKind.RETURN_REQUEST: MessageKind.RETURN_REQUEST,
    EventKind.EXTENSION_REQUEST: MessageKind.EXTENSION_REQUEST,
    EventKind.PROGRESS: MessageKind.PROGRESS,
    EventKind.RESOLVE: MessageKind.RESULT,
}
# What each message tells of its step's record (nothing internal: no supervision order numbers).
TOLD = {
    MessageKind.ACCEPTED: (),
    MessageKind.RETURN_REQUEST: ("reason",),
    MessageKind.EXTENSION_REQUEST: ("days", "reason", "due_at"),
    MessageKind.PROGRESS: ("note",),
    MessageKind.RESULT: ("result", "on_time", "outcome"),
}
# The requests the platform decides, and what the order then waits for.
AWAITS = {
    MessageKind.RETURN_REQUEST: Awaiting.RETURN,
    MessageKind.EXTENSION_REQUEST: Awaiting.EXTENSION,
}
# The outcome of a result recorded before outcomes were chosen.
RESOLVED = Outcome.RESOLVED


def on_ticket_event(sender: type, instance: TicketEvent, created: bool, **kwargs: Any) -> None:
    """`post_save` of a TicketEvent: queue the message if the step is one a platform must know."""
    if not created or kwargs.get("raw") or instance.kind not in MESSAGE_OF_EVENT:
        return
    if instance.ticket.channel != Channel.HOTLINE_12345:
        return
    order = (
        PlatformOrder.objects.filter(ticket_id=instance.ticket_id)
        .select_related("platform")
        .first()
    )
    if order is not None:
        queue_message(order, instance)


def _code(platform: Platform, kind: str, ours: str) -> str:
    mapped = CodeMapping.objects.filter(platform=platform, kind=kind, ours=ours).first()
    return mapped.theirs if mapped is not None else ours


def queue_message(order: PlatformOrder, event: TicketEvent) -> PlatformMessage:
    """The message for `event` on the order's ticket, in the caller's transaction."""
    kind = MESSAGE_OF_EVENT[EventKind(event.kind)]
    platform = order.platform
    payload: dict[str, Any] = {
        "order": order.number,
        "ticket": event.ticket.number,
        "status": _code(platform, CodeKind.STATUS, kind),
        "at": timezone.localtime(event.at).isoformat(),
        **{key: event.payload[key] for key in TOLD[kind] if key in event.payload},
    }
    if kind == MessageKind.RESULT:
        # The unit's outcome through the platform's result codes (0 解决, 1 未解决, …).
        outcome = str(event.payload.get("outcome") or RESOLVED)
        payload["result_code"] = _code(platform, CodeKind.RESULT, outcome)
    message = PlatformMessage.objects.create(
        platform=platform,
        order=order,
        kind=kind,
        ticket_event_id=event.pk,
        payload=payload,
        created_at=event.at,
        next_attempt_at=event.at,
    )
    if kind in AWAITS:
        order.awaiting, order.awaiting_since = AWAITS[kind], event.at
        order.save(update_fields=["awaiting", "awaiting_since"])
    return message


# --- delivery ----------------------------------------------------------------------------------


class DeliveryFailed(Exception):
    pass


@dataclass
class DeliveryReport:
    delivered: int = 0
    failed: int = 0


def message_body(message: PlatformMessage) -> bytes:
    """What is posted: the message's id, kind, time and payload, as UTF-8 JSON."""
    return json.dumps(
        {
            "id": str(message.message_id),
            "kind": message.kind,
            "created_at": timezone.localtime(message.created_at).isoformat(),
            **message.payload,
        },
        ensure_ascii=False,
        sort_keys=True,
    ).encode("utf-8")


def _url(platform: Platform, path: str) -> str:
    return platform.base_url.rstrip("/") + path


def _send(message: PlatformMessage) -> str:
    """Post the message; the platform's answer (its acknowledgment), or DeliveryFailed."""
    body = message_body(message)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        MESSAGE_HEADER: str(message.message_id),
        "User-Agent": "Jieban-Exchange/1",
        **signed_headers(message.platform, body, timezone.now()),
    }
    request = urllib.request.Request(
        _url(message.platform, "/messages"), data=body, method="POST", headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.JIEBAN_EXCHANGE_TIMEOUT) as reply:
            answer = reply.read(4000).decode("utf-8", "replace")
            if not 200 <= reply.status < 300:
                raise DeliveryFailed(f"HTTP {reply.status}")
            return answer
    except urllib.error.HTTPError as exc:
        raise DeliveryFailed(f"HTTP {exc.code}") from exc
    except (urllib.error.URLError, OSError, TimeoutError, ValueError) as exc:
        raise DeliveryFailed(str(getattr(exc, "reason", exc)) or type(exc).__name__) from exc


def _claim(message_id: int, now: dt.datetime) -> bool:
    claimed = PlatformMessage.objects.filter(
        pk=message_id, delivered_at__isnull=True, next_attempt_at__lte=now
    ).update(next_attempt_at=now + LEASE)
    return claimed == 1


def deliver_due(
    *, limit: int = 200, should_stop: Callable[[], bool] | None = None
) -> DeliveryReport:
    """Deliver the messages whose time has come, oldest first."""
    report = DeliveryReport()
    due = list(
        PlatformMessage.objects.filter(
            delivered_at__isnull=True,
            next_attempt_at__lte=timezone.now(),
            platform__is_active=True,
        )
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    for message_id in due:
        if should_stop is not None and should_stop():
            break
        if not _claim(message_id, timezone.now()):
            continue
        message = PlatformMessage.objects.select_related("platform").get(pk=message_id)
        try:
            answer = _send(message)
        except DeliveryFailed as exc:
            _record(message, ok=False, error=str(exc)[:1000], answer="")
            report.failed += 1
        else:
            _record(message, ok=True, error="", answer=answer[:2000])
            report.delivered += 1
    return report


def _record(message: PlatformMessage, *, ok: bool, error: str, answer: str) -> None:
    now = timezone.now()
    with transaction.atomic():
        MessageAttempt.objects.create(message=message, at=now, ok=ok, error=error)
        if ok:
            PlatformMessage.objects.filter(pk=message.pk).update(
                delivered_at=now,
                next_attempt_at=None,
                acknowledgment=answer,
                attempts=F("attempts") + 1,
            )
            Platform.objects.filter(pk=message.platform_id).update(last_delivery_at=now)
        else:
            PlatformMessage.objects.filter(pk=message.pk).update(
                attempts=F("attempts") + 1,
                last_error=error,
                next_attempt_at=now + backoff(message.attempts + 1),
            )


# --- pulling orders ----------------------------------------------------------------------------


@dataclass
class PullReport:
    platforms: int = 0
    orders: int = 0
    failed: int = 0


def pull_due(now: dt.datetime, should_stop: Callable[[], bool] | None = None) -> PullReport:
    """Pull from each active pull-mode platform last pulled a minute ago or more."""
    report = PullReport()
    for platform in Platform.objects.filter(is_active=True, mode=PlatformMode.PULL):
        if should_stop is not None and should_stop():
            break
        if platform.last_pull_at is not None and now - platform.last_pull_at < PULL_EVERY:
            continue
        report.platforms += 1
        try:
            report.orders += pull_orders(platform)
        except DeliveryFailed:
            report.failed += 1
    return report


def pull_orders(platform: Platform) -> int:
    """Read the platform's orders from the stored cursor on, take them in, move the cursor;
    how many orders the page held. DeliveryFailed when the platform cannot be read."""
    query = urllib.parse.urlencode({"cursor": platform.pull_cursor})
    request = urllib.request.Request(
        _url(platform, f"/orders?{query}"),
        method="GET",
        headers={
            "User-Agent": "Jieban-Exchange/1",
            **signed_headers(platform, b"", timezone.now()),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.JIEBAN_EXCHANGE_TIMEOUT) as reply:
            body = reply.read()
            timestamp, sent = (
                reply.headers.get(TIMESTAMP_HEADER),
                reply.headers.get(SIGNATURE_HEADER),
            )
    except urllib.error.HTTPError as exc:
        raise DeliveryFailed(f"HTTP {exc.code}") from exc
    except (urllib.error.URLError, OSError, TimeoutError, ValueError) as exc:
        raise DeliveryFailed(str(getattr(exc, "reason", exc))) from exc
    try:
        verify(platform, timestamp=timestamp, signature_sent=sent, body=body, now=timezone.now(),
               source=platform.base_url)  # fmt: skip
        page = json.loads(body)
        orders, cursor = page["orders"], str(page.get("cursor") or platform.pull_cursor)
    except Exception as exc:  # a page not signed, not JSON or not the shape: a failed pull
        raise DeliveryFailed(str(exc)) from exc
    receive_orders(platform, orders, pushed=False)
    Platform.objects.filter(pk=platform.pk).update(
        pull_cursor=cursor[:200], last_pull_at=timezone.now()
    )
    return len(orders)
