"""The ticket page: its facts, calls, orders, attachments and timeline, and the panel of what
the viewer may do now (the actions `available_actions` allows, the other forms `ticket_forms`
offers). The forms post to `jieban.web.tickets.actions`, which renders this page again when
one is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from jieban.http import AuthenticatedRequest
from jieban.intake.actions import may_attach
from jieban.mediation.selectors import handovers_of_ticket
from jieban.org.models import Unit, User
from jieban.org.permissions import can_hand_over
from jieban.suggestions.repeats import similar_tickets
from jieban.tickets import transitions
from jieban.tickets.access import openable_numbers, shown_phone
from jieban.tickets.extensions import latest_extension
from jieban.tickets.models import Status, Ticket, TicketUnit
from jieban.tickets.selectors import (
    closing_note,
    deadline_warning,
    linked_numbers,
    shown_number,
    ticket_timeline,
)
from jieban.tickets.transitions import ACTION_LABELS, Action
from jieban.web.errors import Refusal
from jieban.web.menu import TicketForm, ticket_forms
from jieban.web.pages import dispatchable_units, visible_ticket_or_404
from jieban.web.tickets.forms import (
    ACTION_FORMS,
    TICKET_FORMS,
    ActionForm,
    AttachmentForm,
    DispatchForm,
    ticket_form_id,
)
from jieban.web.tickets.lists import due_soon_numbers
from jieban.web.tickets.timeline import timeline_entries


@dataclass
class OfferedAction:
    action: str
    label: str | Promise
    form: ActionForm
    # A heading above the form, for the forms that need one to say what they do.
    heading: str | Promise = ""


# Dispatching a ticket that was dispatched before (held now, or sent back by its unit) sends it
# to another unit: 改派, not 交办.
REASSIGN_LABEL = gettext_lazy("Reassign")


def dispatch_label(ticket: Ticket) -> str | Promise:
    if ticket.status == Status.DISPATCHED or (
        ticket.status == Status.NEW and TicketUnit.objects.filter(ticket=ticket).exists()
    ):
        return REASSIGN_LABEL
    return ACTION_LABELS[Action.DISPATCH]


def _offered_actions(
    user: User, ticket: Ticket, *, failed: tuple[str, ActionForm] | None = None
) -> list[OfferedAction]:
    """A form for each action `available_actions` allows; a failed one keeps its input.

    An action this page has no form for (one taken only as the consequence of another, like
    reopening after a follow-up call) is left to the page that takes it.
    """
    allowed = [
        action for action in transitions.available_actions(user, ticket) if action in ACTION_FORMS
    ]
    units: Sequence[Unit] = dispatchable_units() if Action.DISPATCH in allowed else ()
    offered = []
    for action in allowed:
        if failed is not None and failed[0] == action:
            form = failed[1]
        else:
            form_class = ACTION_FORMS[action]
            initial = {"version": ticket.version}
            if form_class is DispatchForm:
                form = DispatchForm(initial=initial, units=units, auto_id=f"id_{action}_%s")
            else:
                form = form_class(initial=initial, auto_id=f"id_{action}_%s")
        if action == Action.DISPATCH:
            label = dispatch_label(ticket)
            offered.append(OfferedAction(action, label, form, heading=label))
        else:
            offered.append(OfferedAction(action, ACTION_LABELS.get(action, action), form))
    return offered


@dataclass
class OfferedForm:
    """One of the ticket page's forms besides the transitions (supervise, call, repeat)."""

    key: str
    label: str | Promise
    url: str
    form: forms.Form


TICKET_FORM_LABELS: dict[str, Promise] = {
    TicketForm.SUPERVISE: gettext_lazy("Issue a supervision order"),
    TicketForm.VISIT: gettext_lazy("Record the follow-up call"),
    TicketForm.REPEAT: gettext_lazy("Mark as a repeat report"),
    TicketForm.EXTEND: gettext_lazy("Ask for more time"),
    TicketForm.APPROVE_EXTENSION: gettext_lazy("Approve the extension"),
    TicketForm.REJECT_EXTENSION: gettext_lazy("Reject the extension"),
    TicketForm.PROGRESS: gettext_lazy("Report progress to the 12345 platform"),
}
TICKET_FORM_URLS = {
    TicketForm.SUPERVISE: "web:ticket_supervise",
    TicketForm.VISIT: "web:ticket_visit",
    TicketForm.REPEAT: "web:ticket_repeat",
    TicketForm.EXTEND: "web:ticket_extension",
    TicketForm.APPROVE_EXTENSION: "web:ticket_extension_approve",
    TicketForm.REJECT_EXTENSION: "web:ticket_extension_reject",
    TicketForm.PROGRESS: "web:ticket_progress",
}


