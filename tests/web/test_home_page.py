"""The home page of each role: every number agrees with the figures and links to a list that
shows that many tickets; the menu each role gets; and a fixed number of queries per page."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
import time_machine
from django.test import Client

from jieban.stats.reports import publish_report
from tests.conftest import Cast, new_ticket
from tests.web.test_stats_page import (
    FIELDS,
    MARCH,
    NOW,
    March,
    api_rows,
    chart_spec,
    listed_numbers,
    march,
    section,
    table_rows,
    values_in,
)

pytestmark = pytest.mark.usefixtures("at_now")


@pytest.fixture
def month(cast: Cast) -> March:
    return march(cast)


@pytest.fixture
def at_now() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def tile(html: str, key: str) -> tuple[int, str]:
    """(count, href) of the tile `key`."""
    match = re.search(
        rf'<a href="([^"]*)" data-testid="tile-{key}"><span class="count" '
        rf'data-testid="count-{key}">(\d+)<',
        html,
    )
    assert match, key
    return int(match.group(2)), unescape(match.group(1))


def figure_tiles(html: str, testid: str) -> dict[str, Any]:
    return values_in(section(html, testid))


def figure_links(html: str, testid: str) -> dict[str, str]:
    part = section(html, testid)
    return {
        field: unescape(href)
        for field, href in re.findall(
            r'data-field="([a-z_]+)" data-value="[^"]*">\s*<a href="([^"]*)"', part
        )
    }


def follow_up_rows(client: Client, href: str) -> int:
    return client.get(href).content.decode().count('data-testid="follow-up-row"')


def board_orders(client: Client, href: str) -> set[str]:
    html = client.get(unescape(href)).content.decode()
    return set(re.findall(r'href="/supervision/(DB\d{8}-\d{4})/print/"', html))


class TestCommandCentreHome:
    def test_its_counts_link_to_lists_of_as_many_tickets(
        self, client: Client, cast: Cast, month: March
    ) -> None:
        t = month.tickets
        client.force_login(cast.dispatcher)
        html = client.get("/").content.decode()
        expected = {
            "received_today": {t["k"].number},
            "awaiting_dispatch": {t["h"].number, t["k"].number},
            "due_soon": {t["i"].number},
            "overdue": {t["d"].number},
        }
        for key, numbers in expected.items():
            count, href = tile(html, key)
            assert count == len(numbers), key
            assert href.startswith("/tickets/?"), key
            assert listed_numbers(client, href) == numbers, key
        count, href = tile(html, "follow_up")
        assert (count, href) == (2, "/follow-up/")  # b and c wait for their call
        assert follow_up_rows(client, href) == 2
        count, href = tile(html, "open_orders")
        assert href == "/supervision/"
        assert count == len(board_orders(client, href)) == 1  # d's; b's and c's were fulfilled

    def test_its_trend_categories_and_units_are_the_figures(
        self, client: Client, cast: Cast, month: March, api_as: Any
    ) -> None:
        client.force_login(cast.dispatcher)
        html = client.get("/").content.decode()
        api = api_as(cast.dispatcher)
        window = {"start": "2026-02-17", "end": "2026-03-19"}  # the last 30 days, today in
        by_day = {row["key"]: row for row in api_rows(api, **window, period="day")}
        trend = chart_spec(html, "trend")
        assert len(trend["categories"]) == 30
        assert trend["categories"][0] == "2026-02-17" and trend["categories"][-1] == "2026-03-18"
        totals = [by_day[day]["total"] if day in by_day else 0 for day in trend["categories"]]
        assert trend["series"][0]["data"] == totals
        assert sum(totals) == 9

        categories = api_rows(api, **window, group_by="category")
        shown = table_rows(html, "home-categories")
        assert sorted(shown, key=lambda row: row["key"]) == sorted(
            categories, key=lambda row: row["key"]
        )
        assert [row["total"] for row in shown] == sorted(
            (row["total"] for row in shown), reverse=True
        )

        units = {row["key"]: row for row in api_rows(api, **window, group_by="unit")}
        ranked = table_rows(html, "home-units")
        assert [row["key"] for row in ranked] == ["PS-A", "PS-B"]
        for row in ranked:
            assert row == units[row["key"]]
        # PS-A resolved 3 tickets, 2 of them on time; PS-B has none resolved: no rate, last.
        assert ranked[0]["on_time_rate"] == 2 / 3
        assert re.search(r'data-field="on_time_rate" data-value="0\.666[0-9]*">66\.67%', html)
        assert ranked[1]["on_time_rate"] is None

    def test_its_unit_counts_link_to_the_units_lists(
        self, client: Client, cast: Cast, month: March
    ) -> None:
        client.force_login(cast.supervisor)
        html = client.get("/").content.decode()
        ranked = section(html, "home-units")
        for field, expected in (("total", 5), ("resolved", 3), ("overdue_open", 0)):
            href, text = re.search(
                rf'<tr data-key="PS-A">.*?data-field="{field}" data-value="\d+"><a href="([^"]*)">'
                r"(\d+)</a>",
                ranked,
                re.S,
            ).groups()  # type: ignore[union-attr]
            assert int(text) == expected, field
            assert len(listed_numbers(client, href)) == expected, field

    def test_it_shows_the_supervisor_orders_by_level_and_unit(
        self, client: Client, cast: Cast, month: March
    ) -> None:
        client.force_login(cast.supervisor)
        html = client.get("/").content.decode()
        for level, expected in ((1, 1), (2, 0), (3, 0)):
            count, href = tile(html, f"level-{level}")
            assert count == expected
            assert href == f"/supervision/?level={level}"
            assert len(board_orders(client, href)) == expected
        part = section(html, "orders-by-unit")
        cells = re.findall(r'data-level="(\d)"><a href="([^"]*)">(\d+)</a>', part)
        assert '<tr data-unit="PS-B">' in part and '<tr data-unit="PS-A">' not in part
        for _level, href, count in cells:
            assert len(board_orders(client, href)) == int(count)

        client.force_login(cast.dispatcher)
        assert 'data-testid="orders-by-level"' not in client.get("/").content.decode()

    def test_it_is_the_home_of_every_centre_role(self, client: Client, cast: Cast) -> None:
        for person in (cast.admin, cast.dispatcher, cast.supervisor):
            client.force_login(person)
            html = client.get("/").content.decode()
            assert 'data-testid="centre-tiles"' in html, person
            assert 'href="/tickets/new/"' in html

    # (with the late-for-dispatch and escalated counts, the escalated list and the pending
    # requests for more time; this month's scores, see below)
    @pytest.mark.parametrize(("role", "queries"), [("dispatcher", 40), ("supervisor", 41)])
    def test_it_runs_a_fixed_number_of_queries(
        self,
        client: Client,
        cast: Cast,
        month: March,
        django_assert_max_num_queries: Any,
        role: str,
        queries: int,
    ) -> None:
        client.force_login(getattr(cast, role))
        client.post("/i18n/setlang/", {"language": "en", "next": "/"})
        client.get("/")  # the first read rebuilds the daily rollups of the window
        # session, user, bell; five list counts and the working-day horizon; open orders; the
        # dirty days in a savepoint, once; the trend, categories and units (each: rollups,
        # open overdue, unsigned past the signing clock, and names for the groups); the
        # English names of categories and units; the supervisor's orders by unit and level,
        # and their units' names; the month's scores (the scorecard, the month's dirty days
        # in a savepoint, rollups, open overdue, unsigned, the units' names, English names);
        # the messages to a 12345 platform failing for more than a day
        with django_assert_max_num_queries(queries):
            assert client.get("/").status_code == 200
        for _ in range(5):
            new_ticket(cast.dispatcher)
        client.get("/")
        with django_assert_max_num_queries(queries):
            assert client.get("/").status_code == 200


class TestUnitHome:
    def test_its_inbox_counts_link_to_lists_of_as_many_tickets(
        self, client: Client, cast: Cast, month: March
    ) -> None:
        t = month.tickets
        client.force_login(cast.handler_a)
        html = client.get("/").content.decode()
        expected = {
            "overdue": set(),
            "due_soon": {t["i"].number},
            "to_accept": {t["i"].number},
            "in_progress": {t["j"].number},
        }
        for key, numbers in expected.items():
            count, href = tile(html, key)
            assert count == len(numbers), key
            assert "unit=PS-A" in href
            assert listed_numbers(client, href) == numbers, key
        assert t["i"].number in section(html, "urgent")

    def test_its_month_is_the_units_own_figures(
        self, client: Client, cast: Cast, month: March, api_as: Any
    ) -> None:
        client.force_login(cast.handler_a)
        html = client.get("/").content.decode()
        [expected] = api_rows(api_as(cast.handler_a), **MARCH)
        shown = figure_tiles(html, "unit-month")
        assert shown == {name: expected[name] for name in FIELDS}
        links = figure_links(html, "unit-month")
        assert len(listed_numbers(client, links["total"])) == expected["total"] == 5
        assert len(listed_numbers(client, links["resolved"])) == expected["resolved"] == 3
        # The statistics page names the last day counted: the same month, the same figures.
        assert links["on_time_rate"].startswith("/stats/?start=2026-03-01&end=2026-03-31")
        stats_page = client.get(unescape(links["on_time_rate"])).content.decode()
        [overall] = table_rows(stats_page, "stats-rows")
        assert {name: overall[name] for name in FIELDS} == shown

    def test_each_unit_sees_only_its_own(self, client: Client, cast: Cast, month: March) -> None:
        client.force_login(cast.handler_b)
        html = client.get("/").content.decode()
        assert tile(html, "overdue")[0] == 1  # d
        assert tile(html, "in_progress")[0] == 0
        assert figure_tiles(html, "unit-month")["total"] == 1

    def test_it_fits_a_phone_and_links_the_inbox(self, client: Client, cast: Cast) -> None:
        client.force_login(cast.handler_a)
        html = client.get("/").content.decode()
        assert 'href="/inbox/"' in html
        assert 'name="viewport" content="width=device-width, initial-scale=1"' in html
        assert 'href="/tickets/new/"' not in html and 'href="/reports/"' not in html

    def test_it_runs_a_fixed_number_of_queries(
        self, client: Client, cast: Cast, month: March, django_assert_max_num_queries: Any
    ) -> None:
        client.force_login(cast.handler_a)
        client.get("/")  # the first reader rebuilds the rollups of the days the test made
        # session, user, bell, the unit; the four inbox counts, the most urgent tickets and
        # the due-soon horizon twice; the month's figures: dirty days (in a savepoint), rollups,
        # open overdue, unsigned past the signing clock; the grids and letters appointing
        # the person (none here)
        with django_assert_max_num_queries(20):  # with the late-for-signing count
            assert client.get("/").status_code == 200


class TestLeaderHome:
    def test_it_shows_this_month_and_last_read_only(
        self, client: Client, cast: Cast, month: March, api_as: Any
    ) -> None:
        client.force_login(cast.leader)
        html = client.get("/").content.decode()
        api = api_as(cast.leader)
        [this_month] = api_rows(api, **MARCH)
        [last_month] = api_rows(api, start="2026-02-01", end="2026-03-01")
        assert figure_tiles(html, "leader-this-month") == {n: this_month[n] for n in FIELDS}
        assert figure_tiles(html, "leader-last-month") == {n: last_month[n] for n in FIELDS}
        assert last_month["total"] == 0
        # No figure is a dash, not 0 %.
        assert re.search(
            r'data-field="closure_rate" data-value="">\s*<a[^>]*>\s*<span class="count">—',
            section(html, "leader-last-month"),
        )
        links = figure_links(html, "leader-this-month")
        assert len(listed_numbers(client, links["total"])) == this_month["total"]
        assert len(listed_numbers(client, links["overdue_open"])) == this_month["overdue_open"]
        assert 'href="/reports/monthly/2026-03/"' in html
        assert 'href="/reports/monthly/2026-02/"' in html
        assert "<form" not in html.split("<main>")[1].split("</main>")[0]

    def test_it_says_which_reports_are_published(
        self, client: Client, cast: Cast, month: March
    ) -> None:
        publish_report("monthly", "2026-02", by=cast.leader)
        client.force_login(cast.leader)
        html = client.get("/").content.decode()
        assert "已发布的月报" in section(html, "leader-last-month")
        assert "已发布的月报" not in section(html, "leader-this-month")

    def test_it_runs_a_fixed_number_of_queries(
        self, client: Client, cast: Cast, month: March, django_assert_max_num_queries: Any
    ) -> None:
        client.force_login(cast.leader)
        client.get("/")
        # session, user, bell; two months of figures (dirty days in a savepoint, rollups,
        # open overdue, unsigned past the signing clock); which of their reports are
        # published; this month's scores (the scorecard, the units' names, rollups, open
        # overdue and unsigned by unit)
        # With the escalated list, and the studios' and mediators' rankings (each: the dirty
        # days in a savepoint, the rollups' sums, the names), whatever the number of cases.
        with django_assert_max_num_queries(30):
            assert client.get("/").status_code == 200


class TestOtherHomes:
    def test_a_building_head_sees_the_tickets_they_registered(
        self, client: Client, cast: Cast
    ) -> None:
        with time_machine.travel(NOW, tick=False):
            new_ticket(cast.building_head, channel="building_head")
        new_ticket(cast.dispatcher)
        client.force_login(cast.building_head)
        html = client.get("/").content.decode()
        count, href = tile(html, "new")
        assert count == 1 and href == "/tickets/?status=new"
        assert len(listed_numbers(client, href)) == 1
        assert 'href="/tickets/new/"' in html

    def test_it_gives_each_role_its_menu(self, client: Client, cast: Cast) -> None:
        client.force_login(cast.dispatcher)
        html = client.get("/").content.decode()
        assert 'href="/tickets/new/"' in html
        assert 'href="/inbox/"' not in html
        assert 'href="/calendar/"' not in html
        assert 'href="/stats/"' in html and 'href="/reports/"' in html

        client.force_login(cast.admin)
        html = client.get("/").content.decode()
        assert 'href="/calendar/"' in html
        assert 'href="/tickets/new/"' in html

        client.force_login(cast.leader)
        html = client.get("/").content.decode()
        assert 'href="/tickets/new/"' not in html
        assert "leader · 局领导" in html
        assert 'href="/reports/"' in html

        client.force_login(cast.handler_a)
        html = client.get("/").content.decode()
        assert 'href="/stats/"' in html and 'href="/reports/"' not in html

    def test_it_speaks_english_too(self, client: Client, cast: Cast, month: March) -> None:
        client.force_login(cast.dispatcher)
        client.post("/i18n/setlang/", {"language": "en", "next": "/"})
        html = client.get("/").content.decode()
        assert "Awaiting dispatch" in html and "Station A" in html
        assert "Neighbour disputes" in html
        client.force_login(cast.leader)
        html = client.get("/").content.decode()
        assert "Satisfaction rate" in html

    def test_it_needs_a_login(self, client: Client) -> None:
        response = client.get("/")
        assert response.status_code == 302
