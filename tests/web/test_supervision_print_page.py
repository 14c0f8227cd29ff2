"""The printable supervision order (督办单): an A4 page with the bureau's heading and the facts."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django.test import Client

from jieban.tickets.supervision import supervise_ticket
from tests.conftest import Cast
from tests.web.conftest import dispatched, supervised

PRINT_CSS = Path(__file__).resolve().parents[2] / "src/jieban/web/static/web/print.css"


def facts(html: str) -> dict[str, str]:
    """The facts table, label → text."""
    rows = re.findall(r"<tr><th>(.*?)</th><td[^>]*>(.*?)</td></tr>", html, flags=re.DOTALL)
    return {label: re.sub(r"<br>", "\n", value).strip() for label, value in rows}


class TestSupervisionPrintPage:
    def test_it_prints_the_order(self, client: Client, cast: Cast) -> None:
        ticket = supervised(cast, "PS-A")
        order = ticket.orders.get()
        client.force_login(cast.supervisor)
        response = client.get(f"/supervision/{order.number}/print/")
        assert response.status_code == 200
        html = response.content.decode()
        assert '<p class="bureau" data-testid="bureau">测试县公安局</p>' in html
        assert "<h1>督办单</h1>" in html
        assert f'<span data-testid="order-number">编号： {order.number}</span>' in html
        assert '<span class="level level-1" data-testid="order-level">督促办</span>' in html
        assert "承办单位：甲派出所" in html
        assert facts(html) == {
            "工单": ticket.number,
            "标题": ticket.title,
            "诉求内容": ticket.content,
            "地址": "甲一社区 3 栋 502",
            "承办单位": "甲派出所",
            "原因": "超期",
            "级别": "督促办",
            "发出时间": "2026-03-10 00:00",
            "新办理期限": "2026-03-12 23:59",
            "原办理期限（已超期）": "2026-03-09 23:59",
            "说明": "—",
        }
        for text in ("签发人（签字）", "盖章", 'data-testid="signature"'):
            assert text in html
        # Its own sheet, not the app's pages: no menu, no bell.
        assert 'class="menu"' not in html and 'data-testid="bell"' not in html
        assert "/static/web/print.css" in html

    def test_a_superseded_order_names_the_order_that_took_its_place(
        self, client: Client, cast: Cast
    ) -> None:
        ticket = supervised(cast, "PS-A", breaches=2)
        earlier, later = ticket.orders.order_by("issued_at")
        client.force_login(cast.supervisor)
        html = client.get(f"/supervision/{earlier.number}/print/").content.decode()
        assert facts(html)["后续督办单"] == later.number
        assert "办结时间" not in facts(html)
        html = client.get(f"/supervision/{later.number}/print/").content.decode()
        assert "后续督办单" not in facts(html)
        # The ticket's page and its printout say so in the orders' list.
        for path in (f"/tickets/{ticket.number}/", f"/tickets/{ticket.number}/print/"):
            html = client.get(path).content.decode()
            assert html.count(f"已被 {later.number} 取代") == 1, path

    def test_it_is_an_a4_page(self) -> None:
        css = PRINT_CSS.read_text()
        assert re.search(r"@page\s*{\s*size:\s*A4;", css)
        assert "@media print" in css

    def test_it_prints_a_manual_order_with_its_note(self, client: Client, cast: Cast) -> None:
        ticket = dispatched(cast, "PS-B")
        order = supervise_ticket(
            ticket.number, note="请三日内上门核实。", days=3, by=cast.supervisor
        )
        client.force_login(cast.handler_b)
        html = client.get(f"/supervision/{order.number}/print/").content.decode()
        shown = facts(html)
        assert shown["原因"] == "督办员发起"
        assert shown["说明"] == "请三日内上门核实。"
        assert "原办理期限（已超期）" not in shown

    def test_it_uses_the_configured_bureau_name(
        self, client: Client, cast: Cast, settings: Any
    ) -> None:
        settings.JIEBAN_BUREAU_NAME = "某某县公安局"
        order = supervised(cast).orders.get()
        client.force_login(cast.dispatcher)
        html = client.get(f"/supervision/{order.number}/print/").content.decode()
        assert '<p class="bureau" data-testid="bureau">某某县公安局</p>' in html

    def test_it_is_a_404_for_another_unit(self, client: Client, cast: Cast) -> None:
        ticket = supervised(cast, "PS-A")
        order = ticket.orders.get()
        client.force_login(cast.handler_b)
        response = client.get(f"/supervision/{order.number}/print/")
        assert response.status_code == 404
        html = response.content.decode()
        assert "督办单" not in html and ticket.title not in html
        client.force_login(cast.handler_a)
        assert client.get(f"/supervision/{order.number}/print/").status_code == 200

    def test_it_is_a_404_for_no_such_order(self, client: Client, cast: Cast) -> None:
        client.force_login(cast.supervisor)
        assert client.get("/supervision/DB20990101-0001/print/").status_code == 404

    def test_it_speaks_english_after_set_language(self, client: Client, cast: Cast) -> None:
        order = supervised(cast).orders.get()
        client.force_login(cast.supervisor)
        client.post("/i18n/setlang/", {"language": "en", "next": "/"})
        html = client.get(f"/supervision/{order.number}/print/").content.decode()
        assert "<h1>Supervision order</h1>" in html
        assert "Test County Bureau" in html
        assert "Urged (督促办)" in html
        assert "To: Station A" in html
