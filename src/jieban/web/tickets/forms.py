"""The ticket pages' forms: registration, the actions of the ticket page and its other forms
(supervise, follow-up call, repeat), attachments, the list's filters and saved filters.

Lenient fields, rules in the domain: see `jieban.web.forms`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from jieban.intake.actions import MACHINE_CHANNELS, TicketDraft
from jieban.org.models import Unit
from jieban.tickets.models import OPEN, Category, Channel, Outcome, Status, VisitOutcome
from jieban.tickets.transitions import Action
from jieban.web.forms import (
    MultipleFileField,
    category_choices,
    grouped_unit_choices,
    searchable,
    unit_choices,
)
from jieban.web.menu import TicketForm

# The channels a person registers a call from: the machine channels come through the API.
HAND_CHANNELS = [
    (value, label) for value, label in Channel.choices if value not in MACHINE_CHANNELS
]


def unit_picker(units: Sequence[Unit], *, suggested: tuple[str, str] | None = None) -> list[Any]:
    """A unit picker's choices: none yet, the suggested unit (code, label saying why) if
    any, then the units by kind, police stations first."""
    first = [(_("Suggested"), [suggested])] if suggested else []
    return [("", "—"), *first, *grouped_unit_choices(units)]


class RegisterTicketForm(forms.Form):
    """What a dispatcher types during a phone call, in the order the call goes; the unit to
    dispatch it to at once comes last, beside its own button (`dispatch_field`)."""

    resident_phone = forms.CharField(
        label=_("Phone"),
        required=False,
        widget=forms.TextInput(
            attrs={"type": "tel", "autofocus": True, "inputmode": "tel", "autocomplete": "off"}
        ),
    )
    resident_name = forms.CharField(
        label=_("Name"), required=False, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=HAND_CHANNELS, initial=Channel.PHONE)
    external_id = forms.CharField(
        label=_("Platform ticket number"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text=_("The number the 12345 or online platform gave the matter, if it has one."),
    )
    address = forms.CharField(
        label=_("Address"), required=False, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    grid = forms.ChoiceField(label=_("Grid"), required=False)
    # No default: the dispatcher picks one. site.js puts a search box before the list: type
    # part of a name, Enter picks the first.
    category = forms.ChoiceField(
        label=_("Category"),
        error_messages={"required": _("Choose a category.")},
        widget=forms.Select(
            attrs=searchable(_("Search the categories"), _("Type to narrow the list, e.g. 噪音"))
        ),
    )
    title = forms.CharField(
        label=_("Title"),
        required=False,
        help_text=_("Optional: the first line of the content is used otherwise."),
    )
    content = forms.CharField(
        label=_("Content"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "required": True, "data-submit-on-ctrl-enter": ""}),
        help_text=_("What the resident reports; at most 4,000 characters."),
    )
    received_at = forms.DateTimeField(
        label=_("Received at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Leave empty for now."),
    )
    attachments = MultipleFileField(label=_("Attachments"), required=False)
    # 重复反映: the earlier ticket this call reports again, picked from the caller's recent
    # tickets (radio buttons outside the field loop); `mark_repeat` checks it.
    repeat_of = forms.CharField(required=False, widget=forms.HiddenInput)
    # 登记并交办: the unit the ticket goes to at once, with the second button. Only for those
    # who may dispatch; `dispatch_ticket` checks it.
    unit = forms.ChoiceField(
        label=_("Dispatch to"),
        required=False,
        widget=forms.Select(
            attrs=searchable(_("Search the units"), _("Type to narrow the list, e.g. 派出所"))
        ),
    )

    # The name and values of the two submit buttons.
    THEN = "then"
    REGISTER, DISPATCH = "register", "dispatch"

    def __init__(
        self,
        *args: Any,
        grids: Sequence[Unit],
        categories: Sequence[Category],
        units: Sequence[Unit] | None = None,
        suggested_unit: tuple[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        """`units`: the units one may dispatch to at once; None for someone who may not;
        `suggested_unit`: (code, label saying why), first in the picker."""
        super().__init__(*args, **kwargs)
        self.units = list(units or ())
        grid_field = self.fields["grid"]
        assert isinstance(grid_field, forms.ChoiceField)
        grid_field.choices = [("", "—"), *unit_choices(grids)]
        category_field = self.fields["category"]
        assert isinstance(category_field, forms.ChoiceField)
        category_field.choices = [("", _("— choose —")), *category_choices(categories)]
        if units is None:
            del self.fields["unit"]
        else:
            unit_field = self.fields["unit"]
            assert isinstance(unit_field, forms.ChoiceField)
            unit_field.choices = unit_picker(units, suggested=suggested_unit)

    def suggest_unit(self, suggested: tuple[str, str] | None) -> None:
        """Put the suggested unit (code, label saying why) first in the picker."""
        unit_field = self.fields.get("unit")
        if suggested is None or not isinstance(unit_field, forms.ChoiceField):
            return
        unit_field.choices = unit_picker(self.units, suggested=suggested)

    @property
    def dispatch_field(self) -> forms.BoundField | None:
        return self["unit"] if "unit" in self.fields else None

    def wants_dispatch(self) -> bool:
        """Whether the person pressed 登记并交办."""
        return self.data.get(self.THEN) == self.DISPATCH

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        unit = data.get("unit") or ""
        if self.wants_dispatch() and not unit and "unit" in self.fields:
            self.add_error("unit", _("Choose the unit to dispatch the ticket to."))
        elif unit and not self.wants_dispatch():
            # Never drop a chosen unit without a word.
            self.add_error(
                "unit",
                _(
                    "To dispatch at once, press “Register and dispatch”; to register only, "
                    "leave the unit empty."
                ),
            )
        return data

    def to_draft(self) -> TicketDraft:
        data = self.cleaned_data
        return TicketDraft(
            channel=data["channel"],
            content=data["content"],
            title=data["title"],
            external_id=data["external_id"] or None,
            category=data["category"] or None,
            resident_name=data["resident_name"],
            resident_phone=data["resident_phone"],
            address=data["address"],
            grid=data["grid"] or None,
            received_at=data["received_at"],
            attachments=data["attachments"],
        )


class ActionForm(forms.Form):
    """Every action form carries the version the page showed, so a stale page is caught."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class DispatchForm(ActionForm):
    unit = forms.ChoiceField(
        label=_("Handling unit"),
        widget=forms.Select(
            attrs=searchable(_("Search the units"), _("Type to narrow the list, e.g. 派出所"))
        ),
    )

    def __init__(self, *args: Any, units: Sequence[Unit] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unit_field = self.fields["unit"]
        assert isinstance(unit_field, forms.ChoiceField)
        unit_field.choices = unit_picker(units)


class ReasonForm(ActionForm):
    reason = forms.CharField(
        label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ResultForm(ActionForm):
    result = forms.CharField(
        label=_("Result"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=Outcome.choices, initial=Outcome.RESOLVED, required=False
    )


class NoteForm(ActionForm):
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class MergeForm(ActionForm):
    into = forms.CharField(
        label=_("Merge into ticket number"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "JB20260714-0042", "autocomplete": "off"}),
    )


ACTION_FORMS: dict[str, type[ActionForm]] = {
    Action.DISPATCH: DispatchForm,
    Action.ACCEPT: ActionForm,
    Action.RETURN: ReasonForm,
    Action.RESOLVE: ResultForm,
    Action.CLOSE: NoteForm,
    Action.INVALIDATE: ReasonForm,
    Action.MERGE: MergeForm,
}


class SuperviseForm(forms.Form):
    """A supervisor's order to the holding unit; `supervise_ticket` checks the values."""

    note = forms.CharField(
        label=_("What the unit must do"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    days = forms.IntegerField(
        label=_("The order's deadline in working days"),
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        help_text=_("Leave empty for the default. The ticket's own deadline stays."),
    )


class ExtensionForm(forms.Form):
    """延期: the unit asks for more working days; `request_extension` checks the values."""

    days = forms.IntegerField(
        label=_("More working days (1 to 10)"),
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 1, "max": 10}),
    )
    reason = forms.CharField(
        label=_("Why more time is needed"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ExtensionDecisionForm(forms.Form):
    """The command centre's note on a request for more time."""

    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class VisitForm(forms.Form):
    """The outcome of a follow-up call; `record_visit` checks the values."""

    outcome = forms.ChoiceField(
        label=_("Outcome"), required=False, choices=VisitOutcome.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    # Where to go afterwards: back to the follow-up queue, or to the ticket.
    back = forms.CharField(widget=forms.HiddenInput, required=False)


class RepeatForm(forms.Form):
    """重复反映: the earlier ticket this one reports again; `mark_repeat` checks it."""

    number = forms.CharField(
        label=_("Earlier ticket number"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "JB20260714-0042", "autocomplete": "off"}),
    )
    merge = forms.BooleanField(
        label=_("Merge this ticket into it"),
        required=False,
        help_text=_("Only a new ticket can be merged; otherwise it stays open and linked."),
    )


class AttachmentForm(forms.Form):
    attachments = MultipleFileField(label=_("Add attachments"))


class SavedFilterForm(forms.Form):
    """Save the list's current filters (carried in `query`) under a name."""

    name = forms.CharField(
        label=_("Save these filters as"),
        required=False,
        widget=forms.TextInput(
            attrs={"placeholder": _("e.g. Overdue at Station A"), "autocomplete": "off"}
        ),
    )
    query = forms.CharField(required=False, widget=forms.HiddenInput)


STATUS_CHOICES = [("", _("Any status")), (",".join(OPEN), _("Open (not closed)")), *Status.choices]


class TicketFilterForm(forms.Form):
    """Only renders the filter bar; the values go to `TicketFilters` as given."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Number, text, address")}),
    )
    status = forms.ChoiceField(label=_("Status"), required=False, choices=STATUS_CHOICES)
    unit = forms.ChoiceField(label=_("Unit"), required=False)
    category = forms.ChoiceField(label=_("Category"), required=False)
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", _("Any channel")), *Channel.choices]
    )
    grid = forms.CharField(
        label=_("Grid"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"placeholder": _("Grid code")}),
    )
    received_from = forms.DateField(
        label=_("Received from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    received_to = forms.DateField(
        label=_("Received to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    due_soon = forms.BooleanField(label=_("Due soon only"), required=False)
    dispatch_late = forms.BooleanField(label=_("Late for dispatch"), required=False)
    accept_late = forms.BooleanField(label=_("Not signed for in time"), required=False)
    escalated = forms.BooleanField(label=_("With the leaders"), required=False)

    def __init__(
        self, *args: Any, units: Sequence[Unit], categories: Sequence[Category], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        unit_field = self.fields["unit"]
        assert isinstance(unit_field, forms.ChoiceField)
        unit_field.choices = [("", _("Any unit")), *unit_choices(units)]
        category_field = self.fields["category"]
        assert isinstance(category_field, forms.ChoiceField)
        category_field.choices = [("", _("Any category")), *category_choices(categories)]
        # A list of statuses from a link (a figure's click-through) shows as itself, not as
        # "any status".
        status_field = self.fields["status"]
        assert isinstance(status_field, forms.ChoiceField)
        chosen = str(self.initial.get("status") or "")
        if chosen and chosen not in dict(STATUS_CHOICES):
            labels = [
                str(Status(item).label) for item in chosen.split(",") if item in Status.values
            ]
            if labels:
                separator = pgettext("list separator", ", ")
                status_field.choices = [*STATUS_CHOICES, (chosen, separator.join(labels))]


class ProgressForm(forms.Form):
    """阶段性回复: the unit's progress note to the 12345 platform; `report_progress` checks it."""

    note = forms.CharField(
        label=_("Progress so far"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


# The ticket page's forms besides the transitions, by the key `ticket_forms` offers.
TICKET_FORMS: dict[str, type[forms.Form]] = {
    TicketForm.SUPERVISE: SuperviseForm,
    TicketForm.VISIT: VisitForm,
    TicketForm.REPEAT: RepeatForm,
    TicketForm.EXTEND: ExtensionForm,
    TicketForm.APPROVE_EXTENSION: ExtensionDecisionForm,
    TicketForm.REJECT_EXTENSION: ExtensionDecisionForm,
    TicketForm.PROGRESS: ProgressForm,
}


def ticket_form_id(key: str, number: str | None = None) -> str:
    """Field ids unique on the page: several visit forms share the follow-up queue."""
    return f"id_{key}_{number}_%s" if number else f"id_{key}_%s"
