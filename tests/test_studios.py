"""Managing the mediation studios: the list with host, mediators and open cases; opening a
studio (administrators for any host, a station's or community's leaders for their own unit);
editing it and adding or removing its mediators (administrators and the host's leaders)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from jieban.errors import Conflict, Forbidden, InvalidInput, NotFound
from jieban.mediation.access import visible_cases
from jieban.mediation.actions import CaseDraft, open_case, withdraw_case
from jieban.mediation.models import Studio, StudioMediator
from jieban.mediation.studios import (
    access_studio,
    add_mediator,
    close_studio,
    open_studio,
    remove_mediator,
    studio_list,
    update_studio,
)
from jieban.org.actions import create_person
from jieban.org.models import User
from tests.conftest import PASSWORD, ApiClient, Cast, local

CASE = {
    "source": "application",
    "applicant_name": "王五",
    "respondent_name": "赵六",
    "dispute_type": "neighbours",
    "facts": "楼上漏水",
    "consent": "双方同意调解",
}


@pytest.fixture(autouse=True)
def _in_english_on_a_fixed_day() -> Iterator[None]:
    with translation.override("en"), time_machine.travel(local(2026, 3, 11, 10), tick=False):
        yield


@pytest.fixture
def studio(cast: Cast) -> Studio:
    return open_studio(
        code="YANG", name="老杨调解工作室", host_unit="PS-A", address="幸福路 1 号",
        phone="0571-1234567", opened_on=dt.date(2020, 5, 1), by=cast.leader_a,
    )  # fmt: skip


@pytest.fixture
def lawyer(cast: Cast) -> User:
    return create_person(username="lawyer", role="mediator", unit="COM-A1", password=PASSWORD)


def case_draft(**fields: Any) -> CaseDraft:
    values = {key: value for key, value in CASE.items() if key in CaseDraft.__dataclass_fields__}
    values.update(fields)
    return CaseDraft(**values)


class TestOpening:
    def test_a_stations_leader_opens_a_studio_for_the_station(
        self, cast: Cast, studio: Studio
    ) -> None:
        assert (studio.host_unit.code, studio.phone, studio.opened_on) == (
            "PS-A", "0571-1234567", dt.date(2020, 5, 1),
        )  # fmt: skip
        with pytest.raises(InvalidInput) as caught:
            open_studio(code="B", name="乙", host_unit="PS-B", by=cast.leader_a)
        assert caught.value.field == "host_unit"
        assert "your own unit" in caught.value.message

    def test_an_administrator_opens_one_for_any_station_or_community(self, cast: Cast) -> None:
        assert open_studio(code="B", name="乙", host_unit="PS-B", by=cast.admin).pk
        assert open_studio(code="C", name="社区", host_unit="COM-A1", by=cast.admin).pk
        with pytest.raises(InvalidInput, match="police station or a community"):
            open_studio(code="G", name="网格", host_unit="G-01", by=cast.admin)

    def test_others_may_not(self, cast: Cast) -> None:
        for person in (cast.dispatcher, cast.leader, cast.handler_a, cast.outsider):
            with pytest.raises(Forbidden):
                open_studio(code="X", name="X", host_unit="PS-A", by=person)
        assert not Studio.objects.exists()

    def test_bad_input_names_its_field(self, cast: Cast) -> None:
        for fields, field in (
            ({"code": "a b"}, "code"),
            ({"name": "  "}, "name"),
            ({"phone": "call me"}, "phone"),
            ({"address": "幸福路\x00"}, "address"),
            ({"opened_on": dt.date(1900, 1, 1)}, "opened_on"),
        ):
            values = {"code": "OK", "name": "好", "host_unit": "PS-A", **fields}
            with pytest.raises(InvalidInput) as caught:
                open_studio(**values, by=cast.admin)
            assert caught.value.field == field
        assert not Studio.objects.exists()


class TestEditing:
    def test_the_host_leader_edits_and_manages_mediators(
        self, cast: Cast, studio: Studio, lawyer: User
    ) -> None:
        update_studio(studio.pk, phone="0571-7654321", by=cast.leader_a)
        studio.refresh_from_db()
        assert (studio.phone, studio.name) == ("0571-7654321", "老杨调解工作室")
        add_mediator(studio.pk, person="outsider", kind="peoples_mediator", by=cast.leader_a)
        add_mediator(studio.pk, person="lawyer", kind="lawyer", by=cast.admin)
        kinds = dict(studio.memberships.values_list("person__username", "kind"))
        assert kinds == {"outsider": "peoples_mediator", "lawyer": "lawyer"}
        # A mediator already there changes kind.
        add_mediator(studio.pk, person="lawyer", kind="volunteer", by=cast.leader_a)
        assert studio.memberships.get(person=lawyer).kind == "volunteer"
        remove_mediator(studio.pk, person="lawyer", by=cast.leader_a)
        assert not StudioMediator.objects.filter(person=lawyer).exists()
        with pytest.raises(InvalidInput, match="not a mediator of this studio"):
            remove_mediator(studio.pk, person="lawyer", by=cast.leader_a)

    def test_a_removed_mediator_no_longer_sees_the_cases(self, cast: Cast, studio: Studio) -> None:
        add_mediator(studio.pk, person="outsider", kind="police", by=cast.leader_a)
        case = open_case(case_draft(studio="YANG"), by=cast.outsider)
        assert visible_cases(cast.outsider).filter(pk=case.pk).exists()
        remove_mediator(studio.pk, person="outsider", by=cast.leader_a)
        assert not visible_cases(cast.outsider).filter(pk=case.pk).exists()

    def test_only_mediators_and_known_kinds(self, cast: Cast, studio: Studio) -> None:
        with pytest.raises(InvalidInput) as caught:
            add_mediator(studio.pk, person="handler_a", kind="police", by=cast.leader_a)
        assert caught.value.field == "person"
        with pytest.raises(InvalidInput) as caught:
            add_mediator(studio.pk, person="outsider", kind="judge", by=cast.leader_a)
        assert caught.value.field == "kind"

    def test_another_units_leader_may_not_edit(self, cast: Cast, studio: Studio) -> None:
        leader_b = create_person(
            username="leader_b", role="unit_leader", unit="PS-B", password=PASSWORD
        )
        with pytest.raises(Forbidden):
            update_studio(studio.pk, name="改名", by=leader_b)
        with pytest.raises(Forbidden):
            add_mediator(studio.pk, person="outsider", kind="police", by=leader_b)
        # The command centre and mediators see the studio but do not edit it.
        for person in (cast.dispatcher, cast.outsider):
            assert access_studio(person, studio.pk) == studio
            with pytest.raises(Forbidden):
                update_studio(studio.pk, name="改名", by=person)
        with pytest.raises(Forbidden):
            access_studio(cast.handler_a, studio.pk)
        with pytest.raises(NotFound):
            access_studio(cast.admin, studio.pk + 1000)


class TestClosing:
    def test_a_studio_with_no_open_case_closes(self, cast: Cast, studio: Studio) -> None:
        add_mediator(studio.pk, person="outsider", kind="police", by=cast.leader_a)
        case = open_case(case_draft(studio="YANG"), by=cast.outsider)
        with pytest.raises(Conflict) as caught:
            close_studio(studio.pk, by=cast.leader_a)
        assert "1 open case" in caught.value.message
        withdraw_case(case.number, reason="申请人撤回", by=cast.outsider)
        close_studio(studio.pk, by=cast.leader_a)
        # Gone from the lists and the pickers; its concluded case stays, and still its.
        assert not studio_list(cast.admin).filter(pk=studio.pk).exists()
        with pytest.raises(NotFound):
            access_studio(cast.admin, studio.pk)
        case.refresh_from_db()
        assert case.studio_id == studio.pk
        with pytest.raises(InvalidInput) as refused:
            open_case(case_draft(studio="YANG"), by=cast.admin)
        assert refused.value.field == "studio"

    def test_only_its_editors_close_it(self, cast: Cast, studio: Studio) -> None:
        for person in (cast.dispatcher, cast.outsider):
            with pytest.raises(Forbidden):
                close_studio(studio.pk, by=person)
        close_studio(studio.pk, by=cast.admin)

    def test_the_page_and_the_api(self, client: Client, cast: Cast, studio: Studio) -> None:
        add_mediator(studio.pk, person="outsider", kind="police", by=cast.leader_a)
        open_case(case_draft(studio="YANG"), by=cast.outsider)
        client.force_login(cast.leader_a)
        client.cookies["django_language"] = "en"
        page = client.get(f"/studios/{studio.pk}/").content.decode()
        assert 'data-testid="studio-close"' in page
        # While a case is open: back on the studio's page, which says why.
        answer = client.post(f"/studios/{studio.pk}/close/", {"confirm": "on"}, follow=True)
        assert answer.redirect_chain[-1][0] == f"/studios/{studio.pk}/"
        assert "still has 1 open case" in answer.content.decode()
        api = ApiClient(cast.leader_a)
        assert api.post(f"/studios/{studio.pk}/close", {}).status_code == 409
        other = open_studio(code="NEW", name="新调解工作室", host_unit="PS-A", by=cast.leader_a)
        closed = api.post(f"/studios/{other.pk}/close", {})
        assert closed.status_code == 200 and closed.json() == {
            "id": other.pk, "code": "NEW", "active": False,
        }  # fmt: skip
        assert api.post(f"/studios/{other.pk}/close", {}).status_code == 404
        assert Studio.objects.get(pk=studio.pk).is_active
        client.force_login(cast.outsider)
        page = client.get(f"/studios/{studio.pk}/").content.decode()
        assert 'data-testid="studio-close"' not in page


class TestList:
    def test_open_cases_are_counted_in_a_fixed_number_of_queries(
        self, cast: Cast, studio: Studio, lawyer: User
    ) -> None:
        add_mediator(studio.pk, person="outsider", kind="police", by=cast.leader_a)
        first = open_case(case_draft(studio="YANG"), by=cast.outsider)
        open_case(case_draft(studio="YANG"), by=cast.outsider)
        withdraw_case(first.number, reason="撤回", by=cast.outsider)
        open_studio(code="B", name="乙", host_unit="PS-B", by=cast.admin)
        with CaptureQueriesContext(connection) as queries:
            studios = {
                s.code: (s.open_cases, len(s.memberships.all())) for s in studio_list(cast.leader)
            }
        assert studios == {"YANG": (1, 1), "B": (0, 0)}
        assert len(queries) == 3  # the studios, their memberships, their people


class TestApi:
    def test_open_edit_and_staff_a_studio(self, cast: Cast, lawyer: User) -> None:
        api = ApiClient(cast.leader_a)
        made = api.post("/studios", {"code": "YANG", "name": "老杨调解工作室",
                                     "host_unit": "PS-A", "opened_on": "2020-05-01"})  # fmt: skip
        assert made.status_code == 201, made.json()
        pk = made.json()["id"]
        assert made.json()["host_unit"] == "PS-A" and made.json()["open_cases"] == 0
        patched = api.client.patch(
            f"/api/v1/studios/{pk}", data='{"phone": "0571-7654321"}',
            content_type="application/json", **api.headers,
        )  # fmt: skip
        assert patched.status_code == 200
        assert (patched.json()["phone"], patched.json()["opened_on"]) == (
            "0571-7654321", "2020-05-01",
        )  # fmt: skip
        added = api.post(f"/studios/{pk}/mediators", {"person": "lawyer", "kind": "lawyer"})
        assert added.status_code == 201
        assert added.json()["mediators"] == [
            {"username": "lawyer", "name": "lawyer", "kind": "lawyer"}
        ]
        gone = api.client.delete(f"/api/v1/studios/{pk}/mediators/lawyer", **api.headers)
        assert (gone.status_code, gone.json()["mediators"]) == (200, [])
        assert ApiClient(cast.dispatcher).get(f"/studios/{pk}").status_code == 200

    def test_bad_input_is_a_400_and_others_are_refused(self, cast: Cast, studio: Studio) -> None:
        api = ApiClient(cast.leader_a)
        bad = api.post("/studios", {"code": "X Y", "name": "乙", "host_unit": "PS-A"})
        assert (bad.status_code, bad.json()["field"]) == (400, "code")
        bad = api.post(f"/studios/{studio.pk}/mediators", {"person": "outsider", "kind": "x"})
        assert (bad.status_code, bad.json()["field"]) == (400, "kind")
        assert ApiClient(cast.handler_a).get("/studios").status_code == 403
        refused = ApiClient(cast.dispatcher).post(
            f"/studios/{studio.pk}/mediators", {"person": "outsider", "kind": "police"}
        )
        assert refused.status_code == 403
        assert ApiClient(cast.admin).get(f"/studios/{studio.pk + 1000}").status_code == 404


class TestPages:
    def test_the_list_and_a_studio_page(self, client: Client, cast: Cast, studio: Studio) -> None:
        add_mediator(studio.pk, person="outsider", kind="peoples_mediator", by=cast.leader_a)
        client.force_login(cast.leader_a)
        client.cookies["django_language"] = "en"
        page = client.get("/studios/").content.decode()
        assert 'data-studio="YANG"' in page and "People&#x27;s mediator" in page
        assert 'data-testid="studio-new"' in page
        assert 'data-testid="menu-studios"' in page
        page = client.get(f"/studios/{studio.pk}/").content.decode()
        assert 'data-testid="mediator-form"' in page and 'data-mediator="outsider"' in page
        # The opening date fills its date field in Chinese too (ISO, whatever the language).
        client.cookies["django_language"] = "zh-hans"
        page = client.get(f"/studios/{studio.pk}/").content.decode()
        assert 'type="date" name="opened_on" value="2020-05-01"' in page
        client.cookies["django_language"] = "en"
        answer = client.post(f"/studios/{studio.pk}/", {"name": "", "phone": "x"})
        assert answer.status_code == 400
        answer = client.post(f"/studios/{studio.pk}/", {"name": "杨师傅工作室", "phone": ""})
        assert answer.status_code == 302
        studio.refresh_from_db()
        assert studio.name == "杨师傅工作室"
        answer = client.post(f"/studios/{studio.pk}/mediators/remove/", {"person": "outsider"})
        assert answer.status_code == 302 and not studio.memberships.exists()

    def test_opening_from_the_form(self, client: Client, cast: Cast) -> None:
        client.force_login(cast.leader_a)
        form = client.get("/studios/new/").content.decode()
        assert 'value="PS-A"' in form and 'value="PS-B"' not in form
        answer = client.post("/studios/new/", {"code": "X Y", "name": "乙", "host_unit": "PS-A"})
        assert answer.status_code == 400
        answer = client.post("/studios/new/", {"code": "XY", "name": "乙", "host_unit": "PS-A"})
        assert answer.status_code == 302
        assert Studio.objects.get().code == "XY"

    def test_a_mediator_reads_but_does_not_edit(
        self, client: Client, cast: Cast, studio: Studio
    ) -> None:
        client.force_login(cast.outsider)
        page = client.get(f"/studios/{studio.pk}/").content.decode()
        assert 'data-testid="mediator-form"' not in page
        assert 'data-testid="studio-new"' not in client.get("/studios/").content.decode()
        assert client.post(f"/studios/{studio.pk}/", {"name": "改"}).status_code == 403
        client.force_login(cast.handler_a)
        assert client.get("/studios/").status_code == 403
