"""Extensions (延期): the unit asks before its deadline, the command centre approves or rejects,
and only approval moves the deadline, to the Nth working day after the current one."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from jieban.errors import Conflict, Forbidden, InvalidInput, NotFound
from jieban.notify.models import Notification
from jieban.org.models import Unit
from jieban.tickets import transitions
from jieban.tickets.extensions import (
    approve_extension,
    pending_extensions,
    reject_extension,
    request_extension,
)
from jieban.tickets.models import Extension, Ticket, TicketEvent
from jieban.worker.runner import run_sweep
from tests.conftest import Cast, local, new_ticket

SECOND = dt.timedelta(seconds=1)
# Dispatched Monday 2 March with 5 working days: due Monday 9 March, 23:59:59.
DUE = local(2026, 3, 9, 23, 59) + 59 * SECOND


def handled(cast: Cast) -> Ticket:
    with time_machine.travel(local(2026, 3, 2), tick=False):
        ticket = new_ticket(cast.dispatcher)
        transitions.dispatch_ticket(
            ticket.number, unit=Unit.objects.get(code="PS-A"), by=cast.dispatcher
        )
        return transitions.accept_ticket(ticket.number, by=cast.handler_a)


def fresh(ticket: Ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


class TestAsking:
    def test_one_second_before_the_deadline_it_may_ask(self, cast: Cast) -> None:
        ticket = handled(cast)
        assert ticket.due_at == DUE
        with time_machine.travel(DUE - SECOND, tick=False):
            extension = request_extension(
                ticket.number, days=3, reason="需调取监控", by=cast.handler_a
            )
        assert (extension.status, extension.days, extension.due_at_before) == ("pending", 3, DUE)
        # Asking moves nothing.
        assert fresh(ticket).due_at == DUE
        event = TicketEvent.objects.get(ticket=ticket, kind="extension_request")
        assert event.payload["days"] == 3 and event.actor == cast.handler_a
        told = set(
            Notification.objects.filter(kind="extension_request").values_list(
                "recipient__username", flat=True
            )
        )
        assert told == {"admin", "dispatcher", "supervisor"}

    def test_at_the_deadlines_last_second_it_still_may(self, cast: Cast) -> None:
        ticket = handled(cast)
        with time_machine.travel(DUE, tick=False):
            request_extension(ticket.number, days=1, reason="等待鉴定", by=cast.handler_a)

    def test_one_second_after_the_deadline_it_is_refused(self, cast: Cast) -> None:
        ticket = handled(cast)
        with time_machine.travel(DUE + SECOND, tick=False), pytest.raises(Conflict) as refused:
            request_extension(ticket.number, days=3, reason="需调取监控", by=cast.handler_a)
        assert "2026-03-09 23:59" in str(refused.value)
        assert not Extension.objects.exists()

    def test_one_pending_request_per_ticket(self, cast: Cast) -> None:
        ticket = handled(cast)
        with time_machine.travel(local(2026, 3, 5), tick=False):
            request_extension(ticket.number, days=2, reason="第一次", by=cast.handler_a)
            with pytest.raises(Conflict):
                request_extension(ticket.number, days=2, reason="第二次", by=cast.handler_a)
            reject_extension(ticket.number, note="请按期办结", by=cast.dispatcher)
            # Decided: the unit may ask again.
            request_extension(ticket.number, days=1, reason="补充材料", by=cast.handler_a)
        assert Extension.objects.filter(status="pending").count() == 1

    @pytest.mark.parametrize("days", [0, 11, -1, True, "3"])
    def test_days_are_1_to_10(self, cast: Cast, days: Any) -> None:
        ticket = handled(cast)
        with time_machine.travel(local(2026, 3, 5), tick=False), pytest.raises(InvalidInput) as bad:
            request_extension(ticket.number, days=days, reason="x", by=cast.handler_a)
        assert bad.value.field == "days"

    def test_a_reason_is_required(self, cast: Cast) -> None:
        ticket = handled(cast)
        with time_machine.travel(local(2026, 3, 5), tick=False), pytest.raises(InvalidInput) as bad:
            request_extension(ticket.number, days=2, reason="  ", by=cast.handler_a)
        assert bad.value.field == "reason"

    def test_only_the_holding_unit_asks(self, cast: Cast) -> None:
        ticket = handled(cast)
        with time_machine.travel(local(2026, 3, 5), tick=False):
            with pytest.raises(Forbidden):
                request_extension(ticket.number, days=2, reason="x", by=cast.dispatcher)
            with pytest.raises(Forbidden):
                request_extension(ticket.number, days=2, reason="x", by=cast.leader)

    def test_a_ticket_not_being_handled_has_nothing_to_extend(self, cast: Cast) -> None:
        ticket = new_ticket(cast.dispatcher)
        with pytest.raises(NotFound):  # not the unit's: it does not see it
            request_extension(ticket.number, days=2, reason="x", by=cast.handler_a)
        done = handled(cast)
        with time_machine.travel(local(2026, 3, 4), tick=False):
            transitions.resolve_ticket(done.number, result="已处理", by=cast.handler_a)
            with pytest.raises(Conflict):
                request_extension(done.number, days=2, reason="x", by=cast.handler_a)


class TestDeciding:
    def test_approval_moves_the_deadline_n_working_days_past_the_current_one(
        self, cast: Cast
    ) -> None:
        ticket = handled(cast)
        with time_machine.travel(local(2026, 3, 6), tick=False):
            request_extension(ticket.number, days=3, reason="需调取监控", by=cast.handler_a)
            extension = approve_extension(ticket.number, note="同意", by=cast.supervisor)
        # Monday 9 March + 3 working days: Thursday 12 March, 23:59:59.
        new_due = local(2026, 3, 12, 23, 59) + 59 * SECOND
        assert (extension.status, extension.due_at_after) == ("approved", new_due)
        ticket = fresh(ticket)
        assert ticket.due_at == new_due and ticket.watch_at == new_due
        # Not overdue on 10 March any more, and no order when the old deadline passes.
        assert run_at(DUE + SECOND).orders == []
        with time_machine.travel(DUE + SECOND, tick=False):
            assert not fresh(ticket).is_overdue
        event = TicketEvent.objects.get(ticket=ticket, kind="extension_approve")
        assert event.payload["previous_due_at"] == DUE.astimezone(dt.UTC).isoformat()
        told = set(
            Notification.objects.filter(kind="extension_decided").values_list(
                "recipient__username", flat=True
            )
        )
        assert told == {"handler_a", "leader_a"}

    def test_an_extension_across_a_holiday_skips_it(self, cast: Cast) -> None:
        # Dispatched Thursday 24 September (3 days: a consultation): due Wednesday 30.
        with time_machine.travel(local(2026, 9, 24), tick=False):
            ticket = new_ticket(cast.dispatcher, category="consultation")
            transitions.dispatch_ticket(
                ticket.number, unit=Unit.objects.get(code="PS-A"), by=cast.dispatcher
            )
        with time_machine.travel(local(2026, 9, 29), tick=False):
            request_extension(ticket.number, days=2, reason="节后走访", by=cast.handler_a)
            approve_extension(ticket.number, note="", by=cast.dispatcher)
        # 1-7 October are holidays; 8 and 9 October the two working days.
        assert fresh(ticket).due_at == local(2026, 10, 9, 23, 59) + 59 * SECOND

    def test_rejection_leaves_the_deadline_and_needs_a_note(self, cast: Cast) -> None:
        ticket = handled(cast)
        with time_machine.travel(local(2026, 3, 6), tick=False):
            request_extension(ticket.number, days=3, reason="需调取监控", by=cast.handler_a)
            with pytest.raises(InvalidInput) as bad:
                reject_extension(ticket.number, note="", by=cast.dispatcher)
            assert bad.value.field == "note"
            extension = reject_extension(ticket.number, note="案情简单", by=cast.dispatcher)
        assert extension.status == "rejected" and extension.due_at_after is None
        assert fresh(ticket).due_at == DUE
        assert len(run_at(DUE + SECOND).orders) == 1

    def test_approval_after_the_deadline_passed_keeps_the_ticket_late(self, cast: Cast) -> None:
        ticket = handled(cast)
        with time_machine.travel(DUE - SECOND, tick=False):
            request_extension(ticket.number, days=2, reason="等待鉴定", by=cast.handler_a)
        run_at(DUE + SECOND)
        with time_machine.travel(local(2026, 3, 10, 9), tick=False):
            approve_extension(ticket.number, note="同意", by=cast.dispatcher)
            transitions.resolve_ticket(ticket.number, result="已处理", by=cast.handler_a)
        # Resolved before the new deadline, but it was overdue on the way: late.
        assert fresh(ticket).resolved_on_time is False

    def test_only_the_command_centre_decides(self, cast: Cast) -> None:
        ticket = handled(cast)
        with time_machine.travel(local(2026, 3, 6), tick=False):
            request_extension(ticket.number, days=3, reason="x", by=cast.handler_a)
            for person in (cast.handler_a, cast.leader_a, cast.leader):
                with pytest.raises(Forbidden):
                    approve_extension(ticket.number, note="", by=person)
        assert fresh(ticket).due_at == DUE

    def test_nothing_to_decide_is_a_conflict(self, cast: Cast) -> None:
        ticket = handled(cast)
        with pytest.raises(Conflict):
            approve_extension(ticket.number, note="", by=cast.dispatcher)

    def test_resolving_or_reassigning_ends_a_pending_request(self, cast: Cast) -> None:
        with time_machine.travel(local(2026, 3, 2), tick=False):
            reassigned = new_ticket(cast.dispatcher)
            transitions.dispatch_ticket(
                reassigned.number, unit=Unit.objects.get(code="PS-A"), by=cast.dispatcher
            )
        resolved = handled(cast)
        with time_machine.travel(local(2026, 3, 5), tick=False):
            for ticket in (reassigned, resolved):
                request_extension(ticket.number, days=3, reason="x", by=cast.handler_a)
            assert pending_extensions(cast.dispatcher).count() == 2
            transitions.dispatch_ticket(
                reassigned.number, unit=Unit.objects.get(code="PS-B"), by=cast.dispatcher
            )
            transitions.resolve_ticket(resolved.number, result="已处理", by=cast.handler_a)
        assert set(Extension.objects.values_list("status", flat=True)) == {"cancelled"}
        assert not pending_extensions(cast.dispatcher).exists()


def run_at(moment: dt.datetime) -> Any:
    with time_machine.travel(moment, tick=False):
        return run_sweep()


class TestOverHttp:
    def test_ask_approve_and_see_it_on_the_ticket(self, cast: Cast, api_as: Any) -> None:
        ticket = handled(cast)
        path = f"/tickets/{ticket.number}/extension"
        with time_machine.travel(local(2026, 3, 6), tick=False):
            asked = api_as(cast.handler_a).post(path, {"days": 3, "reason": "需调取监控"})
            assert asked.status_code == 201, asked.json()
            assert asked.json()["status"] == "pending"
            shown = api_as(cast.dispatcher).get(f"/tickets/{ticket.number}").json()
            assert shown["extension"]["status"] == "pending"
            assert shown["extension"]["days"] == 3
            approved = api_as(cast.dispatcher).post(f"{path}/approve", {"note": "同意"})
            assert approved.status_code == 200, approved.json()
            assert approved.json()["due_at_after"] == "2026-03-12T23:59:59+08:00"
            shown = api_as(cast.handler_a).get(f"/tickets/{ticket.number}").json()
        assert shown["due_at"] == "2026-03-12T23:59:59+08:00"
        assert shown["extension"]["status"] == "approved"
        assert shown["extension"]["decided_at"] == "2026-03-06T10:00:00+08:00"
        listed = api_as(cast.dispatcher).get("/tickets").json()["items"]
        assert [item["extension"]["status"] for item in listed] == ["approved"]

    def test_errors_say_what_is_wrong(self, cast: Cast, api_as: Any) -> None:
        ticket = handled(cast)
        path = f"/tickets/{ticket.number}/extension"
        with time_machine.travel(local(2026, 3, 6), tick=False):
            bad = api_as(cast.handler_a).post(path, {"days": 30, "reason": "x"})
            assert (bad.status_code, bad.json()["field"]) == (400, "days")
            assert api_as(cast.dispatcher).post(path, {"days": 2, "reason": "x"}).status_code == 403
            assert api_as(cast.handler_b).post(path, {"days": 2, "reason": "x"}).status_code == 404
            assert api_as(cast.dispatcher).post(f"{path}/approve", {}).status_code == 409
            api_as(cast.handler_a).post(path, {"days": 2, "reason": "x"})
            assert api_as(cast.handler_a).post(f"{path}/approve", {}).status_code == 403
            no_note = api_as(cast.dispatcher).post(f"{path}/reject", {"note": ""})
            assert (no_note.status_code, no_note.json()["field"]) == (400, "note")
        with time_machine.travel(DUE + SECOND, tick=False):
            reject = api_as(cast.dispatcher).post(f"{path}/reject", {"note": "不同意"})
            assert reject.status_code == 200
            late = api_as(cast.handler_a).post(path, {"days": 2, "reason": "再申请"})
            assert late.status_code == 409
            assert "2026-03-09 23:59" in late.json()["detail"]
