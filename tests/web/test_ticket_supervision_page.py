"""The ticket page's supervision side: the supervise, follow-up call and repeat forms for the
right roles only, their errors in place, and the orders, calls, repeats and badges shown."""

from __future__ import annotations

import re
from typing import Any

import pytest
import time_machine
from django.test import Client

from jieban.intake.actions import mark_repeat
from jieban.tickets import transitions
from jieban.tickets.models import Status, SupervisionOrder, Ticket, TicketEvent, Visit
from jieban.tickets.supervision import supervise_ticket
from jieban.tickets.visits import record_visit
from tests.conftest import Cast, local, new_ticket
from tests.web.conftest import (
    HTMX,
    dispatched,
    dispatched_at,
    in_progress,
    offered_forms,
    resolved,
    supervised,
)


def post(client: Client, ticket: Ticket, form: str, htmx: bool = False, **data: Any) -> Any:
    path = {"supervise": "supervise", "visit": "visit", "repeat": "repeat-of"}[form]
    return client.post(f"/tickets/{ticket.number}/{path}/", data, **(HTMX if htmx else {}))


def page(client: Client, ticket: Ticket) -> str:
    return client.get(f"/tickets/{ticket.number}/").content.decode()


def fresh(ticket: Ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


class TestTicketSupervisionPage:
    def test_it_offers_each_role_its_forms(self, client: Client, cast: Cast) -> None:
        tickets = {
            "new": new_ticket(cast.dispatcher),
            "dispatched": dispatched(cast),
            "in_progress": in_progress(cast),
            "resolved": resolved(cast),
        }
        closed = resolved(cast)
        record_visit(closed.number, outcome="satisfied", note="", by=cast.dispatcher)
        tickets["closed"] = closed
        expected = {
            cast.supervisor: {
                "new": [],
                "dispatched": ["supervise"],
                "in_progress": ["supervise"],
                "resolved": ["visit"],
                "closed": [],
            },
            cast.admin: {
                "new": ["repeat"],
                "dispatched": ["supervise", "repeat"],
                "in_progress": ["supervise", "repeat"],
                "resolved": ["visit", "repeat"],
                "closed": [],
            },
            cast.dispatcher: {
                "new": ["repeat"],
                "dispatched": ["repeat"],
                "in_progress": ["repeat"],
                "resolved": ["visit", "repeat"],
                "closed": [],
            },
        }
        for person, forms in expected.items():
            client.force_login(person)
            for state, ticket in tickets.items():
                assert offered_forms(page(client, ticket)) == forms[state], (person, state)
        client.force_login(cast.leader)
        for state, ticket in tickets.items():
            assert offered_forms(page(client, ticket)) == [], state
        # The holding unit may ask for more time while its clock runs, nothing else here.
        for person in (cast.handler_a, cast.leader_a):
            client.force_login(person)
            for state, ticket in tickets.items():
                wanted = ["extension"] if state in ("dispatched", "in_progress") else []
                assert offered_forms(page(client, ticket)) == wanted, (person, state)

    def test_it_supervises_a_ticket(self, client: Client, cast: Cast) -> None:
        ticket = in_progress(cast)
        client.force_login(cast.supervisor)
        response = post(client, ticket, "supervise", note="请今天上门处理", days="3")
        assert response.status_code == 302
        assert response["Location"] == f"/tickets/{ticket.number}/"
        order = SupervisionOrder.objects.get(ticket=ticket)
        assert (order.reason, order.level, order.note) == ("manual", 1, "请今天上门处理")
        html = page(client, ticket)
        assert f"已发出督办单 {order.number}（督促办）" in html
        assert f'href="/supervision/{order.number}/print/"' in html
        assert '<span class="badge level level-1" data-testid="badge-level">督促办</span>' in html

    def test_it_supervises_with_htmx(self, client: Client, cast: Cast) -> None:
        ticket = dispatched(cast)
        client.force_login(cast.admin)
        response = post(client, ticket, "supervise", htmx=True, note="加快办理")
        assert response.status_code == 200
        assert response["HX-Redirect"] == f"/tickets/{ticket.number}/"
        assert fresh(ticket).supervision_level == 1

    @pytest.mark.parametrize(
        ("data", "field", "message"),
        [
            ({"note": " "}, "note", "请写明承办单位须做什么。"),
            ({"note": "快办", "days": "40"}, "days", "期限须为 1 至 30 个工作日。"),
        ],
    )
    def test_it_shows_supervision_errors_in_place(
        self, client: Client, cast: Cast, data: dict[str, str], field: str, message: str
    ) -> None:
        ticket = dispatched(cast)
        client.force_login(cast.supervisor)
        response = post(client, ticket, "supervise", htmx=True, **data)
        assert response.status_code == 400
        html = response.content.decode()
        assert html.startswith('<section id="action-panel"')
        assert f'id="id_supervise_{field}_error" role="alert">{message}<' in html
        assert not SupervisionOrder.objects.exists()

    def test_it_refuses_supervision_from_a_dispatcher(self, client: Client, cast: Cast) -> None:
        ticket = dispatched(cast)
        client.force_login(cast.dispatcher)
        for htmx in (False, True):
            response = post(client, ticket, "supervise", htmx=htmx, note="我来督办")
            assert response.status_code == 403
            assert "只有督办员可以发出督办单。" in response.content.decode()
        assert not SupervisionOrder.objects.exists()

    def test_it_says_a_resolved_ticket_needs_no_supervision(
        self, client: Client, cast: Cast
    ) -> None:
        ticket = resolved(cast)
        client.force_login(cast.supervisor)
        response = post(client, ticket, "supervise", htmx=True, note="再督一次")
        assert response.status_code == 409
        html = response.content.decode()
        assert f"工单 {ticket.number} 不在单位办理中，无需督办。" in html
        assert f'href="/tickets/{ticket.number}/">刷新</a>' in html
        assert offered_forms(html) == []

    def test_it_records_a_follow_up_call(self, client: Client, cast: Cast) -> None:
        ticket = resolved(cast)
        client.force_login(cast.dispatcher)
        response = post(client, ticket, "visit", outcome="dissatisfied", note="仍然很吵")
        assert response.status_code == 302
        assert response["Location"] == f"/tickets/{ticket.number}/"
        assert fresh(ticket).status == Status.IN_PROGRESS
        html = page(client, ticket)
        assert "已退回承办单位重新办理" in html
        visits = re.search(r'data-testid="visits">(.*?)</section>', html, re.DOTALL)
        assert visits is not None
        assert "<strong>不满意</strong>" in visits.group(1)
        assert "仍然很吵" in visits.group(1)
        order = SupervisionOrder.objects.get(ticket=ticket)
        assert order.reason == "dissatisfied"
        assert "群众不满意" in html

    def test_it_shows_a_missing_outcome_in_the_panel(self, client: Client, cast: Cast) -> None:
        ticket = resolved(cast)
        client.force_login(cast.supervisor)
        response = post(client, ticket, "visit", htmx=True, note="")
        assert response.status_code == 400
        html = response.content.decode()
        assert html.startswith('<section id="action-panel"')
        assert 'id="id_visit_outcome_error" role="alert">回访结果须为以下之一' in html
        assert not Visit.objects.exists()

    def test_it_marks_a_repeat_report(self, client: Client, cast: Cast) -> None:
        earlier = dispatched(cast)
        later = new_ticket(cast.dispatcher)
        client.force_login(cast.dispatcher)
        response = post(client, later, "repeat", number=earlier.number)
        assert response.status_code == 302
        assert fresh(later).repeat_of == earlier
        assert fresh(later).status == Status.NEW
        html = page(client, later)
        assert f"工单 {later.number} 已标记为 {earlier.number} 的重复反映。" in html
        assert (
            f'<dd data-testid="repeat-of"><a href="/tickets/{earlier.number}/">'
            f"{earlier.number}</a></dd>"
        ) in html
        # Marked once: the form is not offered again.
        assert "repeat" not in offered_forms(html)
        html = page(client, earlier)
        assert '<dd data-testid="repeat-count">1</dd>' in html
        assert "重复反映 1 次" in html

    def test_it_merges_a_repeat_report(self, client: Client, cast: Cast) -> None:
        earlier = dispatched(cast)
        later = new_ticket(cast.dispatcher)
        client.force_login(cast.admin)
        response = post(client, later, "repeat", htmx=True, number=earlier.number, merge="on")
        assert response["HX-Redirect"] == f"/tickets/{later.number}/"
        later = fresh(later)
        assert (later.status, later.merged_into) == (Status.MERGED, earlier)
        assert "并已并入该工单" in page(client, later)

    @pytest.mark.parametrize(
        ("number", "message"),
        [
            ("", "请填写先前工单的编号。"),
            ("JB20990101-0001", "没有工单 JB20990101-0001。"),
            ("self", "工单不能标记为自身的重复反映。"),
        ],
    )
    def test_it_shows_a_bad_earlier_number_on_its_field(
        self, client: Client, cast: Cast, number: str, message: str
    ) -> None:
        ticket = new_ticket(cast.dispatcher)
        client.force_login(cast.dispatcher)
        number = ticket.number if number == "self" else number
        response = post(client, ticket, "repeat", htmx=True, number=number)
        assert response.status_code == 400
        html = response.content.decode()
        assert f'id="id_repeat_number_error" role="alert">{message}<' in html
        assert fresh(ticket).repeat_of is None

    def test_it_refuses_to_merge_a_dispatched_repeat(self, client: Client, cast: Cast) -> None:
        earlier = new_ticket(cast.dispatcher)
        later = dispatched(cast)
        events = TicketEvent.objects.count()
        client.force_login(cast.dispatcher)
        response = post(client, later, "repeat", htmx=True, number=earlier.number, merge="on")
        assert response.status_code == 409
        assert "不能“合并”。请刷新页面。" in response.content.decode()
        assert TicketEvent.objects.count() == events
        assert fresh(earlier).repeat_count == 0

    def test_it_refuses_a_repeat_from_a_unit(self, client: Client, cast: Cast) -> None:
        earlier = dispatched(cast)
        later = dispatched(cast)
        client.force_login(cast.handler_a)
        response = post(client, later, "repeat", number=earlier.number)
        assert response.status_code == 403
        assert "只有指挥中心可以标记重复反映。" in response.content.decode()
        assert fresh(later).repeat_of is None

    @pytest.mark.parametrize(
        ("form", "data"),
        [
            ("supervise", {"note": "快"}),
            ("visit", {"outcome": "satisfied"}),
            ("repeat", {"number": "JB20990101-0001"}),
        ],
    )
    def test_it_is_a_404_for_another_unit(
        self, client: Client, cast: Cast, form: str, data: dict[str, str]
    ) -> None:
        ticket = resolved(cast) if form == "visit" else dispatched(cast)
        events = TicketEvent.objects.count()
        client.force_login(cast.handler_b)
        assert post(client, ticket, form, **data).status_code == 404
        response = post(client, ticket, form, htmx=True, **data)
        assert response.status_code == 404
        assert response.content.decode().startswith('<section id="action-panel"')
        assert TicketEvent.objects.count() == events

    def test_it_takes_only_posts(self, client: Client, cast: Cast) -> None:
        ticket = dispatched(cast)
        client.force_login(cast.supervisor)
        for path in ("supervise", "visit", "repeat-of"):
            assert client.get(f"/tickets/{ticket.number}/{path}/").status_code == 405

    def test_it_shows_the_orders_of_a_ticket(self, client: Client, cast: Cast) -> None:
        ticket = supervised(cast, breaches=2)
        supervise_ticket(ticket.number, note="领导关注", by=cast.supervisor)
        client.force_login(cast.handler_a)
        html = page(client, ticket)
        orders = re.search(r'data-testid="orders">(.*?)</section>', html, re.DOTALL)
        assert orders is not None
        links = re.findall(r'href="/supervision/(DB\d{8}-\d{4})/print/"', orders.group(1))
        assert links == list(ticket.orders.order_by("issued_at").values_list("number", flat=True))
        for text in ("督促办", "重点办", "深入办", "超期", "督办员发起", "领导关注"):
            assert text in orders.group(1)
        assert '<span class="badge level level-3" data-testid="badge-level">深入办</span>' in html

    def test_it_tells_the_supervision_story_on_the_timeline(
        self, client: Client, cast: Cast
    ) -> None:
        ticket = supervised(cast, signed=False)
        earlier_number = ticket.number
        later = new_ticket(cast.dispatcher)
        mark_repeat(later.number, of=earlier_number, by=cast.dispatcher)
        transitions.accept_ticket(ticket.number, by=cast.handler_a)
        transitions.resolve_ticket(ticket.number, result="已处理", by=cast.handler_a)
        record_visit(ticket.number, outcome="dissatisfied", note="没解决", by=cast.dispatcher)
        client.force_login(cast.dispatcher)
        timeline = page(client, ticket).split('class="timeline"')[1]
        details = [
            (label, value)
            for label, value in re.findall(r"<dt>([^<]+)</dt><dd>([^<]*)</dd>", timeline)
        ]
        assert ("原因", "超期") in details
        assert ("级别", "督促办") in details
        assert ("重复反映工单", later.number) in details
        assert ("回访结果", "不满意") in details
        assert ("回访", "不满意") in details
        assert ("原因", "群众不满意") in details
        assert ("已办结的督办单", ticket.orders.order_by("pk").first().number) in details  # type: ignore[union-attr]
        assert "overdue" not in timeline and "dissatisfied" not in timeline

    def test_it_shows_due_soon_and_overdue_badges(self, client: Client, cast: Cast) -> None:
        # Dispatched Monday 2 March: due Monday 9 March at the end of the day.
        ticket = dispatched_at(cast, local(2026, 3, 2))
        client.force_login(cast.handler_a)
        with time_machine.travel(local(2026, 3, 4, 9), tick=False):
            html = page(client, ticket)
        assert 'data-testid="badge-due-soon"' not in html
        assert 'data-testid="badge-overdue"' not in html
        with time_machine.travel(local(2026, 3, 6, 9), tick=False):
            html = page(client, ticket)
        assert 'data-testid="badge-due-soon">即将到期<' in html
        with time_machine.travel(local(2026, 3, 10, 9), tick=False):
            html = page(client, ticket)
        assert 'data-testid="badge-overdue">超期<' in html
        assert 'data-testid="badge-due-soon"' not in html

    def test_it_speaks_english_after_set_language(self, client: Client, cast: Cast) -> None:
        ticket = resolved(cast)
        mark_repeat(new_ticket(cast.dispatcher).number, of=ticket.number, by=cast.dispatcher)
        client.force_login(cast.dispatcher)
        client.post("/i18n/setlang/", {"language": "en", "next": "/"})
        html = page(client, ticket)
        for text in ("Record the follow-up call", "Basically satisfied", "Reported again: 1"):
            assert text in html

    def test_it_runs_a_fixed_number_of_queries(
        self, client: Client, cast: Cast, django_assert_num_queries: object
    ) -> None:
        ticket = supervised(cast, breaches=3)
        earlier = new_ticket(cast.dispatcher)
        mark_repeat(ticket.number, of=earlier.number, by=cast.dispatcher)
        client.force_login(cast.supervisor)
        # session, user, the bell, ticket, attachments, events with actors, unit names, first
        # handler, the ticket it repeats, its orders, its calls, the due-soon horizon
        monday = time_machine.travel(local(2026, 3, 16, 9), tick=False)
        # (+2: the ticket's extension, and whether one waits, for the centre's decision forms;
        # +1: its hand-overs to people's mediation)
        with monday, django_assert_num_queries(15):  # type: ignore[operator]
            assert client.get(f"/tickets/{ticket.number}/").status_code == 200
