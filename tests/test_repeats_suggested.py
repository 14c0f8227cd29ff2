"""Earlier reports of the same matter (重复反映, issue 13 item 2): the address keys on the
ticket, `similar_tickets` and its reasons, the API's `possible_repeats` and `/similar`, the
suggestions recorded at registration, and the registration page's fragment."""

from __future__ import annotations

import datetime as dt
import importlib
import re
from types import SimpleNamespace
from typing import Any

import time_machine
from django.apps import apps
from django.db import connection
from django.test import Client
from django.utils import translation

from jieban.intake.actions import TicketDraft
from jieban.org.models import User
from jieban.suggestions.actions import register_and_suggest
from jieban.suggestions.models import Suggestion, SuggestionKind
from jieban.suggestions.repeats import (
    CANDIDATES,
    OPEN_WINDOW,
    READ,
    WINDOW,
    Matter,
    SimilarTicket,
    _candidates_by_querysets,
    _candidates_in_one_statement,
    _Window,
    similar_tickets,
)
from jieban.tickets import transitions
from jieban.tickets.models import Status, Ticket
from tests.conftest import Cast, dispatch, local, new_ticket
from tests.platform_peer import CODE, make_platform, order, push_orders
from tests.platform_peer import NOW as PLATFORM_NOW
from tests.web.conftest import HTMX

NOISE = "楼上装修噪音很大，晚上十点还在施工，影响休息。"
PARKING = "小区门口长期有车辆乱停，堵住消防通道，无法通行。"


def call(**fields: Any) -> TicketDraft:
    values: dict[str, Any] = {
        "channel": "phone",
        "content": PARKING,
        "resident_phone": "13700000000",
        "address": "",
        "category": "renovation_noise",
    }
    return TicketDraft(**(values | fields))


def reasons_of(found: list[SimilarTicket]) -> dict[str, list[str]]:
    return {item.ticket.number: [reason.label for reason in item.reasons] for item in found}


def numbers(found: list[SimilarTicket]) -> list[str]:
    return [item.ticket.number for item in found]


class TestKeys:
    def test_it_keys_the_address_on_registration(self, cast: Cast) -> None:
        first = new_ticket(cast.dispatcher, address="城关镇幸福小区3栋502")
        second = new_ticket(cast.dispatcher, address="幸福小区三号楼502室")
        first.refresh_from_db()
        assert first.address_key == second.address_key == "幸福小区#3||502"
        assert first.building_key == second.building_key == "幸福小区#3"
        assert new_ticket(cast.dispatcher, address="").building_key == ""

    def test_it_keys_every_ticket_of_a_batch(self, cast: Cast, api_as: Any) -> None:
        item = {"channel": "phone", "content": NOISE, "address": "幸福小区3号楼5楼"}
        response = api_as(cast.dispatcher).post("/tickets/batch", {"items": [item]})
        assert response.status_code == 200, response.content
        ticket = Ticket.objects.get(number=response.json()["results"][0]["number"])
        assert (ticket.building_key, ticket.address_key) == ("幸福小区#3", "幸福小区#3||5")

    def test_it_keys_the_address_a_platform_corrects(self, cast: Cast) -> None:
        make_platform()
        with time_machine.travel(PLATFORM_NOW, tick=False):
            push_orders(order("SZ0100", address="幸福小区3栋502"))
            push_orders(order("SZ0100", revision=2, address="城关镇和平小区五号楼1单元101"))
        ticket = Ticket.objects.get(external_id=f"{CODE}:SZ0100")
        assert (ticket.building_key, ticket.address_key) == ("和平小区#5", "和平小区#5|1|101")

    def test_it_fills_the_keys_of_tickets_already_there(self, cast: Cast) -> None:
        ticket = new_ticket(cast.dispatcher, address="城关镇幸福小区3栋2单元502")
        blank = new_ticket(cast.dispatcher, address="")
        Ticket.objects.update(address_key="", building_key="")
        migration = importlib.import_module("jieban.tickets.migrations.0023_address_key")
        migration.BATCH = 1  # every batch boundary crossed
        migration.fill_address_keys(apps, SimpleNamespace(connection=connection))
        ticket.refresh_from_db()
        blank.refresh_from_db()
        assert (ticket.building_key, ticket.address_key) == ("幸福小区#3", "幸福小区#3|2|502")
        assert (blank.building_key, blank.address_key) == ("", "")


