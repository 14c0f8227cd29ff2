"""The home page: counts of the tickets one may see, and the menu each role gets."""

from __future__ import annotations

import re

import time_machine
from django.test import Client

from jieban.tickets import transitions
from tests.conftest import Cast, local, new_ticket
from tests.web.conftest import dispatched


def count(html: str, key: str) -> int:
    match = re.search(rf'data-testid="count-{key}">(\d+)<', html)
    assert match, key
    return int(match.group(1))


class TestHomePage:
    def test_it_counts_visible_tickets_by_status(self, client: Client, cast: Cast) -> None:
        new_ticket(cast.dispatcher)
        new_ticket(cast.dispatcher)
        dispatched(cast)
        client.force_login(cast.dispatcher)
        html = client.get("/").content.decode()
        assert count(html, "new") == 2
        assert count(html, "dispatched") == 1
        assert count(html, "closed") == 0
        assert 'href="/tickets/?status=new"' in html
        assert 'href="/tickets/?overdue=1"' in html

    def test_it_counts_only_what_the_unit_may_see(self, client: Client, cast: Cast) -> None:
        new_ticket(cast.dispatcher)
        dispatched(cast, "PS-A")
        client.force_login(cast.handler_b)
        html = client.get("/").content.decode()
        assert count(html, "new") == 0
        assert count(html, "dispatched") == 0

    def test_it_counts_overdue_tickets(self, client: Client, cast: Cast) -> None:
        with time_machine.travel(local(2026, 7, 1), tick=False):
            dispatched(cast)
        with time_machine.travel(local(2026, 7, 20), tick=False):
            client.force_login(cast.dispatcher)
            assert count(client.get("/").content.decode(), "overdue") == 1

    def test_it_links_unit_people_to_their_inbox(self, client: Client, cast: Cast) -> None:
        client.force_login(cast.handler_a)
        html = client.get("/").content.decode()
        assert 'href="/inbox/"' in html
        assert 'href="/tickets/new/"' not in html
        assert 'href="/calendar/"' not in html

    def test_it_gives_each_role_its_menu(self, client: Client, cast: Cast) -> None:
        client.force_login(cast.dispatcher)
        html = client.get("/").content.decode()
        assert 'href="/tickets/new/"' in html
        assert 'href="/inbox/"' not in html
        assert 'href="/calendar/"' not in html

        client.force_login(cast.admin)
        html = client.get("/").content.decode()
        assert 'href="/calendar/"' in html
        assert 'href="/tickets/new/"' in html

        client.force_login(cast.leader)
        html = client.get("/").content.decode()
        assert 'href="/tickets/new/"' not in html
        assert "leader · 局领导" in html

    def test_it_runs_a_fixed_number_of_queries(
        self, client: Client, cast: Cast, django_assert_num_queries: object
    ) -> None:
        for _ in range(3):
            transitions.accept_ticket(dispatched(cast).number, by=cast.handler_a)
        client.force_login(cast.dispatcher)
        # session, user, the bell's unread count, counts by status, overdue count
        with django_assert_num_queries(5):  # type: ignore[operator]
            assert client.get("/").status_code == 200
