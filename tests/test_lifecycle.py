"""The lifecycle: every allowed transition, a sample of illegal ones, and what each one writes."""

from __future__ import annotations

import pytest
import time_machine

from jieban.errors import Conflict, Forbidden, InvalidInput, NotFound
from jieban.org.models import Unit
from jieban.tickets import transitions
from jieban.tickets.models import Status, Ticket, TicketEvent, TicketUnit
from tests.conftest import Cast, local, new_ticket


def unit(code: str) -> Unit:
    return Unit.objects.get(code=code)


def events(ticket: Ticket) -> list[tuple[str, str, str]]:
    return [
        (event.kind, event.from_status, event.to_status)
        for event in TicketEvent.objects.filter(ticket=ticket).order_by("at", "pk")
    ]


def dispatched(cast: Cast, code: str = "PS-A") -> Ticket:
    ticket = new_ticket(cast.dispatcher)
    return transitions.dispatch_ticket(ticket.number, unit=unit(code), by=cast.dispatcher)


def in_progress(cast: Cast) -> Ticket:
    ticket = dispatched(cast)
    return transitions.accept_ticket(ticket.number, by=cast.handler_a)


def resolved(cast: Cast) -> Ticket:
    ticket = in_progress(cast)
    return transitions.resolve_ticket(
        ticket.number, result="已上门劝导，施工停止。", by=cast.handler_a
    )


class TestAllowedTransitions:
    def test_it_walks_the_whole_happy_path(self, cast: Cast) -> None:
        ticket = new_ticket(cast.dispatcher)
        assert ticket.status == Status.NEW
        assert ticket.first_handler == cast.dispatcher
        transitions.dispatch_ticket(ticket.number, unit=unit("PS-A"), by=cast.dispatcher)
        transitions.accept_ticket(ticket.number, by=cast.handler_a)
        transitions.resolve_ticket(ticket.number, result="已处理", by=cast.handler_a)
        ticket = transitions.close_ticket(ticket.number, note="回访满意", by=cast.dispatcher)
        assert ticket.status == Status.CLOSED
        assert ticket.closed_at is not None and ticket.resolved_at is not None
        assert events(ticket) == [
            ("intake", "", "new"),
            ("dispatch", "new", "dispatched"),
            ("accept", "dispatched", "in_progress"),
            ("resolve", "in_progress", "resolved"),
            ("close", "resolved", "closed"),
        ]

    def test_each_event_records_the_actor(self, cast: Cast) -> None:
        ticket = in_progress(cast)
        actors = list(
            TicketEvent.objects.filter(ticket=ticket)
            .order_by("pk")
            .values_list("actor__username", flat=True)
        )
        assert actors == ["dispatcher", "dispatcher", "handler_a"]

    def test_it_reassigns_with_a_fresh_deadline(self, cast: Cast) -> None:
        with time_machine.travel(local(2026, 3, 2), tick=False):
            ticket = dispatched(cast)
        with time_machine.travel(local(2026, 3, 4), tick=False):
            ticket = transitions.dispatch_ticket(
                ticket.number, unit=unit("PS-B"), by=cast.dispatcher
            )
        assert ticket.unit.code == "PS-B"
        # Renovation noise: 5 working days from Wednesday 4 March.
        assert ticket.due_at == local(2026, 3, 11, 23, 59).replace(second=59)
        last = TicketEvent.objects.filter(ticket=ticket).last()
        assert last is not None and last.payload["previous_unit"] == "PS-A"

    def test_it_returns_to_the_centre_and_redispatch_sets_a_fresh_deadline(
        self, cast: Cast
    ) -> None:
        with time_machine.travel(local(2026, 3, 2), tick=False):
            ticket = dispatched(cast)
        with time_machine.travel(local(2026, 3, 3), tick=False):
            ticket = transitions.return_ticket(
                ticket.number, reason="不属我所辖区", by=cast.handler_a
            )
        assert ticket.status == Status.NEW
        assert ticket.unit is None and ticket.due_at is None
        with time_machine.travel(local(2026, 3, 5), tick=False):
            ticket = transitions.dispatch_ticket(
                ticket.number, unit=unit("PS-B"), by=cast.dispatcher
            )
        assert ticket.due_at == local(2026, 3, 12, 23, 59).replace(second=59)
        last_return = TicketEvent.objects.get(ticket=ticket, kind="return")
        assert last_return.payload == {"reason": "不属我所辖区", "unit": "PS-A"}

    def test_the_clock_starts_at_dispatch_not_at_acceptance(self, cast: Cast) -> None:
        with time_machine.travel(local(2026, 3, 2), tick=False):
            ticket = dispatched(cast)
        due_at = ticket.due_at
        with time_machine.travel(local(2026, 3, 6), tick=False):
            ticket = transitions.accept_ticket(ticket.number, by=cast.handler_a)
        assert ticket.due_at == due_at

    def test_it_closes_a_new_consultation_with_the_answer(self, cast: Cast) -> None:
        ticket = new_ticket(cast.dispatcher, category="consultation_id_card")
        ticket = transitions.close_ticket(ticket.number, note="已告知办理流程", by=cast.dispatcher)
        assert ticket.status == Status.CLOSED
        assert ticket.result == "已告知办理流程"
        assert ticket.resolved_at == ticket.closed_at

    def test_it_invalidates_a_new_ticket_with_a_reason(self, cast: Cast) -> None:
        ticket = new_ticket(cast.dispatcher)
        ticket = transitions.invalidate_ticket(ticket.number, reason="骚扰电话", by=cast.dispatcher)
        assert ticket.status == Status.INVALID
        assert events(ticket)[-1] == ("invalidate", "new", "invalid")

    def test_it_merges_into_another_ticket_and_both_timelines_show_it(self, cast: Cast) -> None:
        first = new_ticket(cast.dispatcher)
        second = new_ticket(cast.dispatcher)
        merged = transitions.merge_ticket(second.number, into=first.number, by=cast.dispatcher)
        assert merged.status == Status.MERGED
        assert merged.merged_into == first
        assert events(first)[-1] == ("merged_in", "new", "new")

    def test_it_resolves_on_time_until_the_last_second(self, cast: Cast) -> None:
        with time_machine.travel(local(2026, 3, 2), tick=False):
            ticket = in_progress(cast)
        with time_machine.travel(ticket.due_at, tick=False):
            ticket = transitions.resolve_ticket(ticket.number, result="ok", by=cast.handler_a)
        assert ticket.resolved_on_time is True

    def test_it_resolves_late_a_second_after(self, cast: Cast) -> None:
        import datetime as dt

        with time_machine.travel(local(2026, 3, 2), tick=False):
            ticket = in_progress(cast)
        assert ticket.due_at is not None
        with time_machine.travel(ticket.due_at + dt.timedelta(seconds=1), tick=False):
            assert Ticket.objects.get(pk=ticket.pk).is_overdue
            ticket = transitions.resolve_ticket(ticket.number, result="ok", by=cast.handler_a)
        assert ticket.resolved_on_time is False
        assert TicketEvent.objects.get(ticket=ticket, kind="resolve").payload["on_time"] is False