class TestReasons:
    def test_it_finds_the_same_callers_phone(self, cast: Cast) -> None:
        earlier = new_ticket(cast.dispatcher, resident_phone="13911112222", address="")
        new_ticket(cast.dispatcher, resident_phone="13933334444", address="")
        found = similar_tickets(call(resident_phone="13911112222"), by=cast.dispatcher)
        assert reasons_of(found) == {earlier.number: ["同一来电号码"]}

    def test_it_finds_the_same_home_written_another_way(self, cast: Cast) -> None:
        earlier = new_ticket(cast.dispatcher, address="城关镇幸福小区3栋502", content=NOISE)
        found = similar_tickets(call(address="幸福小区三号楼502室"), by=cast.dispatcher)
        assert reasons_of(found) == {earlier.number: ["同一地址"]}

    def test_it_finds_the_same_building(self, cast: Cast) -> None:
        earlier = new_ticket(cast.dispatcher, address="幸福小区3栋101", content=NOISE)
        new_ticket(cast.dispatcher, address="幸福小区4栋101", content=NOISE)
        found = similar_tickets(call(address="幸福小区三栋"), by=cast.dispatcher)
        assert reasons_of(found) == {earlier.number: ["同一楼栋"]}

    def test_it_finds_similar_content_in_the_same_grid(self, cast: Cast) -> None:
        earlier = new_ticket(cast.dispatcher, grid="G-01", content=PARKING, address="")
        new_ticket(cast.dispatcher, grid="G-01", content=NOISE, address="")
        new_ticket(cast.dispatcher, grid="G-02", content=PARKING, address="")
        worded = "小区门口有车乱停，把消防通道堵住了，车辆无法通行。"
        found = similar_tickets(call(grid="G-01", content=worded), by=cast.dispatcher)
        assert numbers(found) == [earlier.number]
        (reason,) = found[0].reasons
        assert reason.kind == "content" and 0.3 <= (reason.similarity or 0) < 1
        assert reason.label == f"内容相似 {reason.similarity:.2f}"

    def test_it_says_the_reasons_in_english_too(self, cast: Cast) -> None:
        new_ticket(cast.dispatcher, address="幸福小区3栋502", content=PARKING, grid="G-01")
        draft = call(address="幸福小区3栋502", grid="G-01", resident_phone="13812341234")
        with translation.override("en"):
            labels = [
                reason.label for reason in similar_tickets(draft, by=cast.dispatcher)[0].reasons
            ]
        assert labels == ["Same caller's phone", "Same address", "Similar content 1.00"]


