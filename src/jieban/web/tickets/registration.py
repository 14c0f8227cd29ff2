"""Registering a ticket during a call: the form, and the caller's recent tickets beside it.
登记并交办 registers and dispatches in one transaction: a refused dispatch leaves no ticket."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from jieban.errors import Conflict, InvalidInput
from jieban.http import AuthenticatedRequest
from jieban.inputs import printable
from jieban.intake.actions import TicketDraft, mark_repeat
from jieban.org.actors import Actor
from jieban.org.models import Unit, UnitKind, User
from jieban.org.permissions import can_dispatch, can_mark_repeat, can_register
from jieban.suggestions.actions import register_and_suggest
from jieban.suggestions.places import reason_text
from jieban.suggestions.repeats import similar_tickets
from jieban.suggestions.rules import PlaceAndUnit, suggest_place_and_unit
from jieban.tickets.models import Category, Channel, Status, Ticket
from jieban.tickets.selectors import MIN_CALLER_PHONE, recent_tickets_of_caller
from jieban.tickets.transitions import dispatch_ticket
from jieban.web.errors import answers_domain_errors, put_domain_error
from jieban.web.forms import localized_name
from jieban.web.pages import dispatchable_units
from jieban.web.tickets.forms import RegisterTicketForm
from jieban.web.tickets.suggested_categories import suggested_categories_context


def _register_form(
    user: User,
    data: QueryDict | None = None,
    files: MultiValueDict[str, UploadedFile] | None = None,
    *,
    suggested: PlaceAndUnit | None = None,
) -> RegisterTicketForm:
    units = dispatchable_units() if can_dispatch(user) else None
    # The grids are among the units one may dispatch to: read once when those are read.
    if units is not None:
        grids = [unit for unit in units if unit.kind == UnitKind.GRID]
    else:
        grids = list(Unit.objects.filter(kind=UnitKind.GRID, is_active=True).order_by("code"))
    categories = list(Category.objects.filter(is_active=True).order_by("code"))
    form = RegisterTicketForm(
        data,
        files,
        grids=grids,
        categories=categories,
        units=units,
        suggested_unit=_picker_entry(suggested),
    )
    # As the number is typed, the caller's recent tickets come in beside the form.
    form.fields["resident_phone"].widget.attrs.update(
        {
            "hx-get": reverse("web:ticket_caller_recent"),
            "hx-trigger": "input changed delay:300ms, search",
            "hx-target": "#caller-recent",
            "hx-sync": "this:replace",
        }
    )
    # As the content is typed, the categories it suggests come in under it.
    form.fields["content"].widget.attrs.update(
        {
            "hx-get": reverse("web:ticket_suggested_categories"),
            "hx-trigger": "input changed delay:400ms",
            "hx-target": "#suggested-categories",
            "hx-include": "#id_title",
            "hx-sync": "this:replace",
        }
    )
    # As the address is typed (or the category or grid chosen), the grid and unit suggested
    # come in below, and the unit picker again with the suggested unit first.
    suggesting = {
        "hx-get": reverse("web:ticket_unit_suggestion"),
        "hx-target": "#place-suggestion",
        "hx-include": "[name=address],[name=category],[name=grid],[name=unit]",
        "hx-sync": "closest form:replace",
    }
    form.fields["address"].widget.attrs.update(
        suggesting | {"hx-trigger": "input changed delay:400ms, search"}
    )
    for name in ("category", "grid"):
        form.fields[name].widget.attrs.update(suggesting | {"hx-trigger": "change"})
    return form


def _suggested(data: QueryDict) -> PlaceAndUnit:
    """The grid and units suggested for what the form holds so far (read without the
    characters no text may hold: a refused form may carry them)."""
    category_code = printable(data.get("category") or "")
    category = Category.objects.filter(code=category_code, is_active=True).first()
    grid_code = printable(data.get("grid") or "")
    grids = Unit.objects.filter(code=grid_code, kind=UnitKind.GRID).select_related("parent__parent")
    grid = grids.first() if grid_code else None
    address = (data.get("address") or "")[:300]
    return suggest_place_and_unit(address=address, category=category, grid=grid)


def _picker_entry(suggested: PlaceAndUnit | None) -> tuple[str, str] | None:
    """The suggested unit as the picker's first choice: its name and why."""
    if suggested is None or suggested.unit is None:
        return None
    first = suggested.unit
    return first.unit.code, f"{localized_name(first.unit)} — {reason_text(first.reasons[0])}"


