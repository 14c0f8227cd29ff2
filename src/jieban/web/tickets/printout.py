"""The ticket on one A4 printout."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from jieban.http import AuthenticatedRequest
from jieban.tickets.access import shown_phone
from jieban.tickets.selectors import closing_note, ticket_timeline
from jieban.web.pages import bureau_heading, visible_ticket_or_404
from jieban.web.tickets.detail import linked_tickets
from jieban.web.tickets.timeline import timeline_entries


@login_required
@require_safe
def ticket_print(request: AuthenticatedRequest, number: str) -> HttpResponse:
    """The ticket on A4: its facts, calls, orders and timeline; the phone as the detail shows
    it (masked unless the viewer may see it whole)."""
    ticket = visible_ticket_or_404(request.user, number)
    context = {
        "ticket": ticket,
        "phone": shown_phone(request.user, ticket),
        "bureau": bureau_heading(),
        "orders": (
            list(ticket.orders.select_related("unit", "superseded_by").order_by("issued_at", "pk"))
            if ticket.supervision_level
            else []
        ),
        "visits": list(ticket.visits.select_related("called_by").order_by("at", "pk")),
        "attachments": list(ticket.attachments.all()),
        "timeline": timeline_entries(ticket_timeline(ticket, request.user)),
        "repeat_of": linked_tickets(request.user, ticket)["repeat_of"],
        "closing_note": closing_note(ticket),
        "printed_at": timezone.now(),
        "printed_by": request.user,
    }
    return render(request, "web/tickets/print.html", context)
