"""POST /api/v1/tickets/batch and `register_tickets`: up to 500 tickets at once, one result
per item in order (201 created, 200 already there, 400 refused naming `items[i].field`); the
valid ones stored in one transaction, each with one intake event (and the dispatch its channel
implies), idempotent by channel + external id, within a batch and between concurrent ones."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections import Counter
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jieban.intake.actions import TicketDraft, register_tickets
from jieban.org.actions import create_person, create_unit
from jieban.org.models import User
from jieban.tickets.defaults import create_default_categories
from jieban.tickets.models import Category, EventKind, Ticket, TicketEvent, TicketUnit
from tests.conftest import ApiClient, Cast


def item(**fields: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "channel": "hotline_12345",
        "content": "楼上装修噪音很大。",
        "category": "renovation_noise",
        "resident_phone": "13812341234",
    }
    values.update(fields)
    return values


def post(client: ApiClient, body: Any) -> Any:
    return client.post("/tickets/batch", raw=json.dumps(body))


@pytest.mark.django_db
class TestBatch:
    def test_it_answers_each_item_in_order(self, cast: Cast, api_as: Any) -> None:
        dispatcher = api_as(cast.dispatcher)
        earlier = dispatcher.post("/tickets", item(external_id="E-0")).json()["number"]
        response = post(
            dispatcher,
            {
                "items": [
                    item(external_id="E-1"),
                    item(external_id="E-2", content=""),
                    item(external_id="E-0"),
                    item(category="no-such-thing"),
                    item(external_id="E-1", content="同一工单再次发送"),
                    "not an object",
                    item(external_id=7),
                    item(),
                ]
            },
        )
        assert response.status_code == 200, response.content
        results = response.json()["results"]
        assert [result["status"] for result in results] == [201, 400, 200, 400, 200, 400, 400, 201]
        assert results[1]["field"] == "items[1].content"
        assert results[2]["number"] == earlier
        assert results[3]["field"] == "items[3].category"
        assert results[4]["number"] == results[0]["number"]
        assert results[5]["field"] == "items[5]"
        assert results[6]["field"] == "items[6].external_id"
        assert set(results[1]) == {"status", "detail", "field"}
        assert set(results[0]) == {"status", "number"}
        created = [results[0]["number"], results[7]["number"]]
        assert Ticket.objects.count() == 3
        for number in created:
            ticket = Ticket.objects.get(number=number)
            assert ticket.status == "new"
            assert ticket.registered_by == cast.dispatcher
            assert list(ticket.events.values_list("kind", flat=True)) == [EventKind.INTAKE]

    def test_it_dispatches_what_the_channel_dispatched(self, cast: Cast, api_as: Any) -> None:
        results = post(
            api_as(cast.dispatcher),
            {
                "items": [
                    item(
                        external_id="P-1",
                        unit="PS-A",
                        received_at="2026-07-14T09:05:00+08:00",
                        due_at="2026-07-21T18:00:00+08:00",
                    ),
                    item(external_id="P-2", unit="PS-A"),
                ]
            },
        ).json()["results"]
        assert [result["status"] for result in results] == [201, 400]
        assert results[1]["field"] == "items[1].due_at"
        ticket = Ticket.objects.get(number=results[0]["number"])
        assert (ticket.status, ticket.unit.code, ticket.version) == ("dispatched", "PS-A", 2)
        assert ticket.dispatched_at == ticket.received_at
        assert ticket.accept_due_at is not None and ticket.watch_at == ticket.due_at
        kinds = list(ticket.events.order_by("pk").values_list("kind", flat=True))
        assert kinds == [EventKind.INTAKE, EventKind.DISPATCH]
        assert TicketUnit.objects.filter(ticket=ticket, unit__code="PS-A").count() == 1

    def test_it_takes_500_items_in_consecutive_numbers(self, cast: Cast, api_as: Any) -> None:
        items = [item(external_id=f"B-{index}") for index in range(500)]
        results = post(api_as(cast.dispatcher), {"items": items}).json()["results"]
        assert Counter(result["status"] for result in results) == {201: 500}
        numbers = [result["number"] for result in results]
        assert len(set(numbers)) == 500
        sequence = [int(number.rsplit("-", 1)[1]) for number in numbers]
        assert sequence == list(range(sequence[0], sequence[0] + 500))
        assert TicketEvent.objects.filter(kind=EventKind.INTAKE).count() == 500
        again = post(api_as(cast.dispatcher), {"items": items}).json()["results"]
        assert [result["number"] for result in again] == numbers
        assert {result["status"] for result in again} == {200}
        assert Ticket.objects.count() == 500

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ([item()], "body"),
            ("items", "body"),
            (12, "body"),
            (None, "body"),
            ({}, "items"),
            ({"items": {"0": item()}}, "items"),
            ({"items": "many"}, "items"),
            ({"items": [item()] * 501}, "items"),
        ],
    )
    def test_it_refuses_a_body_that_is_not_a_batch(
        self, cast: Cast, api_as: Any, body: Any, field: str
    ) -> None:
        response = post(api_as(cast.dispatcher), body)
        assert response.status_code == 400
        assert response.json()["field"] == field
        assert Ticket.objects.count() == 0

    def test_it_refuses_text_that_is_not_json(self, cast: Cast, api_as: Any) -> None:
        response = api_as(cast.dispatcher).post("/tickets/batch", raw="{items: [")
        assert (response.status_code, response.json()["field"]) == (400, "body")

    def test_it_is_for_those_who_register_tickets(self, cast: Cast, api_as: Any) -> None:
        response = post(api_as(cast.handler_a), {"items": [item()]})
        assert response.status_code == 403
        assert (
            Client()
            .post(
                "/api/v1/tickets/batch", json.dumps({"items": []}), content_type="application/json"
            )
            .status_code
            == 401
        )
        assert Ticket.objects.count() == 0

    def test_it_refuses_an_item_whose_control_character_the_single_path_refuses(
        self, cast: Cast, api_as: Any
    ) -> None:
        results = post(api_as(cast.dispatcher), {"items": [item(title="噪音\x07"), item()]}).json()[
            "results"
        ]
        assert [result["status"] for result in results] == [400, 201]
        assert results[0]["field"] == "items[0].title"
        # Even in a field the check would otherwise repeat: the character is named, not echoed.
        bad = {"items": [item(channel="\ud800"), item(channel="pig\x00eon")]}
        results = post(api_as(cast.dispatcher), bad).json()["results"]
        assert [result["field"] for result in results] == ["items[0].channel", "items[1].channel"]
        assert "U+D800" in results[0]["detail"] and "U+0000" in results[1]["detail"]
        assert not any("\ud800" in r["detail"] or "\x00" in r["detail"] for r in results)

    def test_it_reads_as_much_for_fifty_as_for_five(self, cast: Cast) -> None:
        def drafts(prefix: str, count: int) -> list[TicketDraft]:
            return [
                TicketDraft(
                    channel="hotline_12345",
                    content="噪音",
                    external_id=f"{prefix}-{index}",
                    category="renovation_noise",
                    unit="PS-A",
                    received_at=timezone.now() - dt.timedelta(days=index % 3),
                    due_at=timezone.now() + dt.timedelta(days=5),
                )
                for index in range(count)
            ]

        counts = []
        for prefix, count in (("Q5", 5), ("Q50", 50)):
            with CaptureQueriesContext(connection) as queries:
                results = register_tickets(drafts(prefix, count), by=cast.dispatcher)
            assert {result.status for result in results} == {201}
            # Reads and the number's allocation; the bulk inserts split as the database needs.
            counts.append([q["sql"][:60] for q in queries if q["sql"].startswith("SELECT")])
            assert sum(q["sql"].startswith("INSERT") for q in queries) <= 4 + count // 10
        assert counts[0] == counts[1]

    def test_the_domain_function_keeps_the_order_and_the_first_of_a_repeat(
        self, cast: Cast
    ) -> None:
        drafts = [
            TicketDraft(channel="phone", content="一", external_id="X"),
            TicketDraft(channel="phone", content="二", external_id="X"),
            TicketDraft(channel="walk_in", content="三", external_id="X"),
        ]
        results = register_tickets(drafts, by=cast.dispatcher)
        assert [result.status for result in results] == [201, 200, 201]
        assert results[0].ticket == results[1].ticket
        assert results[0].ticket is not None and results[0].ticket.content == "一"


def race(batches: list[list[TicketDraft]], people: list[User]) -> list[Any]:
    """Each batch registered by its person in its own thread, released at once; the results
    (or the exception) of each."""
    barrier = threading.Barrier(len(batches))
    outcomes: list[Any] = [None] * len(batches)

    def run(index: int) -> None:
        try:
            barrier.wait()
            outcomes[index] = register_tickets(batches[index], by=people[index])
        except Exception as exc:  # the test reports it
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(batches))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_batches_with_overlapping_ids_create_each_ticket_once() -> None:
    create_default_categories(Category)
    create_unit(code="BUR", kind="bureau", name="局")
    create_unit(code="CC", kind="centre", name="指挥中心", parent="BUR")
    people = [
        create_person(username=f"d{index}", role="dispatcher", unit="CC", password="pass-1234-x")
        for index in range(2)
    ]
    batches = [
        [TicketDraft(channel="hotline_12345", content="噪音", external_id=f"C-{n}") for n in ids]
        for ids in (range(0, 300), range(150, 450))
    ]
    for round_ in range(3):
        if round_:
            Ticket.objects.all().delete()
        outcomes = race(batches, people)
        assert not any(isinstance(outcome, Exception) for outcome in outcomes), outcomes
        assert Ticket.objects.count() == 450
        assert TicketEvent.objects.filter(kind=EventKind.INTAKE).count() == 450
        first = {r.ticket.external_id: r.ticket.number for r in outcomes[0] if r.ticket}
        second = {r.ticket.external_id: r.ticket.number for r in outcomes[1] if r.ticket}
        for external_id in set(first) & set(second):
            assert first[external_id] == second[external_id]
        statuses = Counter(r.status for outcome in outcomes for r in outcome)
        assert statuses == {201: 450, 200: 150}
        TicketEvent.objects.all().delete()
