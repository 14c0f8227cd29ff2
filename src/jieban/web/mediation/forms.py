"""The mediation pages' forms: they parse what is posted; the domain checks every value."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jieban.mediation.models import (
    CaseSource,
    CaseStatus,
    DisputeType,
    FailureRoute,
    Party,
    Performance,
)

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


# Term rows the agreement's form offers (the API takes up to `MAX_TERMS`); blank rows are left out.
TERM_ROWS = 5
YES_NO = [("yes", _("Satisfied")), ("no", _("Not satisfied"))]


class AgreementForm(forms.Form):
    """The agreement (调解协议书): the parties come from the case; up to `TERM_ROWS` terms."""

    facts = forms.CharField(
        label=_("Facts of the dispute"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    applicant_responsibility = forms.CharField(
        label=_("The applicant's responsibility"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    respondent_responsibility = forms.CharField(
        label=_("The respondent's responsibility"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    signed_on = forms.CharField(
        label=_("Date signed"), widget=forms.DateInput(attrs={"type": "date"}), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for row in range(1, TERM_ROWS + 1):
            self.fields[f"term_{row}_obligor"] = forms.ChoiceField(
                label=_("Who performs it"), choices=BLANK + Party.choices, required=False
            )
            self.fields[f"term_{row}_content"] = forms.CharField(
                label=_("What is to be done"), required=False
            )
            self.fields[f"term_{row}_method"] = forms.CharField(label=_("How"), required=False)
            self.fields[f"term_{row}_due_on"] = forms.CharField(
                label=_("By when"),
                widget=forms.DateInput(attrs={"type": "date"}),
                required=False,
            )

    def head_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if not name.startswith("term_")]

    def more_rows_used(self) -> bool:
        """Whether a term row after the first holds a value or an error (shown open)."""
        names = [name for name in self.fields if name.startswith("term_") and name[5] != "1"]
        if self.is_bound and any(self.data.get(name) for name in names):
            return True
        return any(name in self.errors for name in names) if self.is_bound else False

    def term_rows(self) -> list[tuple[int, list[forms.BoundField]]]:
        return [
            (
                row,
                [self[f"term_{row}_{part}"] for part in ("obligor", "content", "method", "due_on")],
            )
            for row in range(1, TERM_ROWS + 1)
        ]


class PerformanceForm(forms.Form):
    term = forms.IntegerField(widget=forms.HiddenInput, required=False)
    performance = forms.ChoiceField(
        label=_("Performance"), choices=BLANK + Performance.choices, required=False
    )
    performed_on = forms.CharField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}), required=False
    )
    note = forms.CharField(label=_("Note"), required=False)


class VisitForm(forms.Form):
    visited_on = forms.CharField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}), required=False
    )
    called = forms.ChoiceField(
        label=_("Who was called"), choices=BLANK + Party.choices, required=False
    )
    statement = forms.CharField(
        label=_("What they said"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    satisfied = forms.ChoiceField(
        label=_("Satisfied?"), choices=YES_NO, widget=forms.RadioSelect, required=False
    )


class ScanForm(forms.Form):
    scan = forms.FileField(
        label=_("Signed scan (PDF or photo)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
        required=False,
    )


class HandoverForm(forms.Form):
    """Handing a dispute to a mediation committee (公调对接): the committee from the choices."""

    committee = forms.ChoiceField(label=_("Mediation committee"), required=False)
    dispute_type = forms.ChoiceField(
        label=_("Dispute type"), choices=DisputeType.choices, required=False
    )
    respondent = forms.CharField(label=_("Respondent"), required=False)
    note = forms.CharField(
        label=_("Note for the committee"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )

    def __init__(self, *args: object, committees: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["committee"].choices = BLANK + committees  # type: ignore[attr-defined]


class HandoverAcceptForm(forms.Form):
    mediators = forms.CharField(
        label=_("Mediators"),
        required=False,
        help_text=_("Usernames separated by commas; blank: yourself."),
    )


class HandoverDeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
