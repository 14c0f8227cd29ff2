"""What the exchange page and its API read: per platform, the last successful pull, push and
delivery, the orders in and messages out today, the messages not yet delivered, those failing
for more than a day, and the orders waiting for a mapping."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from jieban.exchange.models import OrderState, Platform, PlatformMessage, PlatformOrder
from jieban.org.actors import Viewer
from jieban.org.permissions import can_manage_exchange, require
from jieban.tickets.models import Channel, Ticket

# The undelivered messages and the waiting orders shown, oldest first.
LIST_LIMIT = 200
FAILING_FOR = dt.timedelta(days=1)


@dataclass
class PlatformBoard:
    platform: Platform
    orders_today: int
    messages_today: int
    undelivered: int


@dataclass
class ExchangeBoard:
    platforms: list[PlatformBoard]
    undelivered: list[PlatformMessage]
    failing: list[PlatformMessage]
    waiting: list[PlatformOrder]


def _start_of_today(now: dt.datetime) -> dt.datetime:
    return timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)


def came_from_platform(ticket: Ticket) -> bool:
    """Whether `ticket` is a 12345 platform's order (its steps are told to the platform)."""
    if ticket.channel != Channel.HOTLINE_12345:
        return False
    return PlatformOrder.objects.filter(ticket=ticket).exists()


def failing_count(now: dt.datetime) -> int:
    """How many messages were queued more than a day ago and are still not delivered."""
    return PlatformMessage.objects.filter(
        delivered_at__isnull=True, created_at__lt=now - FAILING_FOR
    ).count()


def exchange_board(user: Viewer) -> ExchangeBoard:
    """The exchange page's figures and lists (for `can_manage_exchange`: 403)."""
    require(
        can_manage_exchange(user),
        _("The exchange with the 12345 platforms is managed by the command centre."),
    )
    now = timezone.now()
    today = _start_of_today(now)
    platforms = Platform.objects.annotate(
        orders_today=Count("orders", filter=Q(orders__received_at__gte=today), distinct=True),
        messages_today=Count("messages", filter=Q(messages__created_at__gte=today), distinct=True),
        undelivered_count=Count(
            "messages", filter=Q(messages__delivered_at__isnull=True), distinct=True
        ),
    ).order_by("code")
    undelivered = PlatformMessage.objects.filter(delivered_at__isnull=True).select_related(
        "platform", "order__ticket"
    )
    return ExchangeBoard(
        platforms=[
            PlatformBoard(p, p.orders_today, p.messages_today, p.undelivered_count)
            for p in platforms
        ],
        undelivered=list(undelivered.order_by("created_at", "pk")[:LIST_LIMIT]),
        failing=list(
            undelivered.filter(created_at__lt=now - FAILING_FOR).order_by("created_at", "pk")[
                :LIST_LIMIT
            ]
        ),
        waiting=list(
            PlatformOrder.objects.filter(state=OrderState.NEEDS_MAPPING)
            .select_related("platform")
            .order_by("received_at", "pk")[:LIST_LIMIT]
        ),
    )
