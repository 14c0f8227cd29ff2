"""The statistics page: its table is the API's rows for the same query, its counts link to
lists of the same tickets, bad input comes back as the form with a message, and its query
count is fixed.

`march()` sets up a month of tickets through the real actions; the home page and report tests
use it too.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from html import unescape
from typing import Any

import pytest
import time_machine
from django.test import Client

from jieban.intake.actions import mark_repeat
from jieban.tickets import transitions
from jieban.tickets.models import Ticket
from jieban.tickets.visits import record_visit
from jieban.worker.runner import run_sweep
from tests.conftest import REPORT_FIELDS, Cast, dispatch, local, new_ticket, resolve

# The moment the pages are looked at: Wednesday 18 March 2026, mid-morning.
NOW = local(2026, 3, 18, 10)
# March as the API asks for it (`end` not included) and as the page's form does (its last day).
MARCH = {"start": "2026-03-01", "end": "2026-04-01"}
MARCH_PAGE = {"start": "2026-03-01", "end": "2026-03-31"}
FIELDS = REPORT_FIELDS


@dataclass
class March:
    tickets: dict[str, Ticket]


def march(cast: Cast) -> March:
    """Tickets of March 2026 in every state, as of NOW:

    - a: PS-A, resolved on time, called back satisfied (closed); j repeats it
    - b: PS-A, grid G-01, resolved, called back dissatisfied (order), resolved again
    - c: PS-A, missed its deadline (order), resolved late, unreachable once
    - d: PS-B, left overdue (order, still open)
    - e: a consultation closed on the spot; f: invalid; g: merged into a
    - h: walk-in, still new; i: PS-A, dispatched 11 March, due today (due soon)
    - j: PS-A, in progress, a repeat of a; k: received today, new
    """
    t: dict[str, Ticket] = {}
    with time_machine.travel(local(2026, 3, 2, 9), tick=False):
        t["a"] = new_ticket(cast.dispatcher)
        t["b"] = new_ticket(
            cast.dispatcher, category="neighbour_dispute", channel="hotline_12345", grid="G-01"
        )
        t["c"] = new_ticket(cast.dispatcher, category="neighbour_dispute", channel="walk_in")
        t["d"] = new_ticket(cast.dispatcher, category="traffic_dispute")
        t["e"] = new_ticket(cast.dispatcher, category="consultation", channel="walk_in")
        t["f"] = new_ticket(cast.dispatcher)
        t["g"] = new_ticket(cast.dispatcher)
        t["h"] = new_ticket(cast.dispatcher, channel="walk_in", category="other")
        for name in "abc":
            dispatch(cast, t[name])
        dispatch(cast, t["d"], "PS-B")
        transitions.close_ticket(t["e"].number, note="已答复", by=cast.dispatcher)
        transitions.invalidate_ticket(t["f"].number, reason="骚扰", by=cast.dispatcher)
        transitions.merge_ticket(t["g"].number, into=t["a"].number, by=cast.dispatcher)
    with time_machine.travel(local(2026, 3, 4, 9), tick=False):
        resolve(cast, t["a"])
        resolve(cast, t["b"])
        record_visit(t["a"].number, outcome="satisfied", note="", by=cast.dispatcher)
        record_visit(t["b"].number, outcome="dissatisfied", note="还是吵", by=cast.dispatcher)
        transitions.resolve_ticket(t["b"].number, result="再次处理", by=cast.handler_a)
    with time_machine.travel(local(2026, 3, 10, 9), tick=False):
        run_sweep()
        resolve(cast, t["c"])
        record_visit(t["c"].number, outcome="unreachable", note="", by=cast.dispatcher)
    with time_machine.travel(local(2026, 3, 11, 9), tick=False):
        t["i"] = dispatch(cast, new_ticket(cast.dispatcher, category="noise"))
    with time_machine.travel(local(2026, 3, 16, 9), tick=False):
        t["j"] = dispatch(cast, new_ticket(cast.dispatcher, resident_phone="13900009999"))
        transitions.accept_ticket(t["j"].number, by=cast.handler_a)
        mark_repeat(t["j"].number, of=t["a"].number, by=cast.dispatcher)
    with time_machine.travel(local(2026, 3, 18, 9), tick=False):
        t["k"] = new_ticket(cast.dispatcher, channel="online_platform")
    return March({name: Ticket.objects.get(pk=ticket.pk) for name, ticket in t.items()})


# --- reading the pages ------------------------------------------------------------------------

ROW = re.compile(r"<tr data-key=\"([^\"]*)\"(?: data-period=\"([^\"]*)\")?>(.*?)</tr>", re.S)
VALUE = re.compile(r'data-field="([a-z_]+)" data-value="([^"]*)"')


def number(text: str) -> int | float | None:
    if text == "":
        return None
    return float(text) if "." in text else int(text)


def values_in(html: str) -> dict[str, Any]:
    return {name: number(value) for name, value in VALUE.findall(html)}


def section(html: str, testid: str) -> str:
    """The element carrying data-testid=`testid`, up to the next section or table's end."""
    start = html.index(f'data-testid="{testid}"')
    end_table = html.find("</table>", start)
    end_list = html.find("</ul>", start)
    ends = [end for end in (end_table, end_list) if end != -1]
    return html[start : min(ends)]


