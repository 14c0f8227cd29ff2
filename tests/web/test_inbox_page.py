"""A unit's inbox: what to accept, what is in progress, what is due soon, what is overdue."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.test import Client

from jieban.org.actions import create_person
from jieban.tickets import selectors, transitions
from tests.conftest import PASSWORD, Cast, local
from tests.web.conftest import dispatched


def section(html: str, key: str) -> list[str]:
    match = re.search(rf'data-testid="inbox-{key}">(.*?)</section>', html, re.S)
    assert match, key
    return re.findall(r'href="/tickets/(JB\d{8}-\d{4})/"', match.group(1))


class TestInboxPage:
    def test_it_sorts_the_units_tickets_into_sections(self, client: Client, cast: Cast) -> None:
        # Monday 2026-07-06 10:00 +5 working days → due Monday 2026-07-13 23:59:59.
        with time_machine.travel(local(2026, 7, 6), tick=False):
            overdue = dispatched(cast)
        # Friday 2026-07-10 → due Friday 2026-07-17: due soon on the 17th, accepted.
        with time_machine.travel(local(2026, 7, 10), tick=False):
            due_soon = dispatched(cast)
            transitions.accept_ticket(due_soon.number, by=cast.handler_a)
        with time_machine.travel(local(2026, 7, 17), tick=False):
            fresh = dispatched(cast)
            elsewhere = dispatched(cast, "PS-B")
            client.force_login(cast.handler_a)
            response = client.get("/inbox/")
        assert response.status_code == 200
        html = response.content.decode()
        assert section(html, "to_accept") == [overdue.number, fresh.number]
        assert section(html, "in_progress") == [due_soon.number]
        assert section(html, "due_soon") == [due_soon.number]
        assert section(html, "overdue") == [overdue.number]
        assert elsewhere.number not in html
        assert "甲派出所" in html

    def test_each_list_counts_every_ticket_and_links_to_them_all(
        self, client: Client, cast: Cast, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(selectors, "INBOX_SHOWN", 2)
        with time_machine.travel(local(2026, 7, 6), tick=False):
            tickets = [dispatched(cast) for _ in range(3)]
        with time_machine.travel(local(2026, 7, 7), tick=False):
            client.force_login(cast.handler_a)
            html = client.get("/inbox/").content.decode()
        listed = section(html, "to_accept")
        assert listed == [ticket.number for ticket in tickets[:2]]
        match = re.search(r'data-testid="inbox-to_accept">(.*?)</section>', html, re.S)
        assert match
        assert '<a class="count" href="/tickets/?status=dispatched&amp;unit=PS-A">3</a>' in (
            match.group(1)
        )
        assert "前 2 条，共 3 条：查看全部" in match.group(1)

    def test_it_shows_the_unit_leader_the_same_inbox(self, client: Client, cast: Cast) -> None:
        ticket = dispatched(cast)
        client.force_login(cast.leader_a)
        assert section(client.get("/inbox/").content.decode(), "to_accept") == [ticket.number]

    def test_it_shows_another_unit_nothing(self, client: Client, cast: Cast) -> None:
        dispatched(cast, "PS-A")
        client.force_login(cast.handler_b)
        html = client.get("/inbox/").content.decode()
        for key in ("to_accept", "in_progress", "due_soon", "overdue"):
            assert section(html, key) == []
        assert "暂无。" in html

    def test_it_explains_an_empty_inbox_without_a_unit(self, client: Client, cast: Cast) -> None:
        loner = create_person(username="loner", role="admin", unit=None, password=PASSWORD)
        client.force_login(loner)
        html = client.get("/inbox/").content.decode()
        assert "您不属于任何单位，因此没有待办。" in html

    def test_it_fits_a_phone_screen(self, client: Client, cast: Cast) -> None:
        dispatched(cast)
        client.force_login(cast.handler_a)
        html = client.get("/inbox/").content.decode()
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
        assert "<table" not in html

    def test_it_runs_a_bounded_number_of_queries(
        self, client: Client, cast: Cast, django_assert_max_num_queries: object
    ) -> None:
        for _ in range(6):
            dispatched(cast)
        client.force_login(cast.handler_a)
        # session, user, the bell's unread count, the user's unit, each of the four lists
        # (its first tickets; counted apart only when there are more), and the calendar
        # overrides that place the due-soon horizon: never one per ticket.
        # (the 10th: the tickets not signed for in time, counted apart)
        with django_assert_max_num_queries(10):  # type: ignore[operator]
            client.get("/inbox/")
