"""Notifications: a person's in-app inbox, and marking its items read."""

from __future__ import annotations

from typing import Any

from ninja import Router

from jieban.api.schemas import ALL_NOTIFICATIONS, ERRORS, NotificationPageOut, ReadIn
from jieban.api.serializers import local
from jieban.http import AuthenticatedRequest
from jieban.notify import outbox
from jieban.org.models import User

router = Router()


def notification_page_out(user: User, *, unread_only: bool) -> dict[str, Any]:
    """The unread count and the inbox of `user` (only the unread items when `unread_only`)."""
    items = outbox.inbox(user, unread_only=unread_only)
    return {
        "unread": outbox.unread_count(user),
        "items": [
            {
                "id": item.pk,
                "event_id": str(item.event_id),
                "kind": item.kind,
                "title": item.title,
                "body": item.body,
                "ticket": item.ticket.number if item.ticket else None,
                "created_at": local(item.created_at),
                "read": item.read_at is not None,
            }
            for item in items
        ],
    }


@router.get("/notifications", response={200: NotificationPageOut, **ERRORS}, tags=["notifications"])
def list_notifications(request: AuthenticatedRequest, unread: bool = False) -> dict[str, Any]:
    return notification_page_out(request.user, unread_only=unread)


@router.post(
    "/notifications/read", response={200: NotificationPageOut, **ERRORS}, tags=["notifications"]
)
def read_notifications(
    request: AuthenticatedRequest, payload: ReadIn = ALL_NOTIFICATIONS
) -> dict[str, Any]:
    """Mark the inbox read: every item, or those in `ids`."""
    outbox.mark_read(request.user, ids=payload.ids)
    return notification_page_out(request.user, unread_only=False)