def table_rows(html: str, testid: str) -> list[dict[str, Any]]:
    """Each row of a figures table: key, period and every field it carries."""
    part = section(html, testid)
    body = part.split("<tfoot>")[0]
    return [
        {"key": unescape(key), "period": period or "", **values_in(cells)}
        for key, period, cells in ROW.findall(body)
    ]


def footer_row(html: str, testid: str) -> dict[str, Any]:
    part = section(html, testid)
    [(key, _period, cells)] = ROW.findall(part.split("<tfoot>")[1])
    return {"key": key, **values_in(cells)}


def api_rows(api: Any, **query: str) -> list[dict[str, Any]]:
    response = api.get("/stats", **query)
    assert response.status_code == 200, response.json()
    return [
        {"key": row["key"], "period": row["period"], **{name: row[name] for name in FIELDS}}
        for row in response.json()["rows"]
    ]


def chart_spec(html: str, name: str) -> dict[str, Any]:
    match = re.search(
        rf'<script id="chart-{name}-data" type="application/json">(.*?)</script>', html, re.S
    )
    assert match, name
    return dict(json.loads(match.group(1)))


def listed_numbers(client: Client, href: str) -> set[str]:
    """The ticket numbers a list page shows (every list here fits on its first page)."""
    response = client.get(unescape(href))
    assert response.status_code == 200, href
    return set(re.findall(r'href="/tickets/(JB\d{8}-\d{4})/"', response.content.decode()))


def links_in(html: str) -> list[tuple[str, str]]:
    """(href, text) of every link into the ticket list within `html`."""
    return [
        (unescape(href), text)
        for href, text in re.findall(r'<a href="(/tickets/\?[^"]*)">([^<]*)</a>', html)
    ]


@pytest.fixture
def month(cast: Cast) -> March:
    return march(cast)


@pytest.fixture
def at_now() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


# --- the tests --------------------------------------------------------------------------------

QUERIES = [
    {},
    {"period": "day"},
    {"period": "week"},
    {"period": "month"},
    {"group_by": "category"},
    {"group_by": "unit"},
    {"group_by": "channel"},
    {"group_by": "grid"},
    {"period": "week", "group_by": "unit"},
]


