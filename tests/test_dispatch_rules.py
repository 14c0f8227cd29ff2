"""Dispatch rules (issue 13, item 4): written, ordered and switched by the command centre, and
applied at registration: an automatic rule dispatches at once, another suggests its unit."""

from __future__ import annotations

import pytest

from jieban.community.actions import create_building
from jieban.errors import Forbidden, InvalidInput
from jieban.intake.actions import TicketDraft
from jieban.org.actors import SYSTEM
from jieban.org.models import Unit
from jieban.suggestions.actions import register_and_suggest
from jieban.suggestions.models import DispatchRule, Suggestion, SuggestionKind
from jieban.suggestions.rules import (
    RuleDraft,
    create_rule,
    dispatch_by_rule,
    first_rule,
    move_rule,
    suggest_place_and_unit,
    switch_rule,
    update_rule,
)
from jieban.tickets.models import Category, EventKind, Status
from jieban.tickets.transitions import dispatch_ticket
from tests.conftest import Cast, new_ticket

pytestmark = pytest.mark.django_db

NOISE_TO_B = RuleDraft(name="噪音 → 乙派出所", category="noise", unit="PS-B")


def draft(**fields: str) -> TicketDraft:
    values = {"channel": "phone", "content": "楼上装修噪音", "category": "renovation_noise"}
    return TicketDraft(**(values | fields))


def unit_suggestions(ticket_id: int) -> list[tuple[str, str]]:
    rows = Suggestion.objects.filter(ticket_id=ticket_id, kind=SuggestionKind.UNIT)
    return [(row.value, row.reasons[0]["code"]) for row in rows.order_by("rank")]


class TestWritingRules:
    def test_it_adds_rules_after_the_last(self, cast: Cast) -> None:
        first = create_rule(NOISE_TO_B, by=cast.dispatcher)
        second = create_rule(RuleDraft(name="犬", category="dangerous_dogs", unit="PS-A"),
                             by=cast.admin)  # fmt: skip
        assert (first.position, second.position) == (1, 2)
        assert first.first_enabled_at is not None

    def test_only_the_dispatchers_and_administrators_may(self, cast: Cast) -> None:
        for person in (cast.supervisor, cast.leader, cast.handler_a):
            with pytest.raises(Forbidden):
                create_rule(NOISE_TO_B, by=person)

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"name": " "}, "name"),
            ({"category": "nope"}, "category"),
            ({"unit": "BUR"}, "unit"),
            ({"unit": "nope"}, "unit"),
            ({"station": "G-01"}, "station"),
            ({"dispatch_at_confidence": 1.5}, "dispatch_at_confidence"),
        ],
    )
    def test_it_refuses_a_rule_with_a_wrong_field(
        self, cast: Cast, changes: dict[str, object], field: str
    ) -> None:
        values = {"name": "规则", "category": "noise", "unit": "PS-A"} | changes
        with pytest.raises(InvalidInput) as caught:
            create_rule(RuleDraft(**values), by=cast.dispatcher)  # type: ignore[arg-type]
        assert caught.value.field == field

    def test_it_moves_a_rule_and_keeps_the_others_in_order(self, cast: Cast) -> None:
        names = ["一", "二", "三"]
        rules = [create_rule(RuleDraft(n, "noise", "PS-A"), by=cast.dispatcher) for n in names]
        moved = move_rule(rules[2].pk, position=1, by=cast.dispatcher)
        assert [rule.name for rule in moved] == ["三", "一", "二"]
        moved = move_rule(rules[2].pk, position=9, by=cast.dispatcher)
        assert [(rule.name, rule.position) for rule in moved] == [("一", 1), ("二", 2), ("三", 3)]

    def test_switching_on_marks_the_first_time_only(self, cast: Cast) -> None:
        rule = create_rule(RuleDraft("关", "noise", "PS-A", enabled=False), by=cast.dispatcher)
        assert rule.first_enabled_at is None
        on = switch_rule(rule.pk, enabled=True, by=cast.dispatcher)
        assert on.first_enabled_at is not None
        switch_rule(rule.pk, enabled=False, by=cast.dispatcher)
        again = switch_rule(rule.pk, enabled=True, by=cast.dispatcher)
        assert again.first_enabled_at == on.first_enabled_at

    def test_it_edits_a_rule(self, cast: Cast) -> None:
        rule = create_rule(NOISE_TO_B, by=cast.dispatcher)
        edited = update_rule(
            rule.pk,
            RuleDraft("噪音", "noise", "PS-A", station="PS-A", dispatch_at_confidence=0.9),
            by=cast.dispatcher,
        )
        assert (edited.unit.code, edited.station.code, edited.automatic) == (  # type: ignore[union-attr]
            "PS-A",
            "PS-A",
            True,
        )


