"""The JSON API: intake and its replay, the list with filters and cursors, the lifecycle."""

from __future__ import annotations

import datetime as dt
from typing import Any

import time_machine
from django.test import Client

from jieban.org.models import Unit
from jieban.tickets import transitions
from jieban.tickets.models import Ticket
from tests.conftest import Cast, local, new_ticket

TICKET_FIELDS = {
    "number",
    "status",
    "channel",
    "external_id",
    "category",
    "unit",
    "title",
    "content",
    "address",
    "resident_name",
    "resident_phone",
    "received_at",
    "dispatched_at",
    "due_at",
    "accepted_at",
    "resolved_at",
    "closed_at",
    "is_overdue",
    "result",
}


def body(**fields: Any) -> dict[str, Any]:
    values = {
        "channel": "hotline_12345",
        "external_id": "12345-0001",
        "category": "neighbour_dispute",
        "title": "邻居占用楼道",
        "content": "邻居长期在楼道堆放杂物，影响通行。",
        "resident_name": "李四",
        "resident_phone": "13900001111",
        "address": "甲一社区 5 栋",
    }
    values.update(fields)
    return values


class TestIntake:
    def test_it_creates_a_ticket_with_every_contract_field(self, cast: Cast, api_as: Any) -> None:
        response = api_as(cast.dispatcher).post("/tickets", body())
        assert response.status_code == 201
        data = response.json()
        assert set(data) >= TICKET_FIELDS
        assert data["status"] == "new"
        assert data["category"] == "neighbour_dispute"
        assert data["number"].startswith("JB") and data["number"][10] == "-"
        assert data["received_at"].endswith("+08:00")

    def test_a_replay_of_channel_and_external_id_returns_the_same_ticket(
        self, cast: Cast, api_as: Any
    ) -> None:
        client = api_as(cast.dispatcher)
        first = client.post("/tickets", body())
        again = client.post("/tickets", body(content="不同的内容"))
        assert again.status_code == 200
        assert again.json()["number"] == first.json()["number"]
        assert again.json()["content"] == first.json()["content"]
        assert Ticket.objects.count() == 1
        other_channel = client.post("/tickets", body(channel="online_platform"))
        assert other_channel.status_code == 201
        assert Ticket.objects.count() == 2

    def test_numbers_count_up_within_a_day(self, cast: Cast, api_as: Any) -> None:
        client = api_as(cast.dispatcher)
        with time_machine.travel(local(2026, 7, 14, 9), tick=False):
            numbers = [
                client.post("/tickets", body(external_id=f"n{i}")).json()["number"]
                for i in range(3)
            ]
        assert numbers == ["JB20260714-0001", "JB20260714-0002", "JB20260714-0003"]

    def test_a_channel_that_assigned_unit_and_deadline_creates_it_dispatched(
        self, cast: Cast, api_as: Any
    ) -> None:
        due = "2026-07-20T18:00:00+08:00"
        with time_machine.travel(local(2026, 7, 14, 9), tick=False):
            response = api_as(cast.dispatcher).post(
                "/tickets", body(unit="PS-A", due_at=due, received_at="2026-07-14T08:30:00+08:00")
            )
        assert response.status_code == 201
        data = response.json()
        assert data["status"] == "dispatched"
        assert data["unit"] == "PS-A"
        assert dt.datetime.fromisoformat(data["due_at"]) == dt.datetime.fromisoformat(due)
        assert data["dispatched_at"] == "2026-07-14T08:30:00+08:00"
        assert api_as(cast.handler_a).get(f"/tickets/{data['number']}").status_code == 200

    def test_a_handler_may_not_register(self, cast: Cast, api_as: Any) -> None:
        assert api_as(cast.handler_a).post("/tickets", body()).status_code == 403
        assert Ticket.objects.count() == 0


