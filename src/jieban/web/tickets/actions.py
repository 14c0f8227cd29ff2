"""The forms posted into the ticket page's panel: the transitions (dispatch, accept, …), a
supervision order, a repeat report; the follow-up call posts through `ticket_form_post` too.

Each parses its form and calls one domain function. Posted with htmx, a refused form comes back
in the panel; without JavaScript the same URL renders the whole page again. Why it was refused
is `jieban.web.errors.refusal`'s answer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jieban.errors import DomainError, NotFound
from jieban.exchange.actions import report_progress
from jieban.http import AuthenticatedRequest
from jieban.intake.actions import mark_repeat
from jieban.org.actors import Actor
from jieban.org.models import Unit
from jieban.tickets import transitions
from jieban.tickets.access import access_ticket
from jieban.tickets.extensions import approve_extension, reject_extension, request_extension
from jieban.tickets.models import Status
from jieban.tickets.supervision import level_label, supervise_ticket
from jieban.tickets.transitions import ACTION_LABELS, Action
from jieban.web.errors import Refusal, refusal
from jieban.web.menu import TicketForm
from jieban.web.pages import dispatchable_units, is_htmx, visible_ticket_or_404
from jieban.web.tickets.detail import dispatch_label, panel_context, render_detail
from jieban.web.tickets.forms import (
    ACTION_FORMS,
    TICKET_FORMS,
    ActionForm,
    DispatchForm,
    ticket_form_id,
)


def _perform(action: str, number: str, form: ActionForm, units: Sequence[Unit], by: Actor) -> None:
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
        transitions.resolve_ticket(
            number,
            result=data["result"],
            outcome=data.get("outcome") or "",
            by=by,
            expected_version=version,
        )
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


def _refused(
    request: AuthenticatedRequest,
    number: str,
    refused: Refusal,
    *,
    failed: tuple[str, ActionForm] | None = None,
    failed_form: tuple[str, forms.Form] | None = None,
) -> HttpResponse:
    """The panel again with the refused form and why: alone for htmx, else in its page."""
    ticket = visible_ticket_or_404(request.user, number)
    panel = panel_context(request, ticket, failed=failed, failed_form=failed_form, refused=refused)
    if is_htmx(request):
        return render(request, "web/tickets/_actions.html", panel, status=refused.status)
    return render_detail(request, ticket, panel=panel, status=refused.status)


def done_and_go(request: HttpRequest, *, message: str, target: str) -> HttpResponse:
    messages.success(request, message)
    if is_htmx(request):
        return HttpResponse(headers={"HX-Redirect": target})
    return redirect(target)


@login_required
@require_POST
def ticket_action(request: AuthenticatedRequest, number: str, action: str) -> HttpResponse:
    if action not in ACTION_FORMS:
        raise Http404
    # An invisible ticket is a 404 whatever the body says.
    try:
        ticket = access_ticket(request.user, number)
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
    refused = Refusal()
    if form.is_valid():
        # Named as its button was, before it was taken: 改派 when it goes to another unit.
        label = dispatch_label(ticket) if action == Action.DISPATCH else ACTION_LABELS[action]
        try:
            _perform(action, number, form, units, request.user)
        except NotFound as exc:
            return _gone(request, exc)
        except DomainError as exc:
            refused = refusal(form, exc)
        else:
            target = reverse("web:ticket_detail", kwargs={"number": number})
            done = _("Done: %(action)s.") % {"action": label}
            return done_and_go(request, message=done, target=target)
    return _refused(request, number, refused, failed=(action, form))


def ticket_form_post(
    request: AuthenticatedRequest,
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
    refused = Refusal()
    if form.is_valid():
        try:
            done = perform(form.cleaned_data)
        except NotFound as exc:
            return _gone(request, exc)
        except DomainError as exc:
            refused = refusal(form, exc)
        else:
            target = reverse("web:ticket_detail", kwargs={"number": number})
            return done_and_go(request, message=done, target=target)
    return _refused(request, number, refused, failed_form=(key, form))


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
def ticket_extension(request: AuthenticatedRequest, number: str) -> HttpResponse:
    def perform(data: dict[str, Any]) -> str:
        extension = request_extension(
            number, days=data["days"], reason=data["reason"], by=request.user
        )
        return _("Asked for %(days)d more working days; the command centre decides.") % {
            "days": extension.days
        }

    return ticket_form_post(request, number, TicketForm.EXTEND, perform)


@login_required
@require_POST
def ticket_progress(request: AuthenticatedRequest, number: str) -> HttpResponse:
    """阶段性回复: the unit's progress note, sent on to the 12345 platform."""

    def perform(data: dict[str, Any]) -> str:
        report_progress(number, note=data["note"], by=request.user)
        return _("Progress reported; it is sent on to the 12345 platform.")

    return ticket_form_post(request, number, TicketForm.PROGRESS, perform)


@login_required
@require_POST
def ticket_extension_approve(request: AuthenticatedRequest, number: str) -> HttpResponse:
    def perform(data: dict[str, Any]) -> str:
        extension = approve_extension(number, note=data["note"], by=request.user)
        assert extension.due_at_after is not None  # approval sets it
        return _("Extension approved: the new deadline is %(due)s.") % {
            "due": timezone.localtime(extension.due_at_after).strftime("%Y-%m-%d %H:%M")
        }

    return ticket_form_post(request, number, TicketForm.APPROVE_EXTENSION, perform)


@login_required
@require_POST
def ticket_extension_reject(request: AuthenticatedRequest, number: str) -> HttpResponse:
    def perform(data: dict[str, Any]) -> str:
        reject_extension(number, note=data["note"], by=request.user)
        return _("Extension rejected: the deadline stays.")

    return ticket_form_post(request, number, TicketForm.REJECT_EXTENSION, perform)
