"""The 12345 platform link: orders and events a platform pushes in (signed by the platform,
no person's token), a unit's progress note on a platform's ticket, and the exchange's state
for the command centre.

The platform's two addresses read the exact body bytes, check the signature
(`jieban.exchange.signatures`) and only then parse it: `{"orders": [...]}` or
`{"events": [...]}`, at most 500 items, one answer each (`{"results": [...]}`)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from jieban.api.schemas import ERRORS, PathId
from jieban.api.serializers import local
from jieban.errors import InvalidInput
from jieban.exchange.access import signed_platform
from jieban.exchange.actions import receive_events, receive_orders, report_progress, retry_message
from jieban.exchange.models import Platform
from jieban.exchange.selectors import exchange_board
from jieban.exchange.signatures import SIGNATURE_HEADER, TIMESTAMP_HEADER
from jieban.http import AuthenticatedRequest

router = Router(tags=["exchange"])


class ResultsOut(Schema):
    results: list[dict[str, Any]]


class ProgressIn(Schema):
    note: str


class ProgressOut(Schema):
    ticket: str
    at: dt.datetime
    note: str


class PlatformOut(Schema):
    code: str
    name: str
    mode: str
    is_active: bool
    last_pull_at: dt.datetime | None
    last_push_at: dt.datetime | None
    last_delivery_at: dt.datetime | None
    orders_today: int
    messages_today: int
    undelivered: int
    failing: int
    needs_mapping: int


class RetryOut(Schema):
    id: int
    next_attempt_at: dt.datetime | None


def _signed_items(request: HttpRequest, code: str, key: str) -> tuple[Platform, object]:
    body = request.body
    platform = signed_platform(
        code,
        timestamp=request.headers.get(TIMESTAMP_HEADER),
        signature=request.headers.get(SIGNATURE_HEADER),
        body=body,
        now=timezone.now(),
        source=request.META.get("REMOTE_ADDR", ""),
    )
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise InvalidInput(_("The request body is not valid JSON."), field="body") from None
    if not isinstance(data, dict) or key not in data:
        raise InvalidInput(
            _("The body is an object with the list %(key)s.") % {"key": key}, field=key
        )
    return platform, data[key]


@router.post("/exchange/{code}/orders", auth=None, response={200: ResultsOut, **ERRORS})
def platform_orders(request: HttpRequest, code: str) -> dict[str, Any]:
    """A platform pushes orders: each becomes a dispatched ticket, once."""
    platform, items = _signed_items(request, code, "orders")
    return {"results": receive_orders(platform, items)}


@router.post("/exchange/{code}/events", auth=None, response={200: ResultsOut, **ERRORS})
def platform_events(request: HttpRequest, code: str) -> dict[str, Any]:
    """A platform's decisions, follow-up calls and urgings, applied once, in time order."""
    platform, items = _signed_items(request, code, "events")
    return {"results": receive_events(platform, items)}


@router.post("/exchange/tickets/{number}/progress", response={201: ProgressOut, **ERRORS})
def ticket_progress(
    request: AuthenticatedRequest, number: str, payload: ProgressIn
) -> Status[dict[str, Any]]:
    """阶段性回复: the unit holding a platform's ticket reports its progress to the platform."""
    event = report_progress(number, note=payload.note, by=request.user)
    return Status(201, {"ticket": number, "at": local(event.at), "note": event.payload["note"]})


@router.get("/exchange/platforms", response={200: list[PlatformOut], **ERRORS})
def platforms(request: AuthenticatedRequest) -> list[dict[str, Any]]:
    """Each platform's link: last pull, push and delivery, today's traffic, what waits."""
    board = exchange_board(request.user)
    rows = []
    for row in board.platforms:
        platform = row.platform
        rows.append(
            {
                "code": platform.code,
                "name": platform.name,
                "mode": platform.mode,
                "is_active": platform.is_active,
                "last_pull_at": local(platform.last_pull_at),
                "last_push_at": local(platform.last_push_at),
                "last_delivery_at": local(platform.last_delivery_at),
                "orders_today": row.orders_today,
                "messages_today": row.messages_today,
                "undelivered": row.undelivered,
                "failing": sum(1 for m in board.failing if m.platform_id == platform.pk),
                "needs_mapping": sum(1 for o in board.waiting if o.platform_id == platform.pk),
            }
        )
    return rows


@router.post("/exchange/messages/{pk}/retry", response={200: RetryOut, **ERRORS})
def message_retry(request: AuthenticatedRequest, pk: PathId) -> dict[str, Any]:
    """Deliver an undelivered message at the next delivery run."""
    message = retry_message(pk, by=request.user)
    return {"id": message.pk, "next_attempt_at": local(message.next_attempt_at)}
