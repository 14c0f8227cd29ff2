"""The printable ticket: an A4 sheet with the ticket's facts and its timeline."""

from __future__ import annotations

import re

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from jieban.intake.actions import add_attachment
from jieban.tickets.supervision import supervise_ticket
from jieban.tickets.transitions import close_ticket
from jieban.tickets.visits import record_visit
from tests.conftest import Cast, new_ticket
from tests.web.conftest import dispatched, in_progress, resolved
from tests.web.test_register_page import PNG
from tests.web.test_supervision_print_page import facts


def sheet(client: Client, number: str) -> str:
    response = client.get(f"/tickets/{number}/print/")
    assert response.status_code == 200
    return response.content.decode()


def timeline(html: str) -> list[str]:
    part = html.split('data-testid="timeline"')[1]
    return re.findall(r'<td class="when">[^<]+</td>\s*<td><strong>([^<]+)</strong>', part)


class TestTicketPrintPage:
    def test_it_prints_the_facts_and_the_timeline(self, client: Client, cast: Cast) -> None:
        ticket = resolved(cast)
        client.force_login(cast.dispatcher)
        html = sheet(client, ticket.number)
        assert '<p class="bureau" data-testid="bureau">测试县公安局</p>' in html
        assert "<h1>工单</h1>" in html
        assert f'<span data-testid="ticket-number">编号： {ticket.number}</span>' in html
        shown = facts(html)
        assert shown["标题"] == ticket.title
        assert shown["诉求内容"] == ticket.content
        assert shown["类别"] == "装修噪音"
        assert shown["群众"] == "张三"
        assert shown["电话"] == "13812341234"
        assert shown["地址"] == "甲一社区 3 栋 502"
        assert shown["承办单位"] == "甲派出所"
        assert shown["办理结果"] == "已协调停工。"
        assert timeline(html) == ["已登记", "已交办", "已签收", "已办结"]
        assert "待交办 → 已交办" in html
        assert re.search(
            r'class="printed muted">dispatcher 于 \d{4}-\d\d-\d\d \d\d:\d\d 打印<', html
        )

    def test_it_prints_an_answer_on_the_spot_once(self, client: Client, cast: Cast) -> None:
        ticket = new_ticket(cast.dispatcher)
        close_ticket(ticket.number, note="已告知办理流程。", by=cast.dispatcher)
        client.force_login(cast.dispatcher)
        html = sheet(client, ticket.number)
        assert facts(html)["办理结果"] == "已告知办理流程。"
        assert "归档说明" not in facts(html)
        assert html.count("已告知办理流程。") == 2  # the result, and the close on the timeline

    def test_it_is_its_own_a4_sheet(self, client: Client, cast: Cast) -> None:
        ticket = new_ticket(cast.dispatcher)
        client.force_login(cast.dispatcher)
        html = sheet(client, ticket.number)
        assert "/static/web/print.css" in html  # @page { size: A4 } and the print rules
        assert 'class="menu"' not in html and 'data-testid="bell"' not in html
        assert '<button type="button" data-print>' in html and "/static/web/print.js" in html
        assert f'href="/tickets/{ticket.number}/"' in html

    def test_it_masks_the_phone_for_onlookers(self, client: Client, cast: Cast) -> None:
        ticket = dispatched(cast)
        for person, expected in [
            (cast.dispatcher, "13812341234"),
            (cast.handler_a, "13812341234"),
            (cast.leader, "138****1234"),
        ]:
            client.force_login(person)
            html = sheet(client, ticket.number)
            assert facts(html)["电话"] == expected, person
            if expected != "13812341234":
                assert "13812341234" not in html

    def test_it_lists_calls_orders_and_attachments(self, client: Client, cast: Cast) -> None:
        ticket = in_progress(cast)
        supervise_ticket(ticket.number, note="三日内办结", days=None, by=cast.supervisor)
        add_attachment(
            ticket.number,
            SimpleUploadedFile("现场.png", PNG, content_type="image/png"),
            by=cast.handler_a,
        )
        done = resolved(cast)
        record_visit(done.number, outcome="satisfied", note="群众满意。", by=cast.dispatcher)
        client.force_login(cast.dispatcher)
        html = sheet(client, ticket.number)
        assert 'data-testid="orders"' in html and "督促办" in html
        assert facts(html)["附件"] == "现场.png"
        html = sheet(client, done.number)
        assert 'data-testid="visits"' in html and "群众满意。" in html

    def test_it_is_a_404_for_another_unit(self, client: Client, cast: Cast) -> None:
        ticket = dispatched(cast, "PS-A")
        client.force_login(cast.handler_b)
        response = client.get(f"/tickets/{ticket.number}/print/")
        assert response.status_code == 404
        assert ticket.content not in response.content.decode()

    def test_the_ticket_page_links_to_it(self, client: Client, cast: Cast) -> None:
        ticket = new_ticket(cast.dispatcher)
        client.force_login(cast.dispatcher)
        html = client.get(f"/tickets/{ticket.number}/").content.decode()
        assert f'href="/tickets/{ticket.number}/print/" data-testid="print-link"' in html

    def test_it_runs_a_fixed_number_of_queries(
        self, client: Client, cast: Cast, django_assert_max_num_queries: object
    ) -> None:
        ticket = resolved(cast)
        client.force_login(cast.dispatcher)
        # session, user, ticket, bureau heading, follow-up calls, attachments, events with
        # actors, unit names of the timeline
        with django_assert_max_num_queries(8):  # type: ignore[operator]
            sheet(client, ticket.number)
