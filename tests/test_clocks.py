"""Every wait has a clock: dispatch (hours from registration), signing for it (the end of the
working day after dispatch), the follow-up call (2 working days after resolution); a missed
clock is noticed once, with one notice, and shown by the ticket's flags and the filters."""

from __future__ import annotations

import datetime as dt
import importlib
from typing import Any

import time_machine
from django.apps import apps

from jieban.notify.models import Notification
from jieban.org.models import Unit
from jieban.tickets import transitions
from jieban.tickets.models import SupervisionOrder, Ticket, TicketEvent
from jieban.tickets.supervision import supervise_ticket
from jieban.worker.runner import run_sweep
from tests.conftest import Cast, local, new_ticket

SECOND = dt.timedelta(seconds=1)


def sweep_at(moment: dt.datetime) -> Any:
    with time_machine.travel(moment, tick=False):
        return run_sweep()


def fresh(ticket: Ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


def flags_at(ticket: Ticket, moment: dt.datetime) -> tuple[bool, bool, bool]:
    with time_machine.travel(moment, tick=False):
        ticket = fresh(ticket)
        return ticket.is_dispatch_late, ticket.is_accept_late, ticket.is_visit_late


def told(kind: str) -> set[str]:
    return set(Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True))


class TestDispatchClock:
    def test_a_new_ticket_is_late_two_hours_after_registration(
        self, cast: Cast, api_as: Any
    ) -> None:
        registered = local(2026, 3, 7, 2)  # a Saturday, at 2 a.m.: the centre never closes
        with time_machine.travel(registered, tick=False):
            ticket = new_ticket(cast.dispatcher)
        due = registered + dt.timedelta(hours=2)
        assert ticket.dispatch_due_at == due
        assert flags_at(ticket, due) == (False, False, False)
        assert flags_at(ticket, due + SECOND) == (True, False, False)
        assert sweep_at(due).dispatch_late == []
        assert sweep_at(due + SECOND).dispatch_late == [ticket.number]
        assert fresh(ticket).dispatch_late_at == due + SECOND
        assert told("dispatch_late") == {"admin", "dispatcher"}
        # One notice per ticket, however long it waits.
        assert sweep_at(due + dt.timedelta(hours=5)).dispatch_late == []
        assert Notification.objects.filter(kind="dispatch_late").count() == 2
        client = api_as(cast.dispatcher)
        with time_machine.travel(due + SECOND, tick=False):
            shown = client.get(f"/tickets/{ticket.number}").json()
            assert shown["is_dispatch_late"] is True
            listed = client.get("/tickets", dispatch_late="true").json()["items"]
            assert [item["number"] for item in listed] == [ticket.number]
        with time_machine.travel(due, tick=False):
            assert client.get("/tickets", dispatch_late="true").json()["items"] == []

    def test_dispatching_stops_it_and_the_record_stays(self, cast: Cast) -> None:
        registered = local(2026, 3, 2, 9)
        with time_machine.travel(registered, tick=False):
            ticket = new_ticket(cast.dispatcher)
        sweep_at(registered + dt.timedelta(hours=3))
        with time_machine.travel(registered + dt.timedelta(hours=4), tick=False):
            transitions.dispatch_ticket(
                ticket.number, unit=Unit.objects.get(code="PS-A"), by=cast.dispatcher
            )
        assert flags_at(ticket, registered + dt.timedelta(hours=5))[0] is False
        assert fresh(ticket).dispatch_late_at == registered + dt.timedelta(hours=3)

    def test_a_returned_ticket_gets_a_fresh_dispatch_clock(self, cast: Cast) -> None:
        with time_machine.travel(local(2026, 3, 2, 9), tick=False):
            ticket = new_ticket(cast.dispatcher)
            transitions.dispatch_ticket(
                ticket.number, unit=Unit.objects.get(code="PS-A"), by=cast.dispatcher
            )
        with time_machine.travel(local(2026, 3, 3, 9), tick=False):
            transitions.return_ticket(ticket.number, reason="非本辖区", by=cast.handler_a)
        ticket = fresh(ticket)
        assert ticket.dispatch_due_at == local(2026, 3, 3, 11)
        assert ticket.accept_due_at is None and ticket.watch_at is None


