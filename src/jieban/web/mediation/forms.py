"""The mediation pages' forms: they parse what is posted; the domain checks every value."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jieban.mediation.models import CaseSource, CaseStatus, DisputeType, FailureRoute

BLANK: list[tuple[str, Any]] = [("", "—")]


class CaseForm(forms.Form):
    """Accepting a case (受理): the studio or committee comes from the choices offered."""

    forum = forms.ChoiceField(label=_("Studio or committee"), required=False)
    source = forms.ChoiceField(
        label=_("Source"), choices=BLANK + CaseSource.choices, required=False
    )
    ticket = forms.CharField(label=_("Ticket handed over"), required=False)
    dispute_type = forms.ChoiceField(
        label=_("Dispute type"), choices=BLANK + DisputeType.choices, required=False
    )
    applicant_name = forms.CharField(label=_("Applicant"), required=False)
    applicant_phone = forms.CharField(label=_("Applicant's phone"), required=False)
    respondent_name = forms.CharField(label=_("Respondent"), required=False)
    respondent_phone = forms.CharField(label=_("Respondent's phone"), required=False)
    amount = forms.CharField(label=_("Amount in dispute (yuan)"), required=False)
    facts = forms.CharField(
        label=_("Facts"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    mediators = forms.CharField(
        label=_("Mediators"),
        required=False,
        help_text=_("Usernames separated by commas; blank: yourself."),
    )

    def __init__(self, *args: object, forums: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["forum"].choices = BLANK + forums  # type: ignore[attr-defined]


class CaseFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("All")), *CaseStatus.choices], required=False
    )
    dispute_type = forms.ChoiceField(
        label=_("Dispute type"), choices=[("", _("All")), *DisputeType.choices], required=False
    )
    due_soon = forms.BooleanField(label=_("Due soon"), required=False)
    overdue = forms.BooleanField(label=_("Overdue"), required=False)


class SessionForm(forms.Form):
    held_on = forms.CharField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}), required=False
    )
    attendees = forms.CharField(label=_("Who attended"), required=False)
    discussion = forms.CharField(
        label=_("What was said"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    agreed = forms.CharField(
        label=_("What was agreed"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class SucceedForm(forms.Form):
    conclusion = forms.CharField(
        label=_("The agreement"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class FailForm(forms.Form):
    route = forms.ChoiceField(
        label=_("Route advised"), choices=BLANK + FailureRoute.choices, required=False
    )
    conclusion = forms.CharField(
        label=_("Why it failed"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False)


class ExtendForm(forms.Form):
    days = forms.CharField(
        label=_("Days"),
        initial="30",
        widget=forms.NumberInput(attrs={"min": 1, "max": 30}),
        required=False,
    )
    consent = forms.CharField(
        label=_("Both parties' consent"),
        help_text=_("How and when both parties agreed to more time."),
        required=False,
    )
