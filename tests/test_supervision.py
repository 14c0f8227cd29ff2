"""Supervision orders: issued by the sweep when the deadline passes and when an order runs out,
by a dissatisfied call and by hand; levels 1-3 and then the leaders; each order's own
deadline, the ticket's never moved; fulfilment; who is told."""

from __future__ import annotations

import datetime as dt
from typing import Any

import time_machine

from jieban.notify.models import Notification
from jieban.org.models import Unit
from jieban.stats.dashboards import centre_counts, open_orders_by_unit_and_level
from jieban.tickets import transitions
from jieban.tickets.extensions import approve_extension, request_extension
from jieban.tickets.models import ORDER_OPEN, SupervisionOrder, Ticket, TicketEvent
from jieban.tickets.supervision import supervise_ticket, supervision_order_page
from jieban.tickets.visits import record_visit
from jieban.worker.runner import run_sweep
from tests.conftest import Cast, local, new_ticket

SECOND = dt.timedelta(seconds=1)


def dispatched_at(cast: Cast, moment: dt.datetime, **fields: Any) -> Ticket:
    with time_machine.travel(moment, tick=False):
        ticket = new_ticket(cast.dispatcher, **fields)
        return transitions.dispatch_ticket(
            ticket.number, unit=Unit.objects.get(code="PS-A"), by=cast.dispatcher
        )


def sweep_at(moment: dt.datetime) -> Any:
    with time_machine.travel(moment, tick=False):
        return run_sweep()


