"""Buildings (楼栋/院落): the list of the grids one manages, and the form to add or edit one.

Who may: `can_manage_buildings` (a station's leaders for their area's grids, administrators
for every grid); which buildings and grids: `jieban.community.access`.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from jieban.community.access import access_building, managed_grids, visible_buildings
from jieban.community.actions import create_building, update_building
from jieban.community.models import Building, BuildingKind
from jieban.errors import InvalidInput
from jieban.http import AuthenticatedRequest
from jieban.org.actors import Viewer
from jieban.org.permissions import can_manage_buildings
from jieban.web.errors import answers_domain_errors, put_domain_error
from jieban.web.templatetags.jieban_web import localized


class BuildingForm(forms.Form):
    grid = forms.ChoiceField(label=gettext_lazy("Grid"))
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=BuildingKind.choices)
    name = forms.CharField(
        label=pgettext_lazy("building", "Name"),
        max_length=120,
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("e.g. Building 3")}),
    )
    address = forms.CharField(label=gettext_lazy("Address"), max_length=200)

    def __init__(self, user: Viewer, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        grid_field = self.fields["grid"]
        assert isinstance(grid_field, forms.ChoiceField)
        grid_field.choices = [
            (place.code, f"{place.code} {localized(place.grid)}") for place in managed_grids(user)
        ]


def _managers_only(user: Viewer) -> None:
    if not can_manage_buildings(user):
        raise PermissionDenied(
            _("Only a station's leaders and administrators may manage buildings.")
        )


@login_required
@require_safe
@answers_domain_errors
def building_list(request: AuthenticatedRequest) -> HttpResponse:
    """The buildings of the grids the person manages, filtered by grid."""
    _managers_only(request.user)
    grids = managed_grids(request.user)
    chosen = request.GET.get("grid", "")
    buildings = visible_buildings(request.user).order_by("grid__code", "name")
    if chosen:
        buildings = buildings.filter(grid__code=chosen)
    context = {"grids": grids, "chosen": chosen, "buildings": buildings}
    return render(request, "web/community/buildings.html", context)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@answers_domain_errors
def building_new(request: AuthenticatedRequest) -> HttpResponse:
    _managers_only(request.user)
    if request.method != "POST":
        initial = {"grid": request.GET.get("grid", "")}
        return _form_page(request, BuildingForm(request.user, initial=initial), None)
    return _save(request, BuildingForm(request.user, request.POST), None)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@answers_domain_errors
def building_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    _managers_only(request.user)
    building = access_building(request.user, pk)
    if request.method != "POST":
        initial = {
            "grid": building.grid.code,
            "kind": building.kind,
            "name": building.name,
            "address": building.address,
        }
        return _form_page(request, BuildingForm(request.user, initial=initial), building)
    return _save(request, BuildingForm(request.user, request.POST), building)


def _save(
    request: AuthenticatedRequest, form: BuildingForm, building: Building | None
) -> HttpResponse:
    status = 400
    if form.is_valid():
        fields = form.cleaned_data
        try:
            if building is None:
                saved = create_building(**fields, by=request.user)
            else:
                saved = update_building(building.pk, **fields, by=request.user)
        except InvalidInput as exc:
            status = put_domain_error(form, exc)
        else:
            messages.success(request, _("%(name)s saved.") % {"name": saved.name})
            return redirect(f"{reverse('web:buildings')}?grid={saved.grid.code}")
    return _form_page(request, form, building, status=status)


def _form_page(
    request: AuthenticatedRequest,
    form: BuildingForm,
    building: Building | None,
    *,
    status: int = 200,
) -> HttpResponse:
    context = {"form": form, "building": building}
    return render(request, "web/community/building_form.html", context, status=status)
