"""/track/: the public page where a resident follows their case and, once it is resolved,
says whether they are satisfied (a follow-up of channel `online`, with its consequences:
closed when satisfied, reopened with a supervision order when dissatisfied; once per result)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.test import Client

from jieban.tickets import transitions
from jieban.tickets.models import (
    EventKind,
    SupervisionOrder,
    SupervisionReason,
    Ticket,
    TicketEvent,
    Visit,
)
from tests.conftest import Cast, local, new_ticket
from tests.web.conftest import resolved

pytestmark = pytest.mark.django_db

ADDRESS = "203.0.113.7"


def look_up(client: Client, number: str, last4: str, **headers: Any) -> Any:
    return client.post(
        "/track/", {"number": number, "phone_last4": last4}, REMOTE_ADDR=ADDRESS, **headers
    )


def answer(
    client: Client, number: str, outcome: str, comment: str = "", last4: str = "1234"
) -> Any:
    return client.post(
        "/track/",
        {"number": number, "phone_last4": last4, "outcome": outcome, "comment": comment},
        REMOTE_ADDR=ADDRESS,
    )


def test_it_offers_the_form_to_anyone_in_chinese_and_english(db: Any) -> None:
    page = Client().get("/track/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "查询办理进度" in html
    assert 'name="phone_last4"' in html
    english = Client().get("/track/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Follow your case" in english


def test_it_shows_the_case_and_nothing_else(cast: Cast) -> None:
    ticket = resolved(cast, resident_name="王秀英")
    response = look_up(Client(), ticket.number, "1234")
    assert response.status_code == 200
    html = response.content.decode()
    assert "已办结：承办单位已报告办理结果。" in html
    assert "甲派出所" in html
    assert "已协调停工。" in html
    assert 'data-testid="track-answer"' in html
    for secret in ("王秀英", "13812341234", "handler_a", "dispatcher", "装修噪音", "甲一社区"):
        assert secret not in html


def test_it_says_only_not_found_for_a_wrong_pair(cast: Cast) -> None:
    ticket = resolved(cast)
    wrong = look_up(Client(), ticket.number, "9999")
    unknown = look_up(Client(), "JB20260101-0001", "9999")
    assert wrong.status_code == unknown.status_code == 404
    assert "没有此编号和电话的案件。" in wrong.content.decode()
    assert 'data-testid="track-case"' not in wrong.content.decode()
    assert without_tokens(wrong, ticket.number) == without_tokens(unknown, "JB20260101-0001")


def without_tokens(response: Any, number: str) -> str:
    """The page without its CSRF tokens (new in each answer) and the number typed in."""
    return re.sub(r'value="[A-Za-z0-9]{64}"', "", response.content.decode().replace(number, ""))


def test_it_says_when_to_come_back_after_ten_tries(cast: Cast) -> None:
    ticket = resolved(cast)
    client = Client()
    with time_machine.travel(local(2026, 7, 14, 9, 0), tick=False):
        for _ in range(10):
            assert look_up(client, ticket.number, "0000").status_code == 404
        refused = look_up(client, ticket.number, "1234")
    assert refused.status_code == 429
    assert "查询次数过多" in refused.content.decode()
    assert "60" in refused.content.decode()


def test_it_closes_the_case_when_the_resident_is_satisfied(cast: Cast) -> None:
    ticket = resolved(cast)
    response = answer(Client(), ticket.number, "satisfied", "民警很负责")
    assert response.status_code == 200, response.content.decode()
    assert 'data-testid="track-thanks"' in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == "closed"
    assert ticket.visit_outcome == "satisfied"
    visit = Visit.objects.get(ticket=ticket)
    assert (visit.outcome, visit.reported_by_channel, visit.called_by, visit.note) == (
        "satisfied",
        "online",
        None,
        "民警很负责",
    )
    kinds = list(
        TicketEvent.objects.filter(ticket=ticket).order_by("pk").values_list("kind", flat=True)
    )
    assert kinds[-2:] == [EventKind.VISIT, EventKind.CLOSE]


def test_it_reopens_with_a_supervision_order_when_the_resident_is_dissatisfied(
    cast: Cast,
) -> None:
    ticket = resolved(cast)
    response = answer(Client(), ticket.number, "dissatisfied", "噪音仍在")
    assert response.status_code == 200
    ticket.refresh_from_db()
    assert ticket.status == "in_progress"
    order = SupervisionOrder.objects.get(ticket=ticket)
    assert order.reason == SupervisionReason.DISSATISFIED
    assert Visit.objects.get(ticket=ticket).reported_by_channel == "online"


def test_it_refuses_a_second_answer_for_the_same_result_politely(cast: Cast) -> None:
    for first in ("basically_satisfied", "dissatisfied"):
        ticket = resolved(cast)
        assert answer(Client(), ticket.number, first).status_code == 200
        again = answer(Client(), ticket.number, "satisfied")
        assert again.status_code == 409
        assert "您对此办理结果的评价已记录，谢谢。" in again.content.decode()
        assert 'data-testid="track-answer"' not in again.content.decode()
        assert Visit.objects.filter(ticket=ticket).count() == 1


def test_it_takes_a_new_answer_once_the_reopened_case_is_resolved_again(cast: Cast) -> None:
    ticket = resolved(cast)
    answer(Client(), ticket.number, "dissatisfied")
    transitions.resolve_ticket(ticket.number, result="已彻底解决。", by=cast.handler_a)
    page = look_up(Client(), ticket.number, "1234").content.decode()
    assert "已彻底解决。" in page
    assert 'data-testid="track-answer"' in page
    assert answer(Client(), ticket.number, "satisfied").status_code == 200
    assert Ticket.objects.get(pk=ticket.pk).status == "closed"


def test_it_takes_no_answer_with_a_wrong_pair_or_before_resolution(cast: Cast) -> None:
    ticket = resolved(cast)
    assert answer(Client(), ticket.number, "dissatisfied", last4="9999").status_code == 404
    running = new_ticket(cast.dispatcher)
    refused = answer(Client(), running.number, "satisfied")
    assert refused.status_code == 409
    assert Visit.objects.count() == 0
    assert Ticket.objects.get(pk=ticket.pk).status == "resolved"


def test_it_shows_the_form_again_when_no_answer_is_chosen(cast: Cast) -> None:
    ticket = resolved(cast)
    response = answer(Client(), ticket.number, "")
    assert response.status_code == 400
    html = response.content.decode()
    assert "请选择满意、基本满意或不满意。" in html
    assert 'data-testid="track-answer"' in html
    assert Visit.objects.count() == 0


def test_it_counts_a_closed_case_reached_by_a_call_as_answered_there(cast: Cast) -> None:
    from jieban.tickets.visits import record_visit

    ticket = resolved(cast)
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(hours=1), tick=False):
        record_visit(ticket.number, outcome="satisfied", note="电话回访", by=cast.dispatcher)
    page = look_up(Client(), ticket.number, "1234").content.decode()
    assert "已办结。" in page
    assert 'data-testid="track-answer"' not in page
    assert "电话回访" not in page


def test_the_ticket_page_says_the_resident_answered_online(cast: Cast) -> None:
    ticket = resolved(cast)
    answer(Client(), ticket.number, "satisfied")
    client = Client()
    client.force_login(cast.dispatcher)
    html = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert "居民在线评价" in html
