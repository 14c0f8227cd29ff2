"""The two outboxes as the operator sees them: how many messages wait, and whether any has been
due for long without being delivered (the delivery is stuck: no worker delivers, or it fails
before trying).

A message that a gateway or a platform refuses is not stuck: its next attempt is set later, with
backoff, and it is due again only then. What is stuck is a message whose time came long ago and
that nobody tried since. Both questions are answered from the partial indexes over undelivered
rows (`notification_pending_idx`, `platform_message_waiting_idx`), never by reading the
delivered millions.
"""

from __future__ import annotations

import datetime as dt

from jieban.exchange.models import Platform, PlatformMessage
from jieban.notify.models import DeliveryState, Notification

NOTIFICATIONS = "notifications"
EXCHANGE = "exchange"


def _active_platforms() -> list[int]:
    # A handful of rows. A platform switched off keeps its messages (they go once it is switched
    # on again): they wait by the operator's choice, and are neither stuck nor a backlog.
    return list(Platform.objects.filter(is_active=True).values_list("pk", flat=True))


def stuck(due_before: dt.datetime) -> list[str]:
    """The outboxes holding an undelivered message due before `due_before`."""
    found = []
    if Notification.objects.filter(
        state=DeliveryState.PENDING, next_attempt_at__lt=due_before
    ).exists():
        found.append(NOTIFICATIONS)
    platforms = _active_platforms()
    if (
        platforms
        and PlatformMessage.objects.filter(
            platform_id__in=platforms, delivered_at__isnull=True, next_attempt_at__lt=due_before
        ).exists()
    ):
        found.append(EXCHANGE)
    return found


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
