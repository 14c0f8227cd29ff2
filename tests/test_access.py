"""The one access rule, as seen through the domain and the API."""

from __future__ import annotations

from typing import Any

import pytest

from jieban.errors import NotFound
from jieban.org.models import Unit
from jieban.tickets import transitions
from jieban.tickets.access import access_ticket, mask_phone, may_see_full_phone, visible_tickets
from tests.conftest import Cast, new_ticket


def dispatch_to(cast: Cast, code: str) -> str:
    ticket = new_ticket(cast.dispatcher)
    transitions.dispatch_ticket(ticket.number, unit=Unit.objects.get(code=code), by=cast.dispatcher)
    return ticket.number


class TestVisibility:
    def test_centre_roles_and_leaders_see_the_whole_bureau(self, cast: Cast) -> None:
        numbers = {
            dispatch_to(cast, "PS-A"),
            dispatch_to(cast, "PS-B"),
            new_ticket(cast.dispatcher).number,
        }
        for person in (cast.admin, cast.dispatcher, cast.supervisor, cast.leader):
            assert set(visible_tickets(person).values_list("number", flat=True)) == numbers

    def test_a_unit_sees_what_it_holds_and_has_held(self, cast: Cast) -> None:
        held = dispatch_to(cast, "PS-A")
        moved = dispatch_to(cast, "PS-A")
        transitions.dispatch_ticket(moved, unit=Unit.objects.get(code="PS-B"), by=cast.dispatcher)
        dispatch_to(cast, "PS-B")
        new_ticket(cast.dispatcher)
        visible = set(visible_tickets(cast.handler_a).values_list("number", flat=True))
        assert visible == {held, moved}
        assert set(visible_tickets(cast.leader_a).values_list("number", flat=True)) == visible

    def test_narrowed_to_one_unit_the_rule_still_holds(self, cast: Cast) -> None:
        held = dispatch_to(cast, "PS-A")
        moved = dispatch_to(cast, "PS-A")
        transitions.dispatch_ticket(moved, unit=Unit.objects.get(code="PS-B"), by=cast.dispatcher)
        other = dispatch_to(cast, "PS-B")
        unit_a, unit_b = Unit.objects.get(code="PS-A"), Unit.objects.get(code="PS-B")

        def numbers(person: Any, unit: Unit) -> set[str]:
            return set(visible_tickets(person, unit_id=unit.pk).values_list("number", flat=True))

        # Its own unit: everything the unit holds now.
        assert numbers(cast.handler_a, unit_a) == {held}
        # Another unit: only what that unit holds and this one has held.
        assert numbers(cast.handler_a, unit_b) == {moved}
        assert numbers(cast.handler_b, unit_b) == {moved, other}
        assert numbers(cast.dispatcher, unit_b) == {moved, other}
        assert numbers(cast.outsider, unit_b) == set()

    def test_an_outsider_sees_nothing(self, cast: Cast) -> None:
        dispatch_to(cast, "PS-A")
        new_ticket(cast.dispatcher)
        assert not visible_tickets(cast.outsider).exists()
        assert not visible_tickets(cast.handler_b).exists()

    def test_whoever_registered_a_ticket_can_follow_it(self, cast: Cast) -> None:
        mine = new_ticket(cast.building_head, channel="building_head")
        assert list(visible_tickets(cast.building_head).values_list("number", flat=True)) == [
            mine.number
        ]

    def test_an_inactive_person_sees_nothing(self, cast: Cast) -> None:
        dispatch_to(cast, "PS-A")
        cast.dispatcher.is_active = False
        cast.dispatcher.save()
        assert not visible_tickets(cast.dispatcher).exists()

    def test_access_ticket_says_not_found_for_the_invisible(self, cast: Cast) -> None:
        number = dispatch_to(cast, "PS-A")
        with pytest.raises(NotFound):
            access_ticket(cast.handler_b, number)
        assert access_ticket(cast.handler_a, number).number == number


class TestPhones:
    def test_it_masks_the_middle_of_a_mobile_number(self) -> None:
        assert mask_phone("13812341234") == "138****1234"
        assert mask_phone("") == ""
        assert mask_phone("12345") == "***45"

    def test_full_number_goes_to_those_who_handle_it(self, cast: Cast) -> None:
        number = dispatch_to(cast, "PS-A")
        ticket = access_ticket(cast.dispatcher, number)
        assert may_see_full_phone(cast.dispatcher, ticket)
        assert may_see_full_phone(cast.handler_a, ticket)
        assert not may_see_full_phone(cast.leader, ticket)
        transitions.dispatch_ticket(number, unit=Unit.objects.get(code="PS-B"), by=cast.dispatcher)
        ticket.refresh_from_db()
        assert not may_see_full_phone(cast.handler_a, ticket)


class TestThroughTheApi:
    def test_another_units_handler_gets_404_on_read_and_on_every_action(
        self, cast: Cast, api_as: Any
    ) -> None:
        number = dispatch_to(cast, "PS-A")
        client = api_as(cast.handler_b)
        assert client.get(f"/tickets/{number}").status_code == 404
        assert client.get(f"/tickets/{number}/events").status_code == 404
        assert client.get(f"/tickets/{number}/attachments").status_code == 404
        for action, body in [
            ("dispatch", {"unit": "PS-B"}),
            ("accept", {}),
            ("return", {"reason": "x"}),
            ("resolve", {"result": "x"}),
            ("close", {"note": "x"}),
            ("invalidate", {"reason": "x"}),
            ("merge", {"into": number}),
        ]:
            response = client.post(f"/tickets/{number}/{action}", body)
            assert response.status_code == 404, action
            assert response.json()["detail"]

    def test_an_outsider_sees_an_empty_list(self, cast: Cast, api_as: Any) -> None:
        dispatch_to(cast, "PS-A")
        response = api_as(cast.outsider).get("/tickets")
        assert response.status_code == 200
        assert response.json() == {"items": [], "next": None}

    def test_the_list_masks_phones_and_the_detail_shows_them_to_handlers(
        self, cast: Cast, api_as: Any
    ) -> None:
        number = dispatch_to(cast, "PS-A")
        handler = api_as(cast.handler_a)
        assert handler.get("/tickets").json()["items"][0]["resident_phone"] == "138****1234"
        assert handler.get(f"/tickets/{number}").json()["resident_phone"] == "13812341234"
        leader = api_as(cast.leader)
        assert leader.get(f"/tickets/{number}").json()["resident_phone"] == "138****1234"