class TestWhichTickets:
    def test_it_keeps_open_tickets_and_those_of_the_last_60_days(self, cast: Cast) -> None:
        with time_machine.travel(local(2026, 1, 5), tick=False):
            old_open = new_ticket(cast.dispatcher, address="幸福小区3栋502")
            old_closed = new_ticket(cast.dispatcher, address="幸福小区3栋502")
            transitions.close_ticket(old_closed.number, note="已当场答复。", by=cast.dispatcher)
        with time_machine.travel(local(2026, 2, 20), tick=False):
            recent_closed = new_ticket(cast.dispatcher, address="幸福小区3栋502")
            transitions.close_ticket(recent_closed.number, note="已当场答复。", by=cast.dispatcher)
        draft = call(address="幸福小区3栋502")
        with time_machine.travel(local(2026, 3, 5), tick=False):  # 59 days after 5 January
            assert set(numbers(similar_tickets(draft, by=cast.dispatcher))) == {
                old_open.number,
                old_closed.number,
                recent_closed.number,
            }
        with time_machine.travel(local(2026, 3, 7), tick=False):  # 61 days after
            assert set(numbers(similar_tickets(draft, by=cast.dispatcher))) == {
                old_open.number,
                recent_closed.number,
            }

    def test_it_leaves_out_the_ticket_itself_and_invalid_and_merged_ones(self, cast: Cast) -> None:
        kept = new_ticket(cast.dispatcher)
        invalid = new_ticket(cast.dispatcher)
        transitions.invalidate_ticket(invalid.number, reason="误拨。", by=cast.dispatcher)
        merged = new_ticket(cast.dispatcher)
        transitions.merge_ticket(merged.number, into=kept.number, by=cast.dispatcher)
        ticket = new_ticket(cast.dispatcher)
        assert numbers(similar_tickets(ticket, by=cast.dispatcher)) == [kept.number]

    def test_it_finds_the_same_candidates_in_one_statement_as_by_querysets(
        self, cast: Cast
    ) -> None:
        # For a viewer who sees every ticket the intake reads the candidates in one statement
        # written by hand; every other viewer's lookup runs the querysets. Both must agree.
        with time_machine.travel(local(2026, 1, 5), tick=False):
            old_open = new_ticket(cast.dispatcher, address="幸福小区3栋502", grid="G-01")
            old_closed = new_ticket(cast.dispatcher, resident_phone="13911112222")
            transitions.close_ticket(old_closed.number, note="已当场答复。", by=cast.dispatcher)
        with time_machine.travel(local(2026, 3, 1), tick=True):
            # More in the building and the grid than are read for each.
            for index in range(CANDIDATES + 5):
                new_ticket(cast.dispatcher, address=f"幸福小区3栋{100 + index}", grid="G-01")
            invalid = new_ticket(cast.dispatcher, resident_phone="13911112222")
            transitions.invalidate_ticket(invalid.number, reason="误拨。", by=cast.dispatcher)
            new_ticket(cast.dispatcher, resident_phone="13911112222", address="幸福小区3栋502")
            subject = new_ticket(
                cast.dispatcher, resident_phone="13911112222", address="幸福小区3栋502",
                grid="G-01",
            )  # fmt: skip
        matter = Matter.of_ticket(subject)
        now = local(2026, 3, 2)
        windows = [
            _Window(now - WINDOW, now - OPEN_WINDOW),
            _Window(now - WINDOW, now - WINDOW, until=local(2026, 3, 1, 0, 5)),
        ]
        found = []
        for window in windows:
            by_querysets = _candidates_by_querysets(matter, window, by=cast.dispatcher)
            in_one = _candidates_in_one_statement(matter, window, by_phone=True)
            assert set(in_one[0]) == set(by_querysets[0])
            assert in_one[1] == by_querysets[1]
            # Each row makes the ticket the ORM reads, field by field.
            for pk, row in in_one[0].items():
                made, read = row.as_ticket(), by_querysets[0][pk]
                assert [getattr(made, name) for name in ("id", *READ)] == [
                    getattr(read, name) for name in ("id", *READ)
                ]
            found.append(in_one)
        (now_found, by_phone), (then_found, then_by_phone) = found
        # The latest of each way: the old open one is past the building's and grid's latest.
        assert len(now_found) > CANDIDATES and old_open.pk not in now_found
        assert subject.pk not in now_found and invalid.pk not in now_found
        assert old_closed.pk in by_phone and len(by_phone) == 2
        assert set(then_found) == {old_open.pk, old_closed.pk}
        assert then_by_phone == {old_closed.pk}

    def test_it_shows_only_the_tickets_the_viewer_may_see(self, cast: Cast) -> None:
        at_a = dispatch(cast, new_ticket(cast.dispatcher, address="幸福小区3栋502"), "PS-A")
        at_b = dispatch(cast, new_ticket(cast.dispatcher, address="幸福小区3栋502"), "PS-B")
        draft = call(address="幸福小区3栋502", resident_phone="13812341234")
        assert set(numbers(similar_tickets(draft, by=cast.dispatcher))) == {
            at_a.number,
            at_b.number,
        }
        assert numbers(similar_tickets(draft, by=cast.handler_b)) == [at_b.number]
        assert numbers(similar_tickets(draft, by=cast.outsider)) == []

    def test_it_says_the_same_phone_only_where_the_viewer_sees_the_full_phone(
        self, cast: Cast
    ) -> None:
        # A grid officer follows the ticket they registered, but its holder's resident's phone
        # is not theirs to see: the lookup must not tell them it is the caller's.
        ticket = new_ticket(cast.grid_officer, address="幸福小区3栋502", content=NOISE)
        dispatch(cast, ticket, "PS-A")
        draft = call(address="幸福小区3栋502", resident_phone="13812341234")
        assert reasons_of(similar_tickets(draft, by=cast.grid_officer)) == {
            ticket.number: ["同一地址"]
        }
        assert reasons_of(similar_tickets(draft, by=cast.dispatcher)) == {
            ticket.number: ["同一来电号码", "同一地址"]
        }

    def test_it_ranks_the_likeliest_first(self, cast: Cast) -> None:
        same_building = new_ticket(
            cast.dispatcher, address="幸福小区3栋101", resident_phone="13900000001"
        )
        same_home = new_ticket(
            cast.dispatcher, address="幸福小区3栋502", resident_phone="13900000002"
        )
        same_home_and_phone = new_ticket(
            cast.dispatcher, address="幸福小区3栋502", resident_phone="13900000003"
        )
        same_phone_older = new_ticket(
            cast.dispatcher, address="", resident_phone="13900000003", content=NOISE
        )
        draft = call(address="幸福小区三栋502", resident_phone="13900000003", content=PARKING)
        found = similar_tickets(draft, by=cast.dispatcher)
        # Two reasons above one; among equals (0.6: the same home, the same phone), the newer.
        assert numbers(found) == [
            same_home_and_phone.number,
            same_phone_older.number,
            same_home.number,
            same_building.number,
        ]
        scores = [item.score for item in found]
        assert scores == sorted(scores, reverse=True) and scores[0] > scores[1]
        assert numbers(similar_tickets(draft, by=cast.dispatcher, limit=3)) == numbers(found)[:3]


