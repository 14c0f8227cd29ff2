"""The appointment letters' pages: the station's letters with those expiring within 30 days,
issuing one, renewing and revoking it, and its A4 sheet."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
import time_machine
from django.test import Client

from jieban.community.actions import create_building
from jieban.community.appointments import issue_appointment
from jieban.community.models import Appointment, Building
from jieban.org.actions import create_person, create_unit
from tests.conftest import PASSWORD, Cast, local


@pytest.fixture(autouse=True)
def _on_a_fixed_day() -> Iterator[None]:
    with time_machine.travel(local(2026, 3, 11), tick=False):
        yield


@pytest.fixture
def building(cast: Cast) -> Building:
    return create_building(
        grid="G-02", kind="building", name="3栋", address="幸福路3号", by=cast.admin
    )


def letter(cast: Cast, building: Building, ends_on: dt.date) -> Appointment:
    return issue_appointment(
        person="building_head",
        post="building_head",
        buildings=[building.pk],
        starts_on=dt.date(2025, 4, 1),
        ends_on=ends_on,
        by=cast.leader_a,
    )


def test_a_leader_issues_a_letter_from_the_form(
    client: Client, cast: Cast, building: Building
) -> None:
    client.force_login(cast.leader_a)
    form = client.get("/appointments/new/").content.decode()
    assert 'name="station"' not in form  # the leader's own station issues it
    assert 'value="building_head"' in form and 'value="handler_b"' not in form
    answer = client.post(
        "/appointments/new/",
        {
            "post": "building_head",
            "person": "building_head",
            "buildings": [str(building.pk)],
            "starts_on": "2026-03-11",
            "ends_on": "2029-03-10",
        },
    )
    made = Appointment.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/appointments/{made.pk}/"
    page = client.get(answer["Location"]).content.decode()
    assert "PS-A-2026-001" in page and "3栋" in page and "2029-03-10" in page


def test_a_wrong_letter_is_shown_on_the_form(
    client: Client, cast: Cast, building: Building
) -> None:
    client.force_login(cast.leader_a)
    answer = client.post(
        "/appointments/new/",
        {"post": "building_head", "person": "building_head", "starts_on": "2026-03-11",
         "ends_on": "2029-03-10"},
    )  # fmt: skip
    assert answer.status_code == 400
    assert "楼长须聘任于一栋或多栋楼栋" in answer.content.decode()
    assert not Appointment.objects.exists()


def test_the_list_shows_what_expires_within_30_days(
    client: Client, cast: Cast, building: Building
) -> None:
    soon = letter(cast, building, dt.date(2026, 4, 10))
    later = letter(cast, building, dt.date(2026, 4, 11))
    expired = letter(cast, building, dt.date(2026, 3, 10))
    client.force_login(cast.leader_a)
    html = client.get("/appointments/").content.decode()
    expiring = html.split('data-testid="expiring"')[1].split("</section>")[0]
    assert soon.number in expiring and later.number not in expiring
    assert expired.number not in expiring
    everything = html.split('data-testid="letters"')[1]
    assert all(x.number in everything for x in (soon, later, expired))
    assert "已过期" in everything


def test_renew_then_revoke_with_a_reason(client: Client, cast: Cast, building: Building) -> None:
    first = letter(cast, building, dt.date(2026, 3, 31))
    client.force_login(cast.leader_a)
    answer = client.post(f"/appointments/{first.pk}/renew/", {"ends_on": "2029-03-31"})
    renewed = Appointment.objects.get(renewal_of=first)
    assert answer["Location"] == f"/appointments/{renewed.pk}/"
    again = client.post(f"/appointments/{first.pk}/renew/", {"ends_on": "2029-03-31"})
    assert again.status_code == 409
    blank = client.post(f"/appointments/{renewed.pk}/revoke/", {"reason": ""})
    assert blank.status_code == 400
    client.post(f"/appointments/{renewed.pk}/revoke/", {"reason": "本人搬离小区"})
    page = client.get(f"/appointments/{renewed.pk}/").content.decode()
    assert "本人搬离小区" in page and "已撤销" in page and 'data-testid="revoke-form"' not in page


def test_the_print_sheet(client: Client, cast: Cast, building: Building) -> None:
    made = letter(cast, building, dt.date(2028, 3, 31))
    client.force_login(cast.leader_a)
    html = client.get(f"/appointments/{made.pk}/print/").content.decode()
    assert "<h1>聘书</h1>" in html
    assert re.search(r'data-testid="letter-number">编号： PS-A-2026-001<', html)
    assert "楼长" in html and "幸福路3号" in html and "2025-04-01 – 2028-03-31" in html
    assert 'data-testid="letter-issuer">甲派出所<' in html
    assert "<script>" not in html  # the CSP: no inline script


def test_the_appointee_prints_his_own_letter_from_his_home(
    client: Client, cast: Cast, building: Building
) -> None:
    made = letter(cast, building, dt.date(2028, 3, 31))
    client.force_login(cast.building_head)
    home = client.get("/").content.decode()
    assert f'href="/appointments/{made.pk}/print/"' in home
    html = client.get(f"/appointments/{made.pk}/print/").content.decode()
    assert "<h1>聘书</h1>" in html and made.number in html
    assert 'href="/appointments/mine/"' in html  # back to his letters, not the issuers' page


def test_another_station_and_other_roles(client: Client, cast: Cast, building: Building) -> None:
    made = letter(cast, building, dt.date(2028, 3, 31))
    create_unit(code="COM-B1", kind="community", name="乙一社区", parent="PS-B")
    leader_b = create_person(
        username="leader_b", role="unit_leader", unit="PS-B", password=PASSWORD
    )
    client.force_login(leader_b)
    assert client.get(f"/appointments/{made.pk}/").status_code == 404
    assert client.get(f"/appointments/{made.pk}/print/").status_code == 404
    assert client.post(f"/appointments/{made.pk}/revoke/", {"reason": "x"}).status_code == 404
    assert made.number not in client.get("/appointments/").content.decode()
    for person in (cast.dispatcher, cast.building_head, cast.handler_a):
        client.force_login(person)
        assert client.get("/appointments/").status_code == 403
        assert client.get(f"/appointments/{made.pk}/").status_code == 403
        # The appointee prints his own letter; nobody else outside the station sees it.
        printed = client.get(f"/appointments/{made.pk}/print/").status_code
        assert printed == (200 if person == cast.building_head else 404)
        assert 'data-testid="menu-appointments"' not in client.get("/").content.decode()
    client.force_login(cast.admin)
    assert 'name="station"' in client.get("/appointments/new/").content.decode()
    assert 'data-testid="menu-appointments"' in client.get("/").content.decode()
