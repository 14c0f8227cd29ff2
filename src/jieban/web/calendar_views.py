"""The working-day calendar: a year's days as deadlines count them, and the administrators'
overrides (holiday or working day per date, with the notice it came from)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from jieban.errors import InvalidInput
from jieban.http import AuthenticatedRequest
from jieban.inputs import parse_day
from jieban.org.permissions import can_edit_calendar
from jieban.web.errors import answers_domain_errors, put_domain_error
from jieban.workcalendar import workdays
from jieban.workcalendar.models import DayKind

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


class CalendarOverrideForm(forms.Form):
    date = forms.DateField(
        label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=DayKind.choices)
    source = forms.CharField(
        label=gettext_lazy("Source notice"),
        required=False,
        widget=forms.TextInput(
            attrs={"placeholder": gettext_lazy("e.g. State Council notice of 2026-11-XX")}
        ),
    )


@dataclass
class CalendarRow:
    date: dt.date
    is_workday: bool
    source: str
    note: str | Promise


@login_required
@answers_domain_errors
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
            except InvalidInput as exc:
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
@answers_domain_errors
def calendar_remove(request: AuthenticatedRequest) -> HttpResponse:
    if not can_edit_calendar(request.user):
        raise PermissionDenied(_("Only administrators may change the calendar."))
    try:
        day = parse_day(request.POST.get("date", ""), field="date")
    except InvalidInput as exc:
        messages.error(request, exc.message)
        return redirect("web:calendar")
    if workdays.remove_override(date=day, by=request.user):
        messages.success(request, _("Override for %(date)s removed.") % {"date": day.isoformat()})
    else:
        messages.info(request, _("There was no override for %(date)s.") % {"date": day.isoformat()})
    return redirect("web:calendar_year", year=day.year)