class TestSigningClock:
    def test_it_runs_to_the_end_of_the_next_working_day(self, cast: Cast, api_as: Any) -> None:
        # Dispatched Friday 6 March: the next working day is Monday 9 March.
        with time_machine.travel(local(2026, 3, 6, 17), tick=False):
            ticket = new_ticket(cast.dispatcher)
            transitions.dispatch_ticket(
                ticket.number, unit=Unit.objects.get(code="PS-A"), by=cast.dispatcher
            )
        due = local(2026, 3, 9, 23, 59) + 59 * SECOND
        assert fresh(ticket).accept_due_at == due
        assert flags_at(ticket, due) == (False, False, False)
        assert flags_at(ticket, due + SECOND) == (False, True, False)
        assert sweep_at(due).accept_late == []
        assert sweep_at(due + SECOND).accept_late == [ticket.number]
        assert told("accept_late") == {"handler_a", "leader_a"}
        assert sweep_at(due + dt.timedelta(hours=3)).accept_late == []
        client = api_as(cast.handler_a)
        with time_machine.travel(due + SECOND, tick=False):
            listed = client.get("/tickets", accept_late="true").json()["items"]
            assert [item["number"] for item in listed] == [ticket.number]
            assert client.get(f"/tickets/{ticket.number}").json()["is_accept_late"] is True
        # Signed for late: no longer flagged, still recorded.
        with time_machine.travel(due + dt.timedelta(hours=4), tick=False):
            transitions.accept_ticket(ticket.number, by=cast.handler_a)
        assert flags_at(ticket, due + dt.timedelta(hours=5))[1] is False
        assert fresh(ticket).accept_late_at == due + SECOND

    def test_a_reassignment_starts_it_again_for_the_new_unit(self, cast: Cast) -> None:
        with time_machine.travel(local(2026, 3, 2, 9), tick=False):
            ticket = new_ticket(cast.dispatcher)
            transitions.dispatch_ticket(
                ticket.number, unit=Unit.objects.get(code="PS-A"), by=cast.dispatcher
            )
        sweep_at(local(2026, 3, 4, 9))
        assert fresh(ticket).accept_late_at is not None
        with time_machine.travel(local(2026, 3, 4, 10), tick=False):
            transitions.dispatch_ticket(
                ticket.number, unit=Unit.objects.get(code="PS-B"), by=cast.dispatcher
            )
        ticket = fresh(ticket)
        assert ticket.accept_late_at is None
        assert ticket.accept_due_at == local(2026, 3, 5, 23, 59) + 59 * SECOND


class TestFollowUpClock:
    def test_a_resolved_ticket_should_be_called_within_two_working_days(self, cast: Cast) -> None:
        with time_machine.travel(local(2026, 3, 5, 9), tick=False):
            ticket = new_ticket(cast.dispatcher)
            transitions.dispatch_ticket(
                ticket.number, unit=Unit.objects.get(code="PS-A"), by=cast.dispatcher
            )
            transitions.accept_ticket(ticket.number, by=cast.handler_a)
        # Resolved Friday 6 March: called back by Tuesday 10 March.
        with time_machine.travel(local(2026, 3, 6, 16), tick=False):
            transitions.resolve_ticket(ticket.number, result="已处理", by=cast.handler_a)
        due = local(2026, 3, 10, 23, 59) + 59 * SECOND
        assert fresh(ticket).visit_due_at == due
        assert flags_at(ticket, due) == (False, False, False)
        assert flags_at(ticket, due + SECOND) == (False, False, True)


class TestExistingDatabases:
    """The data migration puts old tickets right: a deadline moved by orders goes back."""

    def test_a_deadline_moved_by_orders_goes_back_to_the_dispatchs(self, cast: Cast) -> None:
        with time_machine.travel(local(2026, 3, 2), tick=False):
            ticket = new_ticket(cast.dispatcher)
            transitions.dispatch_ticket(
                ticket.number, unit=Unit.objects.get(code="PS-A"), by=cast.dispatcher
            )
        with time_machine.travel(local(2026, 3, 3), tick=False):
            order = supervise_ticket(ticket.number, note="抓紧", by=cast.supervisor)
        dispatched = TicketEvent.objects.get(ticket=ticket, kind="dispatch")
        # As the old rule left it: the order's deadline on the ticket, and no new clocks.
        Ticket.objects.filter(pk=ticket.pk).update(
            due_at=order.due_at, watch_at=None, accept_due_at=None, dispatch_due_at=None
        )
        migration = importlib.import_module(
            "jieban.tickets.migrations.0015_correct_deadlines_and_clocks"
        )
        migration.correct_deadlines(apps, None)
        migration.fill_clocks(apps, None)
        migration.fill_watch(apps, None)
        ticket = fresh(ticket)
        assert ticket.due_at == dt.datetime.fromisoformat(dispatched.payload["due_at"])
        assert ticket.due_at == local(2026, 3, 9, 23, 59) + 59 * SECOND
        assert ticket.accept_due_at == local(2026, 3, 3, 23, 59) + 59 * SECOND
        # The open manual order is due first: the sweep watches it.
        assert ticket.watch_at == order.due_at
        assert SupervisionOrder.objects.get().due_at == order.due_at
