"""Dispatch rules (派单规则): the list in the order the rules are tried, the form to add or
edit one, and the buttons that move a rule and switch it on or off.

Who may: `can_manage_dispatch_rules` (the command centre's dispatchers and administrators),
checked by the domain's actions (`jieban.suggestions.rules`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from jieban.errors import InvalidInput
from jieban.http import AuthenticatedRequest
from jieban.org.models import Unit, UnitKind
from jieban.org.permissions import can_manage_dispatch_rules, require
from jieban.suggestions.models import DispatchRule
from jieban.suggestions.rules import (
    RuleDraft,
    access_rule,
    create_rule,
    move_rule,
    switch_rule,
    update_rule,
    visible_rules,
)
from jieban.tickets.models import Category
from jieban.web.errors import answers_domain_errors, put_domain_error
from jieban.web.forms import category_choices, searchable, unit_choices
from jieban.web.pages import dispatchable_units
from jieban.web.tickets.forms import unit_picker


class DispatchRuleForm(forms.Form):
    name = forms.CharField(
        label=pgettext_lazy("rule", "Name"),
        max_length=120,
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("e.g. Noise in Station A")}),
    )
    category = forms.ChoiceField(
        label=gettext_lazy("Category (or a category under it)"),
        widget=forms.Select(
            attrs=searchable(gettext_lazy("Search the categories"), gettext_lazy("e.g. 噪音"))
        ),
    )
    station = forms.ChoiceField(label=gettext_lazy("Only grids in the area of"), required=False)
    unit = forms.ChoiceField(
        label=gettext_lazy("Dispatch to"),
        widget=forms.Select(
            attrs=searchable(gettext_lazy("Search the units"), gettext_lazy("e.g. 派出所"))
        ),
    )
    dispatch_at_confidence = forms.DecimalField(
        label=gettext_lazy("Dispatch at once from confidence"),
        required=False,
        min_value=Decimal(0),
        max_value=Decimal(1),
        max_digits=4,
        decimal_places=3,
        widget=forms.NumberInput(attrs={"step": "0.01", "placeholder": "0.9"}),
        help_text=gettext_lazy(
            "Leave empty to only suggest the unit. With a value (0 to 1, e.g. 0.9), a ticket "
            "is dispatched at once when the category suggestion is at least this sure and "
            "the grid is known."
        ),
    )
    enabled = forms.BooleanField(label=gettext_lazy("Switched on"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._choose(
            "category", [("", "—"), *category_choices(Category.objects.filter(is_active=True))]
        )
        stations = Unit.objects.filter(kind=UnitKind.STATION, is_active=True).order_by("code")
        self._choose("station", [("", _("any grid")), *unit_choices(stations)])
        self._choose("unit", unit_picker(dispatchable_units()))

    def _choose(self, name: str, choices: list[Any]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices

    def to_draft(self) -> RuleDraft:
        data = self.cleaned_data
        confidence = data["dispatch_at_confidence"]
        return RuleDraft(
            name=data["name"],
            category=data["category"],
            unit=data["unit"],
            station=data["station"] or None,
            dispatch_at_confidence=float(confidence) if confidence is not None else None,
            enabled=data["enabled"],
        )


def _initial(rule: DispatchRule) -> dict[str, Any]:
    return {
        "name": rule.name,
        "category": rule.category.code,
        "station": rule.station.code if rule.station else "",
        "unit": rule.unit.code,
        "dispatch_at_confidence": rule.dispatch_at_confidence,
        "enabled": rule.enabled,
    }


@login_required
@require_safe
@answers_domain_errors
def rule_list(request: AuthenticatedRequest) -> HttpResponse:
    """The rules in the order they are tried, with their buttons."""
    rules = visible_rules(request.user)
    return render(request, "web/suggestions/rules.html", {"rules": rules})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@answers_domain_errors
def rule_new(request: AuthenticatedRequest) -> HttpResponse:
    require(can_manage_dispatch_rules(request.user), _("You may not manage dispatch rules."))
    if request.method != "POST":
        return _form_page(request, DispatchRuleForm(), None)
    return _save(request, DispatchRuleForm(request.POST), None)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@answers_domain_errors
def rule_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    rule = access_rule(request.user, pk)
    if request.method != "POST":
        return _form_page(request, DispatchRuleForm(initial=_initial(rule)), rule)
    return _save(request, DispatchRuleForm(request.POST), rule)


@login_required
@require_POST
@answers_domain_errors
def rule_move(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Move a rule to the position posted (1: tried first)."""
    try:
        position = int(request.POST.get("position", ""))
    except ValueError:
        position = 0
    if position < 1:
        access_rule(request.user, pk)  # who may not learns nothing more than a 403
        raise InvalidInput(_("The position is a whole number from 1."), field="position")
    move_rule(pk, position=position, by=request.user)
    return redirect("web:dispatch_rules")


@login_required
@require_POST
@answers_domain_errors
def rule_switch(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Switch a rule on (`enabled=1`) or off."""
    rule = switch_rule(pk, enabled=request.POST.get("enabled") == "1", by=request.user)
    if rule.enabled:
        messages.success(request, _("%(name)s is switched on.") % {"name": rule.name})
    else:
        messages.success(request, _("%(name)s is switched off.") % {"name": rule.name})
    return redirect("web:dispatch_rules")


def _save(
    request: AuthenticatedRequest, form: DispatchRuleForm, rule: DispatchRule | None
) -> HttpResponse:
    status = 400
    if form.is_valid():
        try:
            if rule is None:
                saved = create_rule(form.to_draft(), by=request.user)
            else:
                saved = update_rule(rule.pk, form.to_draft(), by=request.user)
        except InvalidInput as exc:
            status = put_domain_error(form, exc)
        else:
            messages.success(request, _("%(name)s saved.") % {"name": saved.name})
            return redirect("web:dispatch_rules")
    return _form_page(request, form, rule, status=status)


def _form_page(
    request: AuthenticatedRequest,
    form: DispatchRuleForm,
    rule: DispatchRule | None,
    *,
    status: int = 200,
) -> HttpResponse:
    context = {"form": form, "rule": rule}
    return render(request, "web/suggestions/rule_form.html", context, status=status)