class TestLifecycleOverHttp:
    def test_it_walks_from_intake_to_closing(self, cast: Cast, api_as: Any) -> None:
        dispatcher, handler = api_as(cast.dispatcher), api_as(cast.handler_a)
        with time_machine.travel(local(2026, 2, 13, 10), tick=False):
            number = dispatcher.post("/tickets", body()).json()["number"]
            dispatched = dispatcher.post(f"/tickets/{number}/dispatch", {"unit": "PS-A"})
        assert dispatched.status_code == 200
        assert dispatched.json()["due_at"] == "2026-02-27T23:59:59+08:00"
        with time_machine.travel(local(2026, 2, 24, 9), tick=False):
            assert handler.post(f"/tickets/{number}/accept").json()["status"] == "in_progress"
            resolved = handler.post(f"/tickets/{number}/resolve", {"result": "已调解"})
        assert resolved.json()["status"] == "resolved"
        assert resolved.json()["result"] == "已调解"
        closed = dispatcher.post(f"/tickets/{number}/close", {"note": "回访满意"})
        assert closed.json()["status"] == "closed"
        kinds = [event["kind"] for event in dispatcher.get(f"/tickets/{number}/events").json()]
        assert kinds == ["intake", "dispatch", "accept", "resolve", "close"]

    def test_an_answer_on_the_spot_is_the_result_alone(self, cast: Cast, api_as: Any) -> None:
        dispatcher = api_as(cast.dispatcher)
        number = dispatcher.post("/tickets", body()).json()["number"]
        closed = dispatcher.post(f"/tickets/{number}/close", {"note": "已告知办理流程。"}).json()
        assert (closed["status"], closed["result"], closed["close_note"]) == (
            "closed",
            "已告知办理流程。",
            "",
        )
        assert dispatcher.get(f"/tickets/{number}").json()["close_note"] == ""

    def test_return_invalidate_and_merge(self, cast: Cast, api_as: Any) -> None:
        dispatcher, handler = api_as(cast.dispatcher), api_as(cast.handler_a)
        first = dispatcher.post("/tickets", body(external_id="a")).json()["number"]
        second = dispatcher.post("/tickets", body(external_id="b")).json()["number"]
        third = dispatcher.post("/tickets", body(external_id="c")).json()["number"]
        dispatcher.post(f"/tickets/{first}/dispatch", {"unit": "PS-A"})
        returned = handler.post(f"/tickets/{first}/return", {"reason": "非本所辖区"})
        assert returned.json()["status"] == "new" and returned.json()["unit"] is None
        merged = dispatcher.post(f"/tickets/{second}/merge", {"into": first})
        assert merged.json()["status"] == "merged"
        invalid = dispatcher.post(f"/tickets/{third}/invalidate", {"reason": "无效来电"})
        assert invalid.json()["status"] == "invalid"

    def test_an_illegal_transition_is_a_409_with_a_message(self, cast: Cast, api_as: Any) -> None:
        dispatcher = api_as(cast.dispatcher)
        number = dispatcher.post("/tickets", body()).json()["number"]
        response = dispatcher.post(f"/tickets/{number}/resolve", {"result": "x"})
        assert response.status_code in (403, 409)
        response = dispatcher.post(f"/tickets/{number}/dispatch", {"unit": "PS-A"})
        again = dispatcher.post(f"/tickets/{number}/dispatch", {"unit": "PS-A"})
        assert again.status_code == 409
        assert number in again.json()["detail"]

    def test_a_stale_version_is_a_409(self, cast: Cast, api_as: Any) -> None:
        dispatcher = api_as(cast.dispatcher)
        created = dispatcher.post("/tickets", body()).json()
        dispatcher.post(f"/tickets/{created['number']}/dispatch", {"unit": "PS-A"})
        stale = dispatcher.post(
            f"/tickets/{created['number']}/dispatch",
            {"unit": "PS-B", "version": created["version"]},
        )
        assert stale.status_code == 409

    def test_overdue_is_derived_from_the_deadline(self, cast: Cast, api_as: Any) -> None:
        dispatcher = api_as(cast.dispatcher)
        with time_machine.travel(local(2026, 3, 2, 10), tick=False):
            number = dispatcher.post("/tickets", body()).json()["number"]
            dispatcher.post(f"/tickets/{number}/dispatch", {"unit": "PS-A"})
        with time_machine.travel(local(2026, 3, 9, 23, 59), tick=False):
            assert dispatcher.get(f"/tickets/{number}").json()["is_overdue"] is False
            assert dispatcher.get("/tickets", overdue="true").json()["items"] == []
        with time_machine.travel(local(2026, 3, 10, 0, 0), tick=False):
            assert dispatcher.get(f"/tickets/{number}").json()["is_overdue"] is True
            items = dispatcher.get("/tickets", overdue="true").json()["items"]
            assert [item["number"] for item in items] == [number]

    def test_a_deadline_in_a_year_without_data_carries_a_warning(
        self, cast: Cast, api_as: Any
    ) -> None:
        from jieban.workcalendar.workdays import official_years

        year = max(official_years()) + 1
        dispatcher = api_as(cast.dispatcher)
        with time_machine.travel(local(year, 3, 2, 10), tick=False):
            number = dispatcher.post("/tickets", body()).json()["number"]
            data = dispatcher.post(f"/tickets/{number}/dispatch", {"unit": "PS-A"}).json()
        assert data["due_basis"] == "weekends_only"
        assert data["warnings"] and str(year) in data["warnings"][0]