def _register(form: RegisterTicketForm, by: Actor) -> Ticket:
    """Register the call; when it repeats an earlier ticket, mark it so, and when it is to be
    dispatched at once, dispatch it, in the same transaction: a refused mark or dispatch
    leaves no ticket behind."""
    repeat_of = (form.cleaned_data.get("repeat_of") or "").strip()
    unit_code = (form.cleaned_data.get("unit") or "") if form.wants_dispatch() else ""
    if not repeat_of and not unit_code:
        return _new_ticket(form, by)
    with transaction.atomic():
        # The person's choice of a unit wins over any dispatch rule.
        ticket = _new_ticket(form, by, person_dispatches=bool(unit_code))
        if repeat_of:
            ticket = mark_repeat(ticket.number, of=repeat_of, by=by)
        if unit_code:
            unit = Unit.objects.filter(code=unit_code).first()
            if unit is None:
                raise InvalidInput(_("Unknown unit %(code)s.") % {"code": unit_code}, field="unit")
            ticket = dispatch_ticket(ticket.number, unit=unit, by=by)
        return ticket


def _new_ticket(form: RegisterTicketForm, by: Actor, *, person_dispatches: bool = False) -> Ticket:
    """The ticket the form registers. A platform's number registered before is an error on
    its field: the intake's answer to a channel that sends again (the ticket it made the
    first time) would be wrong for a person typing a call."""
    registered = register_and_suggest(form.to_draft(), by=by, person_dispatches=person_dispatches)
    ticket = registered.ticket
    if not registered.created:
        raise Conflict(
            _("%(channel)s ticket %(external_id)s is already registered as %(number)s.")
            % {
                "channel": Channel(ticket.channel).label,
                "external_id": ticket.external_id,
                "number": ticket.number,
            },
            field="external_id",
        )
    return ticket


@login_required
@answers_domain_errors
def ticket_new(request: AuthenticatedRequest) -> HttpResponse:
    if not can_register(request.user):
        raise PermissionDenied(_("Your role may not register tickets."))
    status = 200
    if request.method == "POST":
        form = _register_form(request.user, request.POST, request.FILES)
        if form.wants_dispatch() and not can_dispatch(request.user):
            raise PermissionDenied(_("Your role may not dispatch tickets."))
        if form.is_valid():
            try:
                ticket = _register(form, request.user)
            # What the caller can correct goes on the form; a Forbidden is the 403 page.
            except (InvalidInput, Conflict) as exc:
                status = put_domain_error(form, exc)
            else:
                messages.success(request, _registered_message(ticket))
                return redirect("web:ticket_detail", number=ticket.number)
        else:
            status = 400
        # Shown again: with the grid and unit suggested for what it holds.
        suggested = _suggested(request.POST)
        form.suggest_unit(_picker_entry(suggested))
        phone = request.POST.get("resident_phone", "")
        chosen = request.POST.get("repeat_of", "")
    else:
        form = _register_form(request.user)
        phone, chosen, suggested = "", "", None
    context = {
        "form": form,
        **_caller_context(request.user, phone, chosen=chosen),
        **suggested_categories_context(
            request.user, request.POST.get("title", ""), request.POST.get("content", "")
        ),
        **_similar_context(request.user, request.POST if request.method == "POST" else None),
        **_suggestion_context(suggested),
    }
    return render(request, "web/tickets/new.html", context, status=status)


