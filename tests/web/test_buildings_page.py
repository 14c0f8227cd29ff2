"""The buildings pages: a station's leaders list, add and edit their area's buildings."""

from __future__ import annotations

import pytest
from django.test import Client

from jieban.community.actions import create_building
from jieban.community.models import Building
from jieban.org.actions import create_person, create_unit
from tests.conftest import PASSWORD, Cast


def add(cast: Cast, name: str = "3栋", grid: str = "G-01") -> Building:
    return create_building(
        grid=grid, kind="building", name=name, address="幸福路3号", by=cast.admin
    )


def test_a_leader_adds_a_building_and_finds_it_in_the_list(client: Client, cast: Cast) -> None:
    client.force_login(cast.leader_a)
    form = client.get("/buildings/new/?grid=G-02")
    assert form.status_code == 200
    html = form.content.decode()
    assert '<option value="G-02" selected>' in html
    answer = client.post(
        "/buildings/new/",
        {"grid": "G-02", "kind": "courtyard", "name": "老粮站院落", "address": "粮站路1号"},
    )
    assert answer.status_code == 302 and answer["Location"] == "/buildings/?grid=G-02"
    page = client.get(answer["Location"]).content.decode()
    assert "老粮站院落" in page and "院落" in page and "粮站路1号" in page
    assert Building.objects.get().updated_by == cast.leader_a


def test_bad_input_is_shown_on_the_form(client: Client, cast: Cast) -> None:
    add(cast)
    client.force_login(cast.leader_a)
    blank = client.post(
        "/buildings/new/", {"grid": "G-01", "kind": "building", "name": "", "address": "x"}
    )
    assert blank.status_code == 400
    twin = client.post(
        "/buildings/new/", {"grid": "G-01", "kind": "building", "name": "3栋", "address": "x"}
    )
    assert twin.status_code == 400
    assert "已有名为 3栋 的楼栋" in twin.content.decode()
    assert Building.objects.count() == 1


def test_an_edit_moves_the_building_within_the_area(client: Client, cast: Cast) -> None:
    building = add(cast)
    client.force_login(cast.leader_a)
    assert 'value="幸福路3号"' in client.get(f"/buildings/{building.pk}/").content.decode()
    answer = client.post(
        f"/buildings/{building.pk}/",
        {"grid": "G-02", "kind": "building", "name": "3栋", "address": "幸福路5号"},
    )
    assert answer.status_code == 302
    building.refresh_from_db()
    assert (building.grid.code, building.address) == ("G-02", "幸福路5号")


def test_the_list_filters_by_grid(client: Client, cast: Cast) -> None:
    add(cast, "1栋", "G-01")
    add(cast, "2栋", "G-02")
    client.force_login(cast.leader_a)
    html = client.get("/buildings/?grid=G-02").content.decode()
    assert "2栋" in html and "1栋" not in html


def test_another_stations_leader_does_not_see_it(client: Client, cast: Cast) -> None:
    building = add(cast)
    create_unit(code="COM-B1", kind="community", name="乙一社区", parent="PS-B")
    create_unit(code="G-B1", kind="grid", name="乙第一网格", parent="COM-B1")
    leader_b = create_person(
        username="leader_b", role="unit_leader", unit="PS-B", password=PASSWORD
    )
    client.force_login(leader_b)
    assert client.get(f"/buildings/{building.pk}/").status_code == 404
    html = client.get("/buildings/").content.decode()
    assert "3栋" not in html and "G-B1" in html and "G-01" not in html
    # A grid of another area is not among the choices: the form refuses it.
    answer = client.post(
        "/buildings/new/", {"grid": "G-01", "kind": "building", "name": "9栋", "address": "x"}
    )
    assert answer.status_code == 400


@pytest.mark.parametrize("member", ["dispatcher", "leader", "handler_a", "grid_officer"])
def test_others_are_refused_and_not_offered_the_menu(
    client: Client, cast: Cast, member: str
) -> None:
    client.force_login(getattr(cast, member))
    assert client.get("/buildings/").status_code == 403
    assert client.get("/buildings/new/").status_code == 403
    assert 'data-testid="menu-buildings"' not in client.get("/").content.decode()


def test_the_menu_offers_it_to_a_stations_leader(client: Client, cast: Cast) -> None:
    client.force_login(cast.leader_a)
    assert 'data-testid="menu-buildings"' in client.get("/").content.decode()


def test_the_list_is_read_only(client: Client, cast: Cast) -> None:
    client.force_login(cast.leader_a)
    assert client.post("/buildings/").status_code == 405


def test_it_reads_in_english(client: Client, cast: Cast) -> None:
    add(cast)
    client.force_login(cast.admin)
    html = client.get("/buildings/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Add a building" in html and "Courtyard" not in html and ">Building<" in html
