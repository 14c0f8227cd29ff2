"""Server-rendered pages: thin views that call the domain layer and render templates.

Each view parses its input with a form, calls one domain function, and renders. Domain errors
map to HTTP once, here: NotFound → 404, Forbidden → 403, InvalidInput → 400 with the message on
its field, Conflict → 409 with a message asking to reload. Action forms post with htmx and get
the action panel back; without JavaScript the same URL re-renders the whole page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    QueryDict,
)
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from jieban.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from jieban.http import AuthenticatedRequest
from jieban.intake.actions import add_attachment, check_attachment, mark_repeat, register_ticket
from jieban.org.models import Unit, UnitKind
from jieban.org.permissions import can_edit_calendar, can_mark_repeat, can_register
from jieban.tickets import transitions
from jieban.tickets.access import access_ticket, mask_phone, may_see_full_phone
from jieban.tickets.models import CLOCK_RUNNING, Category, Status, Ticket
from jieban.tickets.selectors import (
    MIN_CALLER_PHONE,
    filter_tickets,
    is_due_soon,
    page_of_tickets,
    recent_tickets_of_caller,
    ticket_timeline,
    unit_inbox,
)
from jieban.tickets.supervision import level_label, supervise_ticket
from jieban.tickets.transitions import ACTION_LABELS, Action
from jieban.web.forms import (
    ACTION_FORMS,
    ActionForm,
    AttachmentForm,
    CalendarOverrideForm,
    DispatchForm,
    RegisterTicketForm,
    RepeatForm,
    SavedFilterForm,
    SuperviseForm,
    TicketFilterForm,
    VisitForm,
    put_domain_error,
)
from jieban.web.menu import TicketForm, ticket_forms
from jieban.web.pages import (
    bureau_heading,
    dispatchable_units,
    is_htmx,
    ticket_list_url,
    visible_ticket_or_404,
)
from jieban.web.saved_filters import TRUE_VALUES as TRUE_VALUES
from jieban.web.saved_filters import (
    delete_filter,
    filter_query,
    filters_from,
    save_filter,
    saved_filters_of,
)
from jieban.web.ticket_export import XLSX
from jieban.web.ticket_export import export_file as ticket_export_file
from jieban.web.timeline import timeline_entries
from jieban.workcalendar import workdays

LIST_PAGE_SIZE = 50
FIRST_CALENDAR_YEAR, LAST_CALENDAR_YEAR = 1900, 2200

# `chinesecalendar` names its holidays in English; the calendar page shows them translated.
HOLIDAY_NAMES: dict[str, Promise] = {
    "New Year's Day": gettext_lazy("New Year's Day"),
    "Spring Festival": gettext_lazy("Spring Festival"),
    "Tomb-sweeping Day": gettext_lazy("Tomb-sweeping Day"),
    "Labour Day": gettext_lazy("Labour Day"),
    "Dragon Boat Festival": gettext_lazy("Dragon Boat Festival"),
    "National Day": gettext_lazy("National Day"),
    "Mid-autumn Festival": gettext_lazy("Mid-autumn Festival"),
    "Anti-Fascist 70th Day": gettext_lazy("Anti-Fascist 70th Day"),
}


def due_soon_numbers(tickets: Sequence[Ticket]) -> set[str]:
    """The numbers of `tickets` due soon; the horizon costs a query only if a clock runs."""
    running = [t for t in tickets if t.status in CLOCK_RUNNING and t.due_at is not None]
    if not running:
        return set()
    now = timezone.now()
    horizon = workdays.due_soon_horizon(now)
    return {t.number for t in running if is_due_soon(t, now=now, horizon=horizon)}


# ---------------------------------------------------------------------------------------------
# Register a ticket


def _register_form(data: Any = None, files: Any = None) -> RegisterTicketForm:
    grids = list(Unit.objects.filter(kind=UnitKind.GRID, is_active=True).order_by("code"))
    categories = list(Category.objects.filter(is_active=True).order_by("code"))
    form = RegisterTicketForm(data, files, grids=grids, categories=categories)
    # As the number is typed, the caller's recent tickets come in beside the form.
    form.fields["resident_phone"].widget.attrs.update(
        {
            "hx-get": reverse("web:ticket_caller_recent"),
            "hx-trigger": "input changed delay:300ms, search",
            "hx-target": "#caller-recent",
            "hx-sync": "this:replace",
        }
    )
    return form


def _register(form: RegisterTicketForm, by: Any) -> Ticket:
    """Register the call; when it repeats an earlier ticket, mark it so in the same
    transaction, so that a refused mark leaves no ticket behind."""
    repeat_of = (form.cleaned_data.get("repeat_of") or "").strip()
    if not repeat_of:
        ticket, _created = register_ticket(form.to_draft(), by=by)
        return ticket
    with transaction.atomic():
        ticket, _created = register_ticket(form.to_draft(), by=by)
        return mark_repeat(ticket.number, of=repeat_of, by=by)


@login_required
def ticket_new(request: AuthenticatedRequest) -> HttpResponse:
    if not can_register(request.user):
        raise PermissionDenied(_("Your role may not register tickets."))
    status = 200
    if request.method == "POST":
        form = _register_form(request.POST, request.FILES)
        if form.is_valid():
            try:
                ticket = _register(form, request.user)
            except Forbidden as exc:
                raise PermissionDenied(exc.message) from exc
            except DomainError as exc:
                put_domain_error(form, exc)
                status = exc.status_code
            else:
                if ticket.repeat_of_id:
                    text = _("Ticket %(number)s registered as a repeat of %(of)s.") % {
                        "number": ticket.number,
                        "of": form.cleaned_data["repeat_of"].strip(),
                    }
                else:
                    text = _("Ticket %(number)s registered.") % {"number": ticket.number}
                messages.success(request, text)
                return redirect("web:ticket_detail", number=ticket.number)
        else:
            status = 400
        phone = request.POST.get("resident_phone", "")
        chosen = request.POST.get("repeat_of", "")
    else:
        form = _register_form()
        phone, chosen = "", ""
    context = {"form": form, **_caller_context(request.user, phone, chosen=chosen)}
    return render(request, "web/tickets/new.html", context, status=status)


def _caller_context(user: Any, phone: str, *, chosen: str = "") -> dict[str, Any]:
    phone = phone.strip()
    return {
        "caller_phone": phone,
        "caller_tickets": recent_tickets_of_caller(user, phone),
        "caller_looked_up": len(phone) >= MIN_CALLER_PHONE,
        # mark_repeat is for the command centre: others see the tickets, not the choice.
        "may_mark_repeat": can_mark_repeat(user),
        "repeat_chosen": chosen.strip(),
        "not_repeatable": (Status.INVALID, Status.MERGED),
    }


@login_required
def ticket_caller_recent(request: AuthenticatedRequest) -> HttpResponse:
    """The caller's last tickets, for the registration page as the number is typed (htmx).

    Only tickets whose full phone the user may see are looked up by it: the access rule, then
    `may_see_full_phone`. Everyone else learns nothing about whose number it is."""
    if not can_register(request.user):
        raise PermissionDenied(_("Your role may not register tickets."))
    phone = request.GET.get("phone") or request.GET.get("resident_phone") or ""
    context = _caller_context(request.user, phone, chosen=request.GET.get("repeat_of") or "")
    return render(request, "web/tickets/_caller_recent.html", context)


# ---------------------------------------------------------------------------------------------
# Ticket list


def _list_context(
    request: HttpRequest, params: QueryDict, *, save_form: SavedFilterForm | None = None
) -> tuple[dict[str, Any], bool]:
    """The list page for the filters in `params`; (context, whether they were bad)."""
    filters = filters_from(params)
    rows: list[Ticket] = []
    next_cursor = None
    error: DomainError | None = None
    try:
        tickets = filter_tickets(request.user, filters)
        rows, next_cursor = page_of_tickets(
            tickets, cursor=params.get("cursor") or None, limit=LIST_PAGE_SIZE
        )
    except InvalidInput as exc:
        error = exc
    form = TicketFilterForm(
        initial={**params.dict(), "overdue": filters.overdue, "due_soon": filters.due_soon},
        units=dispatchable_units(),
        categories=list(Category.objects.filter(is_active=True).order_by("code")),
    )
    query = filter_query(params)
    context = {
        "form": form,
        "tickets": rows,
        "due_soon_numbers": due_soon_numbers(rows),
        "next_cursor": next_cursor,
        "error": error,
        "filtered": bool(query),
        "query": query,
        "params": params,
        "saved_filters": saved_filters_of(request.user),
        "save_form": save_form or SavedFilterForm(initial={"query": query}, auto_id="id_saved_%s"),
    }
    return context, error is not None


@login_required
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
        except DomainError as exc:
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
def saved_filter_delete(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    try:
        delete_filter(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    messages.success(request, _("Saved filter deleted."))
    return redirect(_list_url(filter_query(QueryDict(request.POST.get("query") or ""))))


@login_required
def ticket_export(request: AuthenticatedRequest) -> HttpResponseBase:
    """The filtered list as an Excel file (phones masked), at most MAX_ROWS rows."""
    try:
        tickets = filter_tickets(request.user, filters_from(request.GET))
    except InvalidInput as exc:
        return HttpResponseBadRequest(exc.message, content_type="text/plain; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return FileResponse(
        ticket_export_file(tickets),
        as_attachment=True,
        filename=f"jieban-tickets-{stamp}.xlsx",
        content_type=XLSX,
    )


# ---------------------------------------------------------------------------------------------
# Ticket detail and its actions


@dataclass
class OfferedAction:
    action: str
    label: str | Promise
    form: ActionForm


def _offered_actions(
    user: Any, ticket: Ticket, *, failed: tuple[str, ActionForm] | None = None
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
        offered.append(OfferedAction(action, ACTION_LABELS.get(action, action), form))
    return offered


@dataclass
class OfferedForm:
    """One of the ticket page's forms besides the transitions (supervise, call, repeat)."""

    key: str
    label: str | Promise
    url: str
    form: forms.Form


