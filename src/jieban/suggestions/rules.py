"""Dispatch rules (派单规则, issue 13, item 4) and the unit suggested at intake.

The command centre writes rules: "a ticket of category C (or of a category under C), with its
grid in the area of station S (optional), goes to unit U", and, optionally, "dispatch it at
once when the category suggestion's confidence is at least X and the grid is known". The rules
are tried in their order; the first enabled rule that holds decides. When it is automatic and
its condition holds, the ticket is dispatched at once by the system, and the dispatch event
names the rule; otherwise the rule's unit is the suggested unit, first in the picker. A ticket
no rule covers waits for a person, with the station of its grid suggested when the address
(or the grid typed) gives one. A person who dispatches at once on the registration page, and
a platform order that comes dispatched, are never dispatched by a rule.

The grid is known when the ticket has one, or when its address names a registered building;
a place matched without its building is a suggestion, never the ground for a dispatch.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from jieban.errors import DomainError, InvalidInput, NotFound
from jieban.inputs import clean_text
from jieban.org.actors import SYSTEM, Actor, Viewer, person_of
from jieban.org.models import Unit, UnitKind
from jieban.org.permissions import can_manage_dispatch_rules, require
from jieban.rows import column
from jieban.suggestions.models import DispatchRule, Suggestion, SuggestionKind
from jieban.suggestions.places import PlaceMatch, Reason, match_address, station_of
from jieban.tickets.events import DispatchRuleRef
from jieban.tickets.models import Category, Status, Ticket
from jieban.tickets.transitions import dispatch_ticket

# What a rule's dispatch-at-once threshold may be: a confidence, 0 to 1.
CONFIDENCE_RANGE = (0.0, 1.0)


def _managers_only() -> str:
    return _("Only the command centre's dispatchers and administrators may manage dispatch rules.")


# --- The rules: written, ordered, switched ---------------------------------------------------


@dataclass(frozen=True)
class RuleDraft:
    """A rule as a page or the API sends it: codes, checked by `create_rule`/`update_rule`."""

    name: str
    category: str
    unit: str
    station: str | None = None
    dispatch_at_confidence: float | None = None
    enabled: bool = True


def visible_rules(actor: Viewer) -> list[DispatchRule]:
    """Every rule in its order, for who may manage them (else Forbidden)."""
    require(can_manage_dispatch_rules(actor), _managers_only())
    return list(DispatchRule.objects.select_related("category", "station", "unit", "updated_by"))


def access_rule(actor: Viewer, pk: int, *, for_update: bool = False) -> DispatchRule:
    """The rule `pk` for who may manage the rules: Forbidden for others, NotFound if none."""
    require(can_manage_dispatch_rules(actor), _managers_only())
    rules = DispatchRule.objects.select_related("category", "station", "unit")
    if for_update:
        rules = rules.select_for_update(of=("self",))
    rule = rules.filter(pk=pk).first()
    if rule is None:
        raise NotFound(_("No dispatch rule %(pk)s.") % {"pk": pk})
    return rule


def _checked(draft: RuleDraft) -> dict[str, Any]:
    """The fields of a rule from `draft`, or InvalidInput on the field that is wrong."""
    name = clean_text(draft.name, field="name", label=_("The name"), limit=120, required=True)
    category = Category.objects.filter(code=draft.category, is_active=True).first()
    if category is None:
        raise InvalidInput(
            _("Unknown category %(code)s.") % {"code": draft.category}, field="category"
        )
    unit = Unit.objects.filter(code=draft.unit, is_active=True).first()
    if unit is None or not unit.can_handle_tickets:
        raise InvalidInput(
            _("Unit %(code)s cannot handle tickets.") % {"code": draft.unit}, field="unit"
        )
    station = None
    if draft.station:
        station = Unit.objects.filter(code=draft.station, kind=UnitKind.STATION).first()
        if station is None:
            raise InvalidInput(
                _("%(code)s is not a police station.") % {"code": draft.station}, field="station"
            )
    confidence = draft.dispatch_at_confidence
    low, high = CONFIDENCE_RANGE
    if confidence is not None and not low <= confidence <= high:
        raise InvalidInput(
            _("The confidence is a number from 0 to 1, e.g. 0.9."),
            field="dispatch_at_confidence",
        )
    return {
        "name": name,
        "category": category,
        "unit": unit,
        "station": station,
        "dispatch_at_confidence": confidence,
        "enabled": draft.enabled,
    }


def create_rule(draft: RuleDraft, *, by: Actor) -> DispatchRule:
    """Add a rule after the last one."""
    require(can_manage_dispatch_rules(by), _managers_only())
    with transaction.atomic():
        fields = _checked(draft)
        last = DispatchRule.objects.aggregate(last=Max("position"))["last"] or 0
        rule = DispatchRule(**fields, position=last + 1, updated_by=person_of(by))
        if rule.enabled:
            rule.first_enabled_at = timezone.now()
        rule.save()
        return rule


def update_rule(pk: int, draft: RuleDraft, *, by: Actor) -> DispatchRule:
    """Change a rule's conditions, unit, threshold and whether it is on; its place stays."""
    with transaction.atomic():
        rule = access_rule(by, pk, for_update=True)
        for key, value in _checked(draft).items():
            setattr(rule, key, value)
        return _saved(rule, by)