def _offered_forms(
    user: User, ticket: Ticket, *, failed: tuple[str, forms.Form] | None = None
) -> list[OfferedForm]:
    offered = []
    for key in ticket_forms(user, ticket):
        if failed is not None and failed[0] == key:
            form = failed[1]
        else:
            form = TICKET_FORMS[key](auto_id=ticket_form_id(key))
        url = reverse(TICKET_FORM_URLS[key], kwargs={"number": ticket.number})
        offered.append(OfferedForm(key, TICKET_FORM_LABELS[key], url, form))
    return offered


def panel_context(
    request: AuthenticatedRequest,
    ticket: Ticket,
    *,
    failed: tuple[str, ActionForm] | None = None,
    failed_form: tuple[str, forms.Form] | None = None,
    refused: Refusal | None = None,
) -> dict[str, Any]:
    """The action panel; after a refused post, with the refused form and why."""
    stale = refused is not None and refused.stale
    return {
        "ticket": ticket,
        # A stale page offers nothing but a reload: its forms carry the old version.
        "actions": [] if stale else _offered_actions(request.user, ticket, failed=failed),
        "ticket_forms": [] if stale else _offered_forms(request.user, ticket, failed=failed_form),
        "panel_message": refused.message if refused is not None else "",
        "stale": stale,
    }


def render_detail(
    request: AuthenticatedRequest,
    ticket: Ticket,
    *,
    panel: dict[str, Any] | None = None,
    attachment_form: AttachmentForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The whole ticket page; `panel` and `attachment_form` when a post was refused."""
    # Orders exist only on a ticket whose supervision level was raised: skip the query if not.
    orders = (
        list(ticket.orders.select_related("unit", "superseded_by").order_by("issued_at", "pk"))
        if ticket.supervision_level
        else []
    )
    context = {
        **(panel or panel_context(request, ticket)),
        "phone": shown_phone(request.user, ticket),
        "due_soon": bool(due_soon_numbers([ticket])),
        "orders": orders,
        "visits": list(ticket.visits.select_related("called_by").order_by("at", "pk")),
        **linked_tickets(request.user, ticket),
        "deadline_warning": deadline_warning(ticket),
        "attachments": list(ticket.attachments.all()),
        # Offered only to those who may attach to it now (`may_attach`).
        "attachment_form": (
            (attachment_form or AttachmentForm()) if may_attach(request.user, ticket) else None
        ),
        "timeline": timeline_entries(ticket_timeline(ticket, request.user)),
        "first_handler": ticket.first_handler,
        "extension": latest_extension(ticket) if ticket.dispatched_at else None,
        "closing_note": closing_note(ticket),
        # 公调对接: the hand-overs of its dispute to mediation, and whether one may hand it.
        "handovers": handovers_of_ticket(request.user, ticket.pk),
        "may_hand_over": ticket.status == Status.IN_PROGRESS
        and can_hand_over(request.user, ticket.unit_id),
    }
    return render(request, "web/tickets/detail.html", context, status=status)


def linked_tickets(viewer: User, ticket: Ticket) -> dict[str, Any]:
    """The tickets this one repeats and was merged into, as the page names them: by number,
    linked, when `viewer` may open them; else as "another ticket", not linked."""
    openable = openable_numbers(viewer, linked_numbers([ticket]))
    context: dict[str, Any] = {}
    for key, linked in (("repeat_of", ticket.repeat_of), ("merged_into", ticket.merged_into)):
        number = linked.number if linked is not None else None
        context[key] = shown_number(number, openable)
        context[f"{key}_opens"] = number in openable
    return context


@login_required
@require_safe
def ticket_detail(request: AuthenticatedRequest, number: str) -> HttpResponse:
    return render_detail(request, visible_ticket_or_404(request.user, number))


@login_required
@require_safe
def ticket_similar_reports(request: AuthenticatedRequest, number: str) -> HttpResponse:
    """The ticket's possible earlier (and later) reports of the same matter, with their
    reasons: loaded into the ticket page after it is shown (htmx)."""
    ticket = visible_ticket_or_404(request.user, number)
    context = {"similar": similar_tickets(ticket, by=request.user), "ticket": ticket}
    return render(request, "web/tickets/_similar_reports.html", context)