TICKET_FORMS: dict[str, type[forms.Form]] = {
    TicketForm.SUPERVISE: SuperviseForm,
    TicketForm.VISIT: VisitForm,
    TicketForm.REPEAT: RepeatForm,
}
TICKET_FORM_LABELS: dict[str, Promise] = {
    TicketForm.SUPERVISE: gettext_lazy("Issue a supervision order"),
    TicketForm.VISIT: gettext_lazy("Record the follow-up call"),
    TicketForm.REPEAT: gettext_lazy("Mark as a repeat report"),
}
TICKET_FORM_URLS = {
    TicketForm.SUPERVISE: "web:ticket_supervise",
    TicketForm.VISIT: "web:ticket_visit",
    TicketForm.REPEAT: "web:ticket_repeat",
}


def ticket_form_id(key: str, number: str | None = None) -> str:
    """Field ids unique on the page: several visit forms share the follow-up queue."""
    return f"id_{key}_{number}_%s" if number else f"id_{key}_%s"


def _offered_forms(
    user: Any, ticket: Ticket, *, failed: tuple[str, forms.Form] | None = None
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


def _panel_context(
    request: HttpRequest,
    ticket: Ticket,
    *,
    failed: tuple[str, ActionForm] | None = None,
    failed_form: tuple[str, forms.Form] | None = None,
    message: str = "",
    stale: bool = False,
) -> dict[str, Any]:
    return {
        "ticket": ticket,
        # A stale page offers nothing but a reload: its forms carry the old version.
        "actions": [] if stale else _offered_actions(request.user, ticket, failed=failed),
        "ticket_forms": [] if stale else _offered_forms(request.user, ticket, failed=failed_form),
        "panel_message": message,
        "stale": stale,
    }


def _render_detail(
    request: HttpRequest,
    ticket: Ticket,
    *,
    panel: dict[str, Any] | None = None,
    attachment_form: AttachmentForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    phone = ticket.resident_phone
    if not may_see_full_phone(user, ticket):
        phone = mask_phone(phone)
    deadline_warning = None
    if ticket.due_basis == workdays.BASIS_WEEKENDS_ONLY and ticket.due_at is not None:
        deadline_warning = workdays.missing_data_warning([timezone.localtime(ticket.due_at).year])
    # Orders exist only on a ticket whose supervision level was raised: skip the query if not.
    orders = (
        list(ticket.orders.select_related("unit", "superseded_by").order_by("issued_at", "pk"))
        if ticket.supervision_level
        else []
    )
    context = {
        **(panel or _panel_context(request, ticket)),
        "phone": phone,
        "due_soon": bool(due_soon_numbers([ticket])),
        "orders": orders,
        "visits": list(ticket.visits.select_related("called_by").order_by("at", "pk")),
        "repeat_of": ticket.repeat_of.number if ticket.repeat_of_id and ticket.repeat_of else None,
        "deadline_warning": deadline_warning,
        "attachments": list(ticket.attachments.all()),
        "attachment_form": attachment_form or AttachmentForm(),
        "timeline": timeline_entries(ticket_timeline(ticket)),
        "merged_into": ticket.merged_into.number if ticket.merged_into else None,
        "first_handler": ticket.first_handler,
    }
    return render(request, "web/tickets/detail.html", context, status=status)


@login_required
def ticket_detail(request: AuthenticatedRequest, number: str) -> HttpResponse:
    return _render_detail(request, visible_ticket_or_404(request.user, number))


@login_required
def ticket_print(request: AuthenticatedRequest, number: str) -> HttpResponse:
    """The ticket on A4: its facts, calls, orders and timeline; the phone as the detail shows
    it (masked unless the viewer may see it whole)."""
    ticket = visible_ticket_or_404(request.user, number)
    phone = ticket.resident_phone
    if not may_see_full_phone(request.user, ticket):
        phone = mask_phone(phone)
    context = {
        "ticket": ticket,
        "phone": phone,
        "bureau": bureau_heading(),
        "orders": (
            list(ticket.orders.select_related("unit", "superseded_by").order_by("issued_at", "pk"))
            if ticket.supervision_level
            else []
        ),
        "visits": list(ticket.visits.select_related("called_by").order_by("at", "pk")),
        "attachments": list(ticket.attachments.all()),
        "timeline": timeline_entries(ticket_timeline(ticket)),
        "repeat_of": ticket.repeat_of.number if ticket.repeat_of_id and ticket.repeat_of else None,
        "printed_at": timezone.now(),
        "printed_by": request.user,
    }
    return render(request, "web/tickets/print.html", context)


def _perform(action: str, number: str, form: ActionForm, units: Sequence[Unit], by: Any) -> None:
    """Call the one domain function for `action` with what the form parsed."""
    data = form.cleaned_data
    version = data.get("version")
    if action == Action.DISPATCH:
        unit = next(item for item in units if item.code == data["unit"])
        transitions.dispatch_ticket(number, unit=unit, by=by, expected_version=version)
    elif action == Action.ACCEPT:
        transitions.accept_ticket(number, by=by, expected_version=version)
    elif action == Action.RETURN:
        transitions.return_ticket(number, reason=data["reason"], by=by, expected_version=version)
    elif action == Action.RESOLVE:
        transitions.resolve_ticket(number, result=data["result"], by=by, expected_version=version)
    elif action == Action.CLOSE:
        transitions.close_ticket(number, note=data["note"], by=by, expected_version=version)
    elif action == Action.INVALIDATE:
        transitions.invalidate_ticket(
            number, reason=data["reason"], by=by, expected_version=version
        )
    elif action == Action.MERGE:
        transitions.merge_ticket(number, into=data["into"], by=by, expected_version=version)
    else:  # pragma: no cover - ACTION_FORMS and this function list the same actions
        raise Http404


def _gone(request: HttpRequest, exc: NotFound) -> HttpResponse:
    """A 404: the whole page, or for htmx only the panel, so no page lands inside another."""
    if is_htmx(request):
        return render(request, "web/tickets/_actions_gone.html", status=404)
    raise Http404(exc.message) from exc


@login_required
@require_POST
def ticket_action(request: AuthenticatedRequest, number: str, action: str) -> HttpResponse:
    if action not in ACTION_FORMS:
        raise Http404
    # An invisible ticket is a 404 whatever the body says.
    try:
        access_ticket(request.user, number)
    except NotFound as exc:
        return _gone(request, exc)
    auto_id = f"id_{action}_%s"
    units: Sequence[Unit] = ()
    form: ActionForm
    if action == Action.DISPATCH:
        units = dispatchable_units()
        form = DispatchForm(request.POST, units=units, auto_id=auto_id)
    else:
        form = ACTION_FORMS[action](request.POST, auto_id=auto_id)
    message, stale, status = "", False, 400
    if form.is_valid():
        try:
            _perform(action, number, form, units, request.user)
        except NotFound as exc:
            return _gone(request, exc)
        except Conflict as exc:
            message, stale, status = exc.message, True, 409
        except Forbidden as exc:
            message, status = exc.message, 403
        except DomainError as exc:
            put_domain_error(form, exc)
            status = exc.status_code
        else:
            messages.success(request, _("Done: %(action)s.") % {"action": ACTION_LABELS[action]})
            target = reverse("web:ticket_detail", kwargs={"number": number})
            if is_htmx(request):
                return HttpResponse(headers={"HX-Redirect": target})
            return redirect(target)
    ticket = visible_ticket_or_404(request.user, number)
    panel = _panel_context(request, ticket, failed=(action, form), message=message, stale=stale)
    if is_htmx(request):
        return render(request, "web/tickets/_actions.html", panel, status=status)
    return _render_detail(request, ticket, panel=panel, status=status)


def done_and_go(request: HttpRequest, *, message: str, target: str) -> HttpResponse:
    messages.success(request, message)
    if is_htmx(request):
        return HttpResponse(headers={"HX-Redirect": target})
    return redirect(target)


def ticket_form_post(
    request: HttpRequest,
    number: str,
    key: str,
    perform: Callable[[dict[str, Any]], str],
) -> HttpResponse:
    """Post one of the ticket page's other forms: the panel comes back with its errors."""
    try:
        access_ticket(request.user, number)
    except NotFound as exc:
        return _gone(request, exc)
    form = TICKET_FORMS[key](request.POST, auto_id=ticket_form_id(key))
    message, stale, status = "", False, 400
    if form.is_valid():
        try:
            done = perform(form.cleaned_data)
        except NotFound as exc:
            return _gone(request, exc)
        except Conflict as exc:
            message, stale, status = exc.message, True, 409
        except Forbidden as exc:
            message, status = exc.message, 403
        except DomainError as exc:
            put_domain_error(form, exc)
            status = exc.status_code
        else:
            target = reverse("web:ticket_detail", kwargs={"number": number})
            return done_and_go(request, message=done, target=target)
    ticket = visible_ticket_or_404(request.user, number)
    panel = _panel_context(request, ticket, failed_form=(key, form), message=message, stale=stale)
    if is_htmx(request):
        return render(request, "web/tickets/_actions.html", panel, status=status)
    return _render_detail(request, ticket, panel=panel, status=status)


@login_required
@require_POST
def ticket_supervise(request: AuthenticatedRequest, number: str) -> HttpResponse:
    def perform(data: dict[str, Any]) -> str:
        order = supervise_ticket(number, note=data["note"], days=data["days"], by=request.user)
        return _("Supervision order %(order)s issued (%(level)s), due %(due)s.") % {
            "order": order.number,
            "level": level_label(order.level),
            "due": timezone.localtime(order.due_at).strftime("%Y-%m-%d %H:%M"),
        }

    return ticket_form_post(request, number, TicketForm.SUPERVISE, perform)


@login_required
@require_POST
def ticket_repeat(request: AuthenticatedRequest, number: str) -> HttpResponse:
    def perform(data: dict[str, Any]) -> str:
        ticket = mark_repeat(number, of=data["number"], merge=data["merge"], by=request.user)
        earlier = ticket.repeat_of.number if ticket.repeat_of else data["number"]
        if ticket.status == Status.MERGED:
            text = _("%(number)s is marked as a repeat of %(of)s and merged into it.")
        else:
            text = _("%(number)s is marked as a repeat of %(of)s.")
        return text % {"number": number, "of": earlier}

    return ticket_form_post(request, number, TicketForm.REPEAT, perform)


@login_required
@require_POST
def ticket_attach(request: AuthenticatedRequest, number: str) -> HttpResponse:
    ticket = visible_ticket_or_404(request.user, number)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        uploads = form.cleaned_data["attachments"]
        try:
            # Check every file before storing any, so a bad one leaves the ticket unchanged.
            for upload in uploads:
                check_attachment(upload)
            for upload in uploads:
                add_attachment(number, upload, by=request.user)
        except NotFound as exc:
            raise Http404(exc.message) from exc
        except DomainError as exc:
            form.add_error("attachments", exc.message)
        else:
            messages.success(request, _("%(count)d attachment(s) added.") % {"count": len(uploads)})
            return redirect("web:ticket_detail", number=number)
    return _render_detail(request, ticket, attachment_form=form, status=400)


@login_required
def attachment(request: AuthenticatedRequest, number: str, pk: int) -> FileResponse:
    ticket = visible_ticket_or_404(request.user, number)
    item = ticket.attachments.filter(pk=pk).first()
    if item is None:
        raise Http404
    inline = item.is_image or item.content_type == "application/pdf"
    return FileResponse(
        item.file.open("rb"),
        as_attachment=not inline,
        filename=item.original_name,
        content_type=item.content_type,
    )


# ---------------------------------------------------------------------------------------------
# A unit's inbox


@login_required
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
    return render(request, "web/inbox.html", {"sections": sections, "has_unit": box is not None})


# ---------------------------------------------------------------------------------------------
# The working-day calendar


@dataclass
class CalendarRow:
    date: dt.date
    is_workday: bool
    source: str
    note: str | Promise


@login_required
def calendar(request: AuthenticatedRequest, year: int | None = None) -> HttpResponse:
    """Everyone may read the calendar; only administrators may change it."""
    if year is None:
        year = timezone.localdate().year
    if not FIRST_CALENDAR_YEAR <= year <= LAST_CALENDAR_YEAR:
        raise Http404
    editable = can_edit_calendar(request.user)
    status = 200
    form = CalendarOverrideForm(initial={"date": dt.date(year, 1, 1)})
    if request.method == "POST":
        if not editable:
            raise PermissionDenied(_("Only administrators may change the calendar."))
        form = CalendarOverrideForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                override = workdays.set_override(
                    date=data["date"], kind=data["kind"], source=data["source"], by=request.user
                )
            except DomainError as exc:
                put_domain_error(form, exc)
            else:
                messages.success(
                    request, _("%(date)s saved.") % {"date": override.date.isoformat()}
                )
                return redirect("web:calendar_year", year=override.date.year)
        status = 400
    days, official = workdays.year_calendar(year)
    rows = [
        CalendarRow(day.date, day.is_workday, day.source, HOLIDAY_NAMES.get(day.note, day.note))
        for day in days
    ]
    context = {
        "year": year,
        "rows": rows,
        "official": official,
        "warning": None if official else workdays.missing_data_warning([year]),
        "form": form,
        "editable": editable,
    }
    return render(request, "web/calendar.html", context, status=status)


@login_required
@require_POST
def calendar_remove(request: AuthenticatedRequest) -> HttpResponse:
    if not can_edit_calendar(request.user):
        raise PermissionDenied(_("Only administrators may change the calendar."))
    try:
        day = dt.date.fromisoformat(request.POST.get("date", ""))
    except ValueError:
        messages.error(request, _("That is not a date (YYYY-MM-DD)."))
        return redirect("web:calendar")
    if workdays.remove_override(date=day, by=request.user):
        messages.success(request, _("Override for %(date)s removed.") % {"date": day.isoformat()})
    else:
        messages.info(request, _("There was no override for %(date)s.") % {"date": day.isoformat()})
    return redirect("web:calendar_year", year=day.year)