class TestRegistration:
    def test_it_records_the_first_three_as_suggestions(self, cast: Cast) -> None:
        earlier = [new_ticket(cast.dispatcher, address="幸福小区3栋502") for _ in range(4)]
        registered = register_and_suggest(call(address="幸福小区3栋502"), by=cast.dispatcher)
        rows = Suggestion.objects.filter(ticket=registered.ticket).order_by("rank")
        assert [(row.kind, row.rank, row.value) for row in rows] == [
            (SuggestionKind.REPEAT, rank, ticket.number)
            for rank, ticket in enumerate(reversed(earlier[1:]), start=1)
        ]
        assert rows[0].reasons == [{"kind": "home"}] and rows[0].score == 0.6
        assert len(registered.possible_repeats) == 4

    def test_it_records_nothing_for_a_first_report(self, cast: Cast) -> None:
        registered = register_and_suggest(call(address="幸福小区3栋502"), by=cast.dispatcher)
        assert registered.possible_repeats == []
        assert not Suggestion.objects.filter(ticket=registered.ticket).exists()


class TestApi:
    def test_it_answers_possible_repeats_on_create(self, cast: Cast, api_as: Any) -> None:
        earlier = new_ticket(cast.dispatcher, address="城关镇幸福小区3栋502", resident_phone="")
        body = {"channel": "phone", "content": PARKING, "address": "幸福小区3号楼502"}
        response = api_as(cast.dispatcher).post("/tickets", body)
        assert response.status_code == 201, response.content
        (item,) = response.json()["possible_repeats"]
        assert item["number"] == earlier.number and item["title"] == earlier.title
        assert item["status"] == Status.NEW and item["score"] == 0.6
        received_at = dt.datetime.fromisoformat(item["received_at"])
        assert abs(received_at - earlier.received_at) < dt.timedelta(milliseconds=1)
        assert item["reasons"] == [{"kind": "home", "label": "同一地址", "similarity": None}]

    def test_it_answers_the_similar_tickets_of_a_ticket(self, cast: Cast, api_as: Any) -> None:
        earlier = dispatch(cast, new_ticket(cast.dispatcher, address="幸福小区3栋502"))
        ticket = new_ticket(cast.dispatcher, address="幸福小区3栋502")
        response = api_as(cast.dispatcher).get(f"/tickets/{ticket.number}/similar", limit=3)
        assert response.status_code == 200, response.content
        assert [item["number"] for item in response.json()] == [earlier.number]
        labels = [reason["label"] for reason in response.json()[0]["reasons"]]
        assert labels[:2] == ["同一来电号码", "同一地址"] and labels[2].startswith("内容相似 ")
        # A handler of station B sees neither ticket: the one asked for is not there for them.
        response = api_as(cast.handler_b).get(f"/tickets/{ticket.number}/similar")
        assert response.status_code == 404

    def test_it_refuses_a_bad_number_or_limit(self, cast: Cast, api_as: Any) -> None:
        ticket = new_ticket(cast.dispatcher)
        api = api_as(cast.dispatcher)
        assert api.get("/tickets/JB20260101-9999/similar").status_code == 404
        response = api.get(f"/tickets/{ticket.number}/similar", limit=50)
        assert response.status_code == 400 and "limit" in response.content.decode()
        assert api.get(f"/tickets/{ticket.number}/similar", limit="many").status_code == 400


