"""The appointees' own letters: a building head, grid officer or grid police chief reads his
letters, current and past, and prints each; nobody outside the station but him sees one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine
from django.test import Client
from django.utils import translation

from jieban.community.access import own_appointments, visible_appointments
from jieban.community.actions import create_building
from jieban.community.appointments import issue_appointment, revoke_appointment
from jieban.community.models import Appointment
from jieban.org.actions import create_person
from jieban.org.models import User
from tests.conftest import PASSWORD, ApiClient, Cast, local


@pytest.fixture(autouse=True)
def _in_english_on_a_fixed_day() -> Iterator[None]:
    with translation.override("en"), time_machine.travel(local(2026, 3, 11, 10), tick=False):
        yield


@pytest.fixture
def letters(cast: Cast) -> dict[str, Appointment]:
    building = create_building(
        grid="G-02", kind="building", name="3栋", address="幸福路3号", by=cast.admin
    )

    def issue(person: str, post: str, **places: list[int] | list[str]) -> Appointment:
        return issue_appointment(
            person=person, post=post, starts_on=dt.date(2026, 1, 1),
            ends_on=dt.date(2028, 12, 31), by=cast.leader_a, **places,  # type: ignore[arg-type]
        )  # fmt: skip

    past = issue("building_head", "building_head", buildings=[building.pk])
    revoke_appointment(past.pk, reason="搬离本楼", by=cast.leader_a)
    return {
        "past": past,
        "current": issue("building_head", "building_head", buildings=[building.pk]),
        "officer": issue("grid_officer", "grid_officer", grids=["G-01"]),
        "chief": issue("handler_a", "grid_chief", grids=["G-01", "G-02"]),
    }


@pytest.fixture
def other_head(cast: Cast) -> User:
    return create_person(username="head_2", role="building_head", unit="G-01", password=PASSWORD)


def test_each_appointee_reads_his_own_letters_only(
    cast: Cast, letters: dict[str, Appointment], other_head: User
) -> None:
    assert set(own_appointments(cast.building_head)) == {letters["past"], letters["current"]}
    assert set(visible_appointments(cast.grid_officer)) == {letters["officer"]}
    assert set(visible_appointments(cast.handler_a)) == {letters["chief"]}
    assert not visible_appointments(other_head).exists()
    assert not visible_appointments(cast.dispatcher).exists()
    assert not own_appointments(cast.dispatcher).exists()
    # The station's leader reads every letter of the station, his own or not.
    assert set(visible_appointments(cast.leader_a)) == set(letters.values())


def test_my_letters_page_with_current_and_past(
    client: Client, cast: Cast, letters: dict[str, Appointment]
) -> None:
    client.force_login(cast.building_head)
    client.cookies["django_language"] = "en"
    page = client.get("/appointments/mine/").content.decode()
    current, everything = page.split('data-testid="my-letters"')
    assert letters["current"].number in current and letters["past"].number not in current
    assert letters["past"].number in everything and "搬离本楼" in everything
    assert letters["officer"].number not in page
    assert 'data-testid="menu-my-letters"' in page
    sheet = client.get(f"/appointments/{letters['past'].pk}/print/")
    assert sheet.status_code == 200
    assert 'href="/appointments/mine/"' in sheet.content.decode()
    # He cannot manage it.
    assert client.get(f"/appointments/{letters['past'].pk}/").status_code == 403
    client.force_login(cast.leader_a)
    assert 'data-testid="menu-my-letters"' not in client.get("/").content.decode()
    sheet = client.get(f"/appointments/{letters['past'].pk}/print/").content.decode()
    assert f'href="/appointments/{letters["past"].pk}/"' in sheet


def test_nobody_else_prints_a_letter(
    client: Client, cast: Cast, letters: dict[str, Appointment], other_head: User
) -> None:
    for person in (other_head, cast.grid_officer, cast.dispatcher, cast.leader, cast.handler_b):
        client.force_login(person)
        assert client.get(f"/appointments/{letters['current'].pk}/print/").status_code == 404
    client.force_login(cast.dispatcher)
    assert client.get("/appointments/mine/").status_code == 403


def test_the_api_for_appointees(
    cast: Cast, letters: dict[str, Appointment], other_head: User
) -> None:
    head = ApiClient(cast.building_head)
    listed = head.get("/appointments")
    assert listed.status_code == 200
    assert {letter["number"] for letter in listed.json()} == {
        letters["past"].number, letters["current"].number,
    }  # fmt: skip
    assert head.get("/appointments", expiring="true").json() == []
    letter = letters["current"]
    sheet = head.get(f"/appointments/{letter.pk}/print")
    assert sheet.status_code == 200
    body = sheet.json()
    assert (body["number"], body["addressee"], body["post"], body["issued_by"]) == (
        letter.number, "building_head", "building_head", "甲派出所",
    )  # fmt: skip
    assert body["bureau"] == "测试县公安局"
    assert body["places"] == [
        {"grid": "G-02", "grid_name": "第二网格", "building": "3栋", "address": "幸福路3号"}
    ]
    assert body["print_url"].endswith(f"/appointments/{letter.pk}/print/")
    revoked = head.get(f"/appointments/{letters['past'].pk}")
    assert (revoked.json()["status"], revoked.json()["revoke_reason"]) == ("revoked", "搬离本楼")
    # Reading is not managing.
    assert head.post(f"/appointments/{letter.pk}/revoke", {"reason": "x"}).status_code == 403
    for person in (other_head, cast.grid_officer, cast.dispatcher):
        assert ApiClient(person).get(f"/appointments/{letter.pk}/print").status_code == 404
    assert ApiClient(cast.dispatcher).get("/appointments").status_code == 403
    chief = ApiClient(cast.handler_a).get(f"/appointments/{letters['chief'].pk}/print").json()
    assert [place["grid"] for place in chief["places"]] == ["G-01", "G-02"]
    assert chief["places"][0]["building"] is None
