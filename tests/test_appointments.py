"""Appointment letters (聘书): issued by a station for its area's buildings or grids, numbered
per station and year, renewed as the next letter, revoked with a reason; the station sees
those that expire within 30 days."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.utils import translation

from jieban.community.access import access_appointment
from jieban.community.actions import create_building
from jieban.community.appointments import (
    expiring_appointments,
    issue_appointment,
    renew_appointment,
    revoke_appointment,
)
from jieban.community.models import Appointment, AppointmentStatus, Building
from jieban.errors import Conflict, Forbidden, InvalidInput, NotFound
from jieban.org.actions import create_person, create_unit
from jieban.org.models import User
from tests.conftest import PASSWORD, ApiClient, Cast, local

TODAY = local(2026, 3, 11)


@pytest.fixture(autouse=True)
def _in_english() -> Iterator[None]:
    # The messages are asserted in English; the pages' Chinese is checked on the pages.
    with translation.override("en"), time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def leader_b(cast: Cast) -> User:
    create_unit(code="COM-B1", kind="community", name="乙一社区", parent="PS-B")
    create_unit(code="G-B1", kind="grid", name="乙第一网格", parent="COM-B1")
    return create_person(username="leader_b", role="unit_leader", unit="PS-B", password=PASSWORD)


@pytest.fixture
def buildings(cast: Cast) -> list[Building]:
    return [
        create_building(grid=grid, kind="building", name=name, address="幸福路", by=cast.admin)
        for grid, name in (("G-01", "1栋"), ("G-02", "2栋"))
    ]


def letter(by: Any, **fields: Any) -> Appointment:
    values: dict[str, Any] = {
        "person": "building_head",
        "post": "building_head",
        "starts_on": dt.date(2026, 1, 1),
        "ends_on": dt.date(2026, 12, 31),
    }
    values.update(fields)
    return issue_appointment(by=by, **values)


class TestIssue:
    def test_a_stations_leader_appoints_a_building_head(
        self, cast: Cast, buildings: list[Building]
    ) -> None:
        made = letter(cast.leader_a, buildings=[b.pk for b in buildings])
        assert made.number == "PS-A-2026-001"
        assert (made.person, made.issued_by_unit.code, made.issued_on) == (
            cast.building_head, "PS-A", dt.date(2026, 3, 11),
        )  # fmt: skip
        assert set(made.buildings.all()) == set(buildings)
        assert made.status == AppointmentStatus.ACTIVE
        second = letter(cast.leader_a, buildings=[buildings[0].pk])
        assert second.number == "PS-A-2026-002"

    def test_grid_posts_take_grids(self, cast: Cast) -> None:
        chief = letter(cast.leader_a, person="handler_a", post="grid_chief", grids=["G-01", "G-02"])
        assert [g.code for g in chief.grids.order_by("code")] == ["G-01", "G-02"]
        officer = letter(cast.admin, person="grid_officer", post="grid_officer", grids=["G-01"],
                         station="PS-A")  # fmt: skip
        assert officer.issued_by_unit.code == "PS-A"

    @pytest.mark.parametrize(
        ("fields", "field"),
        [
            ({"person": "nobody"}, "person"),
            ({"person": "grid_officer"}, "person"),  # not a building head
            ({"post": "mayor"}, "post"),
            ({"buildings": []}, "buildings"),
            ({"grids": ["G-01"]}, "buildings"),
            ({"buildings": [999999]}, "buildings"),
            ({"ends_on": dt.date(2025, 12, 31)}, "ends_on"),
            ({"person": "handler_b", "post": "grid_chief", "grids": ["G-01"]}, "person"),
            ({"person": "handler_a", "post": "grid_chief", "grids": ["G-09"]}, "grids"),
            (
                {"person": "grid_officer", "post": "grid_officer", "grids": ["G-01", "G-02"]},
                "grids",
            ),
        ],
    )
    def test_what_does_not_fit_is_refused_on_its_field(
        self, cast: Cast, buildings: list[Building], fields: dict[str, Any], field: str
    ) -> None:
        values = {"buildings": [buildings[0].pk], **fields}
        with pytest.raises(InvalidInput) as refused:
            letter(cast.leader_a, **values)
        assert refused.value.field == field
        assert not Appointment.objects.exists()

    def test_another_areas_building_is_refused(
        self, cast: Cast, leader_b: User, buildings: list[Building]
    ) -> None:
        with pytest.raises(InvalidInput, match="not one of the station's area"):
            letter(leader_b, buildings=[buildings[0].pk])

    def test_an_administrator_names_the_station(
        self, cast: Cast, buildings: list[Building]
    ) -> None:
        with pytest.raises(InvalidInput) as refused:
            letter(cast.admin, buildings=[buildings[0].pk])
        assert refused.value.field == "station"

    @pytest.mark.parametrize("member", ["dispatcher", "leader", "handler_a", "building_head"])
    def test_nobody_else_may(self, cast: Cast, buildings: list[Building], member: str) -> None:
        with pytest.raises(Forbidden):
            letter(getattr(cast, member), buildings=[buildings[0].pk])


class TestRenewAndRevoke:
    def test_a_renewal_is_the_next_letter(self, cast: Cast, buildings: list[Building]) -> None:
        first = letter(cast.leader_a, buildings=[buildings[0].pk])
        second = renew_appointment(first.pk, ends_on=dt.date(2027, 12, 31), by=cast.leader_a)
        first.refresh_from_db()
        assert first.status == AppointmentStatus.RENEWED
        assert (second.starts_on, second.ends_on) == (dt.date(2027, 1, 1), dt.date(2027, 12, 31))
        assert second.renewal_of == first and second.number == "PS-A-2026-002"
        assert list(second.buildings.all()) == [buildings[0]]
        with pytest.raises(Conflict):
            renew_appointment(first.pk, ends_on=dt.date(2027, 12, 31), by=cast.leader_a)

    def test_a_revocation_keeps_its_reason(self, cast: Cast, buildings: list[Building]) -> None:
        made = letter(cast.leader_a, buildings=[buildings[0].pk])
        with pytest.raises(InvalidInput) as refused:
            revoke_appointment(made.pk, reason="  ", by=cast.leader_a)
        assert refused.value.field == "reason"
        revoked = revoke_appointment(made.pk, reason="本人搬离小区", by=cast.leader_a)
        assert (revoked.status, revoked.revoke_reason, revoked.revoked_on) == (
            AppointmentStatus.REVOKED, "本人搬离小区", dt.date(2026, 3, 11),
        )  # fmt: skip
        assert revoked.changed_by == cast.leader_a
        with pytest.raises(Conflict):
            revoke_appointment(made.pk, reason="again", by=cast.leader_a)
        with pytest.raises(Conflict):
            renew_appointment(made.pk, ends_on=dt.date(2027, 12, 31), by=cast.leader_a)

    def test_another_station_does_not_see_it(
        self, cast: Cast, leader_b: User, buildings: list[Building]
    ) -> None:
        made = letter(cast.leader_a, buildings=[buildings[0].pk])
        with pytest.raises(NotFound):
            access_appointment(leader_b, made.pk)
        with pytest.raises(NotFound):
            revoke_appointment(made.pk, reason="x", by=leader_b)
        assert access_appointment(cast.admin, made.pk) == made


class TestExpiring:
    def test_the_station_sees_the_letters_ending_within_30_days(
        self, cast: Cast, buildings: list[Building]
    ) -> None:
        ends = {
            "yesterday": dt.date(2026, 3, 10),
            "today": dt.date(2026, 3, 11),
            "day 30": dt.date(2026, 4, 10),
            "day 31": dt.date(2026, 4, 11),
        }
        made = {
            name: letter(cast.leader_a, buildings=[buildings[0].pk], ends_on=end)
            for name, end in ends.items()
        }
        revoked = letter(cast.leader_a, buildings=[buildings[0].pk], ends_on=dt.date(2026, 3, 20))
        revoke_appointment(revoked.pk, reason="搬离", by=cast.leader_a)
        assert list(expiring_appointments(cast.leader_a)) == [made["today"], made["day 30"]]
        with time_machine.travel(local(2026, 3, 12, 0, 0), tick=False):
            assert list(expiring_appointments(cast.leader_a)) == [made["day 30"], made["day 31"]]
        assert not expiring_appointments(cast.dispatcher).exists()


class TestApi:
    def test_a_leader_issues_reads_renews_and_revokes(
        self, cast: Cast, buildings: list[Building]
    ) -> None:
        api = ApiClient(cast.leader_a)
        body = {
            "person": "building_head",
            "post": "building_head",
            "starts_on": "2025-04-01",
            "ends_on": "2026-03-31",
            "buildings": [buildings[0].pk],
        }
        made = api.post("/appointments", body)
        assert made.status_code == 201
        shown = made.json()
        assert (shown["number"], shown["status"], shown["buildings"], shown["grids"]) == (
            "PS-A-2026-001", "active", [buildings[0].pk], [],
        )  # fmt: skip
        assert shown["issued_by"] == {"code": "PS-A", "name": "甲派出所"}
        assert [a["number"] for a in api.get("/appointments", expiring="true").json()] == [
            "PS-A-2026-001"
        ]
        renewed = api.post(f"/appointments/{shown['id']}/renew", {"ends_on": "2027-03-31"})
        assert renewed.status_code == 201
        assert renewed.json()["renewal_of"] == "PS-A-2026-001"
        assert renewed.json()["starts_on"] == "2026-04-01"
        assert api.get(f"/appointments/{shown['id']}").json()["status"] == "renewed"
        again = api.post(f"/appointments/{shown['id']}/revoke", {"reason": "搬离"})
        assert again.status_code == 409
        revoked = api.post(f"/appointments/{renewed.json()['id']}/revoke", {"reason": "搬离"})
        assert (revoked.status_code, revoked.json()["revoke_reason"]) == (200, "搬离")
        assert len(api.get("/appointments").json()) == 2

    def test_bad_input_is_a_400_on_its_field(self, cast: Cast, buildings: list[Building]) -> None:
        api = ApiClient(cast.leader_a)
        body = {"person": "building_head", "post": "building_head", "starts_on": "2026-01-01",
                "ends_on": "2025-01-01", "buildings": [buildings[0].pk]}  # fmt: skip
        answer = api.post("/appointments", body)
        assert (answer.status_code, answer.json()["field"]) == (400, "ends_on")
        answer = api.post("/appointments", {**body, "ends_on": "2026-02-30"})
        assert answer.status_code == 400
        assert not Appointment.objects.exists()

    def test_others_are_refused(
        self, cast: Cast, leader_b: User, buildings: list[Building]
    ) -> None:
        made = letter(cast.leader_a, buildings=[buildings[0].pk])
        assert ApiClient(cast.dispatcher).get("/appointments").status_code == 403
        # The appointee reads his own letter (tests/test_appointee_letters.py); nobody else
        # outside the station does.
        assert ApiClient(cast.building_head).get(f"/appointments/{made.pk}").status_code == 200
        assert ApiClient(cast.grid_officer).get(f"/appointments/{made.pk}").status_code == 404
        assert ApiClient(cast.dispatcher).get(f"/appointments/{made.pk}").status_code == 404
        assert ApiClient(leader_b).get(f"/appointments/{made.pk}").status_code == 404
        revoke = ApiClient(leader_b).post(f"/appointments/{made.pk}/revoke", {"reason": "x"})
        assert revoke.status_code == 404
        assert ApiClient(None).get("/appointments").status_code == 401