@pytest.mark.usefixtures("at_now")
class TestStatsPage:
    @pytest.mark.parametrize("query", QUERIES, ids=lambda query: "-".join(query.values()) or "all")
    def test_it_shows_the_api_rows_for_the_same_query(
        self, client: Client, cast: Cast, month: March, api_as: Any, query: dict[str, str]
    ) -> None:
        client.force_login(cast.dispatcher)
        params = {"period": "", "group_by": "", **query}
        response = client.get("/stats/", {**MARCH_PAGE, **params})
        assert response.status_code == 200
        html = response.content.decode()
        api = api_as(cast.dispatcher)
        expected = api_rows(api, **MARCH, **{k: v for k, v in params.items() if v})
        assert table_rows(html, "stats-rows") == expected
        assert expected, "the scenario fills every query"
        if query:
            [overall] = api_rows(api, **MARCH)
            assert footer_row(html, "stats-rows") == {
                "key": "all",
                **{name: overall[name] for name in FIELDS},
            }

    def test_it_shows_a_unit_its_own_figures(
        self, client: Client, cast: Cast, month: March, api_as: Any
    ) -> None:
        client.force_login(cast.handler_a)
        html = client.get("/stats/", {**MARCH_PAGE, "group_by": "unit"}).content.decode()
        rows = table_rows(html, "stats-rows")
        assert rows == api_rows(api_as(cast.handler_a), **MARCH, group_by="unit")
        # PS-A's people see PS-A's tickets, not PS-B's.
        assert {row["key"] for row in rows} == {"PS-A"}

    def test_its_figures_follow_the_definitions(
        self, client: Client, cast: Cast, month: March
    ) -> None:
        client.force_login(cast.leader)
        html = client.get("/stats/", MARCH_PAGE).content.decode()
        [row] = table_rows(html, "stats-rows")
        # a b c d e h i j k; f (invalid) and g (merged) are out.
        assert row["total"] == 9
        assert row["resolved"] == 4  # a e closed, b c resolved
        assert row["closure_rate"] == 4 / 9  # the exact fraction, as the API gives it
        assert (row["on_time"], row["on_time_rate"]) == (3, 0.75)  # c was late
        assert (row["visited"], row["satisfied"], row["satisfaction_rate"]) == (2, 1, 0.5)
        assert row["overdue_open"] == 1  # d
        assert row["repeats"] == 1  # j
        assert "44.44%" in html and "75.00%" in html and "50.00%" in html

    def test_it_shows_a_dash_for_a_rate_without_a_denominator(
        self, client: Client, cast: Cast, month: March
    ) -> None:
        client.force_login(cast.leader)
        html = client.get("/stats/", {"start": "2026-02-01", "end": "2026-02-28"}).content.decode()
        [row] = table_rows(html, "stats-rows")
        assert row["total"] == 0
        assert row["closure_rate"] is None and row["satisfaction_rate"] is None
        assert re.search(r'data-field="closure_rate" data-value="">—', html)

    def test_its_counts_link_to_lists_of_the_same_tickets(
        self, client: Client, cast: Cast, month: March
    ) -> None:
        client.force_login(cast.dispatcher)
        for query in ({"group_by": "unit"}, {"group_by": "category"}, {"period": "week"}):
            html = client.get("/stats/", {**MARCH_PAGE, **query}).content.decode()
            rows = table_rows(html, "stats-rows")
            links = links_in(section(html, "stats-rows"))
            assert links, query
            for href, text in links:
                assert len(listed_numbers(client, href)) == int(text), (query, href)
            # Every count column of every row that a list can select links somewhere.
            linkable = [row for row in rows if row["key"] or query.get("period")]
            assert len(links) >= 3 * len(linkable) + 3  # + the footer's three

    def test_it_charts_the_rows(self, client: Client, cast: Cast, month: March) -> None:
        client.force_login(cast.dispatcher)
        html = client.get("/stats/", {**MARCH_PAGE, "period": "week"}).content.decode()
        spec = chart_spec(html, "stats")
        rows = {row["period"]: row for row in table_rows(html, "stats-rows")}
        # Every week of March on the axis, the quiet ones as zeros without rates.
        weeks = ["2026-W09", "2026-W10", "2026-W11", "2026-W12", "2026-W13", "2026-W14"]
        assert spec["categories"] == weeks
        assert set(rows) == {"2026-W10", "2026-W11", "2026-W12"}
        totals = [rows[week]["total"] if week in rows else 0 for week in weeks]
        assert spec["series"][0]["data"] == totals
        fractions = [rows[week]["closure_rate"] if week in rows else None for week in weeks]
        assert fractions == [None, 4 / 6, 0.0, 0.0, None, None]
        # The chart draws the percentages the table shows, rounded by the same rule.
        assert spec["series"][2]["data"] == [None, 66.67, 0.0, 0.0, None, None]
        assert '<script src="/static/vendor/echarts.min.js" defer></script>' in html
        # Per week and unit: the weeks stacked by unit, each series a unit.
        html = client.get(
            "/stats/", {**MARCH_PAGE, "period": "week", "group_by": "unit"}
        ).content.decode()
        spec = chart_spec(html, "stats")
        assert spec["categories"] == weeks
        series = {item["name"]: item["data"] for item in spec["series"]}
        assert series == {
            "甲派出所": [0, 3, 1, 1, 0, 0],
            "未交办": [0, 2, 0, 1, 0, 0],
            "乙派出所": [0, 1, 0, 0, 0, 0],
        }
        assert "/static/web/charts.js" in html

    def test_it_shows_supervision_orders_by_level(
        self, client: Client, cast: Cast, month: March
    ) -> None:
        client.force_login(cast.leader)
        html = client.get("/stats/", MARCH_PAGE).content.decode()
        part = section(html, "orders-by-level")
        counts = dict(re.findall(r'<tr data-level="(\d)">.*?data-value="(\d+)"', part, re.S))
        # b (dissatisfied), c and d (overdue): three first-level orders.
        assert counts == {"1": "3", "2": "0", "3": "0"}

    def test_it_defaults_to_this_month_per_day(
        self, client: Client, cast: Cast, month: March
    ) -> None:
        client.force_login(cast.dispatcher)
        response = client.get("/stats/")
        assert response.status_code == 200
        rows = table_rows(response.content.decode(), "stats-rows")
        assert [row["period"] for row in rows][:1] == ["2026-03-02"]
        assert 'value="2026-03-01"' in response.content.decode()
        # A breakdown alone keeps the month: this month's units.
        html = client.get("/stats/", {"group_by": "unit"}).content.decode()
        assert [row["key"] for row in table_rows(html, "stats-rows")] == ["", "PS-A", "PS-B"]

    @pytest.mark.parametrize(
        ("query", "field", "message"),
        [
            ({"start": "2026-03-10", "end": "2026-03-09"}, "end", "cannot come before the first"),
            ({"start": "2020-01-01", "end": "2025-12-31"}, "end", "at most three years"),
            ({"start": "2026-13-01", "end": "2026-04-01"}, "start", "Enter a valid date"),
            ({"start": "", "end": "2026-04-01"}, "start", "This field is required"),
            ({"end": "2026-04-01"}, "start", "This field is required"),
            ({**MARCH_PAGE, "period": "year"}, "period", "Select a valid choice"),
            ({**MARCH_PAGE, "group_by": "street"}, "group_by", "Select a valid choice"),
            ({"start": "0001-01-01", "end": "0001-01-02"}, "start", "between 2000-01-01"),
            ({"start": "9999-12-30", "end": "9999-12-31"}, "start", "between 2000-01-01"),
            ({"start": "2026-03-01", "end": "x" * 500}, "end", "Enter a valid date"),
        ],
    )
    def test_it_answers_bad_input_with_the_form_and_the_message(
        self, client: Client, cast: Cast, query: dict[str, str], field: str, message: str
    ) -> None:
        client.force_login(cast.dispatcher)
        with time_machine.travel(NOW, tick=False):
            from django.utils import translation

            with translation.override("en"):
                response = client.get("/stats/", query, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400
        html = response.content.decode()
        assert f'id="id_{field}_error"' in html
        assert message in html
        assert 'data-testid="stats-rows"' not in html

    def test_it_speaks_both_languages(self, client: Client, cast: Cast, month: March) -> None:
        client.force_login(cast.dispatcher)
        html = client.get("/stats/", {**MARCH_PAGE, "group_by": "unit"}).content.decode()
        assert "统计" in html and "甲派出所" in html and "按期办结率" in html
        client.post("/i18n/setlang/", {"language": "en", "next": "/"})
        html = client.get("/stats/", {**MARCH_PAGE, "group_by": "unit"}).content.decode()
        assert "Statistics" in html and "Station A" in html and "On-time rate" in html
        assert "Not dispatched" in html  # e, h and k never went to a unit
        html = client.get("/stats/", {**MARCH_PAGE, "group_by": "category"}).content.decode()
        assert "Neighbour disputes" in html and "邻里纠纷" not in html

    def test_it_runs_a_fixed_number_of_queries(
        self, client: Client, cast: Cast, month: March, django_assert_max_num_queries: Any
    ) -> None:
        client.force_login(cast.dispatcher)
        client.post("/i18n/setlang/", {"language": "en", "next": "/"})
        query = {**MARCH_PAGE, "period": "week", "group_by": "unit"}
        client.get("/stats/", query)  # the first read rebuilds the month's daily rollups
        # session, user, bell; the rows and the overall row (each: the dirty days in a
        # savepoint, the rollups, open overdue, unsigned past the signing clock; names for
        # the rows), orders by level; the English names
        with django_assert_max_num_queries(17):
            response = client.get("/stats/", query)
        assert response.status_code == 200

    def test_it_needs_a_login(self, client: Client) -> None:
        response = client.get("/stats/")
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")


def test_the_scenario_is_dated_as_documented(cast: Cast) -> None:
    t = march(cast).tickets
    assert t["d"].is_overdue is False or t["d"].due_at is not None
    with time_machine.travel(NOW, tick=False):
        assert Ticket.objects.get(pk=t["d"].pk).is_overdue
        assert not Ticket.objects.get(pk=t["c"].pk).is_overdue
    assert t["j"].repeat_of_id == t["a"].pk
    assert t["k"].received_at.date() == dt.date(2026, 3, 18)
