"""Mediation: studios, committees, and cases through their stages, the 30-day clock with its
one extension, the due-soon warning, access for every role, and the API.

The cast is the shared one (its `outsider` is a mediator of community COM-A1, in no studio),
plus a studio hosted by station A with two mediators and a village committee with one.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jieban.errors import Conflict, Forbidden, InvalidInput, NotFound
from jieban.mediation import actions
from jieban.mediation.access import access_case, visible_cases
from jieban.mediation.actions import CaseDraft, add_studio_mediator, create_studio, open_case
from jieban.mediation.clocks import sweep_due_soon
from jieban.mediation.models import CaseEvent, CaseStatus, Clock, MediationCase, Studio
from jieban.mediation.selectors import CaseFilters, filter_cases
from jieban.notify.models import Notification
from jieban.org.actions import create_person, create_unit
from jieban.org.actors import SYSTEM
from jieban.org.models import Unit, User
from jieban.worker.runner import run_sweep
from tests.conftest import PASSWORD, ApiClient, Cast, local, new_ticket
from tests.test_permissions import CAST

ACCEPTED_AT = local(2026, 12, 4, 9, 30)


@dataclass
class Mediation:
    studio: Studio
    committee: Unit
    yang: User  # the studio's mediators
    li: User
    village: User  # the committee's mediator


@pytest.fixture
def mediation(cast: Cast) -> Mediation:
    return set_up_mediation()


def set_up_mediation() -> Mediation:
    """A studio hosted by station A with two mediators, a village committee with one."""
    committee = create_unit(
        code="TJ-V1", kind="committee", name="甲一村调委会", parent="PS-A", level="village"
    )
    studio = create_studio(
        code="YANG",
        name="老杨调解工作室",
        host_unit="PS-A",
        address="甲镇人民路 8 号",
        phone="0571-8888 1234",
        opened_on=dt.date(2024, 5, 1),
    )

    def mediator(name: str, unit: str) -> User:
        return create_person(username=name, role="mediator", unit=unit, password=PASSWORD)

    yang, li = mediator("yang", "COM-A1"), mediator("li", "COM-A1")
    add_studio_mediator(studio, username="yang", kind="police")
    add_studio_mediator(studio, username="li", kind="lawyer")
    return Mediation(studio, committee, yang, li, mediator("village", "TJ-V1"))


def draft(**fields: Any) -> CaseDraft:
    values: dict[str, Any] = {
        "source": "application",
        "applicant_name": "王五",
        "applicant_phone": "13912345678",
        "respondent_name": "赵六",
        "respondent_phone": "13687654321",
        "dispute_type": "neighbours",
        "facts": "楼上漏水，双方就维修费用协商不成。",
        "amount": "3500",
        "studio": "YANG",
    }
    values.update(fields)
    return CaseDraft(**values)


def accepted(by: User, **fields: Any) -> MediationCase:
    with time_machine.travel(ACCEPTED_AT, tick=False):
        return open_case(draft(**fields), by=by)


def mediating(by: User, **fields: Any) -> MediationCase:
    case = accepted(by, **fields)
    with time_machine.travel(ACCEPTED_AT + dt.timedelta(days=1), tick=False):
        return actions.log_session(
            case.number, held_on="2026-12-05", attendees="王五、赵六", discussion="各自陈述", by=by
        )


class TestStudiosAndCommittees:
    def test_a_committee_is_a_unit_with_a_level(self, cast: Cast) -> None:
        for level in ("town", "village", "group"):
            unit = create_unit(code=f"C-{level}", kind="committee", name="调委会", level=level)
            assert unit.level == level and not unit.can_handle_tickets
        with pytest.raises(InvalidInput) as missing:
            create_unit(code="C-x", kind="committee", name="调委会")
        assert missing.value.field == "level"
        with pytest.raises(InvalidInput) as stray:
            create_unit(code="S-x", kind="station", name="所", level="town")
        assert stray.value.field == "level"

    def test_the_unit_command_adds_a_committee(self, cast: Cast) -> None:
        args = ["TJ-G1", "--kind", "committee", "--level", "group", "--name", "三组调解小组"]
        call_command("unit", "add", *args, "--parent", "COM-A1", stdout=io.StringIO())
        assert Unit.objects.get(code="TJ-G1").get_level_display() == "村民小组"
        with pytest.raises(CommandError, match="调委会须有层级"):
            call_command("unit", "add", "TJ-G2", "--kind", "committee", "--name", "调委会")

    def test_a_studio_is_hosted_by_a_station_or_a_community(self, cast: Cast) -> None:
        create_studio(code="S1", name="社区工作室", host_unit="COM-A1")
        with pytest.raises(InvalidInput) as centre:
            create_studio(code="S2", name="中心工作室", host_unit="CC")
        assert centre.value.field == "host_unit"
        with pytest.raises(InvalidInput) as phone:
            create_studio(code="S3", name="工作室", host_unit="PS-A", phone="call me")
        assert phone.value.field == "phone"

    def test_only_a_mediator_joins_a_studio(self, cast: Cast, mediation: Mediation) -> None:
        with pytest.raises(InvalidInput) as handler:
            add_studio_mediator(mediation.studio, username="handler_a", kind="police")
        assert handler.value.field == "person"
        with pytest.raises(InvalidInput) as kind:
            add_studio_mediator(mediation.studio, username="outsider", kind="judge")
        assert kind.value.field == "kind"
        membership = add_studio_mediator(mediation.studio, username="outsider", kind="volunteer")
        assert membership.get_kind_display() == "志愿者"


class TestAccepting:
    def test_it_numbers_the_case_and_starts_a_30_day_clock(self, mediation: Mediation) -> None:
        first = accepted(mediation.yang)
        second = accepted(mediation.li, mediators=["yang", "li"])
        assert first.number == "TJ20261204-0001" and second.number == "TJ20261204-0002"
        assert first.due_at == ACCEPTED_AT + dt.timedelta(days=30)
        assert first.status == CaseStatus.ACCEPTED and first.amount == Decimal("3500.00")
        assert [user.username for user in first.mediators.all()] == ["yang"]
        assert {user.username for user in second.mediators.all()} == {"yang", "li"}
        event = CaseEvent.objects.get(case=first)
        assert (event.kind, event.actor, event.to_status) == ("open", mediation.yang, "accepted")
        assert event.payload["studio"] == "YANG"

    def test_the_command_centre_accepts_for_any_studio(
        self, cast: Cast, mediation: Mediation
    ) -> None:
        case = accepted(cast.dispatcher, committee="TJ-V1", studio="", mediators=["village"])
        assert case.committee == mediation.committee and case.created_by == cast.dispatcher

    @pytest.mark.parametrize("member", ["leader", "handler_a", "outsider", "building_head"])
    def test_nobody_else_accepts(self, cast: Cast, mediation: Mediation, member: str) -> None:
        with pytest.raises(Forbidden):
            accepted(getattr(cast, member))
        assert not MediationCase.objects.exists()

    def test_a_mediator_accepts_only_for_their_own_studio(self, mediation: Mediation) -> None:
        with pytest.raises(Forbidden):
            accepted(mediation.village)
        with pytest.raises(Forbidden):
            accepted(mediation.yang, studio="", committee="TJ-V1")

    @pytest.mark.parametrize(
        ("fields", "field"),
        [
            ({"dispute_type": "gossip"}, "dispute_type"),
            ({"source": "rumour"}, "source"),
            ({"applicant_name": "  "}, "applicant_name"),
            ({"respondent_phone": "abc"}, "respondent_phone"),
            ({"facts": ""}, "facts"),
            ({"amount": "-1"}, "amount"),
            ({"amount": "12.345"}, "amount"),
            ({"amount": "lots"}, "amount"),
            ({"amount": "NaN"}, "amount"),
            ({"studio": "", "committee": ""}, "studio"),
            ({"committee": "TJ-V1"}, "studio"),
            ({"studio": "NOPE"}, "studio"),
            ({"studio": "", "committee": "PS-A"}, "committee"),
            ({"source": "ticket"}, "ticket"),
            ({"ticket": "JB20261204-0001"}, "ticket"),
            ({"mediators": ["village"]}, "mediators"),
        ],
    )
    def test_bad_input_names_its_field(
        self, mediation: Mediation, fields: dict[str, Any], field: str
    ) -> None:
        with pytest.raises(InvalidInput) as error:
            accepted(mediation.yang, **fields)
        assert error.value.field == field
        assert not MediationCase.objects.exists()

    def test_a_ticket_handed_over_must_be_one_the_mediator_sees(
        self, cast: Cast, mediation: Mediation
    ) -> None:
        ticket = new_ticket(cast.dispatcher)
        for number in (ticket.number, "JB20261204-9999"):
            with pytest.raises(InvalidInput) as unseen:
                accepted(mediation.yang, source="ticket", ticket=number)
            assert unseen.value.field == "ticket" and number in unseen.value.message
        case = accepted(cast.dispatcher, source="ticket", ticket=ticket.number)
        assert case.ticket == ticket


class TestStages:
    def test_a_case_goes_from_sessions_to_an_agreement(self, mediation: Mediation) -> None:
        case = mediating(mediation.yang)
        assert case.status == CaseStatus.MEDIATING and case.sessions.count() == 1
        with time_machine.travel(ACCEPTED_AT + dt.timedelta(days=3), tick=False):
            actions.log_session(
                case.number,
                held_on="2026-12-07",
                attendees="王五、赵六、物业",
                discussion="物业确认漏水点",
                agreed="赵六承担维修费 2000 元",
                by=mediation.li,
            )
            case = actions.succeed_case(case.number, conclusion="赵六赔偿 2000 元", by=mediation.li)
        assert case.status == CaseStatus.SUCCEEDED and case.clock == Clock.STOPPED
        kinds = list(case.events.values_list("kind", flat=True))
        assert kinds == ["open", "session", "session", "succeed"]
        assert case.events.last().payload == {"in_time": True}  # type: ignore[union-attr]
        with pytest.raises(Conflict):
            actions.log_session(
                case.number,
                held_on="2026-12-07",
                attendees="王五",
                discussion="再谈",
                by=mediation.li,
            )

    def test_it_concludes_only_after_a_session(self, mediation: Mediation) -> None:
        case = accepted(mediation.yang)
        with pytest.raises(Conflict):
            actions.succeed_case(case.number, conclusion="达成", by=mediation.yang)
        with pytest.raises(Conflict):
            actions.fail_case(case.number, route="litigation", conclusion="不成", by=mediation.yang)

    def test_a_failure_records_the_route_advised(self, mediation: Mediation) -> None:
        case = mediating(mediation.yang)
        with pytest.raises(InvalidInput) as bad:
            actions.fail_case(case.number, route="duel", conclusion="分歧大", by=mediation.yang)
        assert bad.value.field == "route"
        case = actions.fail_case(
            case.number, route="litigation", conclusion="分歧大", by=mediation.yang
        )
        assert (case.status, case.failure_route) == (CaseStatus.FAILED, "litigation")

    def test_a_case_may_be_withdrawn_before_any_session(self, mediation: Mediation) -> None:
        case = accepted(mediation.yang)
        with pytest.raises(InvalidInput) as bad:
            actions.withdraw_case(case.number, reason=" ", by=mediation.yang)
        assert bad.value.field == "reason"
        case = actions.withdraw_case(case.number, reason="申请人撤回", by=mediation.yang)
        assert case.status == CaseStatus.WITHDRAWN and case.concluded_at is not None

    def test_a_session_is_dated_between_acceptance_and_today(self, mediation: Mediation) -> None:
        case = accepted(mediation.yang)
        with time_machine.travel(ACCEPTED_AT + dt.timedelta(days=1), tick=False):
            for day in ("2026-12-03", "2026-12-06", "yesterday"):
                with pytest.raises(InvalidInput) as bad:
                    actions.log_session(
                        case.number,
                        held_on=day,
                        attendees="王五",
                        discussion="谈",
                        by=mediation.yang,
                    )
                assert bad.value.field == "held_on"
        assert MediationCase.objects.get(pk=case.pk).status == CaseStatus.ACCEPTED

    def test_a_stale_version_is_a_conflict(self, mediation: Mediation) -> None:
        case = accepted(mediation.yang)
        with pytest.raises(Conflict):
            actions.withdraw_case(
                case.number, reason="撤回", by=mediation.yang, expected_version=case.version + 1
            )

    @pytest.mark.parametrize("member", ["admin", "dispatcher", "leader"])
    def test_who_sees_may_not_act(self, cast: Cast, mediation: Mediation, member: str) -> None:
        case = accepted(mediation.yang)
        with pytest.raises(Forbidden):
            actions.withdraw_case(case.number, reason="撤回", by=getattr(cast, member))

    def test_the_system_may_act(self, mediation: Mediation) -> None:
        case = accepted(mediation.yang)
        actions.withdraw_case(case.number, reason="撤回", by=SYSTEM)
        assert CaseEvent.objects.get(case=case, kind="withdraw").actor is None


class TestTheClock:
    def test_day_30_is_in_time_and_a_minute_later_is_overdue(self, mediation: Mediation) -> None:
        case = accepted(mediation.yang)
        due = ACCEPTED_AT + dt.timedelta(days=30)
        assert case.clock_at(due - dt.timedelta(days=3, minutes=1)) == Clock.RUNNING
        assert case.clock_at(due - dt.timedelta(days=3)) == Clock.DUE_SOON
        assert case.clock_at(due) == Clock.DUE_SOON
        assert case.clock_at(due + dt.timedelta(minutes=1)) == Clock.OVERDUE
        with time_machine.travel(due + dt.timedelta(minutes=1), tick=False):
            assert visible_cases(mediation.yang).filter(due_at__lt=dt.datetime.now(dt.UTC)).count()
            assert [c.number for c in filter_cases(mediation.yang, CaseFilters(overdue=True))] == [
                case.number
            ]

    def test_a_case_concluded_on_day_30_is_in_time(self, mediation: Mediation) -> None:
        case = mediating(mediation.yang)
        with time_machine.travel(case.due_at, tick=False):
            case = actions.succeed_case(case.number, conclusion="达成", by=mediation.yang)
        assert case.events.get(kind="succeed").payload["in_time"] is True

    def test_a_case_concluded_after_day_30_is_late(self, mediation: Mediation) -> None:
        case = mediating(mediation.yang)
        with time_machine.travel(case.due_at + dt.timedelta(seconds=1), tick=False):
            case = actions.fail_case(
                case.number, route="arbitration", conclusion="不成", by=mediation.yang
            )
        assert case.events.get(kind="fail").payload["in_time"] is False

    def test_it_extends_once_on_day_30_with_consent(self, mediation: Mediation) -> None:
        case = accepted(mediation.yang)
        due = case.due_at
        with time_machine.travel(due, tick=False):
            with pytest.raises(InvalidInput) as consent:
                actions.extend_case(case.number, days=15, consent="", by=mediation.yang)
            assert consent.value.field == "consent"
            for days in (0, 31, True):
                with pytest.raises(InvalidInput) as bad:
                    actions.extend_case(
                        case.number, days=days, consent="双方同意", by=mediation.yang
                    )
                assert bad.value.field == "days"
            case = actions.extend_case(
                case.number, days=15, consent="双方 12 月 30 日电话同意", by=mediation.yang
            )
            assert case.due_at == due + dt.timedelta(days=15) and case.was_extended
            assert case.extension_consent == "双方 12 月 30 日电话同意"
            with pytest.raises(Conflict, match="已延期过一次"):
                actions.extend_case(case.number, days=5, consent="再次同意", by=mediation.yang)
        event = case.events.get(kind="extend")
        assert event.payload["previous_due_at"] == due.isoformat()

    def test_it_cannot_be_extended_once_overdue(self, mediation: Mediation) -> None:
        case = accepted(mediation.yang)
        with time_machine.travel(case.due_at + dt.timedelta(minutes=1), tick=False):
            with pytest.raises(Conflict, match="已超过调解期限"):
                actions.extend_case(case.number, days=10, consent="双方同意", by=mediation.yang)
            assert actions.available_actions(mediation.yang, case, {mediation.yang.pk}) == [
                "session",
                "withdraw",
            ]


class TestTheDueSoonWarning:
    def test_the_studio_is_warned_once_per_deadline(self, mediation: Mediation) -> None:
        case = accepted(mediation.yang)
        committee_case = accepted(mediation.village, studio="", committee="TJ-V1")
        horizon_opens = case.due_at - dt.timedelta(days=3)
        assert sweep_due_soon(horizon_opens - dt.timedelta(minutes=1)) == []
        assert sweep_due_soon(horizon_opens) == [case.number, committee_case.number]
        assert sweep_due_soon(horizon_opens + dt.timedelta(hours=1)) == []
        warned = Notification.objects.filter(kind="mediation_due_soon", gateway="in_app")
        assert sorted(warned.values_list("recipient__username", flat=True)) == [
            "li",
            "village",
            "yang",
        ]
        assert warned.filter(recipient=mediation.yang).get().payload["case"] == case.number
        # Extended: warned again before the new deadline.
        with time_machine.travel(horizon_opens, tick=False):
            actions.extend_case(case.number, days=10, consent="双方同意", by=mediation.yang)
        assert sweep_due_soon(horizon_opens + dt.timedelta(days=10)) == [case.number]

    def test_a_concluded_case_is_not_warned(self, mediation: Mediation) -> None:
        case = accepted(mediation.yang)
        actions.withdraw_case(case.number, reason="撤回", by=mediation.yang)
        assert sweep_due_soon(case.due_at - dt.timedelta(days=1)) == []

    def test_the_worker_runs_it(self, mediation: Mediation) -> None:
        case = accepted(mediation.yang)
        with time_machine.travel(case.due_at - dt.timedelta(days=1), tick=False):
            report = run_sweep()
            assert report.mediation_warned == [case.number]
            assert run_sweep().mediation_warned == []


# Who sees which case: the studio's case and the committee's case.
SEES_STUDIO = {"admin", "dispatcher", "supervisor", "leader", "yang", "li"}
SEES_COMMITTEE = {"admin", "dispatcher", "supervisor", "leader", "village"}


def everyone(cast: Cast, mediation: Mediation) -> dict[str, User]:
    people = {member: getattr(cast, member) for member in CAST}
    people.update(yang=mediation.yang, li=mediation.li, village=mediation.village)
    return people


class TestAccess:
    def test_every_role_sees_what_the_rule_says(self, cast: Cast, mediation: Mediation) -> None:
        studio_case = accepted(mediation.yang)
        committee_case = accepted(mediation.village, studio="", committee="TJ-V1")
        for name, person in everyone(cast, mediation).items():
            seen = set(visible_cases(person).values_list("number", flat=True))
            expected = {studio_case.number} if name in SEES_STUDIO else set()
            expected |= {committee_case.number} if name in SEES_COMMITTEE else set()
            assert seen == expected, name
            for case in (studio_case, committee_case):
                if case.number in expected:
                    assert access_case(person, case.number) == case
                else:
                    with pytest.raises(NotFound):
                        access_case(person, case.number)

    def test_an_inactive_mediator_sees_nothing(self, mediation: Mediation) -> None:
        accepted(mediation.yang)
        mediation.yang.is_active = False
        assert not visible_cases(mediation.yang).exists()

    def test_a_nul_in_the_number_is_not_found(self, mediation: Mediation) -> None:
        with pytest.raises(NotFound):
            access_case(mediation.yang, "TJ\x00")


def client(user: User) -> ApiClient:
    return ApiClient(user)


BODY = {
    "source": "application",
    "applicant_name": "王五",
    "applicant_phone": "13912345678",
    "respondent_name": "赵六",
    "respondent_phone": "13687654321",
    "dispute_type": "neighbours",
    "facts": "楼上漏水",
    "amount": 3500.5,
    "studio": "YANG",
}


class TestTheApi:
    def test_studios_list_their_mediators(self, cast: Cast, mediation: Mediation) -> None:
        response = client(cast.leader).get("/studios")
        assert response.status_code == 200
        [studio] = response.json()
        assert studio["name"] == "老杨调解工作室" and studio["host_unit"] == "PS-A"
        assert [m["kind"] for m in studio["mediators"]] == ["police", "lawyer"]
        assert client(cast.handler_a).get("/studios").status_code == 403

    def test_a_case_through_its_stages(self, cast: Cast, mediation: Mediation) -> None:
        api = client(mediation.yang)
        with time_machine.travel(ACCEPTED_AT, tick=False):
            created = api.post("/mediation-cases", BODY)
        assert created.status_code == 201, created.json()
        case = created.json()
        number = case["number"]
        assert number == "TJ20261204-0001" and case["amount"] == "3500.50"
        assert case["applicant_phone"] == "13912345678"
        assert case["actions"] == ["session", "withdraw", "extend"]
        with time_machine.travel(ACCEPTED_AT + dt.timedelta(days=2), tick=False):
            session = api.post(
                f"/mediation-cases/{number}/sessions",
                {"held_on": "2026-12-05", "attendees": "王五、赵六", "discussion": "陈述"},
            )
            assert session.status_code == 201 and session.json()["status"] == "mediating"
            extended = api.post(
                f"/mediation-cases/{number}/extend", {"days": 10, "consent": "双方同意"}
            )
            assert extended.status_code == 200
            assert extended.json()["due_at"].startswith("2027-01-13")
            done = api.post(f"/mediation-cases/{number}/succeed", {"conclusion": "赔偿 2000 元"})
        assert done.status_code == 200 and done.json()["status"] == "succeeded"
        # What is left to do is the agreement (tests/test_mediation_agreement.py).
        assert done.json()["actions"] == ["agreement"] and done.json()["clock"] == "stopped"
        again = api.post(f"/mediation-cases/{number}/withdraw", {"reason": "撤回"})
        assert again.status_code == 409

    def test_bad_input_is_a_400_naming_the_field(self, cast: Cast, mediation: Mediation) -> None:
        api = client(mediation.yang)
        for change, field in (
            ({"dispute_type": "gossip"}, "dispute_type"),
            ({"amount": -5}, "amount"),
            ({"amount": "many"}, "amount"),
            ({"respondent_phone": "x"}, "respondent_phone"),
        ):
            response = api.post("/mediation-cases", {**BODY, **change})
            assert response.status_code == 400, change
            assert response.json()["field"] == field
        missing = api.post("/mediation-cases", {"source": "application"})
        assert missing.status_code == 400
        case = accepted(mediation.yang)
        wrong = api.post(
            f"/mediation-cases/{case.number}/extend", {"days": "10", "consent": "同意"}
        )
        assert wrong.status_code == 400 and wrong.json()["field"] == "days"
        assert not MediationCase.objects.exclude(pk=case.pk).exists()

    def test_filters_and_access(self, cast: Cast, mediation: Mediation) -> None:
        studio_case = accepted(mediation.yang)
        committee_case = accepted(mediation.village, studio="", committee="TJ-V1")
        listed = client(cast.leader).get("/mediation-cases").json()
        assert listed["total"] == 2
        assert {item["applicant_phone"] for item in listed["items"]} == {"139****5678"}
        only = client(cast.leader).get("/mediation-cases", committee="TJ-V1").json()
        assert [item["number"] for item in only["items"]] == [committee_case.number]
        assert client(cast.leader).get("/mediation-cases", status="bogus").status_code == 400
        mine = client(mediation.yang).get("/mediation-cases").json()
        assert [item["number"] for item in mine["items"]] == [studio_case.number]
        with time_machine.travel(studio_case.due_at - dt.timedelta(days=1), tick=False):
            soon = client(mediation.yang).get("/mediation-cases", due_soon="true").json()
        assert soon["total"] == 1 and soon["items"][0]["clock"] == "due_soon"
        for member in ("handler_a", "outsider", "building_head"):
            api = client(getattr(cast, member))
            assert api.get(f"/mediation-cases/{studio_case.number}").status_code == 404
            assert api.get("/mediation-cases").status_code == (200 if member == "outsider" else 403)
            body = {"reason": "撤回"}
            assert (
                api.post(f"/mediation-cases/{studio_case.number}/withdraw", body).status_code == 404
            )
        leader = client(cast.leader)
        assert leader.get(f"/mediation-cases/{studio_case.number}").status_code == 200
        refused = leader.post(f"/mediation-cases/{studio_case.number}/withdraw", {"reason": "撤回"})
        assert refused.status_code == 403
        assert client(cast.leader).post("/mediation-cases", BODY).status_code == 403


def test_the_list_costs_the_same_for_one_case_or_many(
    cast: Cast, mediation: Mediation, django_assert_max_num_queries: Any
) -> None:
    api = client(cast.leader)
    accepted(mediation.yang)
    with CaptureQueriesContext(connection) as one:
        assert api.get("/mediation-cases").json()["total"] == 1
    for _ in range(5):
        accepted(mediation.yang, mediators=["yang", "li"])
    accepted(mediation.village, studio="", committee="TJ-V1")
    with django_assert_max_num_queries(len(one.captured_queries) + 1):
        assert api.get("/mediation-cases").json()["total"] == 7
