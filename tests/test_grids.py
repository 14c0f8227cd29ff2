"""Grids over time: versions with validity dates, boundaries checked as GeoJSON, the grids as
they stood on a day (the selector and `GET /api/v1/grids?at=`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from auditlog.models import LogEntry
from django.test import Client
from django.utils import translation

from jieban.community.actions import Outcome, record_grid_version
from jieban.community.boundaries import check_boundary
from jieban.community.models import CommunityVersion, GridVersion, Town
from jieban.community.selectors import grids_on
from jieban.errors import Forbidden, InvalidInput
from jieban.org.actions import create_unit
from jieban.org.actors import SYSTEM
from jieban.org.models import Unit
from tests.conftest import ApiClient, Cast, local, new_ticket

SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [[104.0, 30.0], [104.01, 30.0], [104.01, 30.01], [104.0, 30.01], [104.0, 30.0]]
    ],
}
WIDER = {
    "type": "Polygon",
    "coordinates": [
        [[104.0, 30.0], [104.02, 30.0], [104.02, 30.02], [104.0, 30.02], [104.0, 30.0]]
    ],
}


@pytest.fixture(autouse=True)
def _in_english() -> Iterator[None]:
    # The messages are asserted in English; the pages' Chinese is checked on the pages.
    with translation.override("en"):
        yield


def grid(code: str) -> Unit:
    return Unit.objects.get(code=code)


def place(code: str, day: dt.date) -> Any:
    return next(p for p in grids_on(day) if p.code == code)


class TestBoundaries:
    def test_it_takes_a_polygon_and_a_multipolygon(self) -> None:
        assert check_boundary(SQUARE) == SQUARE
        multi = {"type": "MultiPolygon", "coordinates": [SQUARE["coordinates"]] * 2}
        assert check_boundary({**multi, "properties": {}}) == multi

    @pytest.mark.parametrize(
        ("geometry", "words"),
        [
            ([1, 2], "geometry object"),
            ({"type": "Point", "coordinates": [104.0, 30.0]}, "not Point"),
            ({"type": "Polygon", "coordinates": []}, "has no rings"),
            ({"type": "Polygon", "coordinates": [[[104, 30], [105, 30], [104, 30]]]}, "four"),
            (
                {"type": "Polygon", "coordinates": [[[104, 30], [105, 30], [105, 31], [104, 31]]]},
                "does not close",
            ),
            (
                {
                    "type": "Polygon",
                    "coordinates": [[[104, 30], [105, 30], [105, 31], "x", [104, 30]]],
                },
                "not [longitude, latitude]",
            ),
            (
                {"type": "Polygon", "coordinates": [[[30, 104], [30, 105], [31, 105], [30, 104]]]},
                "out of range",
            ),
            (
                {"type": "Polygon", "coordinates": [[[181, 30], [105, 30], [105, 31], [181, 30]]]},
                "out of range",
            ),
            (
                {"type": "Polygon", "coordinates": [[[104, 30], [True, 30], [105, 31], [104, 30]]]},
                "not [longitude, latitude]",
            ),
        ],
    )
    def test_it_refuses_what_is_not_a_closed_ring_in_range(self, geometry: Any, words: str) -> None:
        with pytest.raises(InvalidInput) as refused:
            check_boundary(geometry)
        assert words in refused.value.message
        assert refused.value.field == "boundary"


class TestVersions:
    def test_before_any_version_a_grid_stands_where_the_tree_puts_it(self, cast: Cast) -> None:
        first = place("G-01", dt.date(2026, 3, 1))
        assert first.name == "第一网格"
        assert first.community == grid("COM-A1")
        assert first.station == grid("PS-A")
        assert (first.boundary, first.valid_from, first.town) == (None, None, None)

    def test_a_redrawn_boundary_keeps_the_old_one_for_the_days_before(self, cast: Cast) -> None:
        _v, outcome = record_grid_version(
            grid("G-01"), valid_from=dt.date(2025, 1, 1), boundary=SQUARE, by=SYSTEM
        )
        assert outcome == Outcome.CREATED
        _v, outcome = record_grid_version(
            grid("G-01"), valid_from=dt.date(2026, 1, 1), boundary=WIDER, name="第一网格（扩）",
            by=SYSTEM,
        )  # fmt: skip
        assert outcome == Outcome.UPDATED
        last_year = place("G-01", dt.date(2025, 12, 31))
        this_year = place("G-01", dt.date(2026, 1, 1))
        assert (last_year.boundary, last_year.name, last_year.valid_to) == (
            SQUARE, "第一网格", dt.date(2026, 1, 1),
        )  # fmt: skip
        assert (this_year.boundary, this_year.name, this_year.valid_to) == (
            WIDER, "第一网格（扩）", None,
        )  # fmt: skip
        # Before its first version: the tree's place, no boundary.
        assert place("G-01", dt.date(2024, 6, 1)).boundary is None
        # The grid is the same unit throughout: a ticket's grid does not move.
        assert this_year.grid == last_year.grid

    def test_the_same_start_corrects_and_an_earlier_one_is_refused(self, cast: Cast) -> None:
        record_grid_version(
            grid("G-01"), valid_from=dt.date(2026, 1, 1), boundary=SQUARE, by=SYSTEM
        )
        _v, outcome = record_grid_version(
            grid("G-01"), valid_from=dt.date(2026, 1, 1), boundary=WIDER, by=SYSTEM
        )
        assert outcome == Outcome.UPDATED
        assert GridVersion.objects.filter(grid__code="G-01").count() == 1
        with pytest.raises(InvalidInput, match="must start later"):
            record_grid_version(
                grid("G-01"), valid_from=dt.date(2025, 12, 31), boundary=SQUARE, by=SYSTEM
            )
        assert place("G-01", dt.date(2026, 1, 1)).boundary == WIDER

    def test_a_new_community_brings_its_station(self, cast: Cast) -> None:
        create_unit(code="COM-B1", kind="community", name="乙一社区", parent="PS-B")
        record_grid_version(
            grid("G-02"), valid_from=dt.date(2026, 7, 1), boundary=None,
            community=grid("COM-B1"), by=SYSTEM,
        )  # fmt: skip
        assert place("G-02", dt.date(2026, 6, 30)).station == grid("PS-A")
        moved = place("G-02", dt.date(2026, 7, 1))
        assert (moved.community, moved.station) == (grid("COM-B1"), grid("PS-B"))
        assert [p.code for p in grids_on(dt.date(2026, 7, 1), station_id=grid("PS-B").pk)] == [
            "G-02"
        ]

    def test_a_communitys_town_is_the_one_valid_on_the_day(self, cast: Cast) -> None:
        old = Town.objects.create(code="T-1", name="城关镇")
        new = Town.objects.create(code="T-2", name="城东街道")
        community = grid("COM-A1")
        CommunityVersion.objects.create(
            community=community,
            town=old,
            valid_from=dt.date(2020, 1, 1),
            valid_to=dt.date(2026, 1, 1),
        )
        CommunityVersion.objects.create(
            community=community, town=new, valid_from=dt.date(2026, 1, 1)
        )
        assert place("G-01", dt.date(2025, 12, 31)).town == old
        assert place("G-01", dt.date(2026, 1, 1)).town == new

    def test_only_administrators_redraw(self, cast: Cast) -> None:
        record_grid_version(
            grid("G-01"), valid_from=dt.date(2026, 1, 1), boundary=SQUARE, by=cast.admin
        )
        with pytest.raises(Forbidden):
            record_grid_version(
                grid("G-01"), valid_from=dt.date(2026, 2, 1), boundary=SQUARE, by=cast.leader_a
            )

    def test_a_tickets_grid_is_the_same_unit_after_a_redrawing(self, cast: Cast) -> None:
        with time_machine.travel(local(2025, 6, 1), tick=False):
            ticket = new_ticket(cast.dispatcher, grid="G-01")
        record_grid_version(grid("G-01"), valid_from=dt.date(2026, 1, 1), boundary=WIDER, by=SYSTEM)
        ticket.refresh_from_db()
        assert ticket.grid == grid("G-01")


class TestGridsApi:
    def test_it_lists_the_grids_as_they_stood_on_the_day(self, cast: Cast) -> None:
        record_grid_version(
            grid("G-01"), valid_from=dt.date(2026, 1, 1), boundary=SQUARE, by=SYSTEM
        )
        api = ApiClient(cast.handler_b)
        before = api.get("/grids", at="2025-12-31")
        assert before.status_code == 200
        assert before.json()[0] == {
            "code": "G-01",
            "name": "第一网格",
            "community": {"code": "COM-A1", "name": "甲一社区"},
            "town": None,
            "station": {"code": "PS-A", "name": "甲派出所"},
            "boundary": None,
            "valid_from": None,
            "valid_to": None,
        }
        after = api.get("/grids", at="2026-01-01").json()
        assert [(g["code"], g["boundary"], g["valid_from"]) for g in after] == [
            ("G-01", SQUARE, "2026-01-01"),
            ("G-02", None, None),
        ]

    def test_today_is_the_default(self, cast: Cast) -> None:
        record_grid_version(
            grid("G-02"), valid_from=dt.date(2026, 3, 2), boundary=SQUARE, by=SYSTEM
        )
        api = ApiClient(cast.building_head)
        with time_machine.travel(local(2026, 3, 1, 23, 59), tick=False):
            assert api.get("/grids").json()[1]["boundary"] is None
        with time_machine.travel(local(2026, 3, 2, 0, 0), tick=False):
            assert api.get("/grids").json()[1]["boundary"] == SQUARE

    @pytest.mark.parametrize("at", ["2026-02-30", "yesterday", "1899-12-31"])
    def test_a_bad_date_is_a_400(self, cast: Cast, at: str) -> None:
        answer = ApiClient(cast.admin).get("/grids", at=at)
        assert answer.status_code == 400
        assert answer.json()["field"] == "at"

    def test_it_wants_a_login(self, cast: Cast) -> None:
        assert ApiClient(None).get("/grids").status_code == 401

    def test_it_reads_in_a_fixed_number_of_queries(
        self, cast: Cast, django_assert_max_num_queries: Any
    ) -> None:
        for number in range(3, 13):
            create_unit(code=f"G-{number:02d}", kind="grid", name=f"网格{number}", parent="COM-A1")
            record_grid_version(
                grid(f"G-{number:02d}"), valid_from=dt.date(2026, 1, 1), boundary=SQUARE, by=SYSTEM
            )
        api = ApiClient(cast.admin)
        with django_assert_max_num_queries(8):
            assert len(api.get("/grids", at="2026-02-01").json()) == 12


class TestBackOffice:
    def test_an_administrator_adds_a_town_with_its_community(self, cast: Cast) -> None:
        client = Client()
        client.force_login(cast.admin)
        assert client.get("/admin/community/town/add/").status_code == 200
        prefix = "community_versions"
        answer = client.post(
            "/admin/community/town/add/",
            {
                "code": "T-1",
                "name": "城关镇",
                "name_en": "Chengguan",
                f"{prefix}-TOTAL_FORMS": "1",
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-0-community": grid("COM-A1").pk,
                f"{prefix}-0-valid_from": "2020-01-01",
            },
        )
        assert answer.status_code == 302
        town = Town.objects.get(code="T-1")
        assert place("G-01", dt.date(2026, 1, 1)).town == town
        # The back office's edits keep their history, with who made them.
        recorded = LogEntry.objects.get_for_object(town).get()
        assert (recorded.actor, recorded.changes_dict["name"]) == (cast.admin, ["None", "城关镇"])
        assert LogEntry.objects.get_for_model(CommunityVersion).filter(actor=cast.admin).exists()
        assert place("G-01", dt.date(2019, 12, 31)).town is None

    def test_grid_versions_are_read_only_there(self, cast: Cast) -> None:
        record_grid_version(
            grid("G-01"), valid_from=dt.date(2026, 1, 1), boundary=SQUARE, by=SYSTEM
        )
        client = Client()
        client.force_login(cast.admin)
        assert client.get("/admin/community/gridversion/").status_code == 200
        assert client.get("/admin/community/gridversion/add/").status_code == 403
