"""The two outboxes as the operator sees them: how many messages wait, and whether any has been
due for long without being delivered (the delivery is stuck: no worker delivers, or it fails
before trying).

A message that a gateway or a platform refuses is not stuck: its next attempt is set later, with
backoff, and it is due again only then. What is stuck is a message whose time came long ago and
that nobody tried since. Both questions are answered from the partial indexes over undelivered
rows (`notification_pending_idx`; `platform_message_waiting_idx`, one platform at a time), never
by reading the delivered millions. "Is any due before …" is asked as "when is the earliest due"
(`MIN`, the first entry of the index): an `EXISTS … LIMIT 1` lets PostgreSQL's planner, which
guesses that some rows match, prefer reading the table until it finds one, that is all of it
when none does.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Min

from jieban.exchange.models import Platform, PlatformMessage
from jieban.notify.models import DeliveryState, Notification

NOTIFICATIONS = "notifications"
EXCHANGE = "exchange"


def _active_platforms() -> list[int]:
    # A handful of rows. A platform switched off keeps its messages (they go once it is switched
    # on again): they wait by the operator's choice, and are neither stuck nor a backlog.
    return list(Platform.objects.filter(is_active=True).values_list("pk", flat=True))


def earliest_due() -> dict[str, dt.datetime | None]:
    """The earliest moment an undelivered message of each outbox is due, or None."""
    notifications = Notification.objects.filter(state=DeliveryState.PENDING)
    messages = [
        PlatformMessage.objects.filter(platform_id=platform, delivered_at__isnull=True).aggregate(
            due=Min("next_attempt_at")
        )["due"]
        for platform in _active_platforms()
    ]
    return {
        NOTIFICATIONS: notifications.aggregate(due=Min("next_attempt_at"))["due"],
        EXCHANGE: min((due for due in messages if due is not None), default=None),
    }


def stuck(due_before: dt.datetime) -> list[str]:
    """The outboxes holding an undelivered message due before `due_before`."""
    return [
        outbox for outbox, due in earliest_due().items() if due is not None and due < due_before
    ]


def backlog() -> dict[str, int]:
    """The undelivered messages of each outbox (the exchange's: of the active platforms)."""
    platforms = _active_platforms()
    return {
        NOTIFICATIONS: Notification.objects.filter(state=DeliveryState.PENDING).count(),
        EXCHANGE: PlatformMessage.objects.filter(
            platform_id__in=platforms, delivered_at__isnull=True
        ).count()
        if platforms
        else 0,
    }