def switch_rule(pk: int, *, enabled: bool, by: Actor) -> DispatchRule:
    """Switch a rule on or off."""
    with transaction.atomic():
        rule = access_rule(by, pk, for_update=True)
        rule.enabled = enabled
        return _saved(rule, by)


def _saved(rule: DispatchRule, by: Actor) -> DispatchRule:
    if rule.enabled and rule.first_enabled_at is None:
        rule.first_enabled_at = timezone.now()
    rule.updated_by = person_of(by)
    rule.save()
    return rule


def move_rule(pk: int, *, position: int, by: Actor) -> list[DispatchRule]:
    """Put a rule at `position` (1 = tried first; beyond the end = last); the rules in their
    new order. The others keep their order; every position is written again, 1 to n."""
    with transaction.atomic():
        rule = access_rule(by, pk, for_update=True)
        rules = [other for other in DispatchRule.objects.select_for_update() if other.pk != pk]
        rules.insert(max(0, min(position - 1, len(rules))), rule)
        for number, each in enumerate(rules, start=1):
            each.position = number
        DispatchRule.objects.bulk_update(rules, ["position"])
    return visible_rules(by)


# --- At intake: which rule holds, the unit suggested, the dispatch by a rule -----------------


@dataclass(frozen=True)
class UnitSuggestion:
    """A unit suggested for a ticket, and why (reasons as stored with the suggestion)."""

    unit: Unit
    score: float
    reasons: list[dict[str, Any]]
    rule: DispatchRule | None = None


@dataclass
class PlaceAndUnit:
    """What the intake suggests from a ticket's address, grid and category: the grid (from
    the address), the units in order (the first holding rule's first) and that rule."""

    place: PlaceMatch | None = None
    units: list[UnitSuggestion] = field(default_factory=list)
    rule: DispatchRule | None = None
    grid_known: bool = False
    dispatched_by_rule: bool = False

    @property
    def unit(self) -> UnitSuggestion | None:
        return self.units[0] if self.units else None


def _category_line(category: Category) -> set[int]:
    """The category and every category above it: a rule for C holds under C too."""
    parents = dict(Category.objects.values_list("pk", "parent_id"))
    line: set[int] = set()
    current: int | None = category.pk
    while current is not None and current not in line:
        line.add(current)
        current = parents.get(current)
    return line


@functools.cache
def _enabled_rules_sql() -> str:
    """The enabled rules in their order (`DispatchRule.Meta.ordering`)."""
    table = connection.ops.quote_name(DispatchRule._meta.db_table)
    columns = ", ".join(
        column(DispatchRule, item.name) for item in DispatchRule._meta.concrete_fields
    )
    return (
        f"SELECT {columns} FROM {table} WHERE {column(DispatchRule, 'enabled')}"
        f" ORDER BY {column(DispatchRule, 'position')}, {column(DispatchRule, 'id')}"
    )