def similar(client: Client, **typed: str) -> str:
    response = client.get("/tickets/new/similar", typed, **HTMX)
    assert response.status_code == 200
    return response.content.decode()


def listed(html: str) -> list[str]:
    return re.findall(r'data-testid="similar-ticket" data-number="(JB\d{8}-\d{4})"', html)


class TestRegistrationPage:
    def test_it_shows_the_earlier_reports_as_the_call_is_typed(
        self, client: Client, cast: Cast
    ) -> None:
        earlier = new_ticket(cast.dispatcher, address="城关镇幸福小区3栋502", resident_phone="")
        client.force_login(cast.dispatcher)
        page = client.get("/tickets/new/").content.decode()
        assert 'hx-get="/tickets/new/similar"' in page
        html = similar(client, address="幸福小区三栋502", content="噪音")
        assert listed(html) == [earlier.number]
        assert re.findall(r'data-testid="similar-reason">([^<]*)<', html) == ["同一地址"]
        # One click marks the call as a repeat of it.
        assert f'name="repeat_of" value="{earlier.number}" form="register-form"' in html
        html = similar(client, address="幸福小区三栋502", repeat_of=earlier.number)
        assert re.search(rf'value="{earlier.number}" form="register-form" checked', html)
        assert 'data-testid="similar-none"' in similar(client, address="和平小区1栋")

    def test_it_registers_the_call_as_a_repeat_of_the_one_chosen(
        self, client: Client, cast: Cast
    ) -> None:
        earlier = new_ticket(cast.dispatcher, address="幸福小区3栋502")
        client.force_login(cast.dispatcher)
        form = {
            "resident_phone": "13700000000",
            "channel": "phone",
            "address": "幸福小区三号楼502",
            "category": "renovation_noise",
            "content": NOISE,
            "repeat_of": earlier.number,
        }
        response = client.post("/tickets/new/", form)
        assert response.status_code == 302
        ticket = Ticket.objects.get(repeat_of=earlier)
        suggestion = Suggestion.objects.get(ticket=ticket, kind=SuggestionKind.REPEAT)
        assert suggestion.value == earlier.number

    def test_it_takes_any_text_typed(self, client: Client, cast: Cast) -> None:
        earlier = new_ticket(cast.dispatcher, address="幸福小区3栋502", resident_phone="")
        client.force_login(cast.dispatcher)
        # (A NUL in the address is refused before any page: http.py.)
        html = similar(client, address="幸福小区3栋502", grid="G-99", content="噪" * 9000)
        assert listed(html) == [earlier.number]
        form = {"channel": "phone", "content": "\x00", "address": "幸福小区3栋502\x00"}
        # The grid and unit suggested for the refused form read its codes the same way.
        form |= {"category": "noise\x00", "grid": "G-01\x00"}
        response = client.post("/tickets/new/", form | {"resident_phone": "1\x00" * 30})
        assert response.status_code == 400
        assert listed(response.content.decode()) == [earlier.number]

    def test_it_shows_nothing_to_a_user_who_may_not_register(
        self, client: Client, cast: Cast
    ) -> None:
        client.force_login(cast.outsider)
        assert client.get("/tickets/new/similar", {"address": "x"}).status_code == 403

    def test_it_shows_the_handler_only_their_units_tickets(
        self, client: Client, cast: Cast
    ) -> None:
        dispatch(cast, new_ticket(cast.dispatcher, address="幸福小区3栋502"), "PS-A")
        user = User.objects.get(pk=cast.grid_officer.pk)
        client.force_login(user)
        assert listed(similar(client, address="幸福小区3栋502")) == []


class TestTicketPage:
    def test_it_loads_the_possible_earlier_reports_into_the_ticket_page(
        self, client: Client, cast: Cast
    ) -> None:
        earlier = new_ticket(cast.dispatcher, address="幸福小区3栋502", resident_phone="")
        ticket = new_ticket(cast.dispatcher, address="幸福小区三号楼502", resident_phone="")
        client.force_login(cast.dispatcher)
        page = client.get(f"/tickets/{ticket.number}/").content.decode()
        assert f'hx-get="/tickets/{ticket.number}/similar/"' in page
        html = client.get(f"/tickets/{ticket.number}/similar/", **HTMX).content.decode()
        assert listed(html) == [earlier.number]
        assert "同一地址" in html and "内容相似 1.00" in html
        client.force_login(cast.handler_b)
        assert client.get(f"/tickets/{ticket.number}/similar/").status_code == 404
