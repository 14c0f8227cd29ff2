"""Reporting from the phone (随手报): the form a building head or grid officer sends from a
375-pixel screen, and the list of their own reports with each ticket's status and result.

Who may: `can_report_from_phone`; a letter in force is checked by `send_phone_report`, and the
page says when there is none instead of offering a form that cannot be sent.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from jieban.community.models import Post
from jieban.community.reports import (
    ReportDraft,
    ReportingPlaces,
    my_reports,
    new_idempotency_key,
    no_letter_message,
    reporting_places,
    send_phone_report,
)
from jieban.errors import Conflict, InvalidInput
from jieban.http import AuthenticatedRequest
from jieban.org.actors import Viewer
from jieban.org.permissions import can_report_from_phone
from jieban.tickets.models import Category
from jieban.web.errors import answers_domain_errors, put_domain_error
from jieban.web.forms import MultipleFileField, MultipleFileInput, category_choices
from jieban.web.templatetags.jieban_web import localized


class PhotoInput(MultipleFileInput):
    """The phone's camera: images, the back camera first, several at once."""

    def __init__(self) -> None:
        super().__init__(attrs={"accept": "image/*", "capture": "environment"})


class PhoneReportForm(forms.Form):
    category = forms.ChoiceField(
        label=gettext_lazy("Kind of problem"),
        error_messages={"required": gettext_lazy("Choose the kind of problem.")},
    )
    building = forms.TypedChoiceField(
        label=gettext_lazy("Building"), coerce=int, required=False, empty_value=None
    )
    grid = forms.ChoiceField(label=gettext_lazy("Grid"), required=False)
    content = forms.CharField(
        label=gettext_lazy("What did you see?"),
        max_length=4000,
        widget=forms.Textarea(
            attrs={
                "rows": 4,
                "placeholder": gettext_lazy(
                    "Write or dictate a line (the microphone on the keyboard)"
                ),
            }
        ),
        error_messages={"required": gettext_lazy("Write what you saw.")},
    )
    photos = MultipleFileField(label=gettext_lazy("Photos"), required=False, widget=PhotoInput())
    latitude = forms.CharField(required=False, widget=forms.HiddenInput)
    longitude = forms.CharField(required=False, widget=forms.HiddenInput)
    idempotency_key = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, places: ReportingPlaces, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        category = self.fields["category"]
        assert isinstance(category, forms.ChoiceField)
        categories = Category.objects.filter(is_active=True).order_by("code")
        category.choices = [("", _("— choose —")), *category_choices(categories)]
        building = self.fields["building"]
        assert isinstance(building, forms.ChoiceField)
        grid = self.fields["grid"]
        assert isinstance(grid, forms.ChoiceField)
        # A building head picks one of his buildings when he has several; a grid officer one
        # of his grids. One place needs no question.
        if places.post == Post.BUILDING_HEAD and len(places.buildings) > 1:
            building.choices = [("", _("— choose —"))] + [
                (item.pk, f"{item.name}（{item.address}）") for item in places.buildings
            ]
            building.required = True
        else:
            del self.fields["building"]
        if places.post == Post.GRID_OFFICER and len(places.grids) > 1:
            grid.choices = [("", _("— choose —"))] + [
                (item.code, f"{item.code} {localized(item)}") for item in places.grids
            ]
            grid.required = True
        else:
            del self.fields["grid"]


def _reporters_only(user: Viewer) -> None:
    if not can_report_from_phone(user):
        raise PermissionDenied(_("Only building heads and grid officers report from the phone."))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@answers_domain_errors
def report_new(request: AuthenticatedRequest) -> HttpResponse:
    """The report form (GET draws it with a fresh key); POST sends it once per key."""
    _reporters_only(request.user)
    places = reporting_places(request.user)
    if request.method != "POST":
        form = PhoneReportForm(places, initial={"idempotency_key": new_idempotency_key()})
        return _page(request, form, places)
    form = PhoneReportForm(places, request.POST, request.FILES)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        draft = ReportDraft(
            content=data["content"],
            idempotency_key=data["idempotency_key"],
            category=data["category"],
            building=data.get("building"),
            grid=data.get("grid") or None,
            latitude=data["latitude"],
            longitude=data["longitude"],
            photos=data["photos"],
        )
        try:
            ticket, created = send_phone_report(draft, by=request.user)
        except (InvalidInput, Conflict) as exc:
            status = put_domain_error(form, exc)
        else:
            if created:
                messages.success(request, _("Sent: ticket %(number)s.") % {"number": ticket.number})
            else:
                messages.info(
                    request,
                    _("Ticket %(number)s was already sent; nothing was sent twice.")
                    % {"number": ticket.number},
                )
            return redirect("web:phone_reports")
    return _page(request, form, places, status=status)


def _page(
    request: AuthenticatedRequest,
    form: PhoneReportForm,
    places: ReportingPlaces,
    *,
    status: int = 200,
) -> HttpResponse:
    place = ""
    if places.post == Post.BUILDING_HEAD and len(places.buildings) == 1:
        place = f"{places.buildings[0].name}（{places.buildings[0].address}）"
    elif places.post == Post.GRID_OFFICER and len(places.grids) == 1:
        place = f"{places.grids[0].code} {localized(places.grids[0])}"
    context = {
        "form": form,
        "places": places,
        "place": place,
        "no_letter": "" if places.letters else no_letter_message(),
    }
    return render(request, "web/community/report_new.html", context, status=status)


@login_required
@require_safe
@answers_domain_errors
def report_list(request: AuthenticatedRequest) -> HttpResponse:
    """My reports: each one's ticket, status and result, newest first."""
    _reporters_only(request.user)
    context = {"reports": my_reports(request.user)}
    return render(request, "web/community/reports.html", context)
