"""The supervisor's board: open orders by level and unit, due soon, overdue, for each eye."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.test import Client

from jieban.tickets import transitions
from jieban.tickets.models import SupervisionOrder, Ticket
from jieban.tickets.supervision import supervise_ticket
from jieban.web.supervision import orders
from tests.conftest import Cast, local
from tests.web.conftest import dispatched_at, supervised


def orders_in(html: str, level: int) -> list[str]:
    section = re.search(
        rf'data-testid="orders-level-{level}">(.*?)</section>', html, flags=re.DOTALL
    )
    return re.findall(r'<tr data-order="(DB\d{8}-\d{4})">', section.group(1)) if section else []


def unit_counts(html: str) -> dict[str, list[int]]:
    counts = {}
    for code, row in re.findall(r'<tr data-unit="([A-Z0-9-]+)">(.*?)</tr>', html, re.DOTALL):
        cells = re.findall(r'data-level="(\d)">(?:<a [^>]*>)?(\d+)', row)
        counts[code] = [int(count) for _level, count in cells]
    return counts


def tickets_in(html: str, key: str) -> list[str]:
    section = re.search(rf'data-testid="{key}">(.*?)</section>', html, flags=re.DOTALL)
    assert section is not None, key
    return re.findall(r'<a href="/tickets/(JB\d{8}-\d{4})/">', section.group(1))


def numbers(ticket: Ticket) -> list[str]:
    """The ticket's orders, level 1 first."""
    return list(ticket.orders.order_by("level").values_list("number", flat=True))


