"""The ticket list with its filters and saved filters, its Excel export, and a unit's inbox."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from jieban.errors import InvalidInput
from jieban.http import AuthenticatedRequest
from jieban.tickets.models import CLOCK_RUNNING, Category, Ticket
from jieban.tickets.selectors import (
    TicketPage,
    filter_tickets,
    is_due_soon,
    ticket_page,
    unit_inbox,
)
from jieban.web.errors import answers_domain_errors, put_domain_error
from jieban.web.pages import ListTotal, dispatchable_units, ticket_list_total, ticket_list_url
from jieban.web.tickets.export import XLSX
from jieban.web.tickets.export import export_file as ticket_export_file
from jieban.web.tickets.forms import SavedFilterForm, TicketFilterForm
from jieban.web.tickets.saved_filters import (
    delete_filter,
    filter_query,
    filters_from,
    save_filter,
    saved_filters_of,
)
from jieban.workcalendar import workdays

LIST_PAGE_SIZE = 50


def due_soon_numbers(tickets: Sequence[Ticket]) -> set[str]:
    """The numbers of `tickets` due soon; the horizon costs a query only if a clock runs."""
    running = [t for t in tickets if t.status in CLOCK_RUNNING and t.due_at is not None]
    if not running:
        return set()
    now = timezone.now()
    horizon = workdays.due_soon_horizon(now)
    return {t.number for t in running if is_due_soon(t, now=now, horizon=horizon)}


def _list_context(
    request: AuthenticatedRequest,
    params: QueryDict,
    *,
    save_form: SavedFilterForm | None = None,
) -> tuple[dict[str, Any], bool]:
    """The list page for the filters in `params`; (context, whether they were bad)."""
    filters = filters_from(params)
    page = TicketPage([], None, None)
    total: ListTotal | None = None
    error: InvalidInput | None = None
    try:
        tickets = filter_tickets(request.user, filters)
        page = ticket_page(
            tickets,
            cursor=params.get("cursor") or None,
            before=params.get("before") or None,
            limit=LIST_PAGE_SIZE,
        )
        total = ticket_list_total(request.user, filters, tickets)
    except InvalidInput as exc:
        # Not an error page: the list says what is wrong above the filters that caused it.
        error = exc
    form = TicketFilterForm(
        initial={
            **params.dict(),
            "overdue": filters.overdue,
            "due_soon": filters.due_soon,
            "dispatch_late": filters.dispatch_late,
            "accept_late": filters.accept_late,
            "escalated": filters.escalated,
        },
        units=dispatchable_units(),
        categories=list(Category.objects.filter(is_active=True).order_by("code")),
    )
    query = filter_query(params)
    context = {
        "form": form,
        "tickets": page.rows,
        "due_soon_numbers": due_soon_numbers(page.rows),
        "next_cursor": page.next,
        "previous_cursor": page.previous,
        "total": total,
        "error": error,
        "filtered": bool(query),
        "query": query,
        "params": params,
        "saved_filters": saved_filters_of(request.user),
        "save_form": save_form or SavedFilterForm(initial={"query": query}, auto_id="id_saved_%s"),
    }
    return context, error is not None


@login_required
@require_safe
def ticket_list(request: AuthenticatedRequest) -> HttpResponse:
    context, bad = _list_context(request, request.GET)
    return render(request, "web/tickets/list.html", context, status=400 if bad else 200)


def _list_url(query: str) -> str:
    url = reverse("web:ticket_list")
    return f"{url}?{query}" if query else url


@login_required
@require_POST
def saved_filter_save(request: AuthenticatedRequest) -> HttpResponse:
    """Save the list's filters under a name; the list comes back with them applied."""
    form = SavedFilterForm(request.POST, auto_id="id_saved_%s")
    query = filter_query(QueryDict(request.POST.get("query") or ""))
    if form.is_valid():
        try:
            saved, created = save_filter(
                request.user, name=form.cleaned_data["name"], query=form.cleaned_data["query"]
            )
        except InvalidInput as exc:
            put_domain_error(form, exc)
        else:
            text = _("Filter “%(name)s” saved.") if created else _("Filter “%(name)s” updated.")
            messages.success(request, text % {"name": saved.name})
            return redirect(_list_url(saved.query))
    # Show the list the person was looking at, with the reason beside the name.
    context, _bad = _list_context(request, QueryDict(query), save_form=form)
    return render(request, "web/tickets/list.html", context, status=400)


@login_required
@require_POST
@answers_domain_errors
def saved_filter_delete(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    delete_filter(request.user, pk)
    messages.success(request, _("Saved filter deleted."))
    return redirect(_list_url(filter_query(QueryDict(request.POST.get("query") or ""))))


@login_required
@require_safe
@answers_domain_errors
def ticket_export(request: AuthenticatedRequest) -> FileResponse:
    """The filtered list as an Excel file (phones masked), at most MAX_ROWS rows; bad filters
    are a 400 that says what is wrong, in plain text."""
    tickets = filter_tickets(request.user, filters_from(request.GET))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return FileResponse(
        ticket_export_file(tickets),
        as_attachment=True,
        filename=f"jieban-tickets-{stamp}.xlsx",
        content_type=XLSX,
    )


@login_required
@require_safe
def inbox(request: AuthenticatedRequest) -> HttpResponse:
    """The unit's four lists, soonest deadline first; each says how many it holds in all and
    links to the ticket list of every one when it shows only the first."""
    box = unit_inbox(request.user)
    titles = {
        "overdue": _("Overdue"),
        "due_soon": _("Due soon"),
        "to_accept": _("To accept"),
        "in_progress": _("In progress"),
    }
    sections = [
        (section, titles[section.key], ticket_list_url(section.filters))
        for section in (box.sections if box is not None else [])
    ]
    context = {
        "sections": sections,
        "has_unit": box is not None,
        "accept_late": box.accept_late if box is not None else None,
        "accept_late_href": ticket_list_url(box.accept_late.filters) if box is not None else "",
    }
    return render(request, "web/inbox.html", context)