class TestIllegalTransitions:
    @pytest.mark.parametrize(
        "state, action",
        [
            ("new", "accept"),
            ("new", "resolve"),
            ("new", "return"),
            ("dispatched", "resolve"),
            ("dispatched", "close"),
            ("dispatched", "invalidate"),
            ("in_progress", "accept"),
            ("in_progress", "dispatch"),
            ("in_progress", "close"),
            ("resolved", "resolve"),
            ("resolved", "dispatch"),
            ("closed", "close"),
            ("closed", "dispatch"),
        ],
    )
    def test_it_refuses_with_a_conflict(self, cast: Cast, state: str, action: str) -> None:
        ticket = {
            "new": lambda: new_ticket(cast.dispatcher),
            "dispatched": lambda: dispatched(cast),
            "in_progress": lambda: in_progress(cast),
            "resolved": lambda: resolved(cast),
            "closed": lambda: transitions.close_ticket(
                resolved(cast).number, note="", by=cast.dispatcher
            ),
        }[state]()
        actor = cast.handler_a if action in transitions.UNIT_ACTIONS else cast.dispatcher
        before = (ticket.status, ticket.version, TicketEvent.objects.count())
        calls = {
            "accept": lambda: transitions.accept_ticket(ticket.number, by=actor),
            "resolve": lambda: transitions.resolve_ticket(ticket.number, result="x", by=actor),
            "return": lambda: transitions.return_ticket(ticket.number, reason="x", by=actor),
            "close": lambda: transitions.close_ticket(ticket.number, note="x", by=actor),
            "invalidate": lambda: transitions.invalidate_ticket(
                ticket.number, reason="x", by=actor
            ),
            "dispatch": lambda: transitions.dispatch_ticket(
                ticket.number, unit=unit("PS-B"), by=actor
            ),
        }
        if action in transitions.UNIT_ACTIONS and ticket.unit_id is None:
            # No unit has held a new ticket: for the handler it does not exist.
            with pytest.raises(NotFound):
                calls[action]()
        else:
            with pytest.raises(Conflict):
                calls[action]()
        ticket.refresh_from_db()
        assert (ticket.status, ticket.version, TicketEvent.objects.count()) == before

    def test_dispatching_again_to_the_same_unit_is_a_conflict(self, cast: Cast) -> None:
        ticket = dispatched(cast)
        with pytest.raises(Conflict):
            transitions.dispatch_ticket(ticket.number, unit=unit("PS-A"), by=cast.dispatcher)

    def test_a_stale_version_is_a_conflict(self, cast: Cast) -> None:
        ticket = new_ticket(cast.dispatcher)
        stale = ticket.version
        transitions.dispatch_ticket(ticket.number, unit=unit("PS-A"), by=cast.dispatcher)
        with pytest.raises(Conflict, match=ticket.number):
            transitions.dispatch_ticket(
                ticket.number, unit=unit("PS-B"), by=cast.dispatcher, expected_version=stale
            )

    def test_it_cannot_merge_into_itself_or_into_a_merged_ticket(self, cast: Cast) -> None:
        first, second, third = (new_ticket(cast.dispatcher) for _ in range(3))
        with pytest.raises(InvalidInput):
            transitions.merge_ticket(first.number, into=first.number, by=cast.dispatcher)
        transitions.merge_ticket(second.number, into=first.number, by=cast.dispatcher)
        with pytest.raises(Conflict):
            transitions.merge_ticket(third.number, into=second.number, by=cast.dispatcher)
        with pytest.raises(InvalidInput):
            transitions.merge_ticket(third.number, into="JB20000101-0001", by=cast.dispatcher)

    def test_it_cannot_dispatch_to_the_command_centre(self, cast: Cast) -> None:
        ticket = new_ticket(cast.dispatcher)
        with pytest.raises(InvalidInput) as error:
            transitions.dispatch_ticket(ticket.number, unit=unit("CC"), by=cast.dispatcher)
        assert error.value.field == "unit"


