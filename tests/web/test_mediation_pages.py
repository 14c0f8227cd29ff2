"""The mediation pages: the case list, a new case, the case page with its actions, and the
mediator's home; in Chinese and English, each reached only by whom the access rule lets in."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client

from jieban.mediation import actions
from jieban.mediation.models import CaseStatus, MediationCase
from jieban.notify.models import Notification
from tests.conftest import Cast
from tests.test_mediation import (
    ACCEPTED_AT,
    SEES_COMMITTEE,
    SEES_STUDIO,
    Mediation,
    accepted,
    everyone,
    mediating,
    set_up_mediation,
)


@pytest.fixture
def mediation(cast: Cast) -> Mediation:
    return set_up_mediation()


def page(client: Client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def listed(html: str) -> list[str]:
    return re.findall(r'data-testid="case-row" data-number="([^"]+)"', html)


class TestTheList:
    def test_each_role_lists_what_it_may_see(
        self, client: Client, cast: Cast, mediation: Mediation
    ) -> None:
        studio_case = accepted(mediation.yang)
        committee_case = accepted(mediation.village, studio="", committee="TJ-V1")
        for name, person in everyone(cast, mediation).items():
            client.force_login(person)
            may = name in SEES_STUDIO | SEES_COMMITTEE | {"outsider"}
            response = client.get("/mediation/")
            if not may:
                assert response.status_code == 403, name
                assert 'data-testid="menu-mediation"' not in page(client, "/")
                continue
            assert response.status_code == 200, name
            expected = [studio_case.number] if name in SEES_STUDIO else []
            expected += [committee_case.number] if name in SEES_COMMITTEE else []
            assert sorted(listed(response.content.decode())) == expected, name
            for case in (studio_case, committee_case):
                status = client.get(f"/mediation/{case.number}/").status_code
                assert status == (200 if case.number in expected else 404), (name, case.number)

    def test_it_flags_due_soon_and_overdue(
        self, client: Client, cast: Cast, mediation: Mediation
    ) -> None:
        case = accepted(mediation.yang)
        with time_machine.travel(case.due_at - dt.timedelta(days=2), tick=False):
            client.force_login(mediation.yang)
            html = page(client, "/mediation/?due_soon=true")
            assert listed(html) == [case.number] and 'data-testid="clock-due-soon"' in html
            assert listed(page(client, "/mediation/?overdue=true")) == []
        with time_machine.travel(case.due_at + dt.timedelta(minutes=1), tick=False):
            client.force_login(mediation.yang)
            html = page(client, "/mediation/?overdue=true")
            assert listed(html) == [case.number] and 'data-testid="clock-overdue"' in html

    def test_a_bad_filter_says_so(self, client: Client, mediation: Mediation) -> None:
        client.force_login(mediation.yang)
        response = client.get("/mediation/?status=bogus")
        assert response.status_code == 400
        assert "bogus" in response.content.decode()


class TestANewCase:
    def test_a_mediator_accepts_a_case(self, client: Client, mediation: Mediation) -> None:
        client.force_login(mediation.yang)
        form = page(client, "/mediation/new/")
        assert "studio:YANG" in form and "committee:TJ-V1" not in form
        data = {
            "forum": "studio:YANG",
            "source": "application",
            "dispute_type": "property_management",
            "applicant_name": "王五",
            "applicant_phone": "13912345678",
            "respondent_name": "某物业公司",
            "amount": "800",
            "facts": "物业费争议",
        }
        with time_machine.travel(ACCEPTED_AT, tick=False):
            response = client.post("/mediation/new/", data)
        assert response.status_code == 302
        assert response["Location"] == "/mediation/TJ20261204-0001/"
        case = MediationCase.objects.get()
        assert case.studio == mediation.studio and list(case.mediators.all()) == [mediation.yang]

    def test_bad_input_shows_the_form_again_with_the_message(
        self, client: Client, mediation: Mediation
    ) -> None:
        client.force_login(mediation.yang)
        data = {
            "forum": "studio:YANG",
            "source": "application",
            "dispute_type": "neighbours",
            "applicant_name": "王五",
            "respondent_name": "赵六",
            "amount": "-3",
            "facts": "漏水",
        }
        response = client.post("/mediation/new/", data)
        assert response.status_code == 400
        html = response.content.decode()
        assert 'id="id_amount_error"' in html and 'value="王五"' in html
        missing = client.post("/mediation/new/", {**data, "amount": "", "forum": ""})
        assert missing.status_code == 400 and 'id="id_forum_error"' in missing.content.decode()
        assert not MediationCase.objects.exists()

    def test_the_command_centre_may_and_others_may_not(
        self, client: Client, cast: Cast, mediation: Mediation
    ) -> None:
        client.force_login(cast.dispatcher)
        html = page(client, "/mediation/new/")
        assert "studio:YANG" in html and "committee:TJ-V1" in html
        for person in (cast.leader, cast.handler_a, cast.outsider):
            client.force_login(person)
            assert client.get("/mediation/new/").status_code == 403
            assert client.post("/mediation/new/", {"forum": "studio:YANG"}).status_code == 403


class TestTheCasePage:
    def test_the_mediator_logs_a_session_and_concludes(
        self, client: Client, mediation: Mediation
    ) -> None:
        case = accepted(mediation.yang)
        client.force_login(mediation.li)
        html = page(client, f"/mediation/{case.number}/")
        assert 'data-testid="applicant-phone">13912345678<' in html
        assert 'data-testid="action-session"' in html
        assert 'data-testid="action-succeed"' not in html
        with time_machine.travel(ACCEPTED_AT + dt.timedelta(days=1), tick=False):
            response = client.post(
                f"/mediation/{case.number}/session/",
                {
                    "held_on": "2026-12-05",
                    "attendees": "王五、赵六",
                    "discussion": "双方陈述",
                    "agreed": "下周再谈",
                    "version": case.version,
                },
            )
            assert response.status_code == 302
            html = page(client, f"/mediation/{case.number}/")
            assert 'data-testid="sessions"' in html and "双方陈述" in html
            assert 'data-testid="action-succeed"' in html
            response = client.post(
                f"/mediation/{case.number}/fail/",
                {"route": "litigation", "conclusion": "分歧太大"},
            )
        assert response.status_code == 302
        case.refresh_from_db()
        assert case.status == CaseStatus.FAILED and case.failure_route == "litigation"
        html = page(client, f"/mediation/{case.number}/")
        assert 'data-testid="route"' in html and "action-" not in html

    def test_bad_input_comes_back_on_its_field(self, client: Client, mediation: Mediation) -> None:
        case = mediating(mediation.yang)
        client.force_login(mediation.yang)
        response = client.post(f"/mediation/{case.number}/fail/", {"route": "", "conclusion": "x"})
        assert response.status_code == 400
        html = response.content.decode()
        assert 'id="id_route_error"' in html
        response = client.post(f"/mediation/{case.number}/extend/", {"days": "ten", "consent": ""})
        assert response.status_code == 400 and 'id="id_days_error"' in response.content.decode()

    def test_a_stale_page_is_told_to_reload(self, client: Client, mediation: Mediation) -> None:
        case = mediating(mediation.yang)
        client.force_login(mediation.yang)
        response = client.post(
            f"/mediation/{case.number}/withdraw/", {"reason": "撤回", "version": case.version - 1}
        )
        assert response.status_code == 409 and 'data-testid="message"' in response.content.decode()

    def test_the_extension_is_offered_once_and_recorded(
        self, client: Client, mediation: Mediation
    ) -> None:
        case = accepted(mediation.yang)
        with time_machine.travel(case.due_at, tick=False):
            client.force_login(mediation.yang)
            response = client.post(
                f"/mediation/{case.number}/extend/", {"days": "10", "consent": "双方书面同意"}
            )
            assert response.status_code == 302
            html = page(client, f"/mediation/{case.number}/")
        assert 'data-testid="extension"' in html and "双方书面同意" in html
        assert 'data-testid="action-extend"' not in html
        assert 'data-testid="clock-extended"' in html

    def test_onlookers_see_masked_phones_and_no_actions(
        self, client: Client, cast: Cast, mediation: Mediation
    ) -> None:
        case = accepted(mediation.yang)
        client.force_login(cast.leader)
        html = page(client, f"/mediation/{case.number}/")
        assert 'data-testid="applicant-phone">139****5678<' in html and "action-" not in html
        assert client.post(f"/mediation/{case.number}/withdraw/", {"reason": "x"}).status_code == (
            403
        )
        assert client.post(f"/mediation/{case.number}/nonsense/", {}).status_code == 404

    def test_it_reads_in_english(self, client: Client, mediation: Mediation) -> None:
        case = accepted(mediation.yang)
        client.force_login(mediation.yang)
        chinese = page(client, f"/mediation/{case.number}/")
        assert "调解工作室" in chinese and "邻里纠纷" in chinese and "记录调解" in chinese
        client.cookies["django_language"] = "en"
        english = page(client, f"/mediation/{case.number}/")
        assert "Neighbours" in english and "Log a session" in english

    def test_a_warning_opens_the_case(self, client: Client, mediation: Mediation) -> None:
        from jieban.mediation.clocks import sweep_due_soon

        case = accepted(mediation.yang)
        sweep_due_soon(case.due_at - dt.timedelta(days=1))
        warning = Notification.objects.get(recipient=mediation.yang, gateway="in_app")
        client.force_login(mediation.yang)
        response = client.get(f"/notifications/{warning.pk}/")
        assert response.status_code == 302
        assert response["Location"] == f"/mediation/{case.number}/"


class TestTheMediatorsHome:
    def test_it_lists_open_cases_by_deadline(
        self, client: Client, cast: Cast, mediation: Mediation
    ) -> None:
        later = accepted(mediation.yang)
        with time_machine.travel(ACCEPTED_AT - dt.timedelta(days=10), tick=False):
            sooner = actions.open_case(
                actions.CaseDraft(
                    source="initiative",
                    applicant_name="甲",
                    respondent_name="乙",
                    dispute_type="labour",
                    facts="欠薪",
                    studio="YANG",
                ),
                by=mediation.yang,
            )
        done = accepted(mediation.yang)
        actions.withdraw_case(done.number, reason="撤回", by=mediation.yang)
        with time_machine.travel(sooner.due_at - dt.timedelta(days=1), tick=False):
            client.force_login(mediation.yang)
            html = page(client, "/")
        assert listed(html) == [sooner.number, later.number]
        assert 'data-testid="open-summary"' in html and 'data-testid="clock-due-soon"' in html
        client.force_login(cast.outsider)
        assert listed(page(client, "/")) == []


@pytest.mark.parametrize("path", ["/mediation/", "/mediation/new/", "/mediation/TJ1/"])
def test_a_visitor_is_sent_to_log_in(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302 and response["Location"].startswith("/login/")