def _registered_message(ticket: Ticket) -> str:
    values = {
        "number": ticket.number,
        "of": ticket.repeat_of.number if ticket.repeat_of else "",
        "unit": localized_name(ticket.unit) if ticket.unit else "",
    }
    if ticket.repeat_of_id and ticket.unit_id:
        text = _("Ticket %(number)s registered as a repeat of %(of)s and dispatched to %(unit)s.")
    elif ticket.unit_id:
        text = _("Ticket %(number)s registered and dispatched to %(unit)s.")
    elif ticket.repeat_of_id:
        text = _("Ticket %(number)s registered as a repeat of %(of)s.")
    else:
        text = _("Ticket %(number)s registered.")
    return text % values


def _caller_context(user: User, phone: str, *, chosen: str = "") -> dict[str, Any]:
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
@require_safe
def ticket_caller_recent(request: AuthenticatedRequest) -> HttpResponse:
    """The caller's last tickets, for the registration page as the number is typed (htmx).

    Only tickets whose full phone the user may see are looked up by it: the access rule, then
    `may_see_full_phone`. Everyone else learns nothing about whose number it is."""
    if not can_register(request.user):
        raise PermissionDenied(_("Your role may not register tickets."))
    phone = request.GET.get("phone") or request.GET.get("resident_phone") or ""
    context = _caller_context(request.user, phone, chosen=request.GET.get("repeat_of") or "")
    return render(request, "web/tickets/_caller_recent.html", context)


def _similar_context(user: User, typed: QueryDict | None) -> dict[str, Any]:
    """The earlier reports of the same matter as the call typed so far (`typed`: the form's
    fields, by their names) says it: the phone, the address, the grid, the title and words."""
    found = []
    if typed is not None:
        draft = TicketDraft(
            channel=Channel.PHONE,
            content=typed.get("content") or "",
            title=typed.get("title") or "",
            resident_phone=typed.get("resident_phone") or "",
            address=typed.get("address") or "",
            grid=typed.get("grid") or None,
        )
        found = similar_tickets(draft, by=user)
    return {
        "similar": found,
        "similar_looked_up": typed is not None,
        "may_mark_repeat": can_mark_repeat(user),
        "repeat_chosen": ((typed.get("repeat_of") if typed is not None else "") or "").strip(),
        "not_repeatable": (Status.INVALID, Status.MERGED),
    }


def _suggestion_context(suggested: PlaceAndUnit | None) -> dict[str, Any]:
    place = suggested.place if suggested else None
    first = suggested.unit if suggested else None
    return {
        "suggested_grid": place.grid if place else None,
        "suggested_grid_reason": reason_text(place.reasons()[0]) if place else "",
        "suggested_unit": first.unit if first else None,
        "suggested_unit_reason": reason_text(first.reasons[0]) if first else "",
    }


@login_required
@require_safe
def ticket_similar(request: AuthenticatedRequest) -> HttpResponse:
    """The open or recent tickets likely about the same matter as the call being typed, with
    the reasons, for the registration page (htmx); one click marks the call a repeat of one."""
    if not can_register(request.user):
        raise PermissionDenied(_("Your role may not register tickets."))
    context = _similar_context(request.user, request.GET)
    return render(request, "web/tickets/_similar.html", context)


@login_required
@require_safe
def ticket_unit_suggestion(request: AuthenticatedRequest) -> HttpResponse:
    """The grid and unit suggested for the address, category and grid typed so far, and the
    unit picker with the suggested unit first, for the registration page (htmx)."""
    if not can_register(request.user):
        raise PermissionDenied(_("Your role may not register tickets."))
    suggested = _suggested(request.GET)
    form = _register_form(request.user, suggested=suggested)
    if "unit" in form.fields:
        form.fields["unit"].initial = request.GET.get("unit") or ""
    context = {"form": form, "oob": True, **_suggestion_context(suggested)}
    return render(request, "web/tickets/_unit_suggestion.html", context)