class TestRequiredTexts:
    def test_resolve_needs_a_result(self, cast: Cast) -> None:
        ticket = in_progress(cast)
        with pytest.raises(InvalidInput) as error:
            transitions.resolve_ticket(ticket.number, result="  ", by=cast.handler_a)
        assert error.value.field == "result"

    def test_return_and_invalidate_need_a_reason(self, cast: Cast) -> None:
        ticket = dispatched(cast)
        with pytest.raises(InvalidInput):
            transitions.return_ticket(ticket.number, reason="", by=cast.handler_a)
        other = new_ticket(cast.dispatcher)
        with pytest.raises(InvalidInput):
            transitions.invalidate_ticket(other.number, reason="", by=cast.dispatcher)

    def test_closing_a_new_ticket_needs_the_answer(self, cast: Cast) -> None:
        ticket = new_ticket(cast.dispatcher)
        with pytest.raises(InvalidInput) as error:
            transitions.close_ticket(ticket.number, note="", by=cast.dispatcher)
        assert error.value.field == "note"
        ticket.refresh_from_db()
        assert ticket.status == Status.NEW


class TestRoles:
    def test_a_handler_cannot_dispatch(self, cast: Cast) -> None:
        ticket = dispatched(cast)
        with pytest.raises(Forbidden):
            transitions.dispatch_ticket(ticket.number, unit=unit("PS-B"), by=cast.handler_a)

    def test_the_leader_reads_but_cannot_act(self, cast: Cast) -> None:
        ticket = new_ticket(cast.dispatcher)
        with pytest.raises(Forbidden):
            transitions.dispatch_ticket(ticket.number, unit=unit("PS-A"), by=cast.leader)
        assert transitions.available_actions(cast.leader, ticket) == []

    def test_a_dispatcher_cannot_accept_for_the_unit(self, cast: Cast) -> None:
        ticket = dispatched(cast)
        with pytest.raises(Forbidden):
            transitions.accept_ticket(ticket.number, by=cast.dispatcher)

    def test_another_units_handler_gets_not_found_on_every_action(self, cast: Cast) -> None:
        ticket = dispatched(cast)
        for call in (
            lambda: transitions.accept_ticket(ticket.number, by=cast.handler_b),
            lambda: transitions.return_ticket(ticket.number, reason="x", by=cast.handler_b),
            lambda: transitions.resolve_ticket(ticket.number, result="x", by=cast.handler_b),
            lambda: transitions.close_ticket(ticket.number, note="x", by=cast.handler_b),
            lambda: transitions.dispatch_ticket(
                ticket.number, unit=unit("PS-B"), by=cast.handler_b
            ),
        ):
            with pytest.raises(NotFound):
                call()

    def test_available_actions_follow_role_and_state(self, cast: Cast) -> None:
        ticket = dispatched(cast)
        assert set(transitions.available_actions(cast.dispatcher, ticket)) == {"dispatch"}
        assert set(transitions.available_actions(cast.handler_a, ticket)) == {"accept", "return"}
        assert transitions.available_actions(cast.supervisor, ticket) == []

    def test_holdings_remember_every_unit(self, cast: Cast) -> None:
        ticket = dispatched(cast)
        transitions.dispatch_ticket(ticket.number, unit=unit("PS-B"), by=cast.dispatcher)
        codes = set(TicketUnit.objects.filter(ticket=ticket).values_list("unit__code", flat=True))
        assert codes == {"PS-A", "PS-B"}
