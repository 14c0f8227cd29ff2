"""What the Open311 server reads (README, "Open311 GeoReport v2"): the services (the active
categories) and the service requests, with the specification's filters and limits.

The requests are public (GET needs no key), so they are only the tickets that came in through
Open311 (channel `open311`): a resident who called the hotline or walked in published nothing.
What is shown of them is the interface's choice (`jieban.web.open311`), which never shows the
resident's name, phone or email.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils.translation import gettext as _

from jieban.errors import InvalidInput, NotFound
from jieban.inputs import aware_moment, clean_text
from jieban.tickets.models import Category, Channel, Status, Ticket, TicketEvent

# GET Service Requests: "Default query limit is a span of 90 days or first 1000 requests
# returned, whichever is smallest"; a start_date..end_date range "may not span more than 90
# days".
WINDOW = dt.timedelta(days=90)
LIMIT = 1000
# The specification's two statuses: open, "it has been reported"; closed, "it has been
# resolved" (the unit reported its result, or the bureau finished with it).
OPEN = "open"
CLOSED = "closed"
STILL_OPEN = (Status.NEW, Status.DISPATCHED, Status.IN_PROGRESS)
# A W3C date and time (www.w3.org/TR/NOTE-datetime): a day, or a day and a time with its
# offset (Z or ±hh:mm).
W3C_MOMENT = re.compile(
    r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2}))?$"
)


@dataclass(frozen=True)
class RequestQuery:
    """GET Service Requests' filters, checked. `numbers` (service_request_id) overrides the
    others, as the specification says."""

    numbers: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    statuses: tuple[str, ...] = ()


def open311_services() -> list[Category]:
    """GET Service List: every active category, by code."""
    return list(Category.objects.filter(is_active=True).select_related("parent").order_by("code"))


def public_status(ticket: Ticket) -> str:
    """The specification's status of `ticket`: open until its unit reported a result or the
    bureau finished with it, then closed (open again if a follow-up call reopens it)."""
    return OPEN if ticket.status in STILL_OPEN else CLOSED


def status_notes(ticket: Ticket) -> str | None:
    """Why the request is closed, for the public: the unit's result once resolved, or why it
    left the books; never a note the bureau wrote for itself."""
    if ticket.status in (Status.RESOLVED, Status.CLOSED) and ticket.result:
        return ticket.result
    if ticket.status == Status.INVALID:
        return _("Not a matter for the bureau to handle.")
    if ticket.status == Status.MERGED:
        return _("Reported before: handled together with the earlier request.")
    return None


def _comma_list(text: str | None, *, field: str, limit: int) -> tuple[str, ...]:
    items = clean_text(text, field=field, label=field, limit=40 * limit).split(",")
    values = tuple(dict.fromkeys(item.strip() for item in items if item.strip()))
    if len(values) > limit:
        raise InvalidInput(
            _("At most %(max)d values of %(field)s are accepted.") % {"max": limit, "field": field},
            field=field,
        )
    return values


def parse_w3c_moment(text: str, *, field: str) -> dt.datetime:
    """A W3C date and time with its offset (2026-07-14T09:00:00+08:00, …Z), or a day (the
    bureau's midnight), between the bureau's first and last day; else InvalidInput."""
    value = text.strip()
    try:
        if not W3C_MOMENT.match(value):
            raise ValueError(value)
        if "T" in value:
            moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        else:
            moment = dt.datetime.combine(dt.date.fromisoformat(value), dt.time())
    except ValueError:
        raise InvalidInput(
            _(
                "%(field)s must be a W3C date and time with its offset, e.g. "
                "2026-07-14T09:00:00+08:00 or 2026-07-14T01:00:00Z."
            )
            % {"field": field},
            field=field,
        ) from None
    return aware_moment(moment, field=field)


def request_query(
    *,
    service_request_id: str | None = None,
    service_code: str | None = None,
    start_date: str | None = None,
    end_date: str | None = None,
    status: str | None = None,
    now: dt.datetime,
) -> RequestQuery:
    """GET Service Requests' arguments, checked (InvalidInput naming the argument): without
    dates, the 90 days up to `now`; with one, the 90 days from start_date or up to end_date;
    with both, at most 90 days."""
    numbers = _comma_list(service_request_id, field="service_request_id", limit=LIMIT)
    if numbers:
        return RequestQuery(numbers=numbers)
    service_codes = _comma_list(service_code, field="service_code", limit=100)
    statuses = _comma_list(status, field="status", limit=2)
    for value in statuses:
        if value not in (OPEN, CLOSED):
            raise InvalidInput(
                _("status is open or closed (or both, comma separated), not %(value)s.")
                % {"value": value},
                field="status",
            )
    start = parse_w3c_moment(start_date, field="start_date") if start_date else None
    end = parse_w3c_moment(end_date, field="end_date") if end_date else None
    if start is None and end is None:
        end = now
    if start is None:
        assert end is not None
        start = end - WINDOW
    if end is None:
        end = start + WINDOW
    if end < start:
        raise InvalidInput(_("end_date is before start_date."), field="end_date")
    if end - start > WINDOW:
        raise InvalidInput(
            _("start_date to end_date may not span more than 90 days."), field="end_date"
        )
    return RequestQuery(service_codes=service_codes, start=start, end=end, statuses=statuses)


def _open311_tickets() -> QuerySet[Ticket]:
    """The tickets that came in through Open311, with what their answers show, and when each
    last changed (its latest event: `updated_at`)."""
    latest = TicketEvent.objects.filter(ticket=OuterRef("pk")).order_by("-at", "-id")
    return (
        Ticket.objects.filter(channel=Channel.OPEN311)
        .select_related("category", "unit", "open311")
        .annotate(updated_at=Subquery(latest.values("at")[:1]))
    )


def open311_requests(query: RequestQuery) -> list[Ticket]:
    """GET Service Requests: the Open311 tickets the query names, newest first, at most
    LIMIT of them."""
    tickets = _open311_tickets()
    if query.numbers:
        tickets = tickets.filter(number__in=query.numbers)
    else:
        tickets = tickets.filter(received_at__gte=query.start, received_at__lte=query.end)
        if query.service_codes:
            tickets = tickets.filter(category__code__in=query.service_codes)
        if len(query.statuses) == 1:
            open_now = query.statuses[0] == OPEN
            tickets = (
                tickets.filter(status__in=STILL_OPEN)
                if open_now
                else tickets.exclude(status__in=STILL_OPEN)
            )
    return list(tickets.order_by("-received_at", "-id")[:LIMIT])


def open311_request(number: str) -> Ticket:
    """GET Service Request: the Open311 ticket `number`, or NotFound (404); a ticket of another
    channel is not found either."""
    number = clean_text(number, field="service_request_id", label="service_request_id", limit=24)
    ticket = _open311_tickets().filter(number=number).first()
    if ticket is None:
        raise NotFound(
            _("service_request_id %(number)s was not found.") % {"number": number},
            field="service_request_id",
        )
    return ticket
