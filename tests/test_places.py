"""The grid and the police station from a caller's address (issue 13, item 3)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from jieban.community.actions import create_building, record_grid_version, update_building
from jieban.community.models import Building
from jieban.intake.actions import TicketDraft
from jieban.org.actions import create_unit
from jieban.org.models import Unit
from jieban.suggestions.actions import register_and_suggest
from jieban.suggestions.models import SuggestionKind
from jieban.suggestions.places import Reason, match_address, reason_text, station_of
from tests.conftest import Cast, local

pytestmark = pytest.mark.django_db


def building(cast: Cast, name: str, address: str, grid: str = "G-01") -> Building:
    return create_building(grid=grid, kind="building", name=name, address=address, by=cast.admin)


def draft(address: str, **fields: str) -> TicketDraft:
    values = {"channel": "phone", "content": "楼下烧烤油烟很大", "category": "noise"}
    return TicketDraft(address=address, **(values | fields))


class TestTheBuildingKey:
    def test_it_keys_a_building_by_its_address_when_it_is_saved(self, cast: Cast) -> None:
        saved = building(cast, "幸福小区3栋", "城关镇幸福小区3栋")
        assert saved.address_key == "幸福小区#3"

    def test_it_keys_it_again_when_its_address_changes(self, cast: Cast) -> None:
        saved = building(cast, "幸福小区3栋", "城关镇幸福小区3栋")
        update_building(
            saved.pk, grid="G-01", kind="building", name="幸福小区3栋",
            address="幸福小区五号楼", by=cast.admin,
        )  # fmt: skip
        assert Building.objects.get(pk=saved.pk).address_key == "幸福小区#5"


class TestMatching:
    def test_it_matches_the_ways_a_building_is_written(self, cast: Cast) -> None:
        building(cast, "幸福小区3栋", "城关镇幸福小区3栋")
        for said in ("城关镇幸福小区3栋502", "幸福小区三栋", "幸福小区3号楼五楼"):
            match = match_address(said)
            assert match is not None, said
            assert (match.grid.code, match.reason, match.matched) == (
                "G-01",
                Reason.ADDRESS,
                "幸福小区3栋",
            )
            assert match.station is not None and match.station.code == "PS-A"

    def test_it_falls_back_to_the_place_when_it_is_in_one_grid(self, cast: Cast) -> None:
        building(cast, "幸福小区3栋", "幸福小区3栋")
        building(cast, "幸福小区4栋", "幸福小区4栋")
        match = match_address("幸福小区9栋201")
        assert match is not None
        assert (match.grid.code, match.reason, match.exact) == ("G-01", Reason.PLACE, False)

    def test_it_suggests_nothing_for_a_place_across_grids(self, cast: Cast) -> None:
        building(cast, "幸福小区3栋", "幸福小区3栋")
        building(cast, "幸福小区4栋", "幸福小区4栋", grid="G-02")
        assert match_address("幸福小区9栋201") is None
        assert match_address("幸福小区4栋").grid.code == "G-02"  # type: ignore[union-attr]

    def test_it_suggests_nothing_for_an_unknown_address(self, cast: Cast) -> None:
        building(cast, "幸福小区3栋", "幸福小区3栋")
        assert match_address("和平路12号") is None
        assert match_address("") is None

    def test_the_station_is_the_grids_current_one(self, cast: Cast) -> None:
        create_unit(code="COM-B1", kind="community", name="乙一社区", parent="PS-B")
        grid = Unit.objects.get(code="G-01")
        assert station_of(grid) == Unit.objects.get(code="PS-A")
        with time_machine.travel(local(2026, 3, 1), tick=False):
            record_grid_version(
                grid, valid_from=dt.date(2026, 3, 1), boundary=None,
                community=Unit.objects.get(code="COM-B1"), by=cast.admin,
            )  # fmt: skip
            assert station_of(grid) == Unit.objects.get(code="PS-B")
        assert station_of(grid, day=dt.date(2026, 2, 1)) == Unit.objects.get(code="PS-A")

    def test_the_reason_reads_as_the_dispatcher_sees_it(self, cast: Cast) -> None:
        building(cast, "幸福小区3栋", "幸福小区3栋")
        match = match_address("幸福小区三栋")
        assert match is not None
        assert reason_text(match.reasons(for_unit=True)[0]) == "地址匹配 幸福小区3栋 → 甲派出所"


class TestAtRegistration:
    def test_it_records_the_grid_and_unit_suggested(self, cast: Cast) -> None:
        building(cast, "幸福小区3栋", "城关镇幸福小区3栋")
        registered = register_and_suggest(draft("幸福小区3号楼502"), by=cast.dispatcher)
        rows = {(row.kind, row.rank): row for row in registered.ticket.suggestions.all()}
        grid, unit = rows[(SuggestionKind.GRID, 1)], rows[(SuggestionKind.UNIT, 1)]
        assert (grid.value, grid.score) == ("G-01", 1.0)
        assert unit.value == "PS-A"
        assert unit.reasons == [
            {"code": "address", "matched": "幸福小区3栋", "grid": "第一网格", "unit": "甲派出所"}
        ]
        # A suggestion, not a choice: the ticket waits for a person with no grid set.
        assert registered.ticket.grid is None and registered.ticket.unit is None

    def test_a_grid_given_suggests_its_station(self, cast: Cast) -> None:
        registered = register_and_suggest(draft("", grid="G-02"), by=cast.dispatcher)
        assert [(row.kind, row.value) for row in registered.suggestions] == [
            (SuggestionKind.UNIT, "PS-A")
        ]

    def test_an_address_matching_nothing_suggests_nothing(self, cast: Cast) -> None:
        building(cast, "幸福小区3栋", "幸福小区3栋")
        registered = register_and_suggest(draft("和平路12号"), by=cast.dispatcher)
        assert registered.suggestions == []
        assert not registered.ticket.suggestions.exists()
