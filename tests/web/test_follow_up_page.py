"""The follow-up queue of the command centre: each outcome recorded in place, errors in place."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.test import Client

from jieban.tickets import transitions
from jieban.tickets.models import Status, SupervisionOrder, Ticket, Visit
from jieban.tickets.visits import record_visit
from jieban.web import pages
from jieban.web.supervision import follow_up
from tests.conftest import Cast, local
from tests.web.conftest import HTMX, dispatched, resolved


def queue(html: str) -> list[str]:
    return re.findall(r'data-testid="follow-up-row" data-ticket="(JB\d{8}-\d{4})"', html)


def call(client: Client, ticket: Ticket, htmx: bool = False, **data: Any) -> Any:
    data.setdefault("back", "queue")
    return client.post(f"/tickets/{ticket.number}/visit/", data, **(HTMX if htmx else {}))


def fresh(ticket: Ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


def next_link(html: str) -> str | None:
    match = re.search(r'rel="next" href="([^"]+)"', html)
    return match.group(1).replace("&amp;", "&") if match else None


def count(html: str) -> tuple[str, str]:
    match = re.search(r'data-testid="queue-count" data-exact="(\w+)">([^<]*)<', html)
    assert match, "no count"
    return match.group(1), match.group(2)


def resolved_at_b(cast: Cast) -> Ticket:
    ticket = dispatched(cast, "PS-B")
    transitions.accept_ticket(ticket.number, by=cast.handler_b)
    return transitions.resolve_ticket(ticket.number, result="已处理。", by=cast.handler_b)


def resolved_again_after_dissatisfied(cast: Cast) -> Ticket:
    ticket = resolved(cast)
    record_visit(ticket.number, outcome="dissatisfied", note="仍有噪音", by=cast.dispatcher)
    return transitions.resolve_ticket(ticket.number, result="再次协调。", by=cast.handler_a)


class TestFollowUpPage:
    def test_it_lists_resolved_tickets_oldest_first(self, client: Client, cast: Cast) -> None:
        with time_machine.travel(local(2026, 3, 3, 9), tick=False):
            older = resolved(cast)
        with time_machine.travel(local(2026, 3, 4, 9), tick=False):
            newer = resolved(cast, resident_phone="13900001111")
        client.force_login(cast.dispatcher)
        response = client.get("/follow-up/")
        assert response.status_code == 200
        html = response.content.decode()
        assert queue(html) == [older.number, newer.number]
        for text in ("甲派出所", "2026-03-03 09:00", "已协调停工。", "张三"):
            assert text in html
        # The caller needs the resident's whole number.
        assert 'href="tel:13900001111"' in html
        # One form per row, each with its own field ids.
        assert html.count('name="outcome"') == 2 * 4
        # (The blank form is rendered once per page and each row's number put in.)
        for number in (older.number, newer.number):
            assert f'id="id_visit_{number}_outcome_0"' in html
            assert f'for="id_visit_{number}_note"' in html
        assert "NUMBERTOKEN" not in html
        assert html.count('<input type="hidden" name="back" value="queue"') == 2

    def test_it_says_how_long_each_waited_and_flags_the_late_calls(
        self, client: Client, cast: Cast
    ) -> None:
        # Resolved Tuesday 3 March: to be called by Thursday 5 March, 23:59:59.
        with time_machine.travel(local(2026, 3, 3, 9), tick=False):
            older = resolved(cast)
        with time_machine.travel(local(2026, 3, 5, 9), tick=False):
            newer = resolved(cast)
        client.force_login(cast.dispatcher)

        def late_rows(moment: dt.datetime) -> list[str]:
            with time_machine.travel(moment, tick=False):
                html = client.get("/follow-up/").content.decode()
            rows = re.findall(r'data-ticket="([^"]+)"(.*?)</li>', html, re.DOTALL)
            return [number for number, row in rows if 'data-testid="visit-late"' in row]

        assert late_rows(local(2026, 3, 5, 23, 59)) == []
        assert late_rows(local(2026, 3, 6, 0, 0)) == [older.number]
        with time_machine.travel(local(2026, 3, 6, 9), tick=False):
            html = client.get("/follow-up/").content.decode()
        waited = re.findall(r'data-testid="waited">([^<]+)', html)
        assert waited[0].startswith("3") and waited[1].startswith("1")  # 3 days, 1 day
        assert "应于 2026-03-05 23:59 前回访" in html and newer.number in html

    def test_it_closes_on_a_satisfied_resident(self, client: Client, cast: Cast) -> None:
        for outcome, label in (("satisfied", "满意"), ("basically_satisfied", "基本满意")):
            ticket = resolved(cast)
            client.force_login(cast.dispatcher)
            response = call(client, ticket, outcome=outcome, note="群众表示认可")
            assert response.status_code == 302
            assert response["Location"] == "/follow-up/"
            assert fresh(ticket).status == Status.CLOSED
            html = client.get("/follow-up/").content.decode()
            assert f"回访已记录（{label}）：工单 {ticket.number} 已归档。" in html
            assert ticket.number not in queue(html)
        assert Visit.objects.filter(called_by=cast.dispatcher).count() == 2

    def test_it_reopens_on_a_dissatisfied_resident(self, client: Client, cast: Cast) -> None:
        ticket = resolved(cast)
        client.force_login(cast.supervisor)
        response = call(client, ticket, htmx=True, outcome="dissatisfied", note="噪音仍在")
        assert response.status_code == 200
        assert response["HX-Redirect"] == "/follow-up/"
        ticket = fresh(ticket)
        assert ticket.status == Status.IN_PROGRESS
        order = SupervisionOrder.objects.get(ticket=ticket)
        assert (order.reason, order.level, order.note) == ("dissatisfied", 1, "噪音仍在")
        html = client.get("/follow-up/").content.decode()
        assert "已退回承办单位重新办理，并已发出督办单。" in html
        assert queue(html) == []

    def test_it_closes_after_the_third_unanswered_call(self, client: Client, cast: Cast) -> None:
        ticket = resolved(cast)
        client.force_login(cast.admin)
        for attempt in (1, 2):
            assert call(client, ticket, outcome="unreachable").status_code == 302
            assert fresh(ticket).status == Status.RESOLVED
            html = client.get("/follow-up/").content.decode()
            assert f"工单 {ticket.number} 待再次回访。" in html
            assert queue(html) == [ticket.number]
            assert f"未接通 {attempt}/3 次" in html
        assert call(client, ticket, outcome="unreachable").status_code == 302
        assert fresh(ticket).status == Status.CLOSED
        assert queue(client.get("/follow-up/").content.decode()) == []

    def test_it_counts_only_calls_since_the_last_resolution(
        self, client: Client, cast: Cast
    ) -> None:
        ticket = resolved(cast)
        record_visit(ticket.number, outcome="unreachable", note="", by=cast.dispatcher)
        client.force_login(cast.dispatcher)
        assert "未接通 1/3 次" in client.get("/follow-up/").content.decode()

    def test_it_shows_a_missing_outcome_in_its_row(self, client: Client, cast: Cast) -> None:
        ticket = resolved(cast)
        client.force_login(cast.dispatcher)
        response = call(client, ticket, htmx=True, note="没选结果")
        assert response.status_code == 400
        html = response.content.decode()
        assert html.startswith(f'<li class="follow-up-row" id="follow-up-{ticket.number}"')
        assert "<html" not in html
        assert (
            f'id="id_visit_{ticket.number}_outcome_error" role="alert">回访结果须为以下之一' in html
        )
        assert "没选结果" in html
        assert fresh(ticket).status == Status.RESOLVED
        # Without htmx the whole queue comes back, the error in the row.
        response = call(client, ticket, note="没选结果")
        assert response.status_code == 400
        html = response.content.decode()
        assert queue(html) == [ticket.number]
        assert f'id="id_visit_{ticket.number}_outcome_error"' in html

    def test_it_says_when_someone_else_called_first(self, client: Client, cast: Cast) -> None:
        ticket = resolved(cast)
        record_visit(ticket.number, outcome="satisfied", note="", by=cast.supervisor)
        client.force_login(cast.dispatcher)
        response = call(client, ticket, htmx=True, outcome="satisfied")
        assert response.status_code == 409
        html = response.content.decode()
        assert f"工单 {ticket.number} 为“已归档”：只回访已办结的工单。" in html
        assert 'href="/follow-up/">刷新</a>' in html
        assert 'name="outcome"' not in html
        assert Visit.objects.count() == 1

    def test_it_is_a_403_for_a_unit(self, client: Client, cast: Cast) -> None:
        ticket = resolved(cast)
        for person in (cast.handler_a, cast.leader_a, cast.leader):
            client.force_login(person)
            response = client.get("/follow-up/")
            assert response.status_code == 403, person
            assert "回访由指挥中心进行。" in response.content.decode()
        # The unit sees the ticket, but the domain refuses its call.
        client.force_login(cast.handler_a)
        assert call(client, ticket, outcome="satisfied").status_code == 403
        response = call(client, ticket, htmx=True, outcome="satisfied")
        assert response.status_code == 403
        assert "回访由指挥中心进行。" in response.content.decode()
        assert not Visit.objects.exists()
        assert fresh(ticket).status == Status.RESOLVED

    def test_it_is_a_404_for_an_invisible_ticket(self, client: Client, cast: Cast) -> None:
        ticket = resolved(cast)
        client.force_login(cast.handler_b)
        assert call(client, ticket, outcome="satisfied").status_code == 404
        assert call(client, ticket, htmx=True, outcome="satisfied").status_code == 404
        assert not Visit.objects.exists()

    def test_it_is_in_the_command_centres_menu(self, client: Client, cast: Cast) -> None:
        for person in (cast.dispatcher, cast.supervisor, cast.admin):
            client.force_login(person)
            assert 'href="/follow-up/"' in client.get("/").content.decode()
        client.force_login(cast.leader)
        assert 'href="/follow-up/"' not in client.get("/").content.decode()

    def test_it_runs_a_bounded_number_of_queries(
        self, client: Client, cast: Cast, django_assert_max_num_queries: object
    ) -> None:
        tickets = [resolved(cast) for _ in range(6)]
        for ticket in tickets[:3]:
            record_visit(ticket.number, outcome="unreachable", note="", by=cast.dispatcher)
        client.force_login(cast.dispatcher)
        # session, user, the bell, the queue with its unanswered calls, its count, the units
        # of the filter bar
        with django_assert_max_num_queries(6):  # type: ignore[operator]
            html = client.get("/follow-up/").content.decode()
        assert len(queue(html)) == 6
        assert html.count("未接通 1/3 次") == 3


class TestFollowUpQueueFilters:
    def test_it_filters_by_unit(self, client: Client, cast: Cast) -> None:
        at_a = resolved(cast)
        at_b = resolved_at_b(cast)
        client.force_login(cast.dispatcher)
        assert queue(client.get("/follow-up/?unit=PS-A").content.decode()) == [at_a.number]
        html = client.get("/follow-up/?unit=PS-B").content.decode()
        assert queue(html) == [at_b.number]
        assert '<option value="PS-B" selected>' in html

    def test_it_filters_by_the_earlier_calls(self, client: Client, cast: Cast) -> None:
        never = resolved(cast)
        unreachable = resolved(cast)
        record_visit(unreachable.number, outcome="unreachable", note="", by=cast.dispatcher)
        dissatisfied = resolved_again_after_dissatisfied(cast)
        # Dissatisfied once, and unreachable since it was resolved again: in both lists.
        both = resolved_again_after_dissatisfied(cast)
        record_visit(both.number, outcome="unreachable", note="", by=cast.dispatcher)
        client.force_login(cast.dispatcher)

        def listed(calls: str) -> set[str]:
            response = client.get(f"/follow-up/?calls={calls}")
            assert response.status_code == 200
            return set(queue(response.content.decode()))

        assert listed("none") == {never.number}
        assert listed("unreachable") == {unreachable.number, both.number}
        assert listed("dissatisfied") == {dissatisfied.number, both.number}
        assert len(listed("")) == 4
        html = client.get("/follow-up/?calls=dissatisfied").content.decode()
        assert '<option value="dissatisfied" selected>此前不满意</option>' in html

    def test_an_unreachable_call_before_a_reopening_no_longer_counts(
        self, client: Client, cast: Cast
    ) -> None:
        ticket = resolved(cast)
        record_visit(ticket.number, outcome="unreachable", note="", by=cast.dispatcher)
        record_visit(ticket.number, outcome="dissatisfied", note="", by=cast.dispatcher)
        transitions.resolve_ticket(ticket.number, result="再次协调。", by=cast.handler_a)
        client.force_login(cast.dispatcher)
        assert queue(client.get("/follow-up/?calls=unreachable").content.decode()) == []
        assert queue(client.get("/follow-up/?calls=none").content.decode()) == []

    def test_it_filters_by_days_waited(self, client: Client, cast: Cast) -> None:
        with time_machine.travel(local(2026, 3, 2, 9), tick=False):
            older = resolved(cast)
        with time_machine.travel(local(2026, 3, 5, 9), tick=False):
            newer = resolved(cast)
        client.force_login(cast.dispatcher)
        with time_machine.travel(local(2026, 3, 6, 9), tick=False):
            assert queue(client.get("/follow-up/?waited=1").content.decode()) == [
                older.number,
                newer.number,
            ]
            assert queue(client.get("/follow-up/?waited=2").content.decode()) == [older.number]
            html = client.get("/follow-up/?waited=4").content.decode()
            assert queue(html) == [older.number]
            assert 'name="waited" value="4"' in html
            assert queue(client.get("/follow-up/?waited=5").content.decode()) == []
        # Four days to the second, and one second short of it.
        with time_machine.travel(local(2026, 3, 6, 9) - dt.timedelta(seconds=1), tick=False):
            assert queue(client.get("/follow-up/?waited=4").content.decode()) == []

    @pytest.mark.parametrize(
        ("query", "field", "message"),
        [
            ("unit=NOWHERE", "unit", "未知单位 NOWHERE。"),
            ("calls=maybe", "calls", "此前回访须为以下之一：none, unreachable, dissatisfied。"),
            ("waited=soon", "waited", "等待天数须为整数。"),
            ("waited=-1", "waited", "等待天数须在 0 到 3650 之间。"),
            ("cursor=%21%21", "cursor", "分页游标无效：不是本系统给出的。"),
        ],
    )
    def test_it_shows_bad_filters_as_a_message(
        self, client: Client, cast: Cast, query: str, field: str, message: str
    ) -> None:
        resolved(cast)
        client.force_login(cast.dispatcher)
        response = client.get(f"/follow-up/?{query}")
        assert response.status_code == 400
        html = response.content.decode()
        assert f'data-field="{field}">{message}</div>' in html
        assert queue(html) == []

    def test_a_bad_filter_is_still_a_403_for_a_unit(self, client: Client, cast: Cast) -> None:
        client.force_login(cast.handler_a)
        assert client.get("/follow-up/?waited=soon").status_code == 403

    def test_it_pages_oldest_first_with_the_filters(
        self, client: Client, cast: Cast, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(follow_up, "QUEUE_PAGE", 2)
        made = []
        for day in (2, 3, 4):
            with time_machine.travel(local(2026, 3, day, 9), tick=False):
                made.append(resolved(cast))
        with time_machine.travel(local(2026, 3, 1, 9), tick=False):
            resolved_at_b(cast)  # another unit: never listed
        client.force_login(cast.dispatcher)
        html = client.get("/follow-up/?unit=PS-A").content.decode()
        assert queue(html) == [made[0].number, made[1].number]
        assert count(html) == ("true", "共 3 件")
        assert 'rel="first"' not in html
        link = next_link(html)
        assert link is not None and "unit=PS-A" in link
        html = client.get(f"/follow-up/{link}").content.decode()
        assert queue(html) == [made[2].number]
        assert next_link(html) is None
        first = re.search(r'rel="first" href="([^"]+)"', html)
        assert first is not None and first.group(1) == "?unit=PS-A"

    def test_it_says_more_than_past_the_exact_count(
        self, client: Client, cast: Cast, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(pages, "COUNT_EXACTLY_UP_TO", 2)
        for _ in range(3):
            resolved(cast)
        client.force_login(cast.dispatcher)
        assert count(client.get("/follow-up/").content.decode()) == ("false", "超过 2 件")
        assert count(client.get("/follow-up/?calls=dissatisfied").content.decode()) == (
            "true",
            "共 0 件",
        )

    def test_a_call_comes_back_to_the_filtered_page(self, client: Client, cast: Cast) -> None:
        first = resolved(cast)
        second = resolved(cast)
        client.force_login(cast.dispatcher)
        html = client.get("/follow-up/?unit=PS-A&calls=none").content.decode()
        action = f'action="/tickets/{first.number}/visit/?unit=PS-A&amp;calls=none"'
        assert action in html
        response = client.post(
            f"/tickets/{first.number}/visit/?unit=PS-A&calls=none",
            {"back": "queue", "outcome": "satisfied"},
        )
        assert response.status_code == 302
        assert response["Location"] == "/follow-up/?unit=PS-A&calls=none"
        # A refused call shows the same filtered queue again, the error in its row.
        response = client.post(
            f"/tickets/{second.number}/visit/?unit=PS-A&waited=0",
            {"back": "queue", "note": "没选结果"},
        )
        assert response.status_code == 400
        html = response.content.decode()
        assert '<option value="PS-A" selected>' in html
        assert 'name="waited" value="0"' in html
        assert queue(html) == [second.number]
        assert f'id="id_visit_{second.number}_outcome_error"' in html