class TestList:
    def test_it_pages_with_a_keyset_cursor(self, cast: Cast, api_as: Any) -> None:
        for hour in range(7):
            new_ticket(cast.dispatcher, received_at=local(2026, 5, 6, 8 + hour))
        client = api_as(cast.dispatcher)
        seen: list[str] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 3}
            if cursor:
                params["cursor"] = cursor
            page = client.get("/tickets", **params).json()
            seen += [item["received_at"] for item in page["items"]]
            cursor = page["next"]
            if not cursor:
                break
        assert len(seen) == 7
        assert seen == sorted(seen, reverse=True)

    def test_it_filters_by_each_field(self, cast: Cast, api_as: Any) -> None:
        early = new_ticket(cast.dispatcher, received_at=local(2026, 5, 1), channel="walk_in")
        late = new_ticket(
            cast.dispatcher,
            received_at=local(2026, 5, 20),
            category="dangerous_dogs",
            content="小区内有人遛狗不拴绳",
        )
        transitions.dispatch_ticket(
            late.number, unit=Unit.objects.get(code="PS-B"), by=cast.dispatcher
        )
        client = api_as(cast.dispatcher)

        def numbers(**params: Any) -> list[str]:
            response = client.get("/tickets", **params)
            assert response.status_code == 200, response.json()
            return [item["number"] for item in response.json()["items"]]

        assert numbers(status="dispatched") == [late.number]
        assert numbers(status="new,dispatched") == [late.number, early.number]
        assert numbers(unit="PS-B") == [late.number]
        assert numbers(category="dangerous_dogs") == [late.number]
        assert numbers(channel="walk_in") == [early.number]
        assert numbers(received_from="2026-05-10") == [late.number]
        assert numbers(received_to="2026-05-01") == [early.number]
        assert numbers(q="遛狗") == [late.number]
        assert numbers(q=early.number) == [early.number]

    def test_a_unit_lists_only_its_tickets(self, cast: Cast, api_as: Any) -> None:
        mine = new_ticket(cast.dispatcher)
        new_ticket(cast.dispatcher)
        transitions.dispatch_ticket(
            mine.number, unit=Unit.objects.get(code="PS-A"), by=cast.dispatcher
        )
        items = api_as(cast.handler_a).get("/tickets").json()["items"]
        assert [item["number"] for item in items] == [mine.number]


