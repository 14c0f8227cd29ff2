"""What the 12345 platform decides on its tickets, and what its result codes and revisions
carry: a unit's return waits for the platform (shown on the ticket page, the list and the
API); the centre's own extension decision is refused; the unit's outcome goes up through the
platform's result codes; a revision naming another department or category moves the ticket
while it is still with the first unit, and is stored and flagged once it is not."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.test import Client

from jieban.exchange.models import (
    CategoryMapping,
    CodeKind,
    CodeMapping,
    PlatformMessage,
    PlatformOrder,
    UnitMapping,
)
from jieban.org.models import Unit
from jieban.tickets import transitions
from jieban.tickets.extensions import pending_extensions, request_extension
from jieban.tickets.models import Category, EventKind, Extension, ExtensionStatus, Status, Ticket
from tests.conftest import ApiClient, Cast
from tests.platform_peer import CODE, NOW, make_platform, order, push_orders


@pytest.fixture(autouse=True)
def at_now() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def platform(cast: Cast) -> Any:
    platform = make_platform()
    UnitMapping.objects.create(platform=platform, code="D02", unit=Unit.objects.get(code="PS-B"))
    CategoryMapping.objects.create(
        platform=platform, code="C02", category=Category.objects.get(code="neighbour_dispute")
    )
    for theirs, ours in (("1", "unresolved"), ("2", "partly_resolved"), ("3", "not_handled")):
        CodeMapping.objects.create(
            platform=platform, kind=CodeKind.RESULT, theirs=theirs, ours=ours
        )
    return platform


def ticket_of(number: str) -> Ticket:
    return Ticket.objects.get(channel="hotline_12345", external_id=f"{CODE}:{number}")


def logged_in(person: Any) -> Client:
    client = Client()
    client.force_login(person)
    return client


def test_it_shows_a_waiting_return_on_the_page_the_list_and_the_api(
    cast: Cast, platform: Any
) -> None:
    push_orders(order("SZ0700"))
    ticket = ticket_of("SZ0700")
    response = ApiClient(cast.handler_a).post(
        f"/tickets/{ticket.number}/return", {"reason": "不属本辖区"}
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["unit"]) == ("dispatched", "PS-A")
    assert body["return_requested_at"] is not None
    page = logged_in(cast.handler_a).get(f"/tickets/{ticket.number}/")
    assert 'data-testid="badge-return-requested"' in page.content.decode()
    # Nothing left for the unit to do but wait: no accept, no second return.
    assert 'data-action="accept"' not in page.content.decode()
    assert 'data-action="return"' not in page.content.decode()
    listed = logged_in(cast.dispatcher).get("/tickets/")
    assert 'data-testid="badge-return-requested"' in listed.content.decode()
    again = ApiClient(cast.handler_a).post(f"/tickets/{ticket.number}/return", {"reason": "再退"})
    assert again.status_code == 409


def test_it_returns_a_ticket_of_no_platform_at_once(cast: Cast, platform: Any) -> None:
    push_orders(order("SZ0701"))
    ticket = Ticket.objects.get()
    Ticket.objects.filter(pk=ticket.pk).update(platform_decides=None)
    transitions.return_ticket(ticket.number, reason="不属本辖区", by=cast.handler_a)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.unit) == (Status.NEW, None)


def test_it_refuses_the_centres_own_extension_decision_on_a_platforms_ticket(
    cast: Cast, platform: Any
) -> None:
    push_orders(order("SZ0702"))
    ticket = ticket_of("SZ0702")
    request_extension(ticket.number, days=2, reason="需协调物业", by=cast.handler_a)
    for action in ("approve", "reject"):
        response = ApiClient(cast.dispatcher).post(
            f"/tickets/{ticket.number}/extension/{action}", {"note": "不同意"}
        )
        assert response.status_code == 409
        assert "12345" in response.json()["detail"]
    assert Extension.objects.get().status == ExtensionStatus.PENDING
    page = logged_in(cast.dispatcher).get(f"/tickets/{ticket.number}/")
    assert 'data-form="extension-approve"' not in page.content.decode()
    # Nor is it among the requests waiting for the centre.
    assert not pending_extensions(cast.dispatcher).exists()


@pytest.mark.parametrize(
    ("outcome", "code"),
    [(None, "0"), ("unresolved", "1"), ("partly_resolved", "2"), ("not_handled", "3")],
)
def test_it_sends_the_units_outcome_as_the_platforms_result_code(
    cast: Cast, platform: Any, outcome: str | None, code: str
) -> None:
    push_orders(order("SZ0703"))
    ticket = ticket_of("SZ0703")
    transitions.accept_ticket(ticket.number, by=cast.handler_a)
    body = {"result": "已协调", **({"outcome": outcome} if outcome else {})}
    response = ApiClient(cast.handler_a).post(f"/tickets/{ticket.number}/resolve", body)
    assert response.status_code == 200
    assert response.json()["result_outcome"] == (outcome or "resolved")
    message = PlatformMessage.objects.get(kind="result")
    assert message.payload["result_code"] == code


def test_it_takes_the_outcome_from_the_resolve_form_and_refuses_an_unknown_one(
    cast: Cast, platform: Any
) -> None:
    push_orders(order("SZ0704"))
    ticket = ticket_of("SZ0704")
    transitions.accept_ticket(ticket.number, by=cast.handler_a)
    wrong = ApiClient(cast.handler_a).post(
        f"/tickets/{ticket.number}/resolve", {"result": "已协调", "outcome": "maybe"}
    )
    assert wrong.status_code == 400 and wrong.json()["field"] == "outcome"
    client = logged_in(cast.handler_a)
    posted = client.post(
        f"/tickets/{ticket.number}/resolve/",
        {"result": "部分整改", "outcome": "partly_resolved"},
    )
    assert posted.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.result_outcome) == (Status.RESOLVED, "partly_resolved")
    assert (
        'data-testid="result-outcome"' in client.get(f"/tickets/{ticket.number}/").content.decode()
    )
    assert PlatformMessage.objects.get(kind="result").payload["result_code"] == "2"


def test_it_moves_the_unit_and_the_category_on_a_revision_while_with_the_first_unit(
    cast: Cast, platform: Any
) -> None:
    push_orders(order("SZ0705"))
    (answer,) = push_orders(order("SZ0705", revision=2, department="D02", category="C02"))
    assert answer["status"] == "updated"
    ticket = ticket_of("SZ0705")
    assert (ticket.status, ticket.unit.code) == (Status.DISPATCHED, "PS-B")
    assert ticket.category.code == "neighbour_dispute"
    update = ticket.events.get(kind=EventKind.PLATFORM_UPDATE)
    assert update.payload["category"] == "neighbour_dispute"
    moved = ticket.events.filter(kind=EventKind.DISPATCH).last()
    assert moved is not None and moved.payload["previous_unit"] == "PS-A"
    assert PlatformOrder.objects.get().flag == ""
    # The new unit works it; the first one no longer may.
    transitions.accept_ticket(ticket.number, by=cast.handler_b)


def test_it_stores_and_flags_a_revision_the_ticket_can_no_longer_follow(
    cast: Cast, platform: Any
) -> None:
    push_orders(order("SZ0706"))
    ticket = ticket_of("SZ0706")
    transitions.accept_ticket(ticket.number, by=cast.handler_a)
    (answer,) = push_orders(
        order("SZ0706", revision=2, department="D02", content="更正：楼上装修噪音")
    )
    assert answer["status"] == "updated"
    ticket.refresh_from_db()
    assert (ticket.unit.code, ticket.content) == ("PS-A", "更正：楼上装修噪音")
    stored = PlatformOrder.objects.get()
    assert stored.revision == 2 and stored.payload["department"] == "D02"
    assert stored.flag
    update = ticket.events.get(kind=EventKind.PLATFORM_UPDATE)
    assert update.payload["not_applied"] == stored.flag
    # A code no mapping covers is not guessed either.
    (unmapped,) = push_orders(order("SZ0706", revision=3, department="D99"))
    assert unmapped["status"] == "updated"
    assert "department:D99" in PlatformOrder.objects.get().flag
