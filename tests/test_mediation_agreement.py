"""The agreement (调解协议书) of a succeeded case: its terms, their performance (履行), the
follow-up call (回访) due within 15 days, the signed scan, and the case closing when the
performance of every term and the follow-up are recorded."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from jieban.errors import Conflict, Forbidden, InvalidInput, NotFound
from jieban.mediation import actions
from jieban.mediation.actions import AgreementDraft, TermDraft
from jieban.mediation.clocks import sweep_visits_due_soon
from jieban.mediation.models import (
    Agreement,
    AgreementTerm,
    AgreementVisit,
    CaseEvent,
    CaseStatus,
    Clock,
    MediationCase,
    fell_due_by,
    fully_performed,
)
from jieban.notify.models import Notification
from jieban.org.models import User
from jieban.worker.runner import run_sweep
from tests.conftest import ApiClient, Cast, local
from tests.test_mediation import (
    SEES_STUDIO,
    Mediation,
    everyone,
    mediating,
    set_up_mediation,
)

SUCCEEDED_AT = local(2026, 12, 8, 10, 0)
SIGNED = dt.date(2026, 12, 8)


@pytest.fixture
def mediation(cast: Cast) -> Mediation:
    return set_up_mediation()


def succeeded(by: User, **fields: Any) -> MediationCase:
    case = mediating(by, **fields)
    with time_machine.travel(SUCCEEDED_AT, tick=False):
        return actions.succeed_case(case.number, conclusion="赵六赔偿 2000 元", by=by)


def terms(*due: str) -> list[TermDraft]:
    return [
        TermDraft(
            obligor="respondent",
            content=f"赵六支付维修费第 {position} 期",
            method="银行转账",
            due_on=day,
        )
        for position, day in enumerate(due, start=1)
    ]


def agreement_draft(**fields: Any) -> AgreementDraft:
    values: dict[str, Any] = {
        "facts": "赵六家卫生间漏水，致王五家天花板受损。",
        "applicant_responsibility": "王五无责任。",
        "respondent_responsibility": "赵六承担全部维修责任。",
        "signed_on": "2026-12-08",
        "terms": terms("2026-12-15", "2026-12-31"),
    }
    values.update(fields)
    return AgreementDraft(**values)


def with_agreement(by: User, **fields: Any) -> MediationCase:
    case = succeeded(by, **fields)
    with time_machine.travel(SUCCEEDED_AT + dt.timedelta(hours=1), tick=False):
        return actions.record_agreement(case.number, draft=agreement_draft(), by=by)


def perform(
    case: MediationCase, by: User, term: int, status: str = "performed", **kw: Any
) -> MediationCase:
    values: dict[str, Any] = {"performed_on": "2026-12-15", "note": "已转账"}
    values.update(kw)
    with time_machine.travel(local(2026, 12, 16, 9), tick=False):
        return actions.record_performance(
            case.number, term=term, performance=status, by=by, **values
        )


def visit(case: MediationCase, by: User, called: str = "both", **kw: Any) -> MediationCase:
    values: dict[str, Any] = {
        "visited_on": "2026-12-16",
        "statement": "双方表示协议已履行，关系缓和。",
        "satisfied": True,
    }
    values.update(kw)
    with time_machine.travel(local(2026, 12, 16, 9), tick=False):
        return actions.record_visit(case.number, called=called, by=by, **values)


class TestRecordingTheAgreement:
    def test_a_succeeded_case_gets_its_agreement(self, mediation: Mediation) -> None:
        case = with_agreement(mediation.yang)
        agreement = Agreement.objects.get(case=case)
        assert case.status == CaseStatus.SUCCEEDED
        assert agreement.signed_on == SIGNED
        assert agreement.visit_due_on == dt.date(2026, 12, 23)
        assert agreement.last_due_on == dt.date(2026, 12, 31)
        assert [(t.position, t.obligor, t.due_on) for t in agreement.terms.all()] == [
            (1, "respondent", dt.date(2026, 12, 15)),
            (2, "respondent", dt.date(2026, 12, 31)),
        ]
        event = case.events.last()
        assert event is not None and event.kind == "agreement"
        assert event.payload["terms"] == 2

    def test_only_once(self, mediation: Mediation) -> None:
        case = with_agreement(mediation.yang)
        with pytest.raises(Conflict), time_machine.travel(SUCCEEDED_AT, tick=False):
            actions.record_agreement(case.number, draft=agreement_draft(), by=mediation.yang)
        assert Agreement.objects.count() == 1

    def test_not_before_the_case_succeeds(self, mediation: Mediation) -> None:
        case = mediating(mediation.yang)
        with pytest.raises(Conflict):
            actions.record_agreement(case.number, draft=agreement_draft(), by=mediation.yang)

    @pytest.mark.parametrize(
        ("fields", "field"),
        [
            ({"terms": []}, "terms"),
            ({"terms": terms("2026-12-07")}, "terms.1.due_on"),
            ({"terms": terms("2026-12-20", "2026-12-01")}, "terms.2.due_on"),
            ({"terms": [TermDraft("judge", "付款", "现金", "2026-12-20")]}, "terms.1.obligor"),
            ({"terms": [TermDraft("both", "", "现金", "2026-12-20")]}, "terms.1.content"),
            ({"terms": [TermDraft("both", "付款", " ", "2026-12-20")]}, "terms.1.method"),
            ({"terms": [TermDraft("both", "付款", "现金", "20.12.2026")]}, "terms.1.due_on"),
            ({"facts": "  "}, "facts"),
            ({"respondent_responsibility": ""}, "respondent_responsibility"),
            ({"signed_on": "2026-12-09"}, "signed_on"),  # after today
            ({"signed_on": "2026-12-03"}, "signed_on"),  # before the acceptance
        ],
    )
    def test_bad_input_is_refused_and_nothing_written(
        self, mediation: Mediation, fields: dict[str, Any], field: str
    ) -> None:
        case = succeeded(mediation.yang)
        with pytest.raises(InvalidInput) as bad, time_machine.travel(SUCCEEDED_AT, tick=False):
            actions.record_agreement(
                case.number, draft=agreement_draft(**fields), by=mediation.yang
            )
        assert bad.value.field == field
        assert not Agreement.objects.exists() and not AgreementTerm.objects.exists()
        assert MediationCase.objects.get(pk=case.pk).version == case.version
        assert not CaseEvent.objects.filter(kind="agreement").exists()

    def test_only_the_cases_people_record_it(self, cast: Cast, mediation: Mediation) -> None:
        case = succeeded(mediation.yang)
        with pytest.raises(Forbidden):
            actions.record_agreement(case.number, draft=agreement_draft(), by=cast.leader)
        for outsider in (mediation.village, cast.outsider, cast.handler_a):
            with pytest.raises(NotFound):
                actions.record_agreement(case.number, draft=agreement_draft(), by=outsider)
        assert not Agreement.objects.exists()

    def test_a_committees_mediator_records_its_cases(self, mediation: Mediation) -> None:
        case = succeeded(mediation.village, studio="", committee="TJ-V1")
        with time_machine.travel(SUCCEEDED_AT, tick=False):
            actions.record_agreement(case.number, draft=agreement_draft(), by=mediation.village)
        assert Agreement.objects.filter(case=case).exists()


class TestClosing:
    def test_it_cannot_close_until_performance_and_follow_up_are_recorded(
        self, mediation: Mediation
    ) -> None:
        case = with_agreement(mediation.yang)
        assert not actions.may_close(case)
        case = perform(case, mediation.yang, 1)
        assert case.status == CaseStatus.SUCCEEDED
        case = visit(case, mediation.yang)
        assert case.status == CaseStatus.SUCCEEDED  # term 2 has no performance yet
        case = perform(case, mediation.li, 2, "partly", note="只付了一半")
        assert case.status == CaseStatus.CLOSED
        kinds = list(case.events.values_list("kind", flat=True))
        assert kinds[-4:] == ["perform", "visit", "perform", "close"]
        close = case.events.last()
        assert close is not None and close.from_status == "succeeded"
        assert close.to_status == "closed" and close.payload == {"after": "perform"}

    def test_the_follow_up_last_closes_it(self, mediation: Mediation) -> None:
        case = with_agreement(mediation.yang)
        perform(case, mediation.yang, 1)
        perform(case, mediation.yang, 2, "not_performed", note="赵六称资金困难")
        case = visit(case, mediation.yang, called="applicant")
        assert case.status == CaseStatus.SUCCEEDED  # the respondent not called yet
        case = visit(case, mediation.yang, called="respondent", satisfied=False)
        assert case.status == CaseStatus.CLOSED
        assert Agreement.objects.get(case=case).visit_done

    def test_a_succeeded_case_without_an_agreement_never_closes(self, mediation: Mediation) -> None:
        case = succeeded(mediation.yang)
        for record in (
            lambda: actions.record_performance(
                case.number,
                term=1,
                performance="performed",
                performed_on="2026-12-08",
                by=mediation.yang,
            ),
            lambda: actions.record_visit(
                case.number,
                visited_on="2026-12-08",
                called="both",
                statement="好",
                satisfied=True,
                by=mediation.yang,
            ),
        ):
            with pytest.raises(Conflict), time_machine.travel(SUCCEEDED_AT, tick=False):
                record()
        assert MediationCase.objects.get(pk=case.pk).status == CaseStatus.SUCCEEDED

    def test_performance_is_updated_after_closing(self, mediation: Mediation) -> None:
        case = with_agreement(mediation.yang)
        perform(case, mediation.yang, 1)
        perform(case, mediation.yang, 2, "not_performed", note="未付")
        case = visit(case, mediation.yang)
        assert case.status == CaseStatus.CLOSED
        agreement = Agreement.objects.get(case=case)
        assert not agreement.fully_performed
        case = perform(case, mediation.yang, 2, performed_on="2026-12-16")
        agreement.refresh_from_db()
        assert case.status == CaseStatus.CLOSED and agreement.fully_performed
        term = agreement.terms.get(position=2)
        assert (term.performance, term.performed_on) == ("performed", dt.date(2026, 12, 16))
        # Recorded less again: no longer fully performed.
        perform(case, mediation.yang, 1, "partly", note="退回一部分")
        agreement.refresh_from_db()
        assert not agreement.fully_performed

    def test_the_available_actions_follow_the_agreement(self, mediation: Mediation) -> None:
        case = succeeded(mediation.yang)
        people = {mediation.yang.pk, mediation.li.pk}
        assert actions.available_actions(mediation.yang, case, people) == ["agreement"]
        case = with_agreement(mediation.li)
        case = MediationCase.objects.get(pk=case.pk)
        assert actions.available_actions(mediation.yang, case, people) == [
            "scan",
            "perform",
            "visit",
        ]


class TestPerformance:
    @pytest.mark.parametrize(
        ("fields", "field"),
        [
            ({"term": 3}, "term"),
            ({"term": "1"}, "term"),
            ({"performance": "maybe"}, "performance"),
            ({"performed_on": "2026-12-07"}, "performed_on"),  # before the signing
            ({"performed_on": "2026-12-17"}, "performed_on"),  # after today
            ({"performance": "partly", "note": ""}, "note"),
        ],
    )
    def test_bad_input_is_refused(
        self, mediation: Mediation, fields: dict[str, Any], field: str
    ) -> None:
        case = with_agreement(mediation.yang)
        values: dict[str, Any] = {
            "term": 1,
            "performance": "performed",
            "performed_on": "2026-12-15",
            "note": "",
        }
        values.update(fields)
        with (
            pytest.raises(InvalidInput) as bad,
            time_machine.travel(local(2026, 12, 16), tick=False),
        ):
            actions.record_performance(case.number, by=mediation.yang, **values)
        assert bad.value.field == field
        assert not AgreementTerm.objects.exclude(performance="").exists()

    def test_fully_performed_and_fallen_due(self, mediation: Mediation) -> None:
        case = with_agreement(mediation.yang)
        agreements = Agreement.objects.all()
        assert not agreements.filter(fell_due_by(dt.date(2026, 12, 31))).exists()
        assert agreements.filter(fell_due_by(dt.date(2027, 1, 1))).count() == 1
        perform(case, mediation.yang, 1)
        assert not agreements.filter(fully_performed()).exists()
        perform(case, mediation.yang, 2)
        assert agreements.filter(fully_performed()).count() == 1


class TestTheFollowUp:
    def test_its_clock_at_the_15_day_edge(self, mediation: Mediation) -> None:
        case = with_agreement(mediation.yang)
        agreement = Agreement.objects.get(case=case)
        # Signed on 12-08: due by the end of 12-23.
        assert agreement.visit_clock_at(local(2026, 12, 20, 0, 0)) == Clock.RUNNING
        assert agreement.visit_clock_at(local(2026, 12, 21, 0, 0)) == Clock.DUE_SOON
        assert agreement.visit_clock_at(local(2026, 12, 23, 23, 59)) == Clock.DUE_SOON
        assert agreement.visit_clock_at(local(2026, 12, 24, 0, 0)) == Clock.OVERDUE
        with time_machine.travel(local(2026, 12, 23, 23, 59), tick=False):
            actions.record_visit(
                case.number,
                visited_on="2026-12-23",
                called="both",
                statement="满意",
                satisfied=True,
                by=mediation.yang,
            )
        agreement.refresh_from_db()
        assert agreement.visit_clock_at(local(2026, 12, 24, 0, 0)) == Clock.STOPPED
        assert case.events.last().payload["in_time"] is True  # type: ignore[union-attr]

    def test_a_late_visit_is_recorded_late(self, mediation: Mediation) -> None:
        case = with_agreement(mediation.yang)
        with time_machine.travel(local(2026, 12, 24, 0, 0), tick=False):
            actions.record_visit(
                case.number,
                visited_on="2026-12-24",
                called="both",
                statement="满意",
                satisfied=True,
                by=mediation.yang,
            )
        assert case.events.last().payload["in_time"] is False  # type: ignore[union-attr]

    @pytest.mark.parametrize(
        ("fields", "field"),
        [
            ({"called": "neighbour"}, "called"),
            ({"statement": ""}, "statement"),
            ({"visited_on": "2026-12-07"}, "visited_on"),
            ({"visited_on": "2026-12-17"}, "visited_on"),
            ({"satisfied": "yes"}, "satisfied"),
        ],
    )
    def test_bad_input_is_refused(
        self, mediation: Mediation, fields: dict[str, Any], field: str
    ) -> None:
        case = with_agreement(mediation.yang)
        with pytest.raises(InvalidInput) as bad:
            visit(case, mediation.yang, **fields)
        assert bad.value.field == field
        assert not AgreementVisit.objects.exists()

    def test_the_people_are_warned_once_before_it_is_due(self, mediation: Mediation) -> None:
        case = with_agreement(mediation.yang)
        opens = local(2026, 12, 21, 0, 0)  # three days before the end of 12-23
        assert sweep_visits_due_soon(opens - dt.timedelta(minutes=1)) == []
        assert sweep_visits_due_soon(opens) == [case.number]
        assert sweep_visits_due_soon(opens + dt.timedelta(hours=5)) == []
        warned = Notification.objects.filter(kind="mediation_visit_due", gateway="in_app")
        assert sorted(warned.values_list("recipient__username", flat=True)) == ["li", "yang"]

    def test_the_worker_runs_it(self, mediation: Mediation) -> None:
        case = with_agreement(mediation.yang)
        with time_machine.travel(local(2026, 12, 22, 9), tick=False):
            assert run_sweep().mediation_visits_warned == [case.number]
            assert run_sweep().mediation_visits_warned == []

    def test_a_followed_up_agreement_is_not_warned(self, mediation: Mediation) -> None:
        case = with_agreement(mediation.yang)
        visit(case, mediation.yang)
        assert sweep_visits_due_soon(local(2026, 12, 22, 9)) == []


class TestTheScan:
    def test_it_is_attached_and_replaced(
        self,
        mediation: Mediation,
        settings: Any,
        tmp_path: Any,
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        settings.MEDIA_ROOT = tmp_path
        case = with_agreement(mediation.yang)
        upload = SimpleUploadedFile(
            "协议书.pdf", b"%PDF-1.4 signed", content_type="application/pdf"
        )
        actions.attach_scan(case.number, upload=upload, by=mediation.yang)
        agreement = Agreement.objects.get(case=case)
        assert (agreement.scan_name, agreement.scan_type) == ("协议书.pdf", "application/pdf")
        first = agreement.scan.path
        with agreement.scan.open("rb") as stored:
            assert stored.read() == b"%PDF-1.4 signed"
        photo = SimpleUploadedFile("scan.JPG", b"\xff\xd8\xff photo")
        with pytest.raises(NotFound):
            actions.attach_scan(case.number, upload=photo, by=mediation.village)
        with django_capture_on_commit_callbacks(execute=True):
            actions.attach_scan(case.number, upload=photo, by=mediation.yang)
        agreement.refresh_from_db()
        assert agreement.scan_type == "image/jpeg"
        assert not (tmp_path / first).exists()

    @override_settings(JIEBAN_ATTACHMENT_MAX_BYTES=1024)
    @pytest.mark.parametrize(
        "upload",
        [
            SimpleUploadedFile("协议书.exe", b"MZ"),
            SimpleUploadedFile("协议书.docx", b"PK"),
            SimpleUploadedFile("big.pdf", b"%" * 1025),
            SimpleUploadedFile("empty.pdf", b""),
        ],
        ids=["exe", "docx", "too-large", "empty"],
    )
    def test_a_wrong_file_is_refused(
        self, mediation: Mediation, settings: Any, tmp_path: Any, upload: SimpleUploadedFile
    ) -> None:
        settings.MEDIA_ROOT = tmp_path
        case = with_agreement(mediation.yang)
        with pytest.raises(InvalidInput) as bad:
            actions.attach_scan(case.number, upload=upload, by=mediation.yang)
        assert bad.value.field == "scan"
        assert Agreement.objects.get(case=case).scan_name == ""
        assert not list(tmp_path.rglob("*.*"))
        assert not CaseEvent.objects.filter(kind="scan").exists()

    def test_not_before_the_agreement(self, mediation: Mediation) -> None:
        case = succeeded(mediation.yang)
        with pytest.raises(Conflict):
            actions.attach_scan(
                case.number, upload=SimpleUploadedFile("a.pdf", b"%PDF"), by=mediation.yang
            )


AGREEMENT_BODY: dict[str, Any] = {
    "facts": "赵六家卫生间漏水，致王五家天花板受损。",
    "applicant_responsibility": "王五无责任。",
    "respondent_responsibility": "赵六承担全部维修责任。",
    "signed_on": "2026-12-08",
    "terms": [
        {"obligor": "respondent", "content": "支付维修费 2000 元", "method": "银行转账",
         "due_on": "2026-12-15"},
        {"obligor": "both", "content": "共同修复防水层", "method": "请物业施工",
         "due_on": "2026-12-31"},
    ],
}  # fmt: skip


class TestTheApi:
    def test_an_agreement_through_performance_and_follow_up_to_closing(
        self, cast: Cast, mediation: Mediation
    ) -> None:
        number = succeeded(mediation.yang).number
        api = ApiClient(mediation.yang)
        assert api.get(f"/mediation-cases/{number}/agreement").status_code == 404
        with time_machine.travel(SUCCEEDED_AT, tick=False):
            created = api.post(f"/mediation-cases/{number}/agreement", AGREEMENT_BODY)
        assert created.status_code == 201, created.json()
        body = created.json()
        assert body["applicant"] == {"name": "王五", "phone": "13912345678"}
        assert [term["due_on"] for term in body["terms"]] == ["2026-12-15", "2026-12-31"]
        assert body["visit_due_on"] == "2026-12-23" and body["closable"] is False
        assert body["actions"] == ["scan", "perform", "visit"]
        # The leader reads it with the parties' phones masked, and may not act.
        leader = ApiClient(cast.leader)
        read = leader.get(f"/mediation-cases/{number}/agreement").json()
        assert read["respondent"]["phone"] == "136****4321" and read["actions"] == []
        refused = leader.post(
            f"/mediation-cases/{number}/visits",
            {"visited_on": "2026-12-16", "called": "both", "statement": "好", "satisfied": True},
        )
        assert refused.status_code == 403
        with time_machine.travel(local(2026, 12, 21, 9), tick=False):
            case = api.get(f"/mediation-cases/{number}").json()
            assert case["follow_up"] == "due_soon"
            listed = api.get("/mediation-cases", status="succeeded").json()
            assert listed["items"][0]["follow_up"] == "due_soon"
            for term in (1, 2):
                performed = api.post(
                    f"/mediation-cases/{number}/performance",
                    {"term": term, "performance": "performed", "performed_on": "2026-12-20"},
                )
                assert performed.status_code == 200, performed.json()
            assert performed.json()["fully_performed"] is True
            visited = api.post(
                f"/mediation-cases/{number}/visits",
                {
                    "visited_on": "2026-12-21",
                    "called": "both",
                    "statement": "双方满意",
                    "satisfied": True,
                },
            )
        assert visited.status_code == 201
        assert visited.json()["status"] == "closed" and visited.json()["follow_up"] == "stopped"
        visits = api.get(f"/mediation-cases/{number}/visits").json()
        assert [(v["called"], v["satisfied"]) for v in visits] == [("both", True)]
        case = api.get(f"/mediation-cases/{number}").json()
        assert case["status"] == "closed" and case["follow_up"] == "stopped"

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"terms": []}, "terms"),
            (
                {"terms": [{**AGREEMENT_BODY["terms"][0], "due_on": "2026-12-01"}]},
                "terms.1.due_on",
            ),
            ({"signed_on": "8 December"}, "signed_on"),
            ({"facts": ""}, "facts"),
        ],
    )
    def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(
        self, mediation: Mediation, change: dict[str, Any], field: str
    ) -> None:
        number = succeeded(mediation.yang).number
        with time_machine.travel(SUCCEEDED_AT, tick=False):
            response = ApiClient(mediation.yang).post(
                f"/mediation-cases/{number}/agreement", {**AGREEMENT_BODY, **change}
            )
        assert response.status_code == 400
        assert response.json()["field"] == field
        assert not Agreement.objects.exists() and not AgreementTerm.objects.exists()

    def test_a_missing_term_field_is_a_400(self, mediation: Mediation) -> None:
        number = succeeded(mediation.yang).number
        body = {**AGREEMENT_BODY, "terms": [{"obligor": "both", "content": "付款"}]}
        response = ApiClient(mediation.yang).post(f"/mediation-cases/{number}/agreement", body)
        assert response.status_code == 400
        assert not Agreement.objects.exists()

    def test_performance_and_visits_need_the_agreement(self, mediation: Mediation) -> None:
        number = succeeded(mediation.yang).number
        api = ApiClient(mediation.yang)
        body = {"term": 1, "performance": "performed", "performed_on": "2026-12-08"}
        assert api.post(f"/mediation-cases/{number}/performance", body).status_code == 409
        assert api.get(f"/mediation-cases/{number}/visits").status_code == 404
        bad = api.post(f"/mediation-cases/{number}/performance", {**body, "term": "1"})
        assert bad.status_code == 400  # a term is a number, not a string

    def test_the_scan_through_the_api(
        self, mediation: Mediation, settings: Any, tmp_path: Any
    ) -> None:
        settings.MEDIA_ROOT = tmp_path
        settings.JIEBAN_ATTACHMENT_MAX_BYTES = 1024
        number = with_agreement(mediation.yang).number
        api = ApiClient(mediation.yang)
        url = f"/api/v1/mediation-cases/{number}/agreement/scan"

        def upload(name: str, content: bytes) -> Any:
            return api.client.post(url, {"file": SimpleUploadedFile(name, content)}, **api.headers)

        wrong = upload("协议书.exe", b"MZ")
        assert wrong.status_code == 400 and wrong.json()["field"] == "scan"
        large = upload("协议书.pdf", b"%" * 1025)
        assert large.status_code == 400 and large.json()["field"] == "scan"
        assert Agreement.objects.get().scan_name == ""
        done = upload("协议书.pdf", b"%PDF-1.4")
        assert done.status_code == 200
        assert done.json()["scan"] == {
            "name": "协议书.pdf",
            "content_type": "application/pdf",
            "size": 8,
        }

    def test_access_for_every_role(self, cast: Cast, mediation: Mediation) -> None:
        number = with_agreement(mediation.yang).number
        body = {"term": 1, "performance": "performed", "performed_on": "2026-12-08"}
        for name, person in everyone(cast, mediation).items():
            api = ApiClient(person)
            read = api.get(f"/mediation-cases/{number}/agreement").status_code
            with time_machine.travel(local(2026, 12, 10), tick=False):
                wrote = api.post(f"/mediation-cases/{number}/performance", body).status_code
            if name in SEES_STUDIO:
                assert read == 200, name
                # Its mediators act; the centre and the leaders read but are refused.
                assert wrote == (200 if name in ("yang", "li") else 403), name
            else:
                assert (read, wrote) == (404, 404), name
