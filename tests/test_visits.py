"""Follow-up calls: the resident's answer closes the ticket, or sends it back with an order."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine

from jieban.errors import Forbidden
from jieban.org.models import Unit
from jieban.tickets import transitions
from jieban.tickets.models import SupervisionOrder, Ticket, Visit
from jieban.tickets.visits import follow_up_queue
from tests.conftest import Cast, local, new_ticket


def resolved(cast: Cast) -> Ticket:
    with time_machine.travel(local(2026, 3, 2, 9), tick=False):
        ticket = new_ticket(cast.dispatcher)
        transitions.dispatch_ticket(
            ticket.number, unit=Unit.objects.get(code="PS-A"), by=cast.dispatcher
        )
        transitions.accept_ticket(ticket.number, by=cast.handler_a)
        return transitions.resolve_ticket(ticket.number, result="已处理", by=cast.handler_a)


def call(client: Any, number: str, outcome: str, note: str = "") -> Any:
    return client.post(f"/tickets/{number}/visits", {"outcome": outcome, "note": note})


@pytest.mark.parametrize("outcome", ["satisfied", "basically_satisfied"])
def test_a_satisfied_resident_closes_the_ticket(cast: Cast, api_as: Any, outcome: str) -> None:
    ticket = resolved(cast)
    response = call(api_as(cast.dispatcher), ticket.number, outcome, "满意")
    assert response.status_code == 201
    assert response.json()["visit"]["outcome"] == outcome
    assert response.json()["ticket"]["status"] == "closed"


def test_a_dissatisfied_resident_reopens_it_with_an_order(cast: Cast, api_as: Any) -> None:
    ticket = resolved(cast)
    with time_machine.travel(local(2026, 3, 3, 10), tick=False):
        response = call(api_as(cast.dispatcher), ticket.number, "dissatisfied", "噪音仍在")
    data = response.json()["ticket"]
    assert (data["status"], data["supervision_level"]) == ("in_progress", 1)
    assert data["resolved_at"] is None
    order = SupervisionOrder.objects.get()
    assert (order.reason, order.level, order.note) == ("dissatisfied", 1, "噪音仍在")
    assert data["due_at"] == "2026-03-05T23:59:59+08:00"
    kinds = [
        e["kind"] for e in api_as(cast.dispatcher).get(f"/tickets/{ticket.number}/events").json()
    ]
    assert kinds[-3:] == ["visit", "reopen", "supervise"]
    # The unit resolves again, which fulfils the order; the next call can close it.
    transitions.resolve_ticket(ticket.number, result="再次上门", by=cast.handler_a)
    order.refresh_from_db()
    assert order.fulfilled_at is not None
    assert (
        call(api_as(cast.dispatcher), ticket.number, "satisfied").json()["ticket"]["status"]
        == "closed"
    )


def test_three_unanswered_calls_close_it_as_unreachable(cast: Cast, api_as: Any) -> None:
    ticket = resolved(cast)
    client = api_as(cast.dispatcher)
    statuses = [
        call(client, ticket.number, "unreachable").json()["ticket"]["status"] for _ in range(3)
    ]
    assert statuses == ["resolved", "resolved", "closed"]
    visits = client.get(f"/tickets/{ticket.number}/visits").json()
    assert [visit["outcome"] for visit in visits] == ["unreachable"] * 3
    assert visits[0]["called_by"] == "dispatcher"


def test_a_channel_reports_its_own_call(cast: Cast, api_as: Any) -> None:
    ticket = resolved(cast)
    response = api_as(cast.dispatcher).post(
        f"/tickets/{ticket.number}/visits",
        {"outcome": "satisfied", "note": "12345 平台回访", "channel": "hotline_12345"},
    )
    assert response.json()["visit"]["channel"] == "hotline_12345"


def test_only_resolved_tickets_are_called_and_bad_input_is_refused(cast: Cast, api_as: Any) -> None:
    new = new_ticket(cast.dispatcher)
    client = api_as(cast.dispatcher)
    assert call(client, new.number, "satisfied").status_code == 409
    ticket = resolved(cast)
    bad = call(client, ticket.number, "delighted")
    assert (bad.status_code, bad.json()["field"]) == (400, "outcome")
    assert call(api_as(cast.handler_a), ticket.number, "satisfied").status_code == 403
    assert call(api_as(cast.handler_b), ticket.number, "satisfied").status_code == 404
    assert not Visit.objects.exists()


def test_the_queue_holds_resolved_tickets_oldest_first(cast: Cast) -> None:
    first = resolved(cast)
    second = resolved(cast)
    queue = list(follow_up_queue(cast.dispatcher).values_list("number", flat=True))
    assert queue == [first.number, second.number]
    with pytest.raises(Forbidden):
        follow_up_queue(cast.handler_a)
