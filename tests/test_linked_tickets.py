"""A ticket's links and timeline never name a ticket the viewer may not open (README "Who sees
what"): merged into or from, a repeat of, reported again as. There it says "another ticket"
(另一工单), on the page, the print sheet and in the API, and the command centre still sees
the numbers."""

from __future__ import annotations

from typing import Any

from django.test import Client

from jieban.intake.actions import mark_repeat
from jieban.org.models import User
from jieban.tickets import transitions
from jieban.tickets.models import Ticket
from tests.conftest import ApiClient, Cast, dispatch, new_ticket

ANOTHER = "另一工单"


def merged_from_a_registrar(cast: Cast) -> tuple[Ticket, Ticket]:
    """The building head's ticket, merged by the dispatcher into one station A holds, which
    the building head may not open (and station A may not open theirs)."""
    reported = new_ticket(cast.building_head, title="楼道堆放杂物")
    held = dispatch(cast, new_ticket(cast.dispatcher, title="楼道堆放杂物（早前）"))
    transitions.merge_ticket(reported.number, into=held.number, by=cast.dispatcher)
    return reported, held


def repeat_of_another_units(cast: Cast) -> tuple[Ticket, Ticket]:
    """The grid officer's ticket marked as a repeat of one station B holds."""
    earlier = dispatch(cast, new_ticket(cast.dispatcher, title="烧烤油烟"), "PS-B")
    again = new_ticket(cast.grid_officer, title="烧烤油烟又来了")
    mark_repeat(again.number, of=earlier.number, by=cast.dispatcher)
    return again, earlier


def events(user: User, number: str, **headers: Any) -> list[dict[str, Any]]:
    client = ApiClient(user)
    response = client.client.get(f"/api/v1/tickets/{number}/events", **client.headers, **headers)
    assert response.status_code == 200
    return list(response.json())


def payload_of(items: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    (event,) = (item for item in items if item["kind"] == kind)
    return dict(event["payload"])


def page(user: User, path: str) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


class TestInTheApi:
    def test_a_registrar_does_not_learn_the_ticket_theirs_was_merged_into(self, cast: Cast) -> None:
        reported, held = merged_from_a_registrar(cast)
        assert payload_of(events(cast.building_head, reported.number), "merge") == {"into": ANOTHER}
        ticket = ApiClient(cast.building_head).get(f"/tickets/{reported.number}").json()
        assert (ticket["status"], ticket["merged_into"]) == ("merged", ANOTHER)
        listed = ApiClient(cast.building_head).get("/tickets").json()["items"]
        assert [item["merged_into"] for item in listed] == [ANOTHER]
        # The command centre, who opens both, sees the numbers.
        assert payload_of(events(cast.dispatcher, reported.number), "merge") == {
            "into": held.number
        }
        assert ApiClient(cast.dispatcher).get(f"/tickets/{reported.number}").json()[
            "merged_into"
        ] == (held.number)

    def test_the_unit_does_not_learn_which_ticket_was_merged_into_theirs(self, cast: Cast) -> None:
        reported, held = merged_from_a_registrar(cast)
        assert payload_of(events(cast.handler_a, held.number), "merged_in") == {"from": ANOTHER}
        assert payload_of(events(cast.dispatcher, held.number), "merged_in") == {
            "from": reported.number
        }

    def test_a_repeat_names_the_earlier_ticket_only_to_who_may_open_it(self, cast: Cast) -> None:
        again, earlier = repeat_of_another_units(cast)
        officer = ApiClient(cast.grid_officer)
        assert officer.get(f"/tickets/{again.number}").json()["repeat_of"] == ANOTHER
        assert payload_of(events(cast.grid_officer, again.number), "repeat_of") == {"of": ANOTHER}
        # Station B sees its ticket was reported again, not by which ticket.
        repeat = payload_of(events(cast.handler_b, earlier.number), "repeat")
        assert repeat == {"from": ANOTHER, "repeat_count": 1}
        assert ApiClient(cast.dispatcher).get(f"/tickets/{again.number}").json()["repeat_of"] == (
            earlier.number
        )

    def test_it_says_so_in_the_readers_language(self, cast: Cast) -> None:
        reported, _held = merged_from_a_registrar(cast)
        items = events(cast.building_head, reported.number, HTTP_ACCEPT_LANGUAGE="en")
        assert payload_of(items, "merge") == {"into": "another ticket"}

    def test_nothing_stored_changes(self, cast: Cast) -> None:
        reported, held = merged_from_a_registrar(cast)
        events(cast.building_head, reported.number)
        assert reported.events.get(kind="merge").payload == {"into": held.number}

    def test_a_list_looks_the_links_up_once(
        self, cast: Cast, django_assert_max_num_queries: Any
    ) -> None:
        for _ in range(3):
            merged_from_a_registrar(cast)
        client = ApiClient(cast.building_head)
        client.get("/tickets")  # warm the once-per-process statements
        with django_assert_max_num_queries(6):
            items = client.get("/tickets").json()["items"]
        assert [item["merged_into"] for item in items] == [ANOTHER] * 3


class TestOnThePages:
    def test_the_ticket_page_and_sheet_name_another_ticket_unlinked(self, cast: Cast) -> None:
        reported, held = merged_from_a_registrar(cast)
        for path in (f"/tickets/{reported.number}/", f"/tickets/{reported.number}/print/"):
            html = page(cast.building_head, path)
            assert held.number not in html, path
            assert ANOTHER in html, path
        html = page(cast.building_head, f"/tickets/{reported.number}/")
        assert f'<dd data-testid="merged-into">{ANOTHER}</dd>' in html

    def test_the_command_centre_sees_and_follows_the_links(self, cast: Cast) -> None:
        reported, held = merged_from_a_registrar(cast)
        html = page(cast.dispatcher, f"/tickets/{reported.number}/")
        assert f'<a href="/tickets/{held.number}/">{held.number}</a>' in html
        assert ANOTHER not in html

    def test_a_repeat_of_another_units_ticket(self, cast: Cast) -> None:
        again, earlier = repeat_of_another_units(cast)
        for path in (f"/tickets/{again.number}/", f"/tickets/{again.number}/print/"):
            html = page(cast.grid_officer, path)
            assert earlier.number not in html, path
            assert ANOTHER in html, path
        html = page(cast.handler_b, f"/tickets/{earlier.number}/")
        assert again.number not in html and ANOTHER in html