class TestWhichRuleHolds:
    def test_a_rule_for_a_category_holds_under_it(self, cast: Cast) -> None:
        rule = create_rule(NOISE_TO_B, by=cast.dispatcher)
        renovation = Category.objects.get(code="renovation_noise")
        assert first_rule(renovation, None) == rule
        assert first_rule(Category.objects.get(code="dangerous_dogs"), None) is None

    def test_the_first_enabled_rule_in_order_decides(self, cast: Cast) -> None:
        off = create_rule(RuleDraft("关", "noise", "PS-A", enabled=False), by=cast.dispatcher)
        second = create_rule(NOISE_TO_B, by=cast.dispatcher)
        third = create_rule(RuleDraft("三", "renovation_noise", "PS-A"), by=cast.dispatcher)
        renovation = Category.objects.get(code="renovation_noise")
        assert first_rule(renovation, None) == second
        move_rule(third.pk, position=1, by=cast.dispatcher)
        assert first_rule(renovation, None) == third
        switch_rule(off.pk, enabled=True, by=cast.dispatcher)
        move_rule(off.pk, position=1, by=cast.dispatcher)
        assert first_rule(renovation, None) == DispatchRule.objects.get(pk=off.pk)

    def test_a_station_condition_needs_a_grid_in_its_area(self, cast: Cast) -> None:
        rule = create_rule(RuleDraft("甲区噪音", "noise", "PS-A", station="PS-A"),
                           by=cast.dispatcher)  # fmt: skip
        noise = Category.objects.get(code="noise")
        assert first_rule(noise, None) is None
        assert first_rule(noise, Unit.objects.get(code="G-01")) == rule
        create_rule(RuleDraft("乙区噪音", "noise", "PS-B", station="PS-B"), by=cast.dispatcher)
        assert first_rule(noise, Unit.objects.get(code="G-02")) == rule


