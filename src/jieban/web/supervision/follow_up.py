"""The follow-up queue (回访) of the command centre, and the follow-up call posted from it or
from the ticket page. `record_visit` decides everything; these views parse, call and render.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from jieban.errors import DomainError, InvalidInput, NotFound
from jieban.http import AuthenticatedRequest
from jieban.org.models import User
from jieban.org.permissions import can_record_visit
from jieban.tickets.access import access_ticket, shown_phone, visible_tickets
from jieban.tickets.models import Status, Ticket, VisitOutcome
from jieban.tickets.visits import (
    MAX_UNREACHABLE,
    FollowUpFilters,
    follow_up_page,
    record_visit,
    waiting_for_call,
    with_unanswered_calls,
)
from jieban.web.errors import Refusal, answers_domain_errors, refusal
from jieban.web.menu import TicketForm
from jieban.web.pages import ListTotal, dispatchable_units, is_htmx, list_total
from jieban.web.supervision.forms import FollowUpFilterForm
from jieban.web.tickets.actions import done_and_go, ticket_form_post
from jieban.web.tickets.forms import VisitForm, ticket_form_id

QUEUE_PAGE = 50
BACK_TO_QUEUE = "queue"
# What the queue's address carries: its filters and its page. A call posted from the queue
# carries them too, so that the person comes back to the same rows.
QUEUE_PARAMS = ("unit", "calls", "waited", "cursor")


@dataclass
class QueueRow:
    ticket: Ticket
    unanswered_calls: int
    phone: str
    form: VisitForm
    message: str = ""
    stale: bool = False
    # The blank call form's fields, rendered once per page with this row's ids put in (a
    # form's widgets render through a dozen templates each: 50 of them took most of the page).
    fields_html: str = ""


# Stands for the ticket's number in the blank form rendered once per page.
NUMBER_TOKEN = "JIEBANNUMBERTOKEN"


def blank_call_fields() -> str:
    """The fields of an unbound call form, with `NUMBER_TOKEN` where a row's number goes."""
    form = VisitForm(
        initial={"back": BACK_TO_QUEUE},
        auto_id=ticket_form_id(TicketForm.VISIT, NUMBER_TOKEN),
    )
    return render_to_string("web/follow_up/_call_fields.html", {"form": form})


def call_fields_of(blank: str, number: str) -> str:
    return mark_safe(blank.replace(NUMBER_TOKEN, escape(number)))


def _row(
    user: User,
    ticket: Ticket,
    *,
    form: VisitForm | None = None,
    refused: Refusal | None = None,
    blank: str = "",
) -> QueueRow:
    unanswered = getattr(ticket, "unanswered_calls", 0)
    phone = shown_phone(user, ticket)
    if form is None:
        form = VisitForm(
            initial={"back": BACK_TO_QUEUE},
            auto_id=ticket_form_id(TicketForm.VISIT, ticket.number),
        )
        if blank:
            return QueueRow(
                ticket, unanswered, phone, form, fields_html=call_fields_of(blank, ticket.number)
            )
    if refused is None:
        return QueueRow(ticket, unanswered, phone, form)
    return QueueRow(ticket, unanswered, phone, form, refused.message, refused.stale)


def queue_filters(params: QueryDict) -> FollowUpFilters:
    """The queue's filters from its query string; a wait that is no number is InvalidInput."""

    def value(name: str) -> str | None:
        return (params.get(name) or "").strip() or None

    waited = value("waited")
    try:
        waited_days = int(waited) if waited is not None else None
    except ValueError:
        raise InvalidInput(_("The days waited must be a whole number."), field="waited") from None
    return FollowUpFilters(unit=value("unit"), calls=value("calls"), waited_days=waited_days)


def queue_query(params: QueryDict) -> str:
    """The queue's own parameters in `params`, as a query string (empty when none)."""
    return urlencode([(name, params[name]) for name in QUEUE_PARAMS if params.get(name)])


def queue_url(params: QueryDict) -> str:
    query = queue_query(params)
    url = reverse("web:follow_up")
    return f"{url}?{query}" if query else url


