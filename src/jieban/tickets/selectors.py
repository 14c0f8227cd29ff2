"""Reads shared by the pages and the API; every one starts from the access rule."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from jieban.errors import InvalidInput
from jieban.org.models import Unit
from jieban.tickets.access import visible_tickets
from jieban.tickets.models import (
    CLOCK_RUNNING,
    Category,
    Channel,
    Status,
    Ticket,
    TicketEvent,
    clock_running,
)
from jieban.workcalendar.workdays import due_soon_horizon

MAX_PAGE = 200


@dataclass
class TicketFilters:
    status: str | None = None
    unit: str | None = None
    category: str | None = None
    channel: str | None = None
    overdue: bool = False
    due_soon: bool = False
    received_from: str | None = None
    received_to: str | None = None
    q: str | None = None


def _bound(value: str, *, field: str, end: bool) -> dt.datetime:
    """A date means its whole local day; a datetime is taken as given."""
    value = value.strip()
    parsed: dt.date | None = None
    try:
        if len(value) == 10:
            parsed = parse_date(value)
        else:
            parsed_dt = parse_datetime(value)
            if parsed_dt is not None:
                return parsed_dt if timezone.is_aware(parsed_dt) else timezone.make_aware(parsed_dt)
    except ValueError:
        parsed = None
    if parsed is None:
        raise InvalidInput(
            _("%(value)s is not a date (YYYY-MM-DD) or a date and time.") % {"value": value},
            field=field,
        )
    if end:
        parsed += dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(parsed, dt.time()))


def filter_tickets(user: Any, filters: TicketFilters) -> QuerySet[Ticket]:
    """Visible tickets narrowed by `filters`; unknown references are InvalidInput, not empty."""
    tickets = visible_tickets(user)
    if filters.status:
        statuses = [item.strip() for item in filters.status.split(",") if item.strip()]
        unknown = [item for item in statuses if item not in Status.values]
        if unknown:
            raise InvalidInput(
                _("Unknown status %(status)s.") % {"status": ", ".join(unknown)}, field="status"
            )
        tickets = tickets.filter(status__in=statuses)
    if filters.unit:
        unit_id = Unit.objects.filter(code=filters.unit).values_list("pk", flat=True).first()
        if unit_id is None:
            raise InvalidInput(_("Unknown unit %(code)s.") % {"code": filters.unit}, field="unit")
        tickets = tickets.filter(unit_id=unit_id)
    if filters.category:
        category_id = (
            Category.objects.filter(code=filters.category).values_list("pk", flat=True).first()
        )
        if category_id is None:
            raise InvalidInput(
                _("Unknown category %(code)s.") % {"code": filters.category}, field="category"
            )
        tickets = tickets.filter(category_id=category_id)
    if filters.channel:
        if filters.channel not in Channel.values:
            raise InvalidInput(
                _("Unknown channel %(channel)s.") % {"channel": filters.channel}, field="channel"
            )
        tickets = tickets.filter(channel=filters.channel)
    if filters.overdue:
        tickets = tickets.filter(clock_running(), due_at__lt=timezone.now())
    if filters.due_soon:
        now = timezone.now()
        tickets = tickets.filter(
            clock_running(), due_at__gte=now, due_at__lte=due_soon_horizon(now)
        )
    if filters.received_from:
        start = _bound(filters.received_from, field="received_from", end=False)
        tickets = tickets.filter(received_at__gte=start)
    if filters.received_to:
        stop = _bound(filters.received_to, field="received_to", end=True)
        tickets = tickets.filter(received_at__lt=stop)
    if filters.q:
        text = filters.q.strip()[:100]
        if text:
            tickets = tickets.filter(
                Q(number=text)
                | Q(title__icontains=text)
                | Q(content__icontains=text)
                | Q(address__icontains=text)
            )
    return tickets


def encode_cursor(moment: dt.datetime, pk: int) -> str:
    """An opaque cursor for keyset pagination on (a datetime, id), newest first."""
    raw = f"{moment.isoformat()}|{pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = base64.urlsafe_b64decode(padded.encode()).decode()
        stamp, pk = raw.split("|")
        received = dt.datetime.fromisoformat(stamp)
        return received, int(pk)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput(
            _("The cursor is not one this server gave out."), field="cursor"
        ) from None


def page_of_tickets(
    tickets: QuerySet[Ticket], *, cursor: str | None, limit: int
) -> tuple[list[Ticket], str | None]:
    """Newest received first, keyset-paginated: the next page starts after the cursor."""
    if limit < 1 or limit > MAX_PAGE:
        raise InvalidInput(
            _("The limit must be between 1 and %(max)d.") % {"max": MAX_PAGE}, field="limit"
        )
    if cursor:
        received, pk = decode_cursor(cursor)
        tickets = tickets.filter(Q(received_at__lt=received) | Q(received_at=received, pk__lt=pk))
    rows = list(
        tickets.select_related(
            "category", "unit", "grid", "merged_into", "first_handler", "repeat_of"
        ).order_by("-received_at", "-pk")[: limit + 1]
    )
    last = rows[limit - 1] if len(rows) > limit else None
    next_cursor = encode_cursor(last.received_at, last.pk) if last else None
    return rows[:limit], next_cursor


def ticket_timeline(ticket: Ticket) -> list[TicketEvent]:
    return list(ticket.events.select_related("actor").order_by("at", "pk"))


@dataclass
class Inbox:
    to_accept: list[Ticket]
    in_progress: list[Ticket]
    due_soon: list[Ticket]
    overdue: list[Ticket]


def unit_inbox(user: Any) -> Inbox:
    """A unit's open tickets, sorted by deadline into what needs doing first."""
    if user.unit_id is None:
        return Inbox([], [], [], [])
    now = timezone.now()
    horizon = due_soon_horizon(now)
    open_tickets = list(
        visible_tickets(user)
        .filter(unit_id=user.unit_id, status__in=CLOCK_RUNNING)
        .select_related("category", "unit")
        .order_by("due_at", "pk")[:500]
    )
    return Inbox(
        to_accept=[t for t in open_tickets if t.status == Status.DISPATCHED],
        in_progress=[t for t in open_tickets if t.status == Status.IN_PROGRESS],
        due_soon=[t for t in open_tickets if is_due_soon(t, now=now, horizon=horizon)],
        overdue=[t for t in open_tickets if t.due_at is not None and t.due_at < now],
    )


def is_due_soon(ticket: Ticket, *, now: dt.datetime, horizon: dt.datetime) -> bool:
    """The clock runs and the deadline falls before the end of the next working day."""
    return (
        ticket.status in CLOCK_RUNNING
        and ticket.due_at is not None
        and now <= ticket.due_at <= horizon
    )