class TestSupervisionPage:
    def test_it_groups_open_orders_by_level_and_unit(self, client: Client, cast: Cast) -> None:
        at_a = supervised(cast, "PS-A", breaches=3)
        at_b = supervised(cast, "PS-B", breaches=1)
        level_1_a, level_2_a, level_3_a = numbers(at_a)
        (level_1_b,) = numbers(at_b)
        client.force_login(cast.supervisor)
        response = client.get("/supervision/")
        assert response.status_code == 200
        html = response.content.decode()
        # One open order per ticket, its latest: A's level-3 order superseded its earlier two.
        assert orders_in(html, 3) == [level_3_a]
        assert orders_in(html, 2) == []
        assert orders_in(html, 1) == [level_1_b]
        # Most severe first.
        assert html.index('data-testid="orders-level-3"') < html.index(
            'data-testid="orders-level-1"'
        )
        # Per unit, columns 深入办, 重点办, 督促办: tickets under supervision at their level.
        assert unit_counts(html) == {"PS-A": [1, 0, 0], "PS-B": [0, 0, 1]}
        # Asked for, the superseded orders show which order took their place.
        html = client.get("/supervision/?fulfilled=1").content.decode()
        assert orders_in(html, 2) == [level_2_a]
        assert sorted(orders_in(html, 1)) == sorted([level_1_a, level_1_b])
        assert f"已被 {level_2_a} 取代" in html and f"已被 {level_3_a} 取代" in html
        assert unit_counts(html) == {"PS-A": [1, 0, 0], "PS-B": [0, 0, 1]}
        for text in ("深入办", "重点办", "督促办", "超期", "甲派出所", "乙派出所", at_a.title):
            assert text in html
        assert f'href="/supervision/{level_3_a}/print/"' in html
        assert f'href="/tickets/{at_a.number}/"' in html

    def test_it_shows_each_order_row(self, client: Client, cast: Cast) -> None:
        ticket = supervised(cast, "PS-B")
        order = ticket.orders.get()
        client.force_login(cast.supervisor)
        html = client.get("/supervision/").content.decode()
        row = re.search(rf'<tr data-order="{order.number}">(.*?)</tr>', html, re.DOTALL)
        assert row is not None
        cells = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row.group(1))).strip()
        assert cells == (
            f"{order.number} {ticket.number} {ticket.title} 乙派出所 超期 督促办 "
            "2026-03-10 00:00 2026-03-12 23:59 未办结，已超期"
        )

    def test_it_filters_by_level_and_unit(self, client: Client, cast: Cast) -> None:
        at_a = supervised(cast, "PS-A", breaches=2)
        at_b = supervised(cast, "PS-B", breaches=1)
        client.force_login(cast.supervisor)
        html = client.get("/supervision/?level=1&unit=PS-B").content.decode()
        assert orders_in(html, 1) == numbers(at_b)
        assert orders_in(html, 2) == []
        assert '<option value="PS-B" selected>' in html
        html = client.get("/supervision/?unit=PS-A").content.decode()
        # The level-2 order superseded the level-1 one.
        assert orders_in(html, 1) + orders_in(html, 2) == numbers(at_a)[1:]
        html = client.get("/supervision/?unit=PS-A&fulfilled=1").content.decode()
        assert orders_in(html, 1) + orders_in(html, 2) == numbers(at_a)

    def test_it_filters_orders_past_their_own_deadline(self, client: Client, cast: Cast) -> None:
        late, on_time, done = (
            dispatched_at(cast, local(2026, 3, 2), code) for code in ("PS-A", "PS-B", "PS-A")
        )
        with time_machine.travel(local(2026, 3, 3, 10), tick=False):
            # Due at the end of Wednesday 4 March, of Tuesday 10 March, and of Wednesday.
            late_order = supervise_ticket(late.number, note="尽快办理", days=1, by=cast.supervisor)
            supervise_ticket(on_time.number, note="尽快办理", days=5, by=cast.supervisor)
            supervise_ticket(done.number, note="尽快办理", days=1, by=cast.supervisor)
            transitions.accept_ticket(done.number, by=cast.handler_a)
            transitions.resolve_ticket(done.number, result="已办结", by=cast.handler_a)
        client.force_login(cast.supervisor)
        with time_machine.travel(local(2026, 3, 4, 23, 59), tick=False):
            html = client.get("/supervision/?overdue=1").content.decode()
            assert orders_in(html, 1) == []
            assert 'name="overdue" id="id_overdue" checked' in html
        with time_machine.travel(local(2026, 3, 5, 9), tick=False):
            html = client.get("/supervision/?overdue=1").content.decode()
            assert orders_in(html, 1) == [late_order.number]
            # With the unit filter, and with fulfilled orders asked for too: still only open.
            html = client.get("/supervision/?overdue=1&unit=PS-B").content.decode()
            assert orders_in(html, 1) == []
            html = client.get("/supervision/?overdue=1&fulfilled=1&level=1").content.decode()
            assert orders_in(html, 1) == [late_order.number]
            assert len(orders_in(client.get("/supervision/").content.decode(), 1)) == 2

    def test_it_keeps_the_filters_across_pages(
        self, client: Client, cast: Cast, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(orders, "ORDERS_PAGE", 1)
        made = [dispatched_at(cast, local(2026, 3, 2)) for _ in range(2)]
        dispatched_at(cast, local(2026, 3, 2), "PS-B")
        with time_machine.travel(local(2026, 3, 3, 10), tick=False):
            issued = [
                supervise_ticket(ticket.number, note="尽快办理", days=1, by=cast.supervisor)
                for ticket in made
            ]
        client.force_login(cast.supervisor)
        with time_machine.travel(local(2026, 3, 5, 9), tick=False):
            html = client.get("/supervision/?overdue=1&unit=PS-A").content.decode()
            assert orders_in(html, 1) == [issued[1].number]
            link = re.search(r'rel="next" href="([^"]+)"', html)
            assert link is not None
            query = link.group(1).replace("&amp;", "&")
            assert "overdue=1" in query and "unit=PS-A" in query
            html = client.get(f"/supervision/{query}").content.decode()
            assert orders_in(html, 1) == [issued[0].number]
            assert 'rel="next"' not in html

    def test_it_drops_fulfilled_orders_unless_asked(self, client: Client, cast: Cast) -> None:
        ticket = supervised(cast, "PS-A", signed=False)
        (number,) = numbers(ticket)
        transitions.accept_ticket(ticket.number, by=cast.handler_a)
        transitions.resolve_ticket(ticket.number, result="已办结", by=cast.handler_a)
        client.force_login(cast.supervisor)
        html = client.get("/supervision/").content.decode()
        assert orders_in(html, 1) == []
        assert "没有未办结的督办单。" in html
        html = client.get("/supervision/?fulfilled=1").content.decode()
        assert orders_in(html, 1) == [number]
        assert "已办结" in html

    def test_it_says_what_is_wrong_with_a_filter(self, client: Client, cast: Cast) -> None:
        supervised(cast)
        client.force_login(cast.supervisor)
        for query, message in (("level=7", "级别为 1、2 或 3。"), ("unit=NOWHERE", "未知单位")):
            response = client.get(f"/supervision/?{query}")
            assert response.status_code == 400
            html = response.content.decode()
            assert message in html
            assert orders_in(html, 1) == []

    def test_it_hides_other_units_orders(self, client: Client, cast: Cast) -> None:
        at_a = supervised(cast, "PS-A", breaches=2)
        at_b = supervised(cast, "PS-B")
        client.force_login(cast.handler_b)
        response = client.get("/supervision/")
        assert response.status_code == 200
        html = response.content.decode()
        assert orders_in(html, 1) == numbers(at_b)
        assert orders_in(html, 2) == []
        assert unit_counts(html) == {"PS-B": [0, 0, 1]}
        for number in [*numbers(at_a), at_a.number]:
            assert number not in html
        # Filtering for the other unit shows nothing either.
        html = client.get("/supervision/?unit=PS-A").content.decode()
        assert orders_in(html, 1) + orders_in(html, 2) == []

    def test_it_lists_due_soon_and_overdue_tickets(self, client: Client, cast: Cast) -> None:
        # Due Monday 9 March 23:59:59 (five working days from Monday 2 March).
        due_monday = dispatched_at(cast, local(2026, 3, 2))
        # Due Friday 13 March.
        later = dispatched_at(cast, local(2026, 3, 6), "PS-B")
        client.force_login(cast.supervisor)
        with time_machine.travel(local(2026, 3, 6, 12), tick=False):
            html = client.get("/supervision/").content.decode()
        # Friday noon: the next working day ends Monday night, so Monday's deadline is near.
        assert tickets_in(html, "due-soon") == [due_monday.number]
        assert tickets_in(html, "overdue") == []
        with time_machine.travel(local(2026, 3, 10, 9), tick=False):
            html = client.get("/supervision/").content.decode()
        # Tuesday, before the sweep came round: overdue, and Friday's deadline not yet near.
        assert tickets_in(html, "overdue") == [due_monday.number]
        assert tickets_in(html, "due-soon") == []
        client.force_login(cast.handler_b)
        with time_machine.travel(local(2026, 3, 12, 9), tick=False):
            html = client.get("/supervision/").content.decode()
        assert tickets_in(html, "due-soon") == [later.number]
        assert tickets_in(html, "overdue") == []

    def test_it_is_in_the_menu_of_those_who_watch(self, client: Client, cast: Cast) -> None:
        for person in (cast.supervisor, cast.admin, cast.dispatcher, cast.leader):
            client.force_login(person)
            assert 'href="/supervision/"' in client.get("/").content.decode(), person
        for person in (cast.handler_a, cast.grid_officer, cast.building_head):
            client.force_login(person)
            assert 'href="/supervision/"' not in client.get("/").content.decode(), person

    def test_it_pages_through_many_orders(
        self, client: Client, cast: Cast, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(orders, "ORDERS_PAGE", 2)
        made = [supervised(cast) for _ in range(3)]
        client.force_login(cast.supervisor)
        html = client.get("/supervision/").content.decode()
        assert len(orders_in(html, 1)) == 2
        link = re.search(r'rel="next" href="([^"]+)"', html)
        assert link is not None
        html = client.get(f"/supervision/{link.group(1).replace('&amp;', '&')}").content.decode()
        assert len(orders_in(html, 1)) == 1
        assert SupervisionOrder.objects.count() == len(made)

    def test_it_runs_a_bounded_number_of_queries(
        self, client: Client, cast: Cast, django_assert_max_num_queries: object
    ) -> None:
        codes = ("PS-A", "PS-B", "PS-A", "G-01")
        for code in codes:
            supervised(cast, code, breaches=2)
        # After the sweeps: late on Tuesday 10 March with no order yet, and due that night.
        for code in codes:
            dispatched_at(cast, local(2026, 3, 2), code)
            dispatched_at(cast, local(2026, 3, 3), code)
        client.force_login(cast.supervisor)
        # session, user, the bell, units for the filter, one page of orders, the counts per
        # unit and level, the due-soon horizon, due-soon and overdue tickets
        with time_machine.travel(local(2026, 3, 10, 9), tick=False):
            with django_assert_max_num_queries(9):  # type: ignore[operator]
                html = client.get("/supervision/").content.decode()
            # One open order per ticket: the level-2 ones superseded the level-1 ones.
            assert len(orders_in(html, 1) + orders_in(html, 2)) == 4
            # The supervised tickets stay overdue under their orders, beside the 4 late ones.
            assert len(tickets_in(html, "overdue")) == 8
            assert len(tickets_in(html, "due-soon")) == 4
            # With the superseded orders, each names its successor from the same query.
            with django_assert_max_num_queries(9):  # type: ignore[operator]
                html = client.get("/supervision/?fulfilled=1").content.decode()
            assert len(orders_in(html, 1) + orders_in(html, 2)) == 8
            assert html.count('data-testid="superseded"') == 4
            # A filter by unit costs one lookup more, whatever the number of rows.
            with django_assert_max_num_queries(10):  # type: ignore[operator]
                client.get("/supervision/?unit=PS-A&level=2")
