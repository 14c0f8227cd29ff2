"""Writing notifications into the outbox, and delivering them with retries.

`notify` is called inside the transaction of the change that causes it, so a notification
exists exactly when its change does. `deliver_due` runs in the worker: it claims rows with a
conditional update (a lease), so two workers never deliver the same row, and a gateway that is
down only delays messages: each failure is recorded and retried with backoff, never dropped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from jieban.errors import InvalidInput, NotFound
from jieban.inputs import MAX_ID, is_id
from jieban.notify.models import DeliveryAttempt, DeliveryState, Gateway, Notification
from jieban.org.models import User

LEASE = dt.timedelta(seconds=120)
MAX_BACKOFF = dt.timedelta(hours=1)
SIGNATURE_HEADER = "X-Jieban-Signature"
EVENT_HEADER = "X-Jieban-Event-Id"


@dataclass(frozen=True)
class Message:
    """One event to tell: what `notify` takes, for queueing many at once (`notify_all`)."""

    kind: str
    recipients: Iterable[User]
    title: str
    body: str = ""
    ticket_id: int | None = None
    payload: dict[str, Any] | None = None


def notify(
    kind: str,
    *,
    recipients: Iterable[User],
    title: str,
    body: str = "",
    ticket_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> list[Notification]:
    """Queue one event: in-app rows for each recipient, email where configured, one webhook."""
    return notify_all([Message(kind, recipients, title, body, ticket_id, payload)])


def notify_all(messages: Iterable[Message]) -> list[Notification]:
    """Queue many events in one INSERT (a sweep's batch), each as `notify` would."""
    now = timezone.now()
    rows: list[Notification] = []
    for message in messages:
        rows += _rows_of(message, now)
    return Notification.objects.bulk_create(rows)


def _rows_of(message: Message, now: dt.datetime) -> list[Notification]:
    payload = message.payload or {}
    people = {person.pk: person for person in message.recipients if person.is_active}.values()
    common = {
        "kind": message.kind,
        "ticket_id": message.ticket_id,
        "title": message.title,
        "body": message.body,
        "payload": payload,
        "created_at": now,
    }
    rows = [
        Notification(
            gateway=Gateway.IN_APP,
            recipient=person,
            state=DeliveryState.DELIVERED,
            delivered_at=now,
            **common,
        )
        for person in people
    ]
    if settings.JIEBAN_EMAIL_ENABLED:
        rows += [
            Notification(gateway=Gateway.EMAIL, recipient=person, next_attempt_at=now, **common)
            for person in people
            if person.email
        ]
    if settings.JIEBAN_WEBHOOK_URL:
        rows.append(Notification(gateway=Gateway.WEBHOOK, next_attempt_at=now, **common))
    return rows


@dataclass
class DeliveryReport:
    delivered: int = 0
    failed: int = 0


class DeliveryFailed(Exception):
    pass


def webhook_body(notification: Notification) -> bytes:
    return json.dumps(
        {
            "id": str(notification.event_id),
            "kind": notification.kind,
            "created_at": timezone.localtime(notification.created_at).isoformat(),
            "ticket": notification.payload.get("ticket"),
            "title": notification.title,
            "body": notification.body,
            "payload": notification.payload,
        },
        ensure_ascii=False,
        sort_keys=True,
    ).encode("utf-8")


def sign(body: bytes, secret: str) -> str:
    """`sha256=<hex>`: HMAC-SHA256 of the exact body bytes with the shared secret."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def _send_webhook(notification: Notification) -> None:
    body = webhook_body(notification)
    request = urllib.request.Request(
        settings.JIEBAN_WEBHOOK_URL,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            EVENT_HEADER: str(notification.event_id),
            SIGNATURE_HEADER: sign(body, settings.JIEBAN_WEBHOOK_SECRET),
            "User-Agent": "Jieban-Webhook/1",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.JIEBAN_WEBHOOK_TIMEOUT) as reply:
            if not 200 <= reply.status < 300:
                raise DeliveryFailed(f"HTTP {reply.status}")
    except urllib.error.HTTPError as exc:
        raise DeliveryFailed(f"HTTP {exc.code}") from exc
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        raise DeliveryFailed(str(getattr(exc, "reason", exc))) from exc


def _send_email(notification: Notification) -> None:
    recipient = notification.recipient
    if recipient is None or not recipient.email:
        return
    try:
        send_mail(
            notification.title, notification.body or notification.title, None, [recipient.email]
        )
    except Exception as exc:  # any SMTP or socket failure is a failed attempt, retried
        raise DeliveryFailed(str(exc)) from exc


SENDERS = {Gateway.WEBHOOK: _send_webhook, Gateway.EMAIL: _send_email}


def backoff(attempts: int) -> dt.timedelta:
    """10 s, 20 s, 40 s … capped at an hour."""
    return min(dt.timedelta(seconds=10 * 2 ** min(attempts - 1, 20)), MAX_BACKOFF)


def _claim(notification_id: int, now: dt.datetime) -> bool:
    claimed = Notification.objects.filter(
        pk=notification_id, state=DeliveryState.PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=now + LEASE)
    return claimed == 1


def deliver_due(
    *, limit: int = 200, should_stop: Callable[[], bool] | None = None
) -> DeliveryReport:
    """Deliver pending email and webhook notifications whose time has come."""
    report = DeliveryReport()
    now = timezone.now()
    due = list(
        Notification.objects.filter(state=DeliveryState.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    for notification_id in due:
        if should_stop is not None and should_stop():
            break
        if not _claim(notification_id, timezone.now()):
            continue
        notification = Notification.objects.select_related("recipient").get(pk=notification_id)
        sender = SENDERS[Gateway(notification.gateway)]
        try:
            sender(notification)
        except DeliveryFailed as exc:
            _record(notification, ok=False, error=str(exc)[:1000])
            report.failed += 1
        else:
            _record(notification, ok=True, error="")
            report.delivered += 1
    return report


def _record(notification: Notification, *, ok: bool, error: str) -> None:
    now = timezone.now()
    with transaction.atomic():
        DeliveryAttempt.objects.create(notification=notification, at=now, ok=ok, error=error)
        attempts = notification.attempts + 1
        if ok:
            Notification.objects.filter(pk=notification.pk).update(
                state=DeliveryState.DELIVERED, delivered_at=now, attempts=F("attempts") + 1
            )
        else:
            Notification.objects.filter(pk=notification.pk).update(
                attempts=F("attempts") + 1, next_attempt_at=now + backoff(attempts)
            )


def unread_count(user: User | AnonymousUser) -> int:
    if not isinstance(user, User):
        return 0
    return Notification.objects.filter(
        recipient=user, gateway=Gateway.IN_APP, read_at__isnull=True
    ).count()


def inbox(user: User, *, unread_only: bool = False, limit: int = 100) -> list[Notification]:
    """The user's in-app notifications, newest first."""
    rows = Notification.objects.filter(recipient=user, gateway=Gateway.IN_APP)
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    return list(rows.select_related("ticket").order_by("-created_at", "-id")[:limit])


def mark_read(user: User, *, ids: list[int] | None = None) -> int:
    """Mark the user's in-app notifications read (all, or those in `ids`)."""
    rows = Notification.objects.filter(recipient=user, gateway=Gateway.IN_APP, read_at__isnull=True)
    if ids is not None:
        if not all(is_id(item) for item in ids):
            raise InvalidInput(
                _("Ids are whole numbers from 1 to %(max)d.") % {"max": MAX_ID}, field="ids"
            )
        rows = rows.filter(pk__in=ids)
    with transaction.atomic():
        return rows.update(read_at=timezone.now())


def open_notification(user: User, pk: int) -> Notification:
    """The user's own in-app notification `pk`, marked read; NotFound for anyone else's."""
    with transaction.atomic():
        notification = (
            Notification.objects.filter(pk=pk, recipient=user.pk, gateway=Gateway.IN_APP)
            .select_related("ticket")
            .first()
        )
        if notification is None:
            raise NotFound("")
        if notification.read_at is None:
            notification.read_at = timezone.now()
            notification.save(update_fields=["read_at"])
    return notification
