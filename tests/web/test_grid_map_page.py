"""The grid map (community/map/): who sees which grids, each grid's figures as the statistics
define them, the grids of a past day, the click through to the ticket list filtered by grid,
bad dates, the boundaries endpoint and its cache, and the page's query count."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from jieban.community.actions import record_grid_version
from jieban.community.selectors import boundaries_on, grids_on, map_grids_on
from jieban.org.actions import create_unit
from jieban.org.actors import SYSTEM
from jieban.org.models import Unit
from jieban.stats.figures import figures
from jieban.tickets import transitions
from jieban.tickets.models import CLOCK_RUNNING, OPEN, Ticket
from jieban.tickets.visits import record_visit
from jieban.web.community.gridmap import grid_rows, month_of
from tests.conftest import Cast, local, new_ticket
from tests.web.conftest import dispatched, resolved

SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [[104.0, 30.0], [104.01, 30.0], [104.01, 30.01], [104.0, 30.01], [104.0, 30.0]]
    ],
}
WIDER = {
    "type": "Polygon",
    "coordinates": [
        [[104.0, 30.0], [104.0200001234, 30.0], [104.02, 30.02], [104.0, 30.02], [104.0, 30.0]]
    ],
}
NOW = local(2026, 11, 18, 10)


@pytest.fixture(autouse=True)
def _at_a_fixed_moment() -> Iterator[None]:
    cache.clear()
    with time_machine.travel(NOW, tick=False), translation.override("en"):
        yield


def client_of(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


def grid(code: str) -> Unit:
    return Unit.objects.get(code=code)


def map_data(response: Any) -> dict[str, Any]:
    """The figures the page hands to grid_map.js, each grid's row as a dict as the script
    makes it (its station's name, the address of its tickets)."""
    html = response.content.decode()
    start = html.index('<script id="grid-map-data" type="application/json">')
    data = json.loads(html[html.index(">", start) + 1 : html.index("</script>", start)])
    grids = []
    for row in data["grids"]:
        grid = dict(zip(data["columns"], row, strict=True))
        station = grid["station"]
        grid["station"] = "" if station is None else data["stations"][station]
        grid["url"] = data["tickets"] + grid["code"]
        grids.append(grid)
    return {**data, "grids": grids}


@pytest.fixture
def drawn(cast: Cast) -> None:
    """G-01 has a boundary since the start of 2026; G-02 none; G-B1 in station B's area has
    one too."""
    create_unit(code="COM-B1", kind="community", name="乙一社区", parent="PS-B")
    create_unit(code="G-B1", kind="grid", name="乙一网格", parent="COM-B1")
    record_grid_version(grid("G-01"), valid_from=dt.date(2026, 1, 1), boundary=SQUARE, by=SYSTEM)
    record_grid_version(grid("G-B1"), valid_from=dt.date(2026, 1, 1), boundary=WIDER, by=SYSTEM)


class TestWhoSeesWhichGrids:
    @pytest.mark.parametrize("role", ["dispatcher", "supervisor", "admin", "leader"])
    def test_the_centre_and_the_leaders_see_every_grid(
        self, cast: Cast, drawn: None, role: str
    ) -> None:
        response = client_of(getattr(cast, role)).get("/community/map/")
        assert response.status_code == 200
        codes = [item["code"] for item in map_data(response)["grids"]]
        assert codes == ["G-01", "G-B1"]  # those with a boundary; G-02 in the table
        assert 'data-grid="G-02"' in response.content.decode()

    @pytest.mark.parametrize("role", ["leader_a", "handler_a"])
    def test_a_station_sees_the_grids_of_its_area(self, cast: Cast, drawn: None, role: str) -> None:
        response = client_of(getattr(cast, role)).get("/community/map/")
        html = response.content.decode()
        assert [item["code"] for item in map_data(response)["grids"]] == ["G-01"]
        assert 'data-grid="G-02"' in html and 'data-grid="G-B1"' not in html

    def test_station_b_sees_only_its_grid(self, cast: Cast, drawn: None) -> None:
        response = client_of(cast.handler_b).get("/community/map/")
        assert [item["code"] for item in map_data(response)["grids"]] == ["G-B1"]
        assert 'data-grid="G-01"' not in response.content.decode()
        shapes = client_of(cast.handler_b).get("/community/map/shapes.json").json()
        assert [feature["properties"]["name"] for feature in shapes["features"]] == ["G-B1"]

    @pytest.mark.parametrize("role", ["grid_officer", "building_head", "outsider"])
    def test_the_network_and_mediators_may_not(self, cast: Cast, drawn: None, role: str) -> None:
        person = client_of(getattr(cast, role))
        assert person.get("/community/map/").status_code == 403
        assert person.get("/community/map/shapes.json").status_code == 403
        assert b"menu-grid-map" not in person.get("/").content

    def test_the_menu_offers_it_to_those_who_may(self, cast: Cast) -> None:
        assert b"menu-grid-map" in client_of(cast.leader_a).get("/").content


def _tickets(cast: Cast) -> dict[str, Ticket]:
    """In G-01: one new, one dispatched and overdue by NOW, two resolved and called back
    (satisfied, dissatisfied), one received last month still open; in G-02: one resolved
    and called back satisfied; one without a grid."""
    made: dict[str, Ticket] = {}
    with time_machine.travel(local(2026, 10, 20), tick=False):
        made["october"] = dispatched(cast, grid="G-01")
    with time_machine.travel(local(2026, 11, 2), tick=False):
        made["overdue"] = dispatched(cast, grid="G-01")
        for name, outcome, code in (
            ("satisfied", "satisfied", "G-01"),
            ("dissatisfied", "dissatisfied", "G-01"),
            ("g02", "basically_satisfied", "G-02"),
        ):
            made[name] = resolved(cast, grid=code)
            record_visit(made[name].number, outcome=outcome, note="", by=cast.dispatcher)
    made["new"] = new_ticket(cast.dispatcher, grid="G-01")
    made["gridless"] = new_ticket(cast.dispatcher)
    return made


class TestFigures:
    def test_each_grid_has_the_statistics_figures(self, cast: Cast, drawn: None) -> None:
        _tickets(cast)
        start, end = month_of(NOW.date())
        rows = {row.grid.code: row for row in grid_rows(
            cast.dispatcher, NOW.date(), start=start, end=end, figure="open"
        )}  # fmt: skip
        stats = {
            row.key: row for row in figures(cast.dispatcher, start=start, end=end, group_by="grid")
        }
        for code in ("G-01", "G-02"):
            mine, theirs = rows[code].figures, stats[code]
            assert (mine.received, mine.visited, mine.satisfied) == (
                theirs.total, theirs.visited, theirs.satisfied,
            )  # fmt: skip
            assert mine.satisfaction_rate == theirs.satisfaction_rate
            in_grid = Ticket.objects.filter(grid__code=code)
            assert mine.open == in_grid.filter(status__in=OPEN).count()
            # `overdue_open`'s definition, over the grid's tickets whenever received.
            running = in_grid.filter(status__in=CLOCK_RUNNING, due_at__lt=NOW)
            assert mine.overdue == running.count()
        g01 = rows["G-01"]
        # November: overdue, satisfied, dissatisfied, new (October's is not received then).
        assert g01.figures.received == 4
        # Open: October's, the overdue one, the new one, and the one called back dissatisfied
        # (reopened); the satisfied one is closed.
        assert g01.figures.open == 4
        # October's, the overdue one, and the reopened one (its new round's two working days
        # ran out too); the new one has no clock.
        assert g01.figures.overdue == 3
        assert str(g01.satisfaction) == "50.00"
        assert str(rows["G-02"].satisfaction) == "100.00"
        assert rows["G-B1"].satisfaction is None

    def test_no_call_is_no_data_not_zero(self, cast: Cast, drawn: None) -> None:
        _tickets(cast)
        response = client_of(cast.dispatcher).get("/community/map/?figure=satisfaction")
        by_code = {item["code"]: item for item in map_data(response)["grids"]}
        assert by_code["G-B1"]["satisfaction"] is None
        assert by_code["G-01"]["satisfaction"] == 50.0
        table = client_of(cast.dispatcher).get("/community/map/?figure=satisfaction&view=table")
        html = table.content.decode()
        row = html[html.index('data-grid="G-B1"') :]
        assert '<span class="muted">no data</span>' in row[: row.index("</tr>")]
        row = html[html.index('data-grid="G-01"') :]
        assert "50.00%" in row[: row.index("</tr>")]

    def test_a_station_counts_the_tickets_it_holds_as_its_statistics_do(
        self, cast: Cast, drawn: None
    ) -> None:
        made = _tickets(cast)
        # One of G-01's tickets goes to station B: A's figures no longer count it.
        transitions.dispatch_ticket(made["new"].number, unit=grid("PS-B"), by=cast.dispatcher)
        start, end = month_of(NOW.date())
        stats = {
            row.key: row for row in figures(cast.leader_a, start=start, end=end, group_by="grid")
        }
        response = client_of(cast.leader_a).get("/community/map/?figure=received")
        [g01] = map_data(response)["grids"]
        assert g01["received"] == stats["G-01"].total == 3
        assert g01["open"] == 3
        # Its click-through lists exactly those: the unit's own, of the grid, that month.
        listed = client_of(cast.leader_a).get(g01["url"])
        assert listed.status_code == 200
        assert listed.content.decode().count('href="/tickets/JB') == 3

    def test_the_page_costs_the_same_queries_for_more_grids(self, cast: Cast, drawn: None) -> None:
        _tickets(cast)
        client = client_of(cast.dispatcher)
        client.get("/community/map/")
        with CaptureQueriesContext(connection) as few:
            client.get("/community/map/")
        for number in range(10):
            create_unit(code=f"G-X{number}", kind="grid", name=f"网格{number}", parent="COM-A1")
            record_grid_version(
                grid(f"G-X{number}"), valid_from=dt.date(2026, 1, 1), boundary=SQUARE, by=SYSTEM
            )
            new_ticket(cast.dispatcher, grid=f"G-X{number}")
        client.get("/community/map/")  # the statistics' rollups of the new tickets' day
        with CaptureQueriesContext(connection) as many:
            response = client.get("/community/map/")
        assert len(map_data(response)["grids"]) == 12
        assert len(many) == len(few)


class TestTheMapsReading:
    @pytest.mark.parametrize(
        "day", [dt.date(2025, 6, 1), dt.date(2026, 6, 1), dt.date(2026, 11, 18)]
    )
    def test_it_places_the_grids_as_grids_on_does(
        self, cast: Cast, drawn: None, day: dt.date
    ) -> None:
        # A grid placed under a station directly, and G-02 redrawn into another community.
        create_unit(code="G-S", kind="grid", name="站属网格", parent="PS-B")
        record_grid_version(
            grid("G-02"), valid_from=dt.date(2026, 3, 1), boundary=None,
            community=grid("COM-B1"), by=SYSTEM,
        )  # fmt: skip
        for station in (None, grid("PS-A").pk, grid("PS-B").pk):
            lean = [
                (g.code, g.name, g.station_id, g.has_boundary)
                for g in map_grids_on(day, station_id=station)
            ]
            full = [
                (p.code, p.name, p.station.pk if p.station else None, p.boundary is not None)
                for p in grids_on(day, station_id=station)
            ]
            assert lean == full
            assert [code for code, _boundary in boundaries_on(day, station_id=station)] == [
                code for code, _name, _station, drawn in full if drawn
            ]


class TestTheTable:
    def test_every_grid_is_in_the_table_view_without_the_map(self, cast: Cast, drawn: None) -> None:
        _tickets(cast)
        client = client_of(cast.dispatcher)
        page = client.get("/community/map/?figure=overdue")
        html = page.content.decode()
        assert 'href="/community/map/?at=2026-11-18&amp;figure=overdue&amp;view=table"' in html
        table = client.get("/community/map/?at=2026-11-18&figure=overdue&view=table")
        html = table.content.decode()
        assert "grid-map-data" not in html
        assert [code for code in ("G-01", "G-02", "G-B1") if f'data-grid="{code}"' in html] == [
            "G-01", "G-02", "G-B1",
        ]  # fmt: skip
        row = html[html.index('data-grid="G-01"') :]
        row = row[: row.index("</tr>")]
        assert 'href="/tickets/?overdue=true&amp;grid=G-01"' in row
        assert '<td data-label="Overdue" class="num">3</td>' in row
        assert 'name="view" value="table"' in html


class TestPastDays:
    def test_a_past_day_shows_the_grids_as_they_stood(self, cast: Cast, drawn: None) -> None:
        record_grid_version(
            grid("G-01"), valid_from=dt.date(2026, 11, 1), boundary=WIDER, name="第一网格（扩）",
            by=SYSTEM,
        )  # fmt: skip
        client = client_of(cast.dispatcher)
        now = map_data(client.get("/community/map/"))
        then = map_data(client.get("/community/map/?at=2026-06-30"))
        assert [g["name"] for g in now["grids"] if g["code"] == "G-01"] == ["第一网格（扩）"]
        assert [g["name"] for g in then["grids"] if g["code"] == "G-01"] == ["第一网格"]
        assert then["shapes"] == "/community/map/shapes.json?at=2026-06-30"
        old = client.get(then["shapes"]).json()["features"][0]["geometry"]
        new = client.get(now["shapes"]).json()["features"][0]["geometry"]
        assert old == SQUARE
        # Rounded to six decimals: compact, and some 10 cm on the ground.
        assert new["coordinates"][0][1] == [104.02, 30.0]

    def test_before_its_first_boundary_a_grid_is_in_the_table(
        self, cast: Cast, drawn: None
    ) -> None:
        response = client_of(cast.dispatcher).get("/community/map/?at=2025-12-31")
        assert 'data-testid="no-boundaries"' in response.content.decode()
        assert "grid-map-data" not in response.content.decode()
        assert 'data-grid="G-01"' in response.content.decode()

    def test_the_shapes_are_built_again_when_a_boundary_is_redrawn(
        self, cast: Cast, drawn: None
    ) -> None:
        client = client_of(cast.dispatcher)
        first = client.get("/community/map/shapes.json").json()
        with CaptureQueriesContext(connection) as cached:
            assert client.get("/community/map/shapes.json").json() == first
        record_grid_version(
            grid("G-01"), valid_from=dt.date(2026, 11, 1), boundary=WIDER, by=SYSTEM
        )
        redrawn = client.get("/community/map/shapes.json").json()
        assert redrawn != first
        # From the cache: the session, the person and the versions' stamp, no grid read.
        assert not any('community_gridversion"."boundary' in q["sql"] for q in cached)
        compressed = client.get("/community/map/shapes.json", HTTP_ACCEPT_ENCODING="gzip, br")
        assert compressed["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in compressed["Vary"]
        assert json.loads(gzip.decompress(compressed.content)) == redrawn


class TestBadInput:
    @pytest.mark.parametrize(
        ("at", "words"),
        [
            ("2026-13-45", "Enter a date as YYYY-MM-DD."),
            ("yesterday", "Enter a date as YYYY-MM-DD."),
            ("1800-01-01", "between"),
        ],
    )
    def test_a_bad_day_is_a_clear_400(self, cast: Cast, at: str, words: str) -> None:
        response = client_of(cast.dispatcher).get(f"/community/map/?at={at}")
        assert response.status_code == 400
        assert words in response.content.decode()
        assert 'id="id_at"' in response.content.decode()

    def test_an_unknown_figure_is_a_400(self, cast: Cast) -> None:
        response = client_of(cast.dispatcher).get("/community/map/?figure=everything")
        assert response.status_code == 400
        assert "Select a valid choice" in response.content.decode()

    def test_the_shapes_refuse_a_bad_day(self, cast: Cast) -> None:
        response = client_of(cast.dispatcher).get("/community/map/shapes.json?at=2026-02-30")
        assert response.status_code == 400
        assert "is not a date" in response.content.decode()


class TestGridFilter:
    def test_the_list_shows_the_grids_tickets(self, cast: Cast) -> None:
        made = _tickets(cast)
        response = client_of(cast.dispatcher).get("/tickets/?grid=G-02")
        html = response.content.decode()
        assert made["g02"].number in html
        assert made["satisfied"].number not in html
        assert 'name="grid" value="G-02"' in html

    def test_it_honours_who_sees_which_ticket(self, cast: Cast) -> None:
        made = _tickets(cast)
        response = client_of(cast.handler_b).get("/tickets/?grid=G-01")
        assert response.status_code == 200
        assert made["overdue"].number not in response.content.decode()

    def test_an_unknown_grid_is_said(self, cast: Cast) -> None:
        response = client_of(cast.dispatcher).get("/tickets/?grid=PS-A")
        assert response.status_code == 400
        assert "Unknown grid PS-A." in response.content.decode()

    def test_the_api_filters_by_grid_too(self, cast: Cast, api_as: Any) -> None:
        made = _tickets(cast)
        answer = api_as(cast.dispatcher).get("/tickets", grid="G-02")
        assert [item["number"] for item in answer.json()["items"]] == [made["g02"].number]