def first_rule(
    category: Category | None,
    grid: Unit | None,
    *,
    station: Unit | None = None,
    rules: Sequence[DispatchRule] | None = None,
) -> DispatchRule | None:
    """The first enabled rule, in order, that holds for a ticket of `category` in `grid`;
    `station`: the grid's station when the caller knows it already (else read if needed)."""
    if category is None:
        return None
    if rules is None:
        # Asked on every registration: written once per process; the unit of the rule
        # that holds is read then (`rule.unit`), one query.
        rules = list(DispatchRule.objects.raw(_enabled_rules_sql()))
    if not rules:
        return None
    line = _category_line(category)
    looked_up = station is not None
    for rule in rules:
        if not rule.enabled or rule.category_id not in line:
            continue
        if rule.station_id is not None:
            if grid is None:
                continue
            if not looked_up:
                station, looked_up = station_of(grid), True
            if station is None or station.pk != rule.station_id:
                continue
        return rule
    return None


def suggest_place_and_unit(
    *, address: str, category: Category | None, grid: Unit | None, units: bool = True
) -> PlaceAndUnit:
    """The grid the address is in, and (with `units`) the units to suggest in order: the
    first holding rule's unit, then the station covering the grid (the grid given, else the
    address's)."""
    place = match_address(address) if address else None
    in_grid = grid or (place.grid if place else None)
    known = grid is not None or bool(place and place.exact)
    suggested = PlaceAndUnit(place=place, grid_known=known)
    if not units:
        return suggested
    station = None
    if grid is not None:
        station = station_of(grid)
    elif place is not None:
        station = place.station
    rule = first_rule(category, in_grid, station=station)
    if rule is not None:
        reason = {"code": Reason.RULE, "rule": rule.name, "rule_id": rule.pk}
        reasons = [reason | {"unit": rule.unit.name}]
        suggested.units.append(UnitSuggestion(rule.unit, 1.0, reasons, rule))
        suggested.rule = rule
    score, reasons = 1.0, []
    if grid is not None:
        name = station.name if station else ""
        reasons = [{"code": Reason.GRID, "matched": grid.name, "unit": name}]
    elif place is not None:
        score, reasons = place.score, place.reasons(for_unit=True)
    offered = {other.unit.pk for other in suggested.units}
    if station and station.can_handle_tickets and station.is_active and station.pk not in offered:
        suggested.units.append(UnitSuggestion(station, score, reasons))
    return suggested


def dispatch_by_rule(
    ticket: Ticket, suggested: PlaceAndUnit, *, category_confidence: float | None
) -> Ticket:
    """Dispatch `ticket` at once to its rule's unit when the rule is automatic, the category
    suggestion's confidence reaches its threshold and the grid is known; the event names the
    rule and the system as the actor. A dispatch refused (the unit closed since) leaves the
    ticket waiting for a person, with the rule's unit suggested."""
    rule = suggested.rule
    if rule is None or rule.dispatch_at_confidence is None or ticket.status != Status.NEW:
        return ticket
    if category_confidence is None or category_confidence < rule.dispatch_at_confidence:
        return ticket
    if not suggested.grid_known:
        return ticket
    try:
        with transaction.atomic():
            ticket = dispatch_ticket(
                ticket.number, unit=rule.unit, by=SYSTEM, rule=DispatchRuleRef(rule.pk, rule.name)
            )
    except DomainError:
        return ticket
    suggested.dispatched_by_rule = True
    return ticket


def category_confidence(ticket: Ticket, suggestions: Sequence[Suggestion]) -> float | None:
    """The confidence of the category suggestion the ticket's category was, if it was one."""
    for suggestion in suggestions:
        if suggestion.kind == SuggestionKind.CATEGORY and suggestion.value == ticket.category.code:
            return suggestion.score
    return None


def suggestion_rows(ticket: Ticket, suggested: PlaceAndUnit) -> list[Suggestion]:
    """The grid and unit suggestions to record with `ticket` (not saved)."""
    rows = []
    if suggested.place is not None:
        place = suggested.place
        rows.append(
            Suggestion(
                ticket=ticket,
                kind=SuggestionKind.GRID,
                rank=1,
                value=place.grid.code,
                score=place.score,
                reasons=place.reasons(),
                chosen=ticket.grid.code if ticket.grid else "",
            )
        )
    for rank, unit in enumerate(suggested.units, start=1):
        rows.append(
            Suggestion(
                ticket=ticket,
                kind=SuggestionKind.UNIT,
                rank=rank,
                value=unit.unit.code,
                score=unit.score,
                reasons=unit.reasons,
                chosen=ticket.unit.code if ticket.unit else "",
            )
        )
    return rows