class TestAtRegistration:
    def test_a_rule_suggests_its_unit_first(self, cast: Cast) -> None:
        create_building(grid="G-01", kind="building", name="幸福小区3栋", address="幸福小区3栋",
                        by=cast.admin)  # fmt: skip
        create_rule(NOISE_TO_B, by=cast.dispatcher)
        registered = register_and_suggest(draft(address="幸福小区三栋"), by=cast.dispatcher)
        assert registered.ticket.status == Status.NEW
        assert unit_suggestions(registered.ticket.pk) == [("PS-B", "rule"), ("PS-A", "address")]

    def test_no_rule_leaves_the_ticket_for_a_person(self, cast: Cast) -> None:
        create_rule(RuleDraft("犬", "dangerous_dogs", "PS-B", dispatch_at_confidence=0.0),
                    by=cast.dispatcher)  # fmt: skip
        registered = register_and_suggest(draft(grid="G-01"), by=cast.dispatcher)
        assert registered.ticket.status == Status.NEW
        assert unit_suggestions(registered.ticket.pk) == [("PS-A", "grid")]

    def test_an_automatic_rule_dispatches_when_sure_and_the_grid_is_known(self, cast: Cast) -> None:
        rule = create_rule(RuleDraft("噪音自动", "noise", "PS-B", dispatch_at_confidence=0.9),
                           by=cast.dispatcher)  # fmt: skip
        ticket = new_ticket(cast.dispatcher, grid="G-01")
        suggested = suggest_place_and_unit(address="", category=ticket.category, grid=ticket.grid)
        dispatched = dispatch_by_rule(ticket, suggested, category_confidence=0.95)
        assert (dispatched.status, dispatched.unit.code) == (Status.DISPATCHED, "PS-B")  # type: ignore[union-attr]
        event = dispatched.events.get(kind=EventKind.DISPATCH)
        assert event.actor is None  # the system, by the rule
        assert (event.payload["rule"], event.payload["rule_id"]) == ("噪音自动", rule.pk)

    @pytest.mark.parametrize(("confidence", "grid"), [(0.89, "G-01"), (None, "G-01"), (0.95, "")])
    def test_an_automatic_rule_only_suggests_when_unsure_or_without_a_grid(
        self, cast: Cast, confidence: float | None, grid: str
    ) -> None:
        create_rule(RuleDraft("噪音自动", "noise", "PS-B", dispatch_at_confidence=0.9),
                    by=cast.dispatcher)  # fmt: skip
        ticket = new_ticket(cast.dispatcher, grid=grid or None, address="无名路")
        suggested = suggest_place_and_unit(address="", category=ticket.category, grid=ticket.grid)
        assert dispatch_by_rule(ticket, suggested, category_confidence=confidence).status == (
            Status.NEW
        )
        assert suggested.unit is not None and suggested.unit.unit.code == "PS-B"

    def test_a_match_by_the_place_only_is_no_known_grid(self, cast: Cast) -> None:
        create_building(grid="G-01", kind="building", name="幸福小区3栋", address="幸福小区3栋",
                        by=cast.admin)  # fmt: skip
        create_rule(RuleDraft("噪音自动", "noise", "PS-B", dispatch_at_confidence=0.5),
                    by=cast.dispatcher)  # fmt: skip
        ticket = new_ticket(cast.dispatcher, address="幸福小区8栋")
        exact = suggest_place_and_unit(address="幸福小区3栋", category=ticket.category, grid=None)
        assert exact.grid_known
        place = suggest_place_and_unit(address=ticket.address, category=ticket.category, grid=None)
        assert place.place is not None and not place.grid_known
        assert dispatch_by_rule(ticket, place, category_confidence=1.0).status == Status.NEW
        assert dispatch_by_rule(ticket, exact, category_confidence=1.0).status == (
            Status.DISPATCHED
        )

    def test_a_closed_unit_leaves_the_ticket_waiting(self, cast: Cast) -> None:
        create_rule(RuleDraft("噪音自动", "noise", "PS-B", dispatch_at_confidence=0.5),
                    by=cast.dispatcher)  # fmt: skip
        Unit.objects.filter(code="PS-B").update(is_active=False)
        ticket = new_ticket(cast.dispatcher, grid="G-01")
        suggested = suggest_place_and_unit(address="", category=ticket.category, grid=ticket.grid)
        assert dispatch_by_rule(ticket, suggested, category_confidence=1.0).status == Status.NEW
        ticket.refresh_from_db()
        assert ticket.status == Status.NEW

    def test_a_person_dispatching_at_once_wins_over_a_rule(self, cast: Cast) -> None:
        create_rule(RuleDraft("噪音", "noise", "PS-B", dispatch_at_confidence=0.0),
                    by=cast.dispatcher)  # fmt: skip
        registered = register_and_suggest(
            draft(grid="G-01"), by=cast.dispatcher, person_dispatches=True
        )
        assert registered.ticket.status == Status.NEW
        ticket = dispatch_ticket(
            registered.ticket.number, unit=Unit.objects.get(code="PS-A"), by=cast.dispatcher
        )
        assert ticket.unit.code == "PS-A"  # type: ignore[union-attr]

    def test_the_system_dispatches_a_report_whoever_registered_it(self, cast: Cast) -> None:
        create_rule(RuleDraft("噪音", "noise", "PS-B", dispatch_at_confidence=0.0),
                    by=cast.dispatcher)  # fmt: skip
        ticket = new_ticket(cast.building_head, grid="G-02")
        suggested = suggest_place_and_unit(address="", category=ticket.category, grid=ticket.grid)
        dispatched = dispatch_by_rule(ticket, suggested, category_confidence=0.0)
        assert dispatched.status == Status.DISPATCHED
        assert SYSTEM.sees_whole_bureau