class TestReference:
    def test_units_and_categories_have_their_contract_fields(self, cast: Cast, api_as: Any) -> None:
        client = api_as(cast.handler_a)
        units = {unit["code"]: unit for unit in client.get("/units").json()}
        assert units["PS-A"]["kind"] == "station" and units["PS-A"]["parent"] == "BUR"
        assert set(units["PS-A"]) >= {"code", "kind", "name", "parent"}
        categories = {c["code"]: c for c in client.get("/categories").json()}
        assert categories["renovation_noise"]["parent"] == "noise"
        assert set(categories["noise"]) >= {
            "code",
            "name",
            "name_en",
            "parent",
            "deadline_days",
            "practical",
        }
        expected = {
            "noise",
            "renovation_noise",
            "dangerous_dogs",
            "traffic_dispute",
            "neighbour_dispute",
            "family_dispute",
            "business_dispute",
            "property_dispute",
            "consultation",
            "fraud_check",
            "other",
        }
        assert expected <= set(categories)

    def test_the_calendar_of_a_year_lists_holidays_and_make_up_days(
        self, cast: Cast, api_as: Any
    ) -> None:
        data = api_as(cast.dispatcher).get("/calendar/2026").json()
        assert data["official_data"] is True and data["warning"] is None
        days = {day["date"]: day["kind"] for day in data["days"]}
        assert days["2026-02-17"] == "holiday"
        assert days["2026-02-14"] == "workday"
        assert days["2026-10-10"] == "workday"

    def test_the_calendar_warns_for_a_year_without_data(self, cast: Cast, api_as: Any) -> None:
        data = api_as(cast.dispatcher).get("/calendar/2099").json()
        assert data["official_data"] is False
        assert "2099" in data["warning"]

    def test_an_admin_puts_an_override_and_others_may_not(self, cast: Cast, api_as: Any) -> None:
        change = {"kind": "holiday", "source": "国务院办公厅通知"}
        assert api_as(cast.dispatcher).put("/calendar/2026-03-03", change).status_code == 403
        response = api_as(cast.admin).put("/calendar/2026-03-03", change)
        assert response.status_code == 200
        assert response.json() == {
            "date": "2026-03-03",
            "kind": "holiday",
            "source": change["source"],
        }
        days = {d["date"]: d for d in api_as(cast.admin).get("/calendar/2026").json()["days"]}
        assert days["2026-03-03"]["source"] == "override"

    def test_the_openapi_document_lists_the_contract_paths(self, cast: Cast, api_as: Any) -> None:
        document = api_as(cast.dispatcher).get("/openapi.json").json()
        for path in (
            "/api/v1/tickets",
            "/api/v1/tickets/{number}",
            "/api/v1/tickets/{number}/events",
            "/api/v1/tickets/{number}/dispatch",
            "/api/v1/tickets/{number}/merge",
            "/api/v1/units",
            "/api/v1/categories",
            "/api/v1/calendar/{when}",
        ):
            assert path in document["paths"], path

    def test_the_operation_ids_stay_those_clients_were_generated_from(
        self, cast: Cast, api_as: Any
    ) -> None:
        document = api_as(cast.dispatcher).get("/openapi.json").json()
        ids = {
            (path, method): operation["operationId"]
            for path, operations in document["paths"].items()
            for method, operation in operations.items()
        }
        assert ids[("/api/v1/tickets", "post")] == "jieban_api_views_create_ticket"
        assert ids[("/api/v1/tickets/{number}/visits", "get")] == "jieban_api_views_list_visits"
        assert ids[("/api/v1/stats", "get")] == "jieban_api_views_get_stats"
        assert all(value.startswith("jieban_api_views_") for value in ids.values())

    def test_a_session_works_like_a_token(self, cast: Cast) -> None:
        client = Client()
        client.force_login(cast.dispatcher)
        assert client.get("/api/v1/tickets").status_code == 200
