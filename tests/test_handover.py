"""The police–mediation hand-over (公调对接): a station hands a dispute ticket to a committee,
which accepts or declines within one working day; the ticket's clock stops, its follow-up call
waits for the case, and the case's end comes back to the ticket (a failure reopens it).

The cast is the shared one, plus committees at the three levels (the village one with a
mediator, `village`) and a mediator of another committee (`elsewhere`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from jieban.errors import Conflict, Forbidden, InvalidInput, NotFound
from jieban.mediation import actions
from jieban.mediation.access import access_case, visible_handovers
from jieban.mediation.handovers import (
    UNKNOWN_PARTY,
    accept_handover,
    available_answers,
    decline_handover,
    flag_overdue_handovers,
    hand_over,
)
from jieban.mediation.models import CaseSource, Handover, HandoverStatus
from jieban.mediation.selectors import handover_counts, handover_list
from jieban.notify.models import Notification
from jieban.org.actions import create_person, create_unit
from jieban.org.models import Unit, User
from jieban.org.permissions import can_answer_handover, can_hand_over
from jieban.stats.dashboards import centre_counts
from jieban.tickets import transitions
from jieban.tickets.handover import HANDOVER_RESULT
from jieban.tickets.models import EventKind, Status, SupervisionOrder, Ticket
from jieban.tickets.visits import record_visit, waiting_for_call
from jieban.workcalendar import workdays
from jieban.worker.runner import run_sweep
from tests.conftest import PASSWORD, ApiClient, Cast, local, new_ticket

# Friday 4 December 2026, 10:00: the committee's working day to answer ends on Monday.
FRIDAY = local(2026, 12, 4, 10)
MONDAY_END = local(2026, 12, 7, 23, 59)


@dataclass
class Committees:
    town: Unit
    village: Unit
    group: Unit
    village_mediator: User
    elsewhere: User  # a mediator of the town committee


@pytest.fixture
def committees(cast: Cast) -> Committees:
    town = create_unit(code="TJ-T", kind="committee", name="甲镇调委会", parent="BUR", level="town")
    village = create_unit(
        code="TJ-V", kind="committee", name="甲一村调委会", parent="PS-A", level="village"
    )
    group = create_unit(
        code="TJ-G", kind="committee", name="甲一村三组调解小组", parent="COM-A1", level="group"
    )

    def mediator(name: str, unit: str) -> User:
        return create_person(username=name, role="mediator", unit=unit, password=PASSWORD)

    return Committees(town, village, group, mediator("village", "TJ-V"), mediator("town", "TJ-T"))


def in_progress(cast: Cast, **fields: Any) -> Ticket:
    """A dispute ticket station A has signed for."""
    ticket = new_ticket(cast.dispatcher, **fields)
    transitions.dispatch_ticket(ticket.number, unit=cast.handler_a.unit, by=cast.dispatcher)
    return transitions.accept_ticket(ticket.number, by=cast.handler_a)


def handed_over(cast: Cast, committee: str = "TJ-V", at: dt.datetime = FRIDAY) -> Handover:
    with time_machine.travel(at, tick=False):
        ticket = in_progress(cast)
        return hand_over(
            ticket.number,
            committee=committee,
            dispute_type="neighbours",
            respondent="李四",
            note="双方同意调解",
            by=cast.handler_a,
        )


def accepted(cast: Cast, committees: Committees, **kwargs: Any) -> Handover:
    handover = handed_over(cast, **kwargs)
    with time_machine.travel(FRIDAY + dt.timedelta(hours=2), tick=False):
        return accept_handover(handover.pk, by=committees.village_mediator)


def mediating(cast: Cast, committees: Committees) -> Handover:
    handover = accepted(cast, committees)
    assert handover.case is not None
    with time_machine.travel(FRIDAY + dt.timedelta(days=1), tick=False):
        actions.log_session(
            handover.case.number,
            held_on="2026-12-05",
            attendees="张三、李四",
            discussion="各自陈述",
            by=committees.village_mediator,
        )
    return handover


def reload(ticket: Ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


def kinds(ticket: Ticket) -> list[str]:
    return list(ticket.events.order_by("at", "pk").values_list("kind", flat=True))


class TestHandingOver:
    def test_it_resolves_the_handling_and_stops_the_clock(
        self, cast: Cast, committees: Committees
    ) -> None:
        handover = handed_over(cast)
        ticket = reload(handover.ticket)
        assert ticket.status == Status.RESOLVED
        assert ticket.result == HANDOVER_RESULT == "委托人民调解"
        assert ticket.resolved_at == FRIDAY and ticket.resolved_on_time
        assert ticket.watch_at is None and not ticket.is_overdue
        assert ticket.visit_on_hold and ticket.visit_due_at is None
        assert handover.status == HandoverStatus.PENDING
        assert handover.station.code == "PS-A" and handover.level == "village"
        event = ticket.events.get(kind=EventKind.HANDOVER)
        assert event.from_status == Status.IN_PROGRESS and event.to_status == Status.RESOLVED
        assert event.payload["committee"] == "TJ-V" and event.payload["handover"] == handover.pk
        # The committee's mediator is told, with the deadline.
        told = Notification.objects.get(recipient=committees.village_mediator)
        assert ticket.number in told.title

    def test_the_follow_up_waits_for_the_case(self, cast: Cast, committees: Committees) -> None:
        handover = handed_over(cast)
        assert not waiting_for_call(cast.dispatcher).filter(pk=handover.ticket_id).exists()
        with pytest.raises(Conflict, match="已委托人民调解"):
            record_visit(handover.ticket.number, outcome="satisfied", note="", by=cast.dispatcher)
        # A ticket resolved the usual way is in the queue: the filter is the hold, not more.
        other = in_progress(cast)
        transitions.resolve_ticket(other.number, result="已调处", by=cast.handler_a)
        assert waiting_for_call(cast.dispatcher).filter(pk=other.pk).exists()
        # The centre's "follow-up calls waiting" counts what the queue lists.
        today = timezone.localdate()
        assert centre_counts(cast.dispatcher, today=today).follow_up.count == 1
        assert waiting_for_call(cast.dispatcher).count() == 1

    def test_the_answer_is_due_within_one_working_day(
        self, cast: Cast, committees: Committees
    ) -> None:
        handover = handed_over(cast)  # a Friday: Saturday and Sunday do not count
        assert timezone.localtime(handover.answer_due_at).date() == dt.date(2026, 12, 7)
        assert not handover.is_overdue_at(MONDAY_END)
        assert handover.is_overdue_at(local(2026, 12, 8, 0, 1))

    def test_a_make_up_working_day_counts(self, cast: Cast, committees: Committees) -> None:
        workdays.set_override(date=dt.date(2026, 12, 5), kind="workday", source="调休通知")
        handover = handed_over(cast)
        assert timezone.localtime(handover.answer_due_at).date() == dt.date(2026, 12, 5)

    def test_a_second_hand_over_is_refused(self, cast: Cast, committees: Committees) -> None:
        handover = handed_over(cast)
        with pytest.raises(Conflict, match="正在办理的纠纷"):
            hand_over(handover.ticket.number, committee="TJ-T", by=cast.handler_a)
        assert Handover.objects.count() == 1

    def test_only_a_ticket_in_progress_is_handed_over(
        self, cast: Cast, committees: Committees
    ) -> None:
        ticket = new_ticket(cast.dispatcher)
        transitions.dispatch_ticket(ticket.number, unit=cast.handler_a.unit, by=cast.dispatcher)
        with pytest.raises(Conflict):
            hand_over(ticket.number, committee="TJ-V", by=cast.handler_a)
        assert not Handover.objects.exists()

    @pytest.mark.parametrize(
        ("committee", "field", "message"),
        [
            ("NOPE", "committee", "没有单位 NOPE"),
            ("PS-B", "committee", "乙派出所 不是人民调解委员会"),
            ("", "committee", "请选择人民调解委员会"),
        ],
    )
    def test_bad_committees_are_refused_on_the_field(
        self, cast: Cast, committees: Committees, committee: str, field: str, message: str
    ) -> None:
        ticket = in_progress(cast)
        with pytest.raises(InvalidInput, match=message) as refused:
            hand_over(ticket.number, committee=committee, by=cast.handler_a)
        assert refused.value.field == field
        assert reload(ticket).status == Status.IN_PROGRESS

    def test_a_bad_dispute_type_is_refused(self, cast: Cast, committees: Committees) -> None:
        ticket = in_progress(cast)
        with pytest.raises(InvalidInput) as refused:
            hand_over(ticket.number, committee="TJ-V", dispute_type="war", by=cast.handler_a)
        assert refused.value.field == "dispute_type"

    def test_who_may_hand_over(self, cast: Cast, committees: Committees) -> None:
        ticket = in_progress(cast)
        # Another station does not see the ticket: 404.
        with pytest.raises(NotFound):
            hand_over(ticket.number, committee="TJ-V", by=cast.handler_b)
        for person in (cast.dispatcher, cast.supervisor, cast.leader, cast.admin):
            with pytest.raises(Forbidden):
                hand_over(ticket.number, committee="TJ-V", by=person)
        assert can_hand_over(cast.leader_a, ticket.unit_id)
        hand_over(ticket.number, committee="TJ-G", by=cast.leader_a)


class TestTheCommitteesAnswer:
    def test_accepting_opens_the_case_at_the_committee(
        self, cast: Cast, committees: Committees
    ) -> None:
        handover = accepted(cast, committees)
        case = handover.case
        assert case is not None and handover.status == HandoverStatus.ACCEPTED
        assert case.source == CaseSource.TICKET and case.ticket_id == handover.ticket_id
        assert case.committee == committees.village and case.studio is None
        assert case.applicant_name == "张三" and case.respondent_name == "李四"
        assert case.dispute_type == "neighbours" and "双方同意调解" in case.facts
        assert list(case.mediators.all()) == [committees.village_mediator]
        ticket = reload(handover.ticket)
        opened = ticket.events.get(kind=EventKind.HANDOVER_ACCEPT)
        assert opened.payload == {"committee": "TJ-V", "case": case.number}
        # Still waiting for its call, and the station sees the case it handed over.
        assert ticket.visit_on_hold
        assert access_case(cast.handler_a, case.number) == case
        with pytest.raises(NotFound):
            access_case(cast.handler_b, case.number)
        # The station's handler who handed it over is told.
        assert Notification.objects.filter(recipient=cast.handler_a, kind="handover_answered")

    def test_a_respondent_not_named_is_unknown(self, cast: Cast, committees: Committees) -> None:
        with time_machine.travel(FRIDAY, tick=False):
            ticket = in_progress(cast)
            handover = hand_over(ticket.number, committee="TJ-V", by=cast.handler_a)
            handover = accept_handover(handover.pk, by=committees.village_mediator)
        assert handover.case is not None
        assert handover.case.respondent_name == UNKNOWN_PARTY
        assert handover.case.dispute_type == "other"

    def test_declining_sends_the_ticket_back_to_the_station(
        self, cast: Cast, committees: Committees
    ) -> None:
        handover = handed_over(cast)
        with pytest.raises(InvalidInput) as no_reason:
            decline_handover(handover.pk, reason=" ", by=committees.village_mediator)
        assert no_reason.value.field == "reason"
        with time_machine.travel(local(2026, 12, 7, 9), tick=False):  # Monday
            handover = decline_handover(
                handover.pk, reason="不属本村辖区", by=committees.village_mediator
            )
        ticket = reload(handover.ticket)
        assert handover.status == HandoverStatus.DECLINED and handover.case is None
        assert ticket.status == Status.IN_PROGRESS and ticket.unit_id == cast.handler_a.unit_id
        assert ticket.resolved_at is None and ticket.result == HANDOVER_RESULT
        assert not ticket.visit_on_hold
        # A new handling round: two working days from the decline (Monday → Wednesday), no
        # supervision order (the station missed nothing), and the sweep watches it again.
        assert ticket.due_at is not None
        assert timezone.localtime(ticket.due_at).date() == dt.date(2026, 12, 9)
        assert ticket.watch_at is not None
        assert not SupervisionOrder.objects.filter(ticket=ticket).exists()
        reopened = ticket.events.get(kind=EventKind.REOPEN)
        assert reopened.payload["reason"] == "不属本村辖区"
        # The station may hand it over again, to another committee.
        again = hand_over(ticket.number, committee="TJ-T", by=cast.handler_a)
        assert again.status == HandoverStatus.PENDING

    def test_an_answer_is_given_once(self, cast: Cast, committees: Committees) -> None:
        handover = accepted(cast, committees)
        with pytest.raises(Conflict):
            accept_handover(handover.pk, by=committees.village_mediator)
        with pytest.raises(Conflict):
            decline_handover(handover.pk, reason="晚了", by=committees.village_mediator)
        assert available_answers(committees.village_mediator, handover) == []

    def test_a_stale_version_is_refused(self, cast: Cast, committees: Committees) -> None:
        handover = handed_over(cast)
        with pytest.raises(Conflict):
            accept_handover(handover.pk, by=committees.village_mediator, expected_version=7)

    def test_who_may_answer(self, cast: Cast, committees: Committees) -> None:
        handover = handed_over(cast)
        # Another committee's mediator, another station, a community's mediator: not theirs.
        for person in (committees.elsewhere, cast.handler_b, cast.outsider, cast.grid_officer):
            with pytest.raises(NotFound):
                accept_handover(handover.pk, by=person)
        # The station that handed it over and the bureau see it, but do not answer for it.
        for person in (cast.handler_a, cast.leader_a, cast.dispatcher, cast.leader):
            with pytest.raises(Forbidden):
                decline_handover(handover.pk, reason="不受理", by=person)
        assert can_answer_handover(committees.village_mediator, committees.village.pk)
        assert available_answers(committees.village_mediator, handover) == ["accept", "decline"]
        assert available_answers(cast.handler_a, handover) == []

    def test_who_sees_the_hand_overs(self, cast: Cast, committees: Committees) -> None:
        handover = handed_over(cast)
        seen = {
            name
            for name in ("dispatcher", "leader", "handler_a", "leader_a", "handler_b", "outsider")
            if visible_handovers(getattr(cast, name)).filter(pk=handover.pk).exists()
        }
        assert seen == {"dispatcher", "leader", "handler_a", "leader_a"}
        assert list(handover_list(committees.village_mediator, pending_only=True)) == [handover]
        assert not handover_list(committees.elsewhere).exists()
        with pytest.raises(Forbidden):
            handover_list(cast.grid_officer)


class TestTheOverdueAnswer:
    def test_the_sweep_flags_it_once_after_the_working_day(
        self, cast: Cast, committees: Committees
    ) -> None:
        handover = handed_over(cast)
        assert flag_overdue_handovers(MONDAY_END) == []
        with time_machine.travel(local(2026, 12, 8, 0, 5), tick=False):
            report = run_sweep()
        assert report.counts["handovers_overdue"] == [handover.pk]
        flagged = Notification.objects.filter(kind="handover_overdue")
        assert {note.recipient for note in flagged} == {
            committees.village_mediator,
            cast.handler_a,
            cast.leader_a,
        }
        assert flag_overdue_handovers(local(2026, 12, 9)) == []
        assert Handover.objects.get(pk=handover.pk).overdue_flagged_at is not None

    def test_an_answered_hand_over_is_not_flagged(self, cast: Cast, committees: Committees) -> None:
        accepted(cast, committees)
        assert flag_overdue_handovers(local(2026, 12, 9)) == []


class TestHowTheMediationEnds:
    def test_success_makes_the_follow_up_due(self, cast: Cast, committees: Committees) -> None:
        handover = mediating(cast, committees)
        assert handover.case is not None
        with time_machine.travel(local(2026, 12, 10, 15), tick=False):  # Thursday
            actions.succeed_case(
                handover.case.number, conclusion="李四赔偿 800 元", by=committees.village_mediator
            )
        ticket = reload(handover.ticket)
        assert ticket.status == Status.RESOLVED and not ticket.visit_on_hold
        assert ticket.visit_due_at is not None
        assert timezone.localtime(ticket.visit_due_at).date() == dt.date(2026, 12, 14)
        assert waiting_for_call(cast.dispatcher).filter(pk=ticket.pk).exists()
        ended = ticket.events.get(kind=EventKind.MEDIATION_END)
        assert ended.payload == {"case": handover.case.number, "mediation": "succeeded"}
        _visit, ticket = record_visit(
            ticket.number, outcome="satisfied", note="", by=cast.dispatcher
        )
        assert ticket.status == Status.CLOSED

    def test_a_withdrawn_case_makes_the_follow_up_due(
        self, cast: Cast, committees: Committees
    ) -> None:
        handover = accepted(cast, committees)
        assert handover.case is not None
        actions.withdraw_case(handover.case.number, reason="已和解", by=committees.village_mediator)
        assert waiting_for_call(cast.dispatcher).filter(pk=handover.ticket_id).exists()

    def test_failure_reopens_the_ticket_for_a_new_round(
        self, cast: Cast, committees: Committees
    ) -> None:
        handover = mediating(cast, committees)
        assert handover.case is not None
        with time_machine.travel(local(2026, 12, 10, 15), tick=False):  # Thursday
            actions.fail_case(
                handover.case.number,
                route="litigation",
                conclusion="双方分歧过大",
                by=committees.village_mediator,
            )
        ticket = reload(handover.ticket)
        assert ticket.status == Status.IN_PROGRESS and ticket.unit_id == cast.handler_a.unit_id
        assert ticket.resolved_at is None and not ticket.visit_on_hold
        # As after a dissatisfied call: an order whose deadline is the new round's.
        order = SupervisionOrder.objects.get(ticket=ticket)
        assert order.reason == "mediation_failed" and order.level == 1
        assert ticket.due_at == order.due_at
        assert timezone.localtime(order.due_at).date() == dt.date(2026, 12, 14)
        assert kinds(ticket)[-4:] == ["handover_accept", "mediation_end", "reopen", "supervise"]
        ended = ticket.events.get(kind=EventKind.MEDIATION_END)
        assert ended.payload["mediation"] == "failed" and ended.payload["route"] == "litigation"
        assert Handover.objects.get(pk=handover.pk).returned_at is not None
        assert not waiting_for_call(cast.dispatcher).filter(pk=ticket.pk).exists()

    def test_a_ticket_closed_meanwhile_is_not_reopened(
        self, cast: Cast, committees: Committees
    ) -> None:
        handover = mediating(cast, committees)
        assert handover.case is not None
        transitions.close_ticket(handover.ticket.number, note="指挥中心归档", by=cast.dispatcher)
        actions.fail_case(
            handover.case.number, route="other", conclusion="不成", by=committees.village_mediator
        )
        assert reload(handover.ticket).status == Status.CLOSED
        assert Handover.objects.get(pk=handover.pk).returned_at is None


class TestTheCountsByLevel:
    def test_each_level_counts_its_hand_overs(self, cast: Cast, committees: Committees) -> None:
        succeeded = mediating(cast, committees)
        failed = mediating(cast, committees)
        assert succeeded.case is not None and failed.case is not None
        actions.succeed_case(
            succeeded.case.number, conclusion="和解", by=committees.village_mediator
        )
        actions.fail_case(
            failed.case.number,
            route="litigation",
            conclusion="不成",
            by=committees.village_mediator,
        )
        declined = handed_over(cast, committee="TJ-T")
        decline_handover(declined.pk, reason="不受理", by=committees.elsewhere)
        handed_over(cast, committee="TJ-G")
        rows = {row.level: row for row in handover_counts(cast.leader)}
        assert list(rows) == ["town", "village", "group"]
        village, town, group = rows["village"], rows["town"], rows["group"]
        assert (village.handed_over, village.accepted, village.declined) == (2, 2, 0)
        assert (village.succeeded, village.failed, village.returned) == (1, 1, 1)
        assert (town.handed_over, town.declined, town.accepted) == (1, 1, 0)
        assert (group.handed_over, group.pending, group.accepted) == (1, 1, 0)
        # A station counts what it handed over; another station nothing.
        assert sum(row.handed_over for row in handover_counts(cast.handler_b)) == 0
        assert sum(row.handed_over for row in handover_counts(cast.handler_a)) == 4
        # A period: handed over before it, counted out.
        later = handover_counts(cast.leader, start=local(2026, 12, 5))
        assert sum(row.handed_over for row in later) == 0


class TestTheApi:
    def test_hand_over_accept_and_decline(self, cast: Cast, committees: Committees) -> None:
        station, committee = ApiClient(cast.handler_a), ApiClient(committees.village_mediator)
        first, second = in_progress(cast), in_progress(cast)
        created = station.post(f"/tickets/{first.number}/handover", {"committee": "TJ-V"})
        assert created.status_code == 201, created.content
        body = created.json()
        assert body["status"] == "pending" and body["committee"] == "TJ-V"
        assert body["level"] == "village" and body["ticket"] == first.number
        again = station.post(f"/tickets/{first.number}/handover", {"committee": "TJ-T"})
        assert again.status_code == 409
        answered = committee.post(f"/handovers/{body['id']}/accept", {})
        assert answered.status_code == 200, answered.content
        assert answered.json()["status"] == "accepted" and answered.json()["case"].startswith("TJ")
        twice = committee.post(f"/handovers/{body['id']}/decline", {"reason": "晚了"})
        assert twice.status_code == 409
        other = station.post(
            f"/tickets/{second.number}/handover", {"committee": "TJ-V", "note": "请调解"}
        ).json()
        declined = committee.post(f"/handovers/{other['id']}/decline", {"reason": "不受理"})
        assert declined.status_code == 200 and declined.json()["status"] == "declined"
        assert reload(second).status == Status.IN_PROGRESS

    def test_it_lists_and_reads_the_hand_overs_each_may_see(
        self, cast: Cast, committees: Committees
    ) -> None:
        answered = accepted(cast, committees)
        waiting = handed_over(cast)
        elsewhere = handed_over(cast, committee="TJ-T")

        def ids(client: ApiClient, query: str = "") -> list[int]:
            response = client.get(f"/handovers{query}")
            assert response.status_code == 200, response.content
            return [row["id"] for row in response.json()["handovers"]]

        # The waiting ones first, by their answer deadline (the same here: then the first
        # handed over); then the answered ones.
        station = ApiClient(cast.handler_a)
        assert ids(station) == [waiting.pk, elsewhere.pk, answered.pk]
        assert ids(station, "?pending=true") == [waiting.pk, elsewhere.pk]
        assert ids(station, "?limit=1") == [waiting.pk]
        village = ApiClient(committees.village_mediator)
        assert ids(village) == [waiting.pk, answered.pk]
        assert ids(ApiClient(cast.handler_b)) == []
        read = village.get(f"/handovers/{answered.pk}").json()
        assert read["status"] == "accepted" and read["case"] == answered.case.number
        assert village.get(f"/handovers/{elsewhere.pk}").status_code == 404
        assert village.get("/handovers?limit=0").status_code == 400
        assert ApiClient(cast.building_head).get("/handovers").status_code == 403

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"committee": "NOPE"}, "committee"),
            ({"committee": "PS-B"}, "committee"),
            ({"committee": "TJ-V", "dispute_type": "war"}, "dispute_type"),
            ({}, "committee"),
        ],
    )
    def test_bad_input_is_a_400_on_its_field(
        self, cast: Cast, committees: Committees, body: dict[str, Any], field: str
    ) -> None:
        ticket = in_progress(cast)
        response = ApiClient(cast.handler_a).post(f"/tickets/{ticket.number}/handover", body)
        assert response.status_code == 400, response.content
        assert field in str(response.json())

    def test_a_decline_without_a_reason_is_a_400(self, cast: Cast, committees: Committees) -> None:
        handover = handed_over(cast)
        response = ApiClient(committees.village_mediator).post(
            f"/handovers/{handover.pk}/decline", {"reason": ""}
        )
        assert response.status_code == 400 and response.json()["field"] == "reason"

    def test_refusals(self, cast: Cast, committees: Committees) -> None:
        ticket = in_progress(cast)
        path = f"/tickets/{ticket.number}/handover"
        assert ApiClient(cast.dispatcher).post(path, {"committee": "TJ-V"}).status_code == 403
        assert ApiClient(cast.handler_b).post(path, {"committee": "TJ-V"}).status_code == 404
        handover = hand_over(ticket.number, committee="TJ-V", by=cast.handler_a)
        accept = f"/handovers/{handover.pk}/accept"
        assert ApiClient(cast.handler_a).post(accept, {}).status_code == 403
        assert ApiClient(committees.elsewhere).post(accept, {}).status_code == 404
        assert (
            ApiClient(committees.village_mediator).post("/handovers/999999/accept", {}).status_code
            == 404
        )


class TestThePages:
    def test_the_station_hands_over_and_the_committee_accepts(
        self, cast: Cast, committees: Committees
    ) -> None:
        ticket = in_progress(cast)
        station = Client()
        station.force_login(cast.handler_a)
        page = station.get(f"/tickets/{ticket.number}/")
        assert b'data-testid="hand-over"' in page.content
        form = station.get(f"/tickets/{ticket.number}/handover/")
        assert form.status_code == 200 and "甲一村调委会".encode() in form.content
        refused = station.post(f"/tickets/{ticket.number}/handover/", {"committee": "PS-B"})
        assert refused.status_code == 400
        assert "不是人民调解委员会".encode() in refused.content
        done = station.post(
            f"/tickets/{ticket.number}/handover/",
            {"committee": "TJ-V", "dispute_type": "neighbours", "respondent": "李四"},
        )
        handover = Handover.objects.get(ticket=ticket)
        assert done.status_code == 302 and done["Location"] == f"/handovers/{handover.pk}/"
        sheet = station.get(f"/handovers/{handover.pk}/print/")
        assert sheet.status_code == 200 and b'data-testid="referral-sheet"' in sheet.content
        assert "甲一村调委会".encode() in sheet.content
        mediator = Client()
        mediator.force_login(committees.village_mediator)
        home = mediator.get("/")
        assert ticket.number.encode() in home.content
        answered = mediator.post(f"/handovers/{handover.pk}/accept/", {"version": "1"})
        assert answered.status_code == 302
        handover.refresh_from_db()
        assert handover.case is not None
        page = station.get(f"/tickets/{ticket.number}/")
        assert handover.case.number.encode() in page.content
        assert b'data-testid="hand-over"' not in page.content

    def test_a_decline_without_a_reason_is_shown_on_the_form(
        self, cast: Cast, committees: Committees
    ) -> None:
        handover = handed_over(cast)
        mediator = Client()
        mediator.force_login(committees.village_mediator)
        response = mediator.post(f"/handovers/{handover.pk}/decline/", {"reason": ""})
        assert response.status_code == 400
        assert b'data-testid="answer-decline"' in response.content

    def test_the_counts_are_for_the_bureau(self, cast: Cast, committees: Committees) -> None:
        handed_over(cast)
        leader, station = Client(), Client()
        leader.force_login(cast.leader)
        station.force_login(cast.handler_a)
        page = leader.get("/handovers/")
        assert b'data-testid="handover-counts"' in page.content
        assert b'data-testid="level-village"' in page.content
        assert b'data-testid="handover-counts"' not in station.get("/handovers/").content