def _queue_context(request: AuthenticatedRequest, failed: QueueRow | None = None) -> dict[str, Any]:
    # Who may see the queue comes before what is wrong with its filters.
    if not can_record_visit(request.user):
        raise PermissionDenied(_("Follow-up calls are made by the command centre."))
    params = request.GET
    tickets: list[Ticket] = []
    next_cursor = None
    total: ListTotal | None = None
    error: InvalidInput | None = None
    try:
        filters = queue_filters(params)
        tickets, next_cursor = follow_up_page(
            request.user, filters, cursor=params.get("cursor") or None, limit=QUEUE_PAGE
        )
        total = list_total(waiting_for_call(request.user, filters))
    except InvalidInput as exc:
        # Not an error page: the queue says what is wrong above the filters that caused it.
        error = exc
    blank = blank_call_fields() if tickets else ""
    rows = [
        failed
        if failed is not None and failed.ticket.pk == ticket.pk
        else _row(request.user, ticket, blank=blank)
        for ticket in tickets
    ]
    form = FollowUpFilterForm(initial=params.dict(), units=dispatchable_units())
    return {
        "form": form,
        "error": error,
        "rows": rows,
        "total": total,
        "next_cursor": next_cursor,
        "params": params,
        "paged": bool(params.get("cursor")),
        "filtered": any(params.get(name) for name in form.fields),
        "queue_query": queue_query(params),
        "max_unreachable": MAX_UNREACHABLE,
    }


@login_required
@require_safe
@answers_domain_errors
def follow_up(request: AuthenticatedRequest) -> HttpResponse:
    """Resolved tickets waiting for their call, oldest resolution first, a page at a time,
    narrowed by unit, by the calls already made and by how long they have waited."""
    context = _queue_context(request)
    status = 400 if context["error"] is not None else 200
    return render(request, "web/follow_up/queue.html", context, status=status)


def _gone_row(request: HttpRequest, exc: NotFound) -> HttpResponse:
    if is_htmx(request):
        return render(request, "web/follow_up/_row_gone.html", status=404)
    raise Http404(exc.message) from exc


@answers_domain_errors
def visit_from_queue(request: AuthenticatedRequest, number: str) -> HttpResponse:
    """A call posted from the queue: back to the queue, or its row again with the errors.

    Refused without htmx, the whole queue comes back: to someone who may not make the call,
    that is the queue's own 403 page."""
    try:
        access_ticket(request.user, number)
    except NotFound as exc:
        return _gone_row(request, exc)
    form = VisitForm(request.POST, auto_id=ticket_form_id(TicketForm.VISIT, number))
    refused = Refusal()
    if form.is_valid():
        data = form.cleaned_data
        try:
            _visit, ticket = record_visit(
                number, outcome=data["outcome"], note=data["note"], by=request.user
            )
        except NotFound as exc:
            return _gone_row(request, exc)
        except DomainError as exc:
            refused = refusal(form, exc)
        else:
            return done_and_go(
                request,
                message=visit_outcome_message(ticket, data["outcome"]),
                target=queue_url(request.GET),
            )
    row_ticket = (
        with_unanswered_calls(visible_tickets(request.user).select_related("category", "unit"))
        .filter(number=number)
        .first()
    )
    if row_ticket is None:
        return _gone_row(request, NotFound(_("No ticket %(number)s.") % {"number": number}))
    row = _row(request.user, row_ticket, form=form, refused=refused)
    if is_htmx(request):
        context = {
            "row": row,
            "max_unreachable": MAX_UNREACHABLE,
            "queue_query": queue_query(request.GET),
        }
        return render(request, "web/follow_up/_row.html", context, status=refused.status)
    context = _queue_context(request, failed=row)
    return render(request, "web/follow_up/queue.html", context, status=refused.status)


def visit_outcome_message(ticket: Ticket, outcome: str) -> str:
    """What the call did, in words: closed, reopened with an order, or waiting for another."""
    label = VisitOutcome(outcome).label
    if ticket.status == Status.CLOSED:
        text = _("Call recorded (%(outcome)s): ticket %(number)s is closed.")
    elif ticket.status == Status.IN_PROGRESS:
        text = _(
            "Call recorded (%(outcome)s): ticket %(number)s is back with its unit under a "
            "supervision order."
        )
    else:
        text = _("Call recorded (%(outcome)s): ticket %(number)s waits for another call.")
    return text % {"outcome": label, "number": ticket.number}


@login_required
@require_POST
def ticket_visit(request: AuthenticatedRequest, number: str) -> HttpResponse:
    """A follow-up call, from the ticket page or from the follow-up queue (`back=queue`)."""
    if request.POST.get("back") == BACK_TO_QUEUE:
        return visit_from_queue(request, number)

    def perform(data: dict[str, Any]) -> str:
        _visit, ticket = record_visit(
            number, outcome=data["outcome"], note=data["note"], by=request.user
        )
        return visit_outcome_message(ticket, data["outcome"])

    return ticket_form_post(request, number, TicketForm.VISIT, perform)