def fresh(ticket: Ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


def overdue_at(ticket: Ticket, moment: dt.datetime) -> bool:
    with time_machine.travel(moment, tick=False):
        return fresh(ticket).is_overdue


def next_step(ticket: Ticket) -> Any:
    """The sweep the second after the ticket's next clock (its deadline, or its open order's)."""
    watch = fresh(ticket).watch_at
    assert watch is not None, "nothing more is due on this ticket"
    return sweep_at(watch + SECOND)


class TestOverdueOrders:
    def test_nothing_happens_at_the_last_second_of_the_deadline(self, cast: Cast) -> None:
        ticket = dispatched_at(cast, local(2026, 3, 2))
        assert ticket.due_at == local(2026, 3, 9, 23, 59) + 59 * SECOND
        report = sweep_at(ticket.due_at)
        assert report.orders == []
        assert not SupervisionOrder.objects.exists()

    def test_a_level_1_order_comes_the_second_after(self, cast: Cast) -> None:
        ticket = dispatched_at(cast, local(2026, 3, 2))
        breached = ticket.due_at
        report = sweep_at(breached + SECOND)
        order = SupervisionOrder.objects.get()
        assert report.orders == [order.number]
        assert order.number == "DB20260310-0001"
        assert (order.reason, order.level, order.unit.code) == ("overdue", 1, "PS-A")
        assert order.breached_due_at == breached
        # Two working days from Tuesday 10 March: Thursday 12 March.
        assert order.due_at == local(2026, 3, 12, 23, 59) + 59 * SECOND
        ticket = fresh(ticket)
        # The order never moves the ticket's deadline: the ticket stays overdue.
        assert ticket.due_at == breached
        assert ticket.is_overdue
        assert ticket.watch_at == order.due_at
        assert ticket.supervision_level == 1
        assert ticket.breached_at == breached + SECOND
        assert TicketEvent.objects.filter(ticket=ticket, kind="supervise").count() == 1

    def test_a_second_sweep_does_nothing_more(self, cast: Cast) -> None:
        ticket = dispatched_at(cast, local(2026, 3, 2))
        moment = ticket.due_at + dt.timedelta(minutes=5)
        sweep_at(moment)
        notifications = Notification.objects.count()
        report = sweep_at(moment + dt.timedelta(minutes=1))
        assert report.orders == [] and report.warned == []
        assert SupervisionOrder.objects.count() == 1
        assert Notification.objects.count() == notifications

    def test_a_breach_across_national_day_gets_a_deadline_after_the_holiday(
        self, cast: Cast
    ) -> None:
        # Dispatched Thursday 24 September with 3 working days (a consultation); Friday 25 is
        # the Mid-Autumn Festival, so it is due Wednesday 30 September.
        ticket = dispatched_at(cast, local(2026, 9, 24), category="consultation")
        assert ticket.due_at == local(2026, 9, 30, 23, 59) + 59 * SECOND
        sweep_at(local(2026, 10, 1, 9))
        # 1-7 October are holidays: Thursday 8 and Friday 9 October are the two working days.
        order = SupervisionOrder.objects.get()
        assert order.due_at == local(2026, 10, 9, 23, 59) + 59 * SECOND
        assert fresh(ticket).due_at == local(2026, 9, 30, 23, 59) + 59 * SECOND
        # Nothing more during the holiday, the next level the second after the order's end.
        assert sweep_at(order.due_at).orders == []
        assert len(sweep_at(order.due_at + SECOND).orders) == 1
        assert fresh(ticket).supervision_level == 2

    def test_each_order_running_out_raises_the_level_up_to_3(self, cast: Cast) -> None:
        ticket = dispatched_at(cast, local(2026, 3, 2))
        due = ticket.due_at
        levels = []
        for _step in range(3):
            next_step(ticket)
            levels.append(fresh(ticket).supervision_level)
        assert levels == [1, 2, 3]
        first, second, third = SupervisionOrder.objects.order_by("issued_at")
        # Each next level comes the second after the previous order's own deadline.
        assert second.issued_at == first.due_at + SECOND
        assert third.issued_at == second.due_at + SECOND
        assert (second.breached_due_at, third.breached_due_at) == (first.due_at, second.due_at)
        # Through it all the ticket's deadline stayed, and it stayed overdue.
        with time_machine.travel(third.issued_at, tick=False):
            ticket = fresh(ticket)
            assert ticket.due_at == due and ticket.is_overdue

    def test_after_level_3_the_leaders_are_told_once_and_no_fourth_order_comes(
        self, cast: Cast
    ) -> None:
        ticket = dispatched_at(cast, local(2026, 3, 2))
        for _step in range(3):
            next_step(ticket)
        third = SupervisionOrder.objects.get(level=3)
        Notification.objects.all().delete()
        # The level-3 order's last second: nothing yet.
        report = sweep_at(third.due_at)
        assert (report.orders, report.escalated) == ([], [])
        assert fresh(ticket).escalated_at is None
        report = sweep_at(third.due_at + SECOND)
        assert (report.orders, report.escalated) == ([], [ticket.number])
        ticket = fresh(ticket)
        assert ticket.escalated_at == third.due_at + SECOND
        assert ticket.watch_at is None and ticket.supervision_level == 3
        told = set(
            Notification.objects.filter(kind="escalated").values_list(
                "recipient__username", flat=True
            )
        )
        assert told == {"leader", "supervisor"}
        assert TicketEvent.objects.filter(ticket=ticket, kind="escalate").count() == 1
        # Weeks later: still overdue, still escalated, no fourth order, no second notice.
        report = sweep_at(third.due_at + dt.timedelta(days=30))
        assert (report.orders, report.escalated) == ([], [])
        assert SupervisionOrder.objects.count() == 3
        assert Notification.objects.filter(kind="escalated").count() == 2
        with time_machine.travel(third.due_at + dt.timedelta(days=30), tick=False):
            assert fresh(ticket).is_overdue

    def test_level_1_tells_the_unit_and_level_2_the_bureau_too(self, cast: Cast) -> None:
        ticket = dispatched_at(cast, local(2026, 3, 2))
        next_step(ticket)
        told = set(
            Notification.objects.filter(kind="supervision_order").values_list(
                "recipient__username", flat=True
            )
        )
        assert told == {"handler_a", "leader_a"}
        Notification.objects.all().delete()
        next_step(ticket)
        told = set(
            Notification.objects.filter(kind="supervision_order").values_list(
                "recipient__username", flat=True
            )
        )
        assert told == {"handler_a", "leader_a", "leader", "supervisor"}

    def test_resolving_fulfils_the_open_orders_and_counts_as_late(self, cast: Cast) -> None:
        ticket = dispatched_at(cast, local(2026, 3, 2))
        sweep_at(fresh(ticket).due_at + SECOND)
        with time_machine.travel(local(2026, 3, 11), tick=False):
            transitions.accept_ticket(ticket.number, by=cast.handler_a)
            resolved = transitions.resolve_ticket(ticket.number, result="已处理", by=cast.handler_a)
        order = SupervisionOrder.objects.get()
        assert order.fulfilled_at == local(2026, 3, 11)
        # Resolved before the order's deadline, but the ticket had missed its own: late.
        assert resolved.resolved_on_time is False

    def test_finished_tickets_are_never_ordered(self, cast: Cast) -> None:
        ticket = dispatched_at(cast, local(2026, 3, 2))
        with time_machine.travel(local(2026, 3, 3), tick=False):
            transitions.accept_ticket(ticket.number, by=cast.handler_a)
            transitions.resolve_ticket(ticket.number, result="已处理", by=cast.handler_a)
        assert sweep_at(local(2026, 4, 1)).orders == []


class TestSupersededOrders:
    def test_three_breaches_leave_only_the_level_3_order_open(self, cast: Cast) -> None:
        ticket = dispatched_at(cast, local(2026, 3, 2))
        for _step in range(3):
            next_step(ticket)
        first, second, third = SupervisionOrder.objects.order_by("issued_at")
        assert [first.level, second.level, third.level] == [1, 2, 3]
        # Each earlier order was superseded by the next, and none of them was fulfilled.
        assert (first.superseded_by_id, second.superseded_by_id) == (second.pk, third.pk)
        assert third.superseded_by_id is None
        assert [o.fulfilled_at for o in (first, second, third)] == [None, None, None]
        assert [o.is_open for o in (first, second, third)] == [False, False, True]
        assert list(SupervisionOrder.objects.filter(ORDER_OPEN)) == [third]
        # The supervisor's home, the centre's tile and the board count 1 ticket at level 3.
        counts = open_orders_by_unit_and_level(cast.supervisor)
        assert counts.by_level == {1: 0, 2: 0, 3: 1}
        assert [(unit.code, unit.by_level) for unit in counts.units] == [("PS-A", {3: 1})]
        assert centre_counts(cast.supervisor, today=local(2026, 3, 16).date()).open_orders == 1
        orders, _next = supervision_order_page(cast.supervisor, open_only=True)
        assert orders == [third]

    def test_resolving_fulfils_only_the_open_order(self, cast: Cast) -> None:
        ticket = dispatched_at(cast, local(2026, 3, 2))
        for _step in range(3):
            next_step(ticket)
        with time_machine.travel(local(2026, 3, 17), tick=False):
            transitions.accept_ticket(ticket.number, by=cast.handler_a)
            transitions.resolve_ticket(ticket.number, result="已处理", by=cast.handler_a)
        first, second, third = SupervisionOrder.objects.order_by("issued_at")
        assert (first.fulfilled_at, second.fulfilled_at) == (None, None)
        assert (first.superseded_by_id, second.superseded_by_id) == (second.pk, third.pk)
        assert (third.fulfilled_at, third.superseded_by_id) == (local(2026, 3, 17), None)
        resolve = TicketEvent.objects.get(ticket=ticket, kind="resolve")
        assert resolve.payload["fulfilled_orders"] == [third.number]
        assert not SupervisionOrder.objects.filter(ORDER_OPEN).exists()

    def test_a_manual_order_supersedes_the_open_overdue_order(
        self, cast: Cast, api_as: Any
    ) -> None:
        ticket = dispatched_at(cast, local(2026, 3, 2))
        sweep_at(fresh(ticket).due_at + SECOND)
        overdue = SupervisionOrder.objects.get()
        with time_machine.travel(local(2026, 3, 11, 10), tick=False):
            manual = supervise_ticket(ticket.number, note="抓紧办理", by=cast.supervisor)
        overdue.refresh_from_db()
        assert (manual.level, manual.superseded_by_id) == (2, None)
        assert overdue.superseded_by_id == manual.pk and overdue.fulfilled_at is None
        # The API names the order that took the place, null for the open one.
        items = api_as(cast.supervisor).get("/supervision-orders").json()["items"]
        assert [(item["number"], item["superseded_by"]) for item in items] == [
            (manual.number, None),
            (overdue.number, manual.number),
        ]

    def test_fulfilled_orders_are_not_superseded_later(self, cast: Cast) -> None:
        ticket = dispatched_at(cast, local(2026, 3, 2))
        sweep_at(fresh(ticket).due_at + SECOND)
        with time_machine.travel(local(2026, 3, 11), tick=False):
            transitions.accept_ticket(ticket.number, by=cast.handler_a)
            transitions.resolve_ticket(ticket.number, result="已处理", by=cast.handler_a)
        with time_machine.travel(local(2026, 3, 12), tick=False):
            record_visit(ticket.number, outcome="dissatisfied", note="没修好", by=cast.dispatcher)
        fulfilled, reopened = SupervisionOrder.objects.order_by("issued_at")
        assert (fulfilled.fulfilled_at, fulfilled.superseded_by_id) == (local(2026, 3, 11), None)
        assert reopened.is_open and reopened.reason == "dissatisfied"

    def test_one_sweep_supersedes_each_tickets_orders_with_its_own(self, cast: Cast) -> None:
        tickets = [dispatched_at(cast, local(2026, 3, 2)) for _index in range(3)]
        sweep_at(local(2026, 3, 10, 9))
        sweep_at(local(2026, 3, 13, 9))
        for ticket in tickets:
            earlier, latest = ticket.orders.order_by("issued_at")
            assert earlier.superseded_by_id == latest.pk, ticket.number
            assert latest.is_open, ticket.number
        counts = open_orders_by_unit_and_level(cast.supervisor)
        assert counts.by_level == {1: 0, 2: 3, 3: 0}


class TestDueSoonWarnings:
    def test_it_warns_once_per_ticket_and_deadline(self, cast: Cast) -> None:
        ticket = dispatched_at(cast, local(2026, 3, 2))  # due Monday 9 March
        assert sweep_at(local(2026, 3, 5, 9)).warned == []  # Thursday: not before Friday's end
        assert sweep_at(local(2026, 3, 6, 9)).warned == [ticket.number]  # Friday: next is Monday
        assert sweep_at(local(2026, 3, 6, 10)).warned == []
        warned = Notification.objects.filter(kind="due_soon")
        assert set(warned.values_list("recipient__username", flat=True)) == {
            "handler_a",
            "leader_a",
        }

    def test_a_new_deadline_brings_a_new_warning(self, cast: Cast) -> None:
        ticket = dispatched_at(cast, local(2026, 3, 2))
        sweep_at(local(2026, 3, 6, 9))
        assert sweep_at(local(2026, 3, 6, 10)).warned == []
        # The unit asks for three more working days and gets them: a new deadline, a new
        # warning the working day before it.
        with time_machine.travel(local(2026, 3, 6, 11), tick=False):
            request_extension(ticket.number, days=3, reason="需要调取监控", by=cast.handler_a)
            approve_extension(ticket.number, note="同意", by=cast.dispatcher)
        assert fresh(ticket).due_at == local(2026, 3, 12, 23, 59) + 59 * SECOND
        assert sweep_at(local(2026, 3, 10, 9)).warned == []
        assert sweep_at(local(2026, 3, 11, 9)).warned == [ticket.number]

    def test_due_soon_appears_in_the_api(self, cast: Cast, api_as: Any) -> None:
        ticket = dispatched_at(cast, local(2026, 3, 2))
        client = api_as(cast.dispatcher)
        with time_machine.travel(local(2026, 3, 5, 9), tick=False):
            assert client.get(f"/tickets/{ticket.number}").json()["is_due_soon"] is False
            assert client.get("/tickets", due_soon="true").json()["items"] == []
        with time_machine.travel(local(2026, 3, 6, 9), tick=False):
            assert client.get(f"/tickets/{ticket.number}").json()["is_due_soon"] is True
            items = client.get("/tickets", due_soon="true").json()["items"]
            assert [item["number"] for item in items] == [ticket.number]


class TestManualOrdersOverHttp:
    def test_a_supervisor_issues_one_with_a_note(self, cast: Cast, api_as: Any) -> None:
        ticket = dispatched_at(cast, local(2026, 3, 2))
        with time_machine.travel(local(2026, 3, 3, 10), tick=False):
            response = api_as(cast.supervisor).post(
                f"/tickets/{ticket.number}/supervise", {"note": "群众多次来电，抓紧办理", "days": 1}
            )
        assert response.status_code == 201
        data = response.json()
        assert set(data) >= {
            "number",
            "ticket",
            "unit",
            "reason",
            "level",
            "issued_at",
            "due_at",
            "fulfilled_at",
            "note",
        }
        assert (data["ticket"], data["unit"], data["reason"], data["level"]) == (
            ticket.number,
            "PS-A",
            "manual",
            1,
        )
        assert data["due_at"] == "2026-03-04T23:59:59+08:00"
        # The order has its own deadline; the ticket keeps its own (Monday 9 March).
        assert fresh(ticket).due_at == local(2026, 3, 9, 23, 59) + 59 * SECOND
        assert fresh(ticket).watch_at == local(2026, 3, 4, 23, 59) + 59 * SECOND

    def test_others_may_not_and_bad_input_is_refused(self, cast: Cast, api_as: Any) -> None:
        ticket = dispatched_at(cast, local(2026, 3, 2))
        path = f"/tickets/{ticket.number}/supervise"
        assert api_as(cast.dispatcher).post(path, {"note": "x"}).status_code == 403
        assert api_as(cast.handler_b).post(path, {"note": "x"}).status_code == 404
        empty = api_as(cast.supervisor).post(path, {"note": " "})
        assert (empty.status_code, empty.json()["field"]) == (400, "note")
        too_long = api_as(cast.supervisor).post(path, {"note": "x", "days": 99})
        assert (too_long.status_code, too_long.json()["field"]) == (400, "days")
        new = new_ticket(cast.dispatcher)
        assert (
            api_as(cast.supervisor)
            .post(f"/tickets/{new.number}/supervise", {"note": "x"})
            .status_code
            == 409
        )
        assert not SupervisionOrder.objects.exists()

    def test_the_list_filters_orders_past_their_own_deadline(self, cast: Cast, api_as: Any) -> None:
        late = dispatched_at(cast, local(2026, 3, 2))
        on_time = dispatched_at(cast, local(2026, 3, 2))
        with time_machine.travel(local(2026, 3, 3, 10), tick=False):
            # Due at the end of Wednesday 4 March, and of Tuesday 10 March.
            late_order = supervise_ticket(late.number, note="尽快", days=1, by=cast.supervisor)
            supervise_ticket(on_time.number, note="尽快", days=5, by=cast.supervisor)
        client = api_as(cast.supervisor)

        def overdue(**params: Any) -> list[str]:
            response = client.get("/supervision-orders", overdue="true", **params)
            assert response.status_code == 200, response.json()
            return [item["number"] for item in response.json()["items"]]

        with time_machine.travel(local(2026, 3, 4, 23, 59), tick=False):
            assert overdue() == []
        with time_machine.travel(local(2026, 3, 5, 0, 0), tick=False):
            assert overdue() == [late_order.number]
            assert overdue(unit="PS-A", level=1) == [late_order.number]
            assert overdue(unit="PS-B") == []
            assert len(client.get("/supervision-orders").json()["items"]) == 2
        with time_machine.travel(local(2026, 3, 5, 9), tick=False):
            transitions.accept_ticket(late.number, by=cast.handler_a)
            transitions.resolve_ticket(late.number, result="ok", by=cast.handler_a)
            # Fulfilled: no longer open, so no longer overdue.
            assert overdue() == []

    def test_the_list_filters_by_unit_level_and_open(self, cast: Cast, api_as: Any) -> None:
        ticket = dispatched_at(cast, local(2026, 3, 2))
        next_step(ticket)
        next_step(ticket)
        client = api_as(cast.supervisor)

        def levels(**params: Any) -> list[int]:
            response = client.get("/supervision-orders", **params)
            assert response.status_code == 200, response.json()
            return [item["level"] for item in response.json()["items"]]

        assert levels() == [2, 1]
        assert levels(level=2) == [2]
        assert levels(unit="PS-B") == []
        # The level-2 order superseded the level-1 one: only the latest is open.
        assert levels(open="true") == [2]
        with time_machine.travel(local(2026, 3, 12), tick=False):
            transitions.accept_ticket(ticket.number, by=cast.handler_a)
            transitions.resolve_ticket(ticket.number, result="ok", by=cast.handler_a)
        assert levels(open="true") == []
        assert client.get("/supervision-orders", level=7).status_code == 400
        assert client.get("/supervision-orders", unit="NOPE").json()["field"] == "unit"
        assert client.get("/supervision-orders", overdue="maybe").status_code == 400
        assert api_as(cast.handler_b).get("/supervision-orders").json()["items"] == []
        assert len(api_as(cast.handler_a).get("/supervision-orders").json()["items"]) == 2


class TestRounds:
    def test_a_manual_order_before_the_deadline_leads_its_own_chain(self, cast: Cast) -> None:
        ticket = dispatched_at(cast, local(2026, 3, 2))  # due Monday 9 March
        with time_machine.travel(local(2026, 3, 3, 10), tick=False):
            manual = supervise_ticket(ticket.number, note="抓紧", by=cast.supervisor, days=1)
        assert manual.level == 1 and fresh(ticket).watch_at == manual.due_at  # Wed 4 March
        # Its deadline passes with the ticket still open: the next level, though the ticket's
        # own deadline has not passed (and it is not overdue).
        report = sweep_at(manual.due_at + SECOND)
        assert len(report.orders) == 1
        assert fresh(ticket).supervision_level == 2
        assert not overdue_at(ticket, manual.due_at + SECOND)
        second = SupervisionOrder.objects.get(level=2)
        assert fresh(ticket).breached_at is None
        # Issued Thursday 5 March, the level-2 order runs to Monday 9 March, as the ticket.
        assert second.due_at == ticket.due_at
        # The ticket's deadline passing brings level 3, for that missed deadline, and makes
        # it late; the level-2 order's deadline (the same second) brings nothing more.
        report = next_step(ticket)
        third = SupervisionOrder.objects.get(level=3)
        assert report.orders == [third.number] and third.breached_due_at == ticket.due_at
        assert fresh(ticket).breached_at == ticket.due_at + SECOND
        report = next_step(ticket)
        assert report.orders == [] and report.escalated == [ticket.number]
        assert SupervisionOrder.objects.count() == 3

    def test_a_dissatisfied_call_starts_a_round_whose_deadline_is_the_orders(
        self, cast: Cast
    ) -> None:
        ticket = dispatched_at(cast, local(2026, 3, 2))
        with time_machine.travel(local(2026, 3, 4), tick=False):
            transitions.accept_ticket(ticket.number, by=cast.handler_a)
            transitions.resolve_ticket(ticket.number, result="已处理", by=cast.handler_a)
        assert fresh(ticket).visit_due_at == local(2026, 3, 6, 23, 59) + 59 * SECOND
        with time_machine.travel(local(2026, 3, 5, 10), tick=False):
            record_visit(ticket.number, outcome="dissatisfied", note="没修好", by=cast.dispatcher)
        order = SupervisionOrder.objects.get()
        ticket = fresh(ticket)
        assert (order.reason, order.level) == ("dissatisfied", 1)
        assert ticket.due_at == order.due_at == local(2026, 3, 9, 23, 59) + 59 * SECOND
        assert ticket.visit_due_at is None and ticket.watch_at == order.due_at
        # The new round's deadline passes: the next level, one order for that missed deadline.
        report = next_step(ticket)
        assert len(report.orders) == 1
        assert fresh(ticket).supervision_level == 2
        assert SupervisionOrder.objects.filter(level=2, breached_due_at=order.due_at).count() == 1

    def test_reassigning_gives_the_new_unit_a_fresh_clock_and_ends_the_old_orders(
        self, cast: Cast
    ) -> None:
        ticket = dispatched_at(cast, local(2026, 3, 2))
        next_step(ticket)
        overdue = SupervisionOrder.objects.get()
        with time_machine.travel(local(2026, 3, 11, 9), tick=False):
            transitions.dispatch_ticket(
                ticket.number, unit=Unit.objects.get(code="PS-B"), by=cast.dispatcher
            )
        ticket = fresh(ticket)
        assert not overdue_at(ticket, local(2026, 3, 11, 9))
        overdue.refresh_from_db()
        assert overdue.fulfilled_at == local(2026, 3, 11, 9) and not overdue.is_open
        event = TicketEvent.objects.filter(ticket=ticket, kind="dispatch").last()
        assert event is not None and event.payload["ended_orders"] == [overdue.number]
        # Nothing is due until the new unit's deadline (Wednesday 18 March) passes.
        assert ticket.watch_at == ticket.due_at == local(2026, 3, 18, 23, 59) + 59 * SECOND
        assert sweep_at(overdue.due_at + SECOND).orders == []
        # A late ticket stays late in the record: it missed a deadline before.
        assert ticket.breached_at is not None
