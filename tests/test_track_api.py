"""GET /api/v1/track: a resident follows their own case by its number and the last four
digits of their phone, with no token; nothing but the case's stage, dates, unit and result;
the same 404 for any wrong pair; 10 tries an hour per address, then 429 with Retry-After."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.test import Client

from jieban.tickets.models import Ticket
from tests.conftest import Cast, local, new_ticket
from tests.web.conftest import dispatched, resolved

pytestmark = pytest.mark.django_db

SHOWN = {
    "number",
    "status",
    "stage",
    "received_at",
    "dispatched_at",
    "due_at",
    "resolved_at",
    "unit",
    "result",
    "may_answer",
}


def track(number: str, last4: str, *, address: str = "203.0.113.7", **headers: Any) -> Any:
    return Client().get(
        "/api/v1/track",
        {"number": number, "phone_last4": last4},
        REMOTE_ADDR=address,
        **headers,
    )


def test_it_shows_a_resolved_case_to_its_resident_without_a_token(cast: Cast) -> None:
    ticket = resolved(cast)
    response = track(ticket.number, "1234")
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == SHOWN
    assert body["number"] == ticket.number
    assert body["status"] == "resolved"
    assert body["stage"] == "已办结：承办单位已报告办理结果。"
    assert body["unit"] == "甲派出所"
    assert body["result"] == "已协调停工。"
    assert body["may_answer"] is True
    assert body["received_at"] is not None
    assert body["dispatched_at"] is not None
    assert body["due_at"] is not None
    assert body["resolved_at"] is not None


def test_it_leaks_no_name_note_phone_or_timeline(cast: Cast) -> None:
    ticket = resolved(cast, resident_name="王秀英", address="幸福路 9 号")
    text = track(ticket.number, "1234").content.decode()
    for secret in ("王秀英", "13812341234", "幸福路", "handler_a", "dispatcher", "装修噪音"):
        assert secret not in text


def test_it_shows_no_unit_before_dispatch_and_no_result_before_resolution(cast: Cast) -> None:
    new = new_ticket(cast.dispatcher)
    body = track(new.number, "1234").json()
    assert (body["status"], body["unit"], body["result"], body["may_answer"]) == (
        "new",
        "",
        "",
        False,
    )
    running = dispatched(cast)
    body = track(running.number, "1234").json()
    assert (body["unit"], body["result"], body["resolved_at"]) == ("甲派出所", "", None)


def test_it_answers_a_wrong_pair_exactly_as_an_unknown_number(cast: Cast) -> None:
    ticket = resolved(cast)
    no_phone = new_ticket(cast.dispatcher, resident_phone="")
    answers = [
        track(ticket.number, "4321"),
        track("JB20260101-9999", "1234"),
        track(no_phone.number, "0000"),
    ]
    assert {response.status_code for response in answers} == {404}
    assert len({response.content for response in answers}) == 1
    assert answers[0].json()["detail"] == "没有此编号和电话的案件。"


def test_it_accepts_the_number_in_lower_case_with_spaces(cast: Cast) -> None:
    ticket = resolved(cast)
    assert track(f"  {ticket.number.lower()} ", "1234").status_code == 200


def test_it_names_the_field_of_malformed_input_without_counting_a_try(cast: Cast) -> None:
    ticket = resolved(cast)
    for _ in range(12):
        response = track(ticket.number, "12a4")
        assert response.status_code == 400
        assert response.json()["field"] == "phone_last4"
    response = Client().get("/api/v1/track", {"phone_last4": "1234"}, REMOTE_ADDR="203.0.113.7")
    assert (response.status_code, response.json()["field"]) == (400, "number")
    assert track(ticket.number, "1234").status_code == 200


def test_it_refuses_the_eleventh_try_in_an_hour_and_says_when_to_come_back(cast: Cast) -> None:
    ticket = resolved(cast)
    start = local(2026, 7, 14, 9, 0)
    with time_machine.travel(start, tick=False) as clock:
        for attempt in range(10):
            number = ticket.number if attempt % 2 else f"JB20260714-{attempt:04d}"
            assert track(number, "1234").status_code in (200, 404)
            clock.shift(dt.timedelta(minutes=5))
        # 09:50: the first try (09:00) counts until 10:00.
        refused = track(ticket.number, "1234")
        assert refused.status_code == 429
        assert refused["Retry-After"] == str(10 * 60)
        assert "10" in refused.json()["detail"]
        # Another address has its own tries.
        assert track(ticket.number, "1234", address="198.51.100.2").status_code == 200
        clock.shift(dt.timedelta(minutes=9, seconds=59))
        assert track(ticket.number, "1234").status_code == 429
        clock.shift(dt.timedelta(seconds=2))
        # 10:00:01: the first try ran out, one more is allowed; the second's runs out at 10:05.
        assert track(ticket.number, "1234").status_code == 200
        refused = track(ticket.number, "1234")
        assert (refused.status_code, refused["Retry-After"]) == (429, str(5 * 60 - 1))


def test_it_answers_in_english_when_asked(cast: Cast) -> None:
    ticket: Ticket = resolved(cast)
    body = track(ticket.number, "1234", HTTP_ACCEPT_LANGUAGE="en").json()
    assert body["stage"] == "Handled: the unit reported its result."
    assert body["unit"] == "Station A"
