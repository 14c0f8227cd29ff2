"""The supervision pages' forms: the supervisor's filter bar and the follow-up queue's (the
follow-up call's form is the ticket page's, `jieban.web.tickets.forms.VisitForm`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jieban.org.models import Unit
from jieban.tickets.models import SupervisionLevel
from jieban.tickets.visits import EarlierCalls
from jieban.web.forms import unit_choices


class SupervisionFilterForm(forms.Form):
    """Only renders the supervisor's filter bar; the values go to `supervision_order_page`."""

    level = forms.ChoiceField(
        label=_("Level"),
        required=False,
        choices=[("", _("Any level")), *SupervisionLevel.choices],
    )
    unit = forms.ChoiceField(label=_("Unit"), required=False)
    overdue = forms.BooleanField(label=_("Overdue orders only"), required=False)
    fulfilled = forms.BooleanField(
        label=_("Include fulfilled and superseded orders"), required=False
    )

    def __init__(self, *args: Any, units: Sequence[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unit_field = self.fields["unit"]
        assert isinstance(unit_field, forms.ChoiceField)
        unit_field.choices = [("", _("Any unit")), *unit_choices(units)]


class FollowUpFilterForm(forms.Form):
    """Only renders the follow-up queue's filter bar; the values go to `waiting_for_call`."""

    unit = forms.ChoiceField(label=_("Unit"), required=False)
    calls = forms.ChoiceField(
        label=_("Earlier calls"),
        required=False,
        choices=[("", _("Any calls")), *EarlierCalls.choices],
    )
    waited = forms.CharField(
        label=_("Waiting at least (days)"),
        required=False,
        widget=forms.NumberInput(attrs={"min": 0, "inputmode": "numeric"}),
    )

    def __init__(self, *args: Any, units: Sequence[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unit_field = self.fields["unit"]
        assert isinstance(unit_field, forms.ChoiceField)
        unit_field.choices = [("", _("Any unit")), *unit_choices(units)]
