"""Repeat reports (重复反映): a new ticket marked as reporting an earlier one again."""

from __future__ import annotations

from typing import Any

from jieban.tickets.models import Ticket, TicketEvent
from tests.conftest import Cast, new_ticket


def test_it_links_the_new_ticket_and_counts_the_repeat(cast: Cast, api_as: Any) -> None:
    earlier = new_ticket(cast.dispatcher)
    again = new_ticket(cast.dispatcher)
    response = api_as(cast.dispatcher).post(
        f"/tickets/{again.number}/repeat-of", {"number": earlier.number}
    )
    assert response.status_code == 200
    assert response.json()["repeat_of"] == earlier.number
    assert response.json()["status"] == "new"
    earlier_data = api_as(cast.dispatcher).get(f"/tickets/{earlier.number}").json()
    assert earlier_data["repeat_count"] == 1
    event = TicketEvent.objects.filter(ticket=earlier, kind="repeat").get()
    assert event.payload["from"] == again.number


def test_it_can_merge_the_repeat_into_the_earlier_ticket(cast: Cast, api_as: Any) -> None:
    earlier = new_ticket(cast.dispatcher)
    again = new_ticket(cast.dispatcher)
    third = new_ticket(cast.dispatcher)
    client = api_as(cast.dispatcher)
    merged = client.post(
        f"/tickets/{again.number}/repeat-of", {"number": earlier.number, "merge": True}
    ).json()
    assert (merged["status"], merged["merged_into"]) == ("merged", earlier.number)
    client.post(f"/tickets/{third.number}/repeat-of", {"number": earlier.number})
    assert Ticket.objects.get(pk=earlier.pk).repeat_count == 2


def test_it_refuses_what_makes_no_sense(cast: Cast, api_as: Any) -> None:
    earlier = new_ticket(cast.dispatcher)
    again = new_ticket(cast.dispatcher)
    client = api_as(cast.dispatcher)
    path = f"/tickets/{again.number}/repeat-of"
    itself = client.post(path, {"number": again.number})
    assert (itself.status_code, itself.json()["field"]) == (400, "number")
    unknown = client.post(path, {"number": "JB19990101-0001"})
    assert (unknown.status_code, unknown.json()["field"]) == (400, "number")
    assert api_as(cast.handler_a).post(path, {"number": earlier.number}).status_code == 404
    assert api_as(cast.leader).post(path, {"number": earlier.number}).status_code == 403
    client.post(path, {"number": earlier.number})
    assert client.post(path, {"number": earlier.number}).status_code == 409
    assert Ticket.objects.get(pk=earlier.pk).repeat_count == 1
