"""What the pages of every area share: a ticket or 404, the units a ticket may be dispatched
to, the bureau's name on printed documents, the link to a ticket list, a list's total,
htmx requests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from jieban.errors import NotFound
from jieban.org.actors import Viewer
from jieban.org.models import Unit, UnitKind
from jieban.tickets.access import access_ticket
from jieban.tickets.models import Ticket
from jieban.tickets.selectors import (
    EXACT_COUNT_UP_TO,
    TicketFilters,
    Total,
    count_tickets,
    count_up_to,
)
from jieban.web.forms import localized_name


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def visible_ticket_or_404(user: Viewer, number: str) -> Ticket:
    """The ticket if `user` may see it; a 404 otherwise (a ticket one may not see does not
    exist)."""
    try:
        return access_ticket(user, number)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def dispatchable_units() -> list[Unit]:
    return [
        unit
        for unit in Unit.objects.filter(is_active=True).order_by("code")
        if unit.can_handle_tickets
    ]


def bureau_heading() -> str:
    """The name on printed documents: the configured one, else the root bureau's."""
    configured = getattr(settings, "JIEBAN_BUREAU_NAME", "")
    if configured:
        return str(configured)
    bureau = Unit.objects.filter(kind=UnitKind.BUREAU, parent__isnull=True).order_by("pk").first()
    return localized_name(bureau) if bureau else ""


def ticket_list_url(filters: TicketFilters) -> str:
    """The ticket list showing exactly the tickets `filters` select."""
    params: dict[str, str] = {}
    for name in (
        "status",
        "unit",
        "category",
        "channel",
        "grid",
        "received_from",
        "received_to",
        "q",
    ):
        value = getattr(filters, name)
        if value:
            params[name] = value
    for flag in ("overdue", "due_soon", "dispatch_late", "accept_late", "escalated"):
        if getattr(filters, flag):
            params[flag] = "true"
    query = urlencode(params)
    return reverse("web:ticket_list") + (f"?{query}" if query else "")


# The lists count exactly up to this many (tests lower it); see `count_up_to`.
COUNT_EXACTLY_UP_TO = EXACT_COUNT_UP_TO


@dataclass(frozen=True)
class ListTotal:
    """A list's total as its heading says it: "共 1,234 件"; past the exact count "超过
    10,000 件"; for a search whose older matches were not counted, "至少 1,234 件"."""

    text: str
    exact: bool


def total_label(total: Total) -> ListTotal:
    values = {"count": f"{total.count:,}"}
    if total.exact:
        text = ngettext("%(count)s ticket", "%(count)s tickets", total.count) % values
    elif total.at_least:
        text = _("at least %(count)s tickets") % values
    else:
        text = _("more than %(count)s tickets") % values
    return ListTotal(text, total.exact)


def list_total(rows: QuerySet[Any]) -> ListTotal:
    """The total of a list of `rows`."""
    return total_label(count_up_to(rows, COUNT_EXACTLY_UP_TO))


def ticket_list_total(user: Viewer, filters: TicketFilters, tickets: QuerySet[Ticket]) -> ListTotal:
    """The total of the ticket list `filters` select, `tickets` (a text search counted
    through its index: `count_tickets`)."""
    return total_label(count_tickets(user, filters, limit=COUNT_EXACTLY_UP_TO, tickets=tickets))
