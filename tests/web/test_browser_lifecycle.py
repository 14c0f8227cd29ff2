"""One ticket's life in a real browser: registered, dispatched, accepted and resolved on a
phone-sized screen through the inbox, then closed; and a follow-up call recorded from the
command centre's queue on a phone. Screenshots of each step go to test-artifacts/.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from jieban.intake.actions import TicketDraft, register_ticket
from jieban.org.models import Unit
from jieban.tickets import transitions
from jieban.tickets.models import Status, Ticket
from tests.conftest import Cast
from tests.web.browser import (
    Screenshots,
    desk_context,
    fits_width,
    log_in,
    phone_context,
    status_badge,
)

pytestmark = pytest.mark.browser

shot = Screenshots("lifecycle-")


def test_it_takes_a_ticket_from_call_to_closing(
    live_cast: Cast, live_server: Any, browser: Browser
) -> None:
    base = live_server.url

    # The dispatcher takes a call at a desktop.
    desk = desk_context(browser)
    page = desk.new_page()
    page.goto(f"{base}/login/")
    expect(page.locator("h1")).to_have_text("登录")
    shot(page, "01-login")
    log_in(page, base, "dispatcher")
    assert page.evaluate("typeof htmx") == "object", "the vendored htmx did not load"

    page.click("nav >> text=登记来电")
    expect(page.locator("#id_resident_phone")).to_be_focused()
    page.keyboard.type("13900001111")
    page.fill("#id_resident_name", "王五")
    page.fill("#id_address", "甲一社区 7 栋 302")
    page.select_option("#id_grid", "G-01")
    page.select_option("#id_category", "renovation_noise")
    page.fill("#id_content", "楼上每天早上七点开始装修，电钻声很大。")
    shot(page, "02-register")
    # Enter in a one-line field submits the form, as on any desk phone form.
    page.focus("#id_address")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/tickets/JB\d{8}-\d{4}/$"))
    number = page.url.rstrip("/").rsplit("/", 1)[-1]
    expect(status_badge(page)).to_have_text("待交办")
    expect(page.locator('[data-testid="phone"]')).to_have_text("13900001111")
    shot(page, "03-registered")

    page.select_option("#id_dispatch_unit", "PS-A")
    page.click("form[data-action=dispatch] button[type=submit]")
    expect(status_badge(page)).to_have_text("已交办")
    shot(page, "04-dispatched")

    # The station's handler works it from a phone.
    phone = phone_context(browser)
    mobile = phone.new_page()
    log_in(mobile, base, "handler_a")
    mobile.click("nav >> text=待办")
    row = mobile.locator(f'[data-testid="inbox-to_accept"] a[href="/tickets/{number}/"]')
    expect(row).to_be_visible()
    assert fits_width(mobile)
    shot(mobile, "05-inbox")
    row.click()
    mobile.wait_for_url(f"{base}/tickets/{number}/")
    assert fits_width(mobile)
    mobile.click("form[data-action=accept] button[type=submit]")
    expect(status_badge(mobile)).to_have_text("办理中")
    shot(mobile, "06-accepted")

    # An empty result is refused in place, without leaving the page.
    mobile.click("form[data-action=resolve] button[type=submit]")
    expect(mobile.locator("#id_resolve_result_error")).to_have_text("办理结果不能为空。")
    shot(mobile, "07-resolve-refused")
    mobile.fill("#id_resolve_result", "已上门劝导，施工方承诺八点后施工。")
    mobile.click("form[data-action=resolve] button[type=submit]")
    expect(status_badge(mobile)).to_have_text("已办结")
    assert fits_width(mobile)
    shot(mobile, "08-resolved")

    # Back at the desk, the dispatcher closes it after the follow-up call.
    page.reload()
    expect(status_badge(page)).to_have_text("已办结")
    page.fill("#id_close_note", "回访群众，表示满意。")
    page.click("form[data-action=close] button[type=submit]")
    expect(status_badge(page)).to_have_text("已归档")
    expect(page.locator("#action-panel")).to_contain_text("您目前对此工单没有可执行的操作。")
    shot(page, "09-closed")

    ticket = Ticket.objects.get(number=number)
    assert ticket.status == Status.CLOSED
    assert ticket.result == "已上门劝导，施工方承诺八点后施工。"
    assert list(ticket.events.order_by("at", "pk").values_list("kind", flat=True)) == [
        "intake",
        "dispatch",
        "accept",
        "resolve",
        "close",
    ]
    phone.close()
    desk.close()


def test_it_records_the_follow_up_call_from_the_queue(
    live_cast: Cast, live_server: Any, browser: Browser
) -> None:
    base = live_server.url
    draft = TicketDraft(
        channel="phone", content="小区门口夜市噪音扰民。", resident_phone="13900002222"
    )
    ticket, _created = register_ticket(draft, by=live_cast.dispatcher)
    station = Unit.objects.get(code="PS-A")
    transitions.dispatch_ticket(ticket.number, unit=station, by=live_cast.dispatcher)
    transitions.accept_ticket(ticket.number, by=live_cast.handler_a)
    transitions.resolve_ticket(ticket.number, result="已劝导摊贩十点收摊。", by=live_cast.handler_a)

    # The dispatcher works the queue from a phone-sized screen.
    phone = phone_context(browser)
    page = phone.new_page()
    log_in(page, base, "dispatcher")
    page.click("nav >> text=回访")
    page.wait_for_url(f"{base}/follow-up/")
    row = page.locator(f'[data-testid="follow-up-row"][data-ticket="{ticket.number}"]')
    expect(row).to_contain_text("已劝导摊贩十点收摊。")
    expect(row.locator('a[href="tel:13900002222"]')).to_be_visible()
    assert fits_width(page)
    shot(page, "10-follow-up-queue")

    # No outcome chosen: refused in the row, without leaving the page.
    row.locator("button[type=submit]").click()
    expect(row.locator(f"#id_visit_{ticket.number}_outcome_error")).to_contain_text("回访结果须为")
    shot(page, "11-follow-up-refused")
    row.locator("label.choice", has_text="基本满意").click()
    row.locator("textarea").fill("群众表示基本满意。")
    row.locator("button[type=submit]").click()
    expect(page.locator(".messages")).to_contain_text(f"工单 {ticket.number} 已归档。")
    expect(page.locator('[data-testid="follow-up-row"]')).to_have_count(0)
    shot(page, "12-follow-up-recorded")
    phone.close()

    fresh = Ticket.objects.get(pk=ticket.pk)
    assert fresh.status == Status.CLOSED
    assert list(fresh.visits.values_list("outcome", "note")) == [
        ("basically_satisfied", "群众表示基本满意。")
    ]
