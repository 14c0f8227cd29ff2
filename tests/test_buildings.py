"""Buildings: a station's leaders manage their area's grids' buildings, administrators every
grid's; nobody else any (the actions and `/api/v1/buildings`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import translation

from jieban.community.access import access_building, visible_buildings
from jieban.community.actions import create_building, record_grid_version, update_building
from jieban.errors import Forbidden, InvalidInput, NotFound
from jieban.org.actions import create_person, create_unit
from jieban.org.actors import SYSTEM
from jieban.org.models import Unit, User
from tests.conftest import PASSWORD, ApiClient, Cast


@pytest.fixture
def leader_b(cast: Cast) -> User:
    create_unit(code="COM-B1", kind="community", name="乙一社区", parent="PS-B")
    create_unit(code="G-B1", kind="grid", name="乙第一网格", parent="COM-B1")
    return create_person(username="leader_b", role="unit_leader", unit="PS-B", password=PASSWORD)


@pytest.fixture(autouse=True)
def _in_english() -> Iterator[None]:
    # The messages are asserted in English; the pages' Chinese is checked on the pages.
    with translation.override("en"):
        yield


def building(by: Any, grid: str = "G-01", name: str = "3栋", **fields: Any) -> Any:
    values = {"kind": "building", "address": "甲一社区幸福路3号", **fields}
    return create_building(grid=grid, name=name, by=by, **values)


class TestActions:
    def test_a_stations_leader_adds_to_the_grids_of_the_area(self, cast: Cast) -> None:
        made = building(cast.leader_a, kind="courtyard", name="老粮站院落")
        assert (made.grid.code, made.kind, made.updated_by) == ("G-01", "courtyard", cast.leader_a)

    def test_a_grid_outside_the_area_is_refused(self, cast: Cast, leader_b: User) -> None:
        with pytest.raises(InvalidInput, match="not a grid of your station") as refused:
            building(leader_b, grid="G-01")
        assert refused.value.field == "grid"
        building(leader_b, grid="G-B1")
        building(cast.admin, grid="G-B1", name="5栋")  # administrators: every grid

    def test_the_area_follows_the_grids_version_of_today(self, cast: Cast, leader_b: User) -> None:
        record_grid_version(
            Unit.objects.get(code="G-02"), valid_from=dt.date(2020, 1, 1), boundary=None,
            community=Unit.objects.get(code="COM-B1"), by=SYSTEM,
        )  # fmt: skip
        building(leader_b, grid="G-02")
        with pytest.raises(InvalidInput):
            building(cast.leader_a, grid="G-02")

    @pytest.mark.parametrize(
        "member",
        ["dispatcher", "supervisor", "leader", "handler_a", "grid_officer", "building_head"],
    )
    def test_nobody_else_may(self, cast: Cast, member: str) -> None:
        with pytest.raises(Forbidden):
            building(getattr(cast, member))

    @pytest.mark.parametrize(
        ("fields", "field"),
        [
            ({"name": " "}, "name"),
            ({"address": ""}, "address"),
            ({"kind": "tower"}, "kind"),
            ({"grid": "G-99"}, "grid"),
            ({"name": "x" * 121}, "name"),
            ({"address": "幸福路\x00"}, "address"),
        ],
    )
    def test_bad_fields_are_refused_on_their_field(
        self, cast: Cast, fields: dict[str, Any], field: str
    ) -> None:
        with pytest.raises(InvalidInput) as refused:
            building(cast.admin, **fields)
        assert refused.value.field == field

    def test_a_grid_has_one_building_of_a_name(self, cast: Cast) -> None:
        building(cast.admin)
        with pytest.raises(InvalidInput, match="already"):
            building(cast.leader_a)
        building(cast.admin, grid="G-02")

    def test_an_edit_keeps_within_the_area(self, cast: Cast, leader_b: User) -> None:
        made = building(cast.leader_a)
        changed = update_building(
            made.pk, grid="G-02", kind="building", name="3栋", address="新址", by=cast.leader_a
        )
        assert (changed.grid.code, changed.address) == ("G-02", "新址")
        with pytest.raises(InvalidInput):
            update_building(
                made.pk, grid="G-B1", kind="building", name="3栋", address="新址", by=cast.leader_a
            )
        with pytest.raises(NotFound):
            update_building(
                made.pk, grid="G-B1", kind="building", name="3栋", address="新址", by=leader_b
            )

    def test_each_sees_the_buildings_of_their_area(self, cast: Cast, leader_b: User) -> None:
        a = building(cast.leader_a)
        b = building(leader_b, grid="G-B1")
        assert list(visible_buildings(cast.leader_a)) == [a]
        assert set(visible_buildings(cast.admin)) == {a, b}
        assert not visible_buildings(cast.dispatcher).exists()
        with pytest.raises(NotFound):
            access_building(cast.leader_a, b.pk)


class TestApi:
    def test_a_leader_creates_lists_reads_and_edits(self, cast: Cast) -> None:
        api = ApiClient(cast.leader_a)
        body = {"grid": "G-01", "kind": "building", "name": "3栋", "address": "幸福路3号"}
        made = api.post("/buildings", body)
        assert made.status_code == 201
        pk = made.json()["id"]
        assert made.json()["grid"] == {"code": "G-01", "name": "第一网格"}
        assert [b["name"] for b in api.get("/buildings").json()] == ["3栋"]
        assert api.get("/buildings", grid="G-02").json() == []
        assert api.get(f"/buildings/{pk}").json()["address"] == "幸福路3号"
        edited = api.put(f"/buildings/{pk}", {**body, "address": "幸福路5号"})
        assert (edited.status_code, edited.json()["address"]) == (200, "幸福路5号")

    def test_bad_input_is_a_400_on_its_field(self, cast: Cast) -> None:
        api = ApiClient(cast.leader_a)
        answer = api.post("/buildings", {"grid": "G-01", "name": "", "address": "x"})
        assert (answer.status_code, answer.json()["field"]) == (400, "name")
        answer = api.post("/buildings", {"grid": "G-01", "name": 3, "address": "x"})
        assert answer.status_code == 400

    def test_others_are_refused(self, cast: Cast, leader_b: User) -> None:
        made = building(cast.leader_a)
        assert ApiClient(cast.dispatcher).get("/buildings").status_code == 403
        assert ApiClient(cast.handler_a).get(f"/buildings/{made.pk}").status_code == 403
        assert ApiClient(leader_b).get(f"/buildings/{made.pk}").status_code == 404
        body = {"grid": "G-01", "name": "3栋", "address": "x"}
        assert ApiClient(leader_b).put(f"/buildings/{made.pk}", body).status_code == 404
        assert ApiClient(None).get("/buildings").status_code == 401
