"""The dispatch rules' pages, the unit suggested on the registration page, and the timeline of
a ticket a rule dispatched."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from jieban.community.actions import create_building
from jieban.org.models import Unit
from jieban.suggestions.models import DispatchRule, Suggestion, SuggestionKind
from jieban.suggestions.rules import (
    RuleDraft,
    create_rule,
    dispatch_by_rule,
    suggest_place_and_unit,
)
from jieban.tickets.models import Status, Ticket
from tests.conftest import Cast, new_ticket
from tests.web.conftest import HTMX

pytestmark = pytest.mark.django_db

FORM = {"name": "噪音 → 乙派出所", "category": "noise", "unit": "PS-B", "enabled": "on"}


def names_in_order(html: str) -> list[str]:
    return re.findall(r"<td data-label=\"[^\"]*\"><strong>([^<]+)</strong>", html)


def test_a_dispatcher_adds_a_rule_and_finds_it_in_the_list(client: Client, cast: Cast) -> None:
    client.force_login(cast.dispatcher)
    assert client.get("/dispatch-rules/new/").status_code == 200
    answer = client.post("/dispatch-rules/new/", FORM | {"dispatch_at_confidence": "0.9"})
    assert answer.status_code == 302 and answer["Location"] == "/dispatch-rules/"
    page = client.get("/dispatch-rules/").content.decode()
    assert names_in_order(page) == ["噪音 → 乙派出所"]
    assert "置信度 ≥ 0.9" in page
    rule = DispatchRule.objects.get()
    assert (rule.unit.code, rule.dispatch_at_confidence, rule.updated_by) == (
        "PS-B",
        0.9,
        cast.dispatcher,
    )


def test_bad_input_is_shown_on_the_form(client: Client, cast: Cast) -> None:
    client.force_login(cast.dispatcher)
    answer = client.post("/dispatch-rules/new/", FORM | {"dispatch_at_confidence": "1.5"})
    assert answer.status_code == 400
    assert 'id="id_dispatch_at_confidence_error"' in answer.content.decode()
    answer = client.post("/dispatch-rules/new/", FORM | {"name": "", "unit": "nope"})
    assert answer.status_code == 400
    assert not DispatchRule.objects.exists()


def test_a_rule_is_moved_switched_and_edited(client: Client, cast: Cast) -> None:
    first = create_rule(RuleDraft("一", "noise", "PS-A"), by=cast.dispatcher)
    second = create_rule(RuleDraft("二", "noise", "PS-B"), by=cast.dispatcher)
    client.force_login(cast.admin)
    assert client.post(f"/dispatch-rules/{second.pk}/move/", {"position": "1"}).status_code == 302
    assert names_in_order(client.get("/dispatch-rules/").content.decode()) == ["二", "一"]
    assert client.post(f"/dispatch-rules/{first.pk}/move/", {"position": "x"}).status_code == 400
    assert client.post(f"/dispatch-rules/{first.pk}/switch/", {"enabled": "0"}).status_code == 302
    assert not DispatchRule.objects.get(pk=first.pk).enabled
    answer = client.post(f"/dispatch-rules/{first.pk}/", FORM | {"name": "一改"})
    assert answer.status_code == 302
    assert DispatchRule.objects.get(pk=first.pk).name == "一改"
    assert client.get("/dispatch-rules/999/").status_code == 404


def test_the_menu_offers_the_rules_to_who_may_manage_them(client: Client, cast: Cast) -> None:
    for person, offered in ((cast.dispatcher, True), (cast.supervisor, False)):
        client.force_login(person)
        assert ('data-testid="menu-dispatch-rules"' in client.get("/").content.decode()) is offered
    client.force_login(cast.supervisor)
    assert client.get("/dispatch-rules/").status_code == 403


class TestTheRegistrationPage:
    def test_the_address_typed_suggests_the_grid_and_the_unit_first(
        self, client: Client, cast: Cast
    ) -> None:
        create_building(grid="G-01", kind="building", name="幸福小区3栋",
                        address="城关镇幸福小区3栋", by=cast.admin)  # fmt: skip
        client.force_login(cast.dispatcher)
        page = client.get("/tickets/new/").content.decode()
        assert 'hx-get="/tickets/new/unit/"' in page and 'id="place-suggestion"' in page
        answer = client.get(
            "/tickets/new/unit/", {"address": "幸福小区3号楼502", "category": "noise"}, **HTMX
        )
        html = answer.content.decode()
        assert 'data-suggested-grid="G-01"' in html
        assert "地址匹配 幸福小区3栋 → 甲派出所" in html
        # The picker comes back with the suggested unit first, saying why.
        options = re.findall(r'<option value="([^"]*)"', html)
        assert options[:2] == ["", "PS-A"]
        assert 'hx-swap-oob="true"' in html

    def test_a_form_shown_again_has_the_suggested_unit_first(
        self, client: Client, cast: Cast
    ) -> None:
        create_rule(RuleDraft("噪音", "noise", "PS-B"), by=cast.dispatcher)
        client.force_login(cast.dispatcher)
        answer = client.post(
            "/tickets/new/",
            {"channel": "phone", "category": "noise", "content": "", "grid": "G-01",
             "then": "register"},
        )  # fmt: skip
        assert answer.status_code == 400
        html = answer.content.decode()
        assert re.findall(r'<option value="([^"]*)"', html[html.index('id="id_unit"') :])[:2] == [
            "", "PS-B"
        ]  # fmt: skip
        assert "规则：噪音" in html

    def test_a_rule_puts_its_unit_first(self, client: Client, cast: Cast) -> None:
        create_rule(RuleDraft("噪音", "noise", "PS-B"), by=cast.dispatcher)
        client.force_login(cast.dispatcher)
        html = client.get(
            "/tickets/new/unit/", {"category": "renovation_noise", "grid": "G-01"}, **HTMX
        ).content.decode()
        assert re.findall(r'<option value="([^"]*)"', html)[:2] == ["", "PS-B"]
        assert "规则：噪音" in html

    def test_a_person_dispatching_at_once_wins_over_an_automatic_rule(
        self, client: Client, cast: Cast
    ) -> None:
        create_rule(RuleDraft("噪音", "noise", "PS-B", dispatch_at_confidence=0.0),
                    by=cast.dispatcher)  # fmt: skip
        client.force_login(cast.dispatcher)
        answer = client.post(
            "/tickets/new/",
            {"channel": "phone", "category": "noise", "content": "广场舞噪音", "grid": "G-01",
             "unit": "PS-A", "then": "dispatch"},
        )  # fmt: skip
        assert answer.status_code == 302
        ticket = Ticket.objects.get()
        assert (ticket.status, ticket.unit.code) == (Status.DISPATCHED, "PS-A")  # type: ignore[union-attr]
        assert Suggestion.objects.get(ticket=ticket, kind=SuggestionKind.UNIT, rank=1).value == (
            "PS-B"
        )

    def test_a_registrar_without_dispatch_gets_the_grid_only(
        self, client: Client, cast: Cast
    ) -> None:
        create_building(grid="G-02", kind="building", name="幸福小区3栋",
                        address="幸福小区3栋", by=cast.admin)  # fmt: skip
        client.force_login(cast.building_head)
        html = client.get("/tickets/new/unit/", {"address": "幸福小区3栋"}, **HTMX).content.decode()
        assert 'data-suggested-grid="G-02"' in html and "<select" not in html


def test_the_timeline_names_the_rule_that_dispatched(client: Client, cast: Cast) -> None:
    create_rule(RuleDraft("噪音自动交办", "noise", "PS-A", dispatch_at_confidence=0.9),
                by=cast.dispatcher)  # fmt: skip
    ticket = new_ticket(cast.dispatcher, grid="G-01")
    suggested = suggest_place_and_unit(address="", category=ticket.category, grid=ticket.grid)
    dispatch_by_rule(ticket, suggested, category_confidence=0.95)
    client.force_login(cast.dispatcher)
    page = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert "派单规则" in page and "噪音自动交办" in page
    assert Unit.objects.get(code="PS-A").name in page
