"""The agreement's pages: the case page leading to it, recording it (bad input re-shown on the
form, nothing written), each term's performance and the follow-up calls until the case closes,
the A4 sheet, the signed scan, and the follow-up flag on the list and the case page over time."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from jieban.mediation.models import Agreement, CaseStatus, MediationCase
from jieban.org.models import User
from tests.conftest import Cast, local
from tests.test_mediation import Mediation, set_up_mediation
from tests.test_mediation_agreement import SUCCEEDED_AT, succeeded, with_agreement


@pytest.fixture
def mediation(cast: Cast) -> Mediation:
    return set_up_mediation()


def browser(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


AGREEMENT_FORM: dict[str, str] = {
    "facts": "赵六家卫生间漏水，致王五家天花板受损。",
    "applicant_responsibility": "王五无责任。",
    "respondent_responsibility": "赵六承担全部维修责任。",
    "signed_on": "2026-12-08",
    "term_1_obligor": "respondent",
    "term_1_content": "支付维修费 2000 元",
    "term_1_method": "银行转账",
    "term_1_due_on": "2026-12-15",
}


class TestThePages:
    def test_the_case_page_leads_to_the_agreement(self, cast: Cast, mediation: Mediation) -> None:
        number = succeeded(mediation.yang).number
        page = browser(mediation.yang).get(f"/mediation/{number}/").content.decode()
        assert 'data-testid="record-agreement"' in page
        assert 'data-testid="agreement-missing"' in page
        leader = browser(cast.leader).get(f"/mediation/{number}/").content.decode()
        assert 'data-testid="record-agreement"' not in leader
        assert 'data-testid="agreement-missing"' in leader
        form = browser(cast.leader).get(f"/mediation/{number}/agreement/").content.decode()
        assert 'data-testid="no-agreement"' in form
        assert browser(mediation.village).get(f"/mediation/{number}/agreement/").status_code == 404

    def test_bad_input_is_shown_on_the_form_and_nothing_written(self, mediation: Mediation) -> None:
        number = succeeded(mediation.yang).number
        client = browser(mediation.yang)
        with time_machine.travel(SUCCEEDED_AT, tick=False):
            early = client.post(
                f"/mediation/{number}/agreement/", {**AGREEMENT_FORM, "term_1_due_on": "2026-12-01"}
            )
            assert early.status_code == 400
            assert early.context["agreement_form"].errors["term_1_due_on"]
            assert "支付维修费 2000 元" in early.content.decode()  # what was typed is kept
            no_terms = {
                key: value for key, value in AGREEMENT_FORM.items() if not key.startswith("term_")
            }
            empty = client.post(f"/mediation/{number}/agreement/", no_terms)
            assert empty.status_code == 400
            assert empty.context["agreement_form"].non_field_errors()
        assert not Agreement.objects.exists()

    def test_a_mediator_records_the_agreement_performance_and_follow_up(
        self, cast: Cast, mediation: Mediation
    ) -> None:
        number = succeeded(mediation.yang).number
        client = browser(mediation.yang)
        with time_machine.travel(SUCCEEDED_AT, tick=False):
            done = client.post(f"/mediation/{number}/agreement/", AGREEMENT_FORM)
        assert done.status_code == 302
        with time_machine.travel(local(2026, 12, 16, 9), tick=False):
            page = client.get(f"/mediation/{number}/agreement/")
            html = page.content.decode()
            assert 'data-testid="performance-form"' in html and 'data-testid="visit-form"' in html
            assert page.context["missing_performance"] == [1]
            missing_date = client.post(
                f"/mediation/{number}/agreement/performance/",
                {"term": "1", "term1-performance": "performed", "term1-performed_on": ""},
            )
            assert missing_date.status_code == 400
            assert missing_date.context["terms"][0][1].errors["performed_on"]
            performed = client.post(
                f"/mediation/{number}/agreement/performance/",
                {"term": "1", "term1-performance": "performed", "term1-performed_on": "2026-12-15"},
            )
            assert performed.status_code == 302
            unsure = client.post(
                f"/mediation/{number}/agreement/visits/",
                {"visited_on": "2026-12-16", "called": "both", "statement": "满意"},
            )
            assert unsure.status_code == 400
            assert unsure.context["visit_form"].errors["satisfied"]
            visited = client.post(
                f"/mediation/{number}/agreement/visits/",
                {
                    "visited_on": "2026-12-16",
                    "called": "both",
                    "statement": "满意",
                    "satisfied": "yes",
                },
            )
            assert visited.status_code == 302
        case = MediationCase.objects.get(number=number)
        assert case.status == CaseStatus.CLOSED
        closed = client.get(f"/mediation/{number}/agreement/").content.decode()
        assert 'data-testid="closed-note"' in closed
        assert 'data-testid="visit-form"' in closed  # calls can still be recorded
        leader = browser(cast.leader).get(f"/mediation/{number}/agreement/").content.decode()
        assert 'data-testid="performance-form"' not in leader and "136****4321" in leader

    def test_the_print_sheet(self, cast: Cast, mediation: Mediation) -> None:
        number = with_agreement(mediation.yang).number
        sheet = browser(cast.leader).get(f"/mediation/{number}/agreement/print/")
        assert sheet.status_code == 200
        html = sheet.content.decode()
        assert 'data-testid="agreement-sheet"' in html and 'data-testid="seal"' in html
        assert "139****5678" in html and "13912345678" not in html
        assert html.count('class="line"') == 4  # the two parties, the mediator, the date
        assert "赵六支付维修费第 2 期" in html and "2026-12-31" in html
        own = browser(mediation.yang).get(f"/mediation/{number}/agreement/print/").content
        assert "13912345678" in own.decode()
        assert (
            browser(cast.handler_a).get(f"/mediation/{number}/agreement/print/").status_code == 404
        )
        without = succeeded(mediation.li).number
        assert (
            browser(mediation.li).get(f"/mediation/{without}/agreement/print/").status_code == 404
        )

    def test_the_scan_is_uploaded_and_opened(
        self, cast: Cast, mediation: Mediation, settings: Any, tmp_path: Any
    ) -> None:
        settings.MEDIA_ROOT = tmp_path
        number = with_agreement(mediation.yang).number
        client = browser(mediation.yang)
        url = f"/mediation/{number}/agreement/scan/"
        wrong = client.post(url, {"scan": SimpleUploadedFile("协议书.docx", b"PK")})
        assert wrong.status_code == 400
        assert wrong.context["scan_form"].errors["scan"]
        nothing = client.post(url, {})
        assert nothing.status_code == 400
        assert client.get(url).status_code == 404
        done = client.post(url, {"scan": SimpleUploadedFile("协议书.pdf", b"%PDF-1.4 signed")})
        assert done.status_code == 302
        opened = browser(cast.leader).get(url)
        assert opened.status_code == 200 and opened["Content-Type"] == "application/pdf"
        assert b"".join(opened.streaming_content) == b"%PDF-1.4 signed"  # type: ignore[attr-defined]
        assert browser(mediation.village).get(url).status_code == 404

    def test_the_list_flags_the_follow_up(self, mediation: Mediation) -> None:
        number = with_agreement(mediation.yang).number
        seen = {}
        # Logged in at each moment: a session lasts less than the weeks travelled.
        for name, moment in (
            ("running", local(2026, 12, 18, 9)),
            ("due-soon", local(2026, 12, 22, 9)),
            ("overdue", local(2026, 12, 24, 0, 1)),
        ):
            with time_machine.travel(moment, tick=False):
                client = browser(mediation.yang)
                seen[name] = client.get("/mediation/?status=succeeded").content.decode()
                seen[f"{name} page"] = client.get(f"/mediation/{number}/").content.decode()
        for name in ("running", "due-soon", "overdue"):
            assert f'data-testid="follow-up-{name}"' in seen[name], name
            assert f'data-testid="follow-up-{name}"' in seen[f"{name} page"], name
