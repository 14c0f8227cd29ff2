"""The mediation studios: the list (host, address, phone, opening date, mediators with their
kinds, open cases), opening a studio, and a studio's page to edit it and add or remove its
mediators.

Who may: `can_see_studios` (the list and a studio's page), `can_manage_studios` (open one),
`can_edit_studio` (edit it, its mediators); the rules and writes: `jieban.mediation.studios`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from jieban.errors import Conflict, InvalidInput
from jieban.http import AuthenticatedRequest
from jieban.mediation.models import MediatorKind, Studio
from jieban.mediation.studios import (
    access_studio,
    add_mediator,
    close_studio,
    host_units,
    mediator_candidates,
    open_studio,
    remove_mediator,
    studio_list,
    update_studio,
)
from jieban.org.actors import Viewer
from jieban.org.permissions import can_edit_studio, can_manage_studios, require
from jieban.web.errors import answers_domain_errors, put_domain_error
from jieban.web.templatetags.jieban_web import localized

# ISO, as an <input type="date"> takes it whatever the page's language.
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# What a change says once done, by the page's form it came from.
DONE = {"edit": gettext_lazy("Studio saved."), "mediator": gettext_lazy("Mediator added.")}


class StudioForm(forms.Form):
    name = forms.CharField(
        label=pgettext_lazy("studio", "Name"),
        max_length=120,
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("e.g. Lao Yang's studio")}),
    )
    address = forms.CharField(label=gettext_lazy("Address"), max_length=200, required=False)
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=20, required=False)
    opened_on = forms.DateField(label=gettext_lazy("Opened on"), required=False, widget=DATE)


class NewStudioForm(StudioForm):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=40,
        help_text=gettext_lazy("Letters, digits, '-' or '_', e.g. MS-LAOYANG."),
    )
    host_unit = forms.ChoiceField(label=gettext_lazy("Host unit"))
    field_order = ["code", "name", "host_unit", "address", "phone", "opened_on"]

    def __init__(self, user: Viewer, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["host_unit"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(unit.code, localized(unit)) for unit in host_units(user)]


class MediatorForm(forms.Form):
    person = forms.ChoiceField(label=gettext_lazy("Mediator"))
    kind = forms.ChoiceField(label=gettext_lazy("Kind of mediator"), choices=MediatorKind.choices)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["person"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            (person.username, f"{person.display_name} ({person.username})")
            for person in mediator_candidates()
        ]


@login_required
@require_safe
@answers_domain_errors
def studio_index(request: AuthenticatedRequest) -> HttpResponse:
    """Every active studio with its host, mediators and open cases."""
    context = {"studios": studio_list(request.user), "may_open": can_manage_studios(request.user)}
    return render(request, "web/mediation/studios.html", context)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@answers_domain_errors
def studio_new(request: AuthenticatedRequest) -> HttpResponse:
    require(
        can_manage_studios(request.user),
        _("Only administrators and a station's or community's leaders may open a studio."),
    )
    status = 200
    if request.method != "POST":
        form = NewStudioForm(request.user)
    else:
        form = NewStudioForm(request.user, request.POST)
        status = 400
        if form.is_valid():
            try:
                studio = open_studio(**form.cleaned_data, by=request.user)
            except InvalidInput as exc:
                status = put_domain_error(form, exc)
            else:
                messages.success(request, _("Studio %(name)s opened.") % {"name": studio.name})
                return redirect("web:studio", pk=studio.pk)
    return render(request, "web/mediation/studio_form.html", {"form": form}, status=status)


def _page(
    request: AuthenticatedRequest,
    studio: Studio,
    *,
    edit: forms.Form | None = None,
    mediator: forms.Form | None = None,
    status: int = 200,
) -> HttpResponse:
    initial = {
        "name": studio.name,
        "address": studio.address,
        "phone": studio.phone,
        "opened_on": studio.opened_on,
    }
    context = {
        "studio": studio,
        "may_edit": can_edit_studio(request.user, studio.host_unit_id),
        "edit_form": edit or StudioForm(initial=initial),
        "mediator_form": mediator or MediatorForm(),
    }
    return render(request, "web/mediation/studio.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@answers_domain_errors
def studio_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A studio; its host's leaders and administrators edit it here."""
    studio = access_studio(request.user, pk)
    if request.method != "POST":
        return _page(request, studio)
    return _change(request, studio, StudioForm(request.POST), update_studio, "edit")


@login_required
@require_POST
@answers_domain_errors
def studio_mediator_add(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    studio = access_studio(request.user, pk)
    return _change(request, studio, MediatorForm(request.POST), add_mediator, "mediator")


def _change(
    request: AuthenticatedRequest,
    studio: Studio,
    form: forms.Form,
    act: Callable[..., object],
    slot: str,
) -> HttpResponse:
    """A change to `studio` from `form` by the domain's `act`; the page again with the form
    in `slot` ("edit" or "mediator") and its messages when something is wrong."""
    require(
        can_edit_studio(request.user, studio.host_unit_id),
        _("Only administrators and the host unit's leaders may change this studio."),
    )
    status = 400
    if form.is_valid():
        try:
            act(studio.pk, **form.cleaned_data, by=request.user)
        except InvalidInput as exc:
            status = put_domain_error(form, exc)
        else:
            messages.success(request, DONE[slot])
            return redirect("web:studio", pk=studio.pk)
    return _page(request, studio, status=status, **{slot: form})


@login_required
@require_POST
@answers_domain_errors
def studio_mediator_remove(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    studio = access_studio(request.user, pk)
    try:
        remove_mediator(pk, person=request.POST.get("person", ""), by=request.user)
    except InvalidInput as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Mediator removed."))
    return redirect("web:studio", pk=studio.pk)


@login_required
@require_POST
@answers_domain_errors
def studio_close(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Close the studio (administrators and its host's leaders, once no case is open): back to
    the list; while a case is open, the studio's page says why not."""
    studio = access_studio(request.user, pk)
    try:
        close_studio(pk, by=request.user)
    except Conflict as exc:
        messages.error(request, exc.message)
        return redirect("web:studio", pk=studio.pk)
    messages.success(request, _("Studio %(name)s closed.") % {"name": studio.name})
    return redirect("web:studios")
