"""Appointment letters (聘书): the station's letters with those expiring within 30 days, the
form to issue one, a letter's page with its renewal and revocation, its A4 print sheet, and
an appointee's own letters.

Who may: `can_issue_appointments` (a station's leaders for their station's letters,
administrators for every station's), `can_read_own_appointments` (the people letters
appoint, their own); which letters: `jieban.community.access`.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from openpyxl import Workbook
from openpyxl.styles import Font

from jieban.community.access import (
    access_appointment,
    is_bureau_wide,
    managed_appointments,
    managed_grids,
    own_appointments,
    visible_buildings,
)
from jieban.community.appointments import (
    EXPIRY_WARNING_DAYS,
    POST_ROLES,
    expiring_appointments,
    issue_appointment,
    renew_appointment,
    revoke_appointment,
)
from jieban.community.bulk_entry import (
    MAX_FILE_BYTES,
    MAX_ROWS,
    BulkEntryRefused,
    column_headers,
    enter_building_heads,
)
from jieban.community.models import Appointment, AppointmentStatus, Post
from jieban.errors import Conflict, InvalidInput
from jieban.http import AuthenticatedRequest
from jieban.org.actors import Viewer
from jieban.org.models import Unit, UnitKind, User
from jieban.org.permissions import (
    can_issue_appointments,
    can_read_own_appointments,
    require,
)
from jieban.sheets import listed
from jieban.web.errors import answers_domain_errors, put_domain_error
from jieban.web.excel import XLSX, guarded_row
from jieban.web.pages import bureau_heading
from jieban.web.templatetags.jieban_web import localized

# ISO, as an <input type="date"> takes it whatever the page's language.
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MAX_UPLOAD = MAX_FILE_BYTES


class AppointmentForm(forms.Form):
    post = forms.ChoiceField(label=gettext_lazy("Post"), choices=Post.choices)
    person = forms.ChoiceField(label=gettext_lazy("Person"))
    buildings = forms.MultipleChoiceField(
        label=gettext_lazy("Buildings (a building head)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    grids = forms.MultipleChoiceField(
        label=gettext_lazy("Grids (a grid police chief or grid officer)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    starts_on = forms.DateField(label=gettext_lazy("Term starts"), widget=DATE)
    ends_on = forms.DateField(label=gettext_lazy("Term ends"), widget=DATE)
    station = forms.ChoiceField(label=gettext_lazy("Issuing station"), required=False)

    def __init__(self, user: Viewer, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        roles = set().union(*POST_ROLES.values())
        people = User.objects.filter(is_active=True, role__in=roles).select_related("unit")
        if not is_bureau_wide(user):
            assert isinstance(user, User)
            grid_ids = [place.grid.pk for place in managed_grids(user)]
            people = people.filter(unit__in=[user.unit_id, *grid_ids])
            del self.fields["station"]
        else:
            self._choices("station", [
                (unit.code, localized(unit))
                for unit in Unit.objects.filter(kind=UnitKind.STATION, is_active=True)
            ])  # fmt: skip
        self._choices("person", [
            (person.username, f"{person.display_name} ({person.get_role_display()}, "
                              f"{localized(person.unit)})")
            for person in people.order_by("username")
        ])  # fmt: skip
        self._choices("buildings", [
            (str(building.pk), f"{localized(building.grid)} · {building.name}")
            for building in visible_buildings(user).order_by("grid__code", "name")
        ])  # fmt: skip
        self._choices("grids", [
            (place.code, f"{place.code} {localized(place.grid)}") for place in managed_grids(user)
        ])  # fmt: skip

    def _choices(self, name: str, choices: list[tuple[str, str]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices


class RenewForm(forms.Form):
    ends_on = forms.DateField(label=gettext_lazy("New term ends"), widget=DATE)


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


def _issuers_only(user: Viewer) -> None:
    if not can_issue_appointments(user):
        raise PermissionDenied(
            _("Only a station's leaders and administrators may issue appointment letters.")
        )


def _with_places(letters: Any) -> Any:
    return letters.prefetch_related("buildings__grid", "grids")


@login_required
@require_safe
@answers_domain_errors
def appointment_list(request: AuthenticatedRequest) -> HttpResponse:
    """The letters of the station (every station's for administrators), newest first, with
    those in force that expire within 30 days above them."""
    _issuers_only(request.user)
    context = {
        "expiring": _with_places(expiring_appointments(request.user)),
        "letters": _with_places(managed_appointments(request.user))[:500],
        "days": EXPIRY_WARNING_DAYS,
    }
    return render(request, "web/community/appointments.html", context)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@answers_domain_errors
def appointment_new(request: AuthenticatedRequest) -> HttpResponse:
    _issuers_only(request.user)
    status = 200
    if request.method != "POST":
        today = timezone.localdate()
        initial = {"starts_on": today, "ends_on": today.replace(year=today.year + 3)}
        form = AppointmentForm(request.user, initial=initial)
    else:
        form = AppointmentForm(request.user, request.POST)
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                letter = issue_appointment(
                    person=data["person"],
                    post=data["post"],
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                    buildings=[int(pk) for pk in data["buildings"]],
                    grids=data["grids"],
                    station=data.get("station") or None,
                    by=request.user,
                )
            except InvalidInput as exc:
                status = put_domain_error(form, exc)
            else:
                messages.success(
                    request, _("Letter %(number)s issued.") % {"number": letter.number}
                )
                return redirect("web:appointment_detail", pk=letter.pk)
    return render(request, "web/community/appointment_form.html", {"form": form}, status=status)


def _detail(
    request: AuthenticatedRequest,
    letter: Appointment,
    *,
    renew: forms.Form | None = None,
    revoke: forms.Form | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "letter": letter,
        "renew_form": renew or RenewForm(),
        "revoke_form": revoke or RevokeForm(),
        "next_start": letter.ends_on + dt.timedelta(days=1),
        "buildings": letter.buildings.select_related("grid").order_by("grid__code", "name"),
        "grids": letter.grids.order_by("code"),
    }
    return render(request, "web/community/appointment.html", context, status=status)


@login_required
@require_safe
@answers_domain_errors
def appointment_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    _issuers_only(request.user)
    return _detail(request, access_appointment(request.user, pk, to_manage=True))


@login_required
@require_POST
@answers_domain_errors
def appointment_renew(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    def renew(form: forms.Form) -> Appointment:
        return renew_appointment(pk, ends_on=form.cleaned_data["ends_on"], by=request.user)

    return _change(request, pk, RenewForm(request.POST), renew, "renew")


@login_required
@require_POST
@answers_domain_errors
def appointment_revoke(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    def revoke(form: forms.Form) -> Appointment:
        return revoke_appointment(pk, reason=form.cleaned_data["reason"], by=request.user)

    return _change(request, pk, RevokeForm(request.POST), revoke, "revoke")


# What renewing or revoking a letter says once done (the letter's number in it).
CHANGED = {
    "renew": gettext_lazy("Letter %(number)s issued."),
    "revoke": gettext_lazy("Letter %(number)s revoked."),
}


def _change(
    request: AuthenticatedRequest,
    pk: int,
    form: forms.Form,
    act: Callable[[forms.Form], Appointment],
    slot: str,
) -> HttpResponse:
    """Renew or revoke letter `pk` by `act` from `form`; the letter's page again with the form
    in `slot` and its message when something is wrong."""
    _issuers_only(request.user)
    letter = access_appointment(request.user, pk, to_manage=True)
    status = 400
    if form.is_valid():
        try:
            changed = act(form)
        except (InvalidInput, Conflict) as exc:
            status = put_domain_error(form, exc)
        else:
            messages.success(request, CHANGED[slot] % {"number": changed.number})
            return redirect("web:appointment_detail", pk=changed.pk)
    return _detail(request, letter, status=status, **{slot: form})


@login_required
@require_safe
@answers_domain_errors
def appointment_print(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """聘书 on one A4 page, in the style of the supervision order's sheet: for the issuing
    station's leaders and administrators, and for the person it appoints (404 for anyone
    else)."""
    letter = access_appointment(request.user, pk)
    manages = managed_appointments(request.user).filter(pk=letter.pk).exists()
    context = {
        "letter": letter,
        "back_url": (
            reverse("web:appointment_detail", kwargs={"pk": letter.pk})
            if manages
            else reverse("web:my_appointments")
        ),
        "bureau": bureau_heading(),
        "buildings": letter.buildings.select_related("grid").order_by("grid__code", "name"),
        "grids": letter.grids.order_by("code"),
    }
    return render(request, "web/community/appointment_print.html", context)


@login_required
@require_safe
@answers_domain_errors
def my_appointments(request: AuthenticatedRequest) -> HttpResponse:
    """The letters that appoint the person, current and past, each with its print sheet."""
    require(
        can_read_own_appointments(request.user),
        _("Only building heads, grid officers and a station's people hold appointment letters."),
    )
    today = timezone.localdate()
    letters = list(_with_places(own_appointments(request.user)))
    context = {
        "current": [
            letter for letter in letters
            if letter.status == AppointmentStatus.ACTIVE
            and letter.starts_on <= today <= letter.ends_on
        ],
        "letters": letters,
    }  # fmt: skip
    return render(request, "web/community/my_appointments.html", context)


class BulkEntryForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Filled-in sheet (.xlsx)"))
    station = forms.ChoiceField(label=gettext_lazy("Issuing station"), required=False)

    def __init__(self, user: Viewer, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not is_bureau_wide(user):
            del self.fields["station"]
            return
        field = self.fields["station"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            (unit.code, localized(unit))
            for unit in Unit.objects.filter(kind=UnitKind.STATION, is_active=True)
        ]


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@answers_domain_errors
def appointment_bulk(request: AuthenticatedRequest) -> HttpResponse:
    """Bulk entry of building heads: the template to download, the filled-in sheet to upload;
    every row's errors shown with the form, nothing written when any row is wrong."""
    _issuers_only(request.user)
    status = 200
    errors: list[Any] = []
    if request.method != "POST":
        form = BulkEntryForm(request.user)
    else:
        form = BulkEntryForm(request.user, request.POST, request.FILES)
        status = 400
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                entry = enter_building_heads(
                    # At most one byte over the limit is read: enough to refuse a larger file.
                    upload.read(MAX_UPLOAD + 1),
                    station=form.cleaned_data.get("station") or None,
                    by=request.user,
                )
            except BulkEntryRefused as exc:
                errors = exc.errors
                form.add_error(None, exc.message)
            except InvalidInput as exc:
                status = put_domain_error(form, exc)
            else:
                messages.success(
                    request,
                    _("%(letters)d letters issued; %(people)d building heads added, who log in "
                      "once an administrator has set their password.")
                    % {"letters": len(entry.letters), "people": len(entry.created)},
                )  # fmt: skip
                return redirect("web:appointments")
    context = {
        "form": form,
        "errors": errors,
        "headers": listed(column_headers()),
        "max_rows": MAX_ROWS,
    }
    return render(request, "web/community/appointment_bulk.html", context, status=status)


@login_required
@require_safe
@answers_domain_errors
def appointment_bulk_template(request: AuthenticatedRequest) -> HttpResponse:
    """The sheet to fill in: its headers, and on a second sheet
    the buildings one may name (those of the station's area)."""
    _issuers_only(request.user)
    book = Workbook(write_only=True)
    bold = Font(bold=True)
    heads = book.create_sheet(_("Building heads"))
    heads.append(guarded_row(heads, column_headers(), font=bold))
    places = book.create_sheet(_("Buildings"))
    places.append(
        guarded_row(places, [_("Grid code"), _("Grid"), _("Building"), _("Address"), "ID"],
                    font=bold)
    )  # fmt: skip
    for building in visible_buildings(request.user).order_by("grid__code", "name"):
        places.append(
            guarded_row(places, [building.grid.code, localized(building.grid), building.name,
                                 building.address, building.pk])
        )  # fmt: skip
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="jieban-building-heads.xlsx"'
    return response
