"""The whole life of one ticket, walked through the pages in one go as the people would, each in
a browser of their own: the dispatcher registers a call and dispatches it; the station's handler
accepts and resolves it on a phone; the dispatcher's follow-up call finds the resident
dissatisfied, which reopens the ticket under a supervision order; the supervisor finds that
order; the leader opens the month's report and downloads it as Excel, which is opened and
checked against the page. Nothing but the pages moves the story on; the database is only read,
to check. The clock is fixed on a Tuesday, so the deadlines and the month are the same on every
run. Screenshots of every step go to test-artifacts/walk/.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, expect

from jieban.stats.figures import figures
from jieban.tickets.models import Status, SupervisionOrder, Ticket
from tests.conftest import Cast, local
from tests.web.browser import (
    ARTIFACTS,
    FIELDS,
    PHONE_WIDTH,
    Screenshots,
    data_testid,
    desk_context,
    fits_width,
    log_in,
    phone_context,
    shown_figures,
    status_badge,
)

pytestmark = pytest.mark.browser

shot = Screenshots("walk/")

# Tuesday 10 March 2026, 09:00 in the bureau: five working days from today end on Tuesday
# 17 March, two on Thursday 12 March (no holiday falls between).
WALK_STARTS = local(2026, 3, 10, 9)
PERIOD = "2026-03"
RESULT = "已上门劝导，施工方承诺晚八点后停工。"
COMPLAINT = "楼上每天晚上十点后还在装修，电钻声很大。"


def shown_orders_by_level(page: Page) -> dict[str, int]:
    """The report page's supervision orders issued in the period, by level label."""
    rows = page.locator(f"{data_testid('orders-by-level')} tbody tr")
    return {
        rows.nth(index).locator(".badge").inner_text(): int(
            rows.nth(index).locator("[data-value]").get_attribute("data-value") or ""
        )
        for index in range(rows.count())
    }


def test_a_ticket_walks_from_the_call_to_the_monthly_report(
    live_cast: Cast, live_server: Any, browser: Browser
) -> None:
    base = live_server.url
    # The live server runs in this process: the fixed clock holds for it too.
    with time_machine.travel(WALK_STARTS, tick=True):
        # -- The dispatcher takes the call at a desk and sends it to station A.
        dispatcher = desk_context(browser).new_page()
        log_in(dispatcher, base, "dispatcher")
        shot(dispatcher, "01-dispatcher-home")
        dispatcher.click("nav >> text=登记来电")
        dispatcher.wait_for_url(f"{base}/tickets/new/")
        dispatcher.fill("#id_resident_phone", "13900004444")
        dispatcher.fill("#id_resident_name", "周先生")
        dispatcher.fill("#id_address", "甲一社区 5 栋 201")
        dispatcher.select_option("#id_grid", "G-01")
        dispatcher.select_option("#id_category", "renovation_noise")
        dispatcher.fill("#id_content", COMPLAINT)
        shot(dispatcher, "02-register")
        dispatcher.click("#register-form button[type=submit]")
        dispatcher.wait_for_url(re.compile(r"/tickets/JB20260310-\d{4}/$"))
        number = dispatcher.url.rstrip("/").rsplit("/", 1)[-1]
        expect(status_badge(dispatcher)).to_have_text("待交办")
        shot(dispatcher, "03-registered")

        dispatcher.select_option("#id_dispatch_unit", "PS-A")
        dispatcher.click("form[data-action=dispatch] button[type=submit]")
        expect(status_badge(dispatcher)).to_have_text("已交办")
        expect(dispatcher.locator(".detail-grid")).to_contain_text("2026-03-17 23:59")
        shot(dispatcher, "04-dispatched")

        # -- The handler of station A works it on a phone.
        handler = phone_context(browser, height=812).new_page()
        log_in(handler, base, "handler_a")
        handler.click("nav >> text=待办")
        handler.wait_for_url(f"{base}/inbox/")
        row = handler.locator(f'{data_testid("inbox-to_accept")} a[href="/tickets/{number}/"]')
        expect(row).to_contain_text(number)
        expect(row).to_contain_text("2026-03-17 23:59")
        assert handler.viewport_size == {"width": PHONE_WIDTH, "height": 812}
        assert fits_width(handler)
        shot(handler, "05-handler-inbox")

        row.click()
        handler.wait_for_url(f"{base}/tickets/{number}/")
        handler.click("form[data-action=accept] button[type=submit]")
        expect(status_badge(handler)).to_have_text("办理中")
        assert fits_width(handler)
        shot(handler, "06-accepted")

        handler.fill("#id_resolve_result", RESULT)
        handler.click("form[data-action=resolve] button[type=submit]")
        expect(status_badge(handler)).to_have_text("已办结")
        assert fits_width(handler)
        shot(handler, "07-resolved")

        # -- The dispatcher calls the resident back from the follow-up queue: dissatisfied.
        dispatcher.click("nav >> text=回访")
        dispatcher.wait_for_url(f"{base}/follow-up/")
        call = dispatcher.locator(f'[data-testid="follow-up-row"][data-ticket="{number}"]')
        expect(call).to_contain_text(RESULT)
        expect(call.locator('a[href="tel:13900004444"]')).to_be_visible()
        shot(dispatcher, "08-follow-up-queue")
        call.locator("label.choice", has_text="不满意").click()
        call.locator("textarea").fill("群众反映晚上仍有施工噪音。")
        call.locator("button[type=submit]").click()
        expect(dispatcher.locator(".messages")).to_contain_text(
            f"回访已记录（不满意）：工单 {number} 已退回承办单位重新办理，并已发出督办单。"
        )
        expect(call).to_have_count(0)
        shot(dispatcher, "09-dissatisfied-recorded")

        # Back in progress with its unit, under a 督促办 order due in two working days.
        dispatcher.goto(f"{base}/tickets/{number}/")
        expect(status_badge(dispatcher)).to_have_text("办理中")
        expect(dispatcher.locator(data_testid("badge-level"))).to_have_text("督促办")
        expect(dispatcher.locator(data_testid("orders"))).to_contain_text("群众不满意")
        expect(dispatcher.locator(data_testid("visits"))).to_contain_text("不满意")
        shot(dispatcher, "10-reopened")
        ticket = Ticket.objects.get(number=number)
        assert ticket.status == Status.IN_PROGRESS
        assert ticket.supervision_level == 1
        order = SupervisionOrder.objects.get(ticket=ticket)
        assert (order.reason, order.level, order.unit.code) == ("dissatisfied", 1, "PS-A")
        assert order.due_at == local(2026, 3, 12, 23, 59) + dt.timedelta(seconds=59)
        assert ticket.due_at == order.due_at
        assert list(ticket.events.order_by("at", "pk").values_list("kind", flat=True)) == [
            "intake",
            "dispatch",
            "accept",
            "resolve",
            "visit",
            "reopen",
            "supervise",
        ]

        # The handler finds it back in the inbox, in progress.
        handler.click("nav >> text=待办")
        back = handler.locator(f'{data_testid("inbox-in_progress")} a[href="/tickets/{number}/"]')
        expect(back).to_contain_text("办理中")
        expect(back).to_contain_text("2026-03-12 23:59")
        assert fits_width(handler)
        shot(handler, "11-handler-inbox-reopened")
        handler.context.close()

        dispatcher.context.close()

        # -- The supervisor sees the order on their home page and on the supervision board.
        supervisor = desk_context(browser).new_page()
        log_in(supervisor, base, "supervisor")
        expect(supervisor.locator(data_testid("count-level-1"))).to_have_text("1")
        unit_row = supervisor.locator(f'{data_testid("orders-by-unit")} tr[data-unit="PS-A"]')
        expect(unit_row.locator('td[data-level="1"]')).to_have_text("1")
        shot(supervisor, "12-supervisor-home")
        unit_row.locator('td[data-level="1"] a').click()
        supervisor.wait_for_url(f"{base}/supervision/?unit=PS-A&level=1")
        listed = supervisor.locator(
            f'{data_testid("orders-level-1")} tr[data-order="{order.number}"]'
        )
        expect(listed).to_contain_text(number)
        expect(listed).to_contain_text("甲派出所")
        expect(listed).to_contain_text("群众不满意")
        expect(listed).to_contain_text("2026-03-12 23:59")
        expect(supervisor.locator("tr[data-order]")).to_have_count(1)
        shot(supervisor, "13-supervision-board")
        listed.get_by_role("link", name=order.number).click()
        supervisor.wait_for_url(f"{base}/supervision/{order.number}/print/")
        sheet = supervisor.locator(data_testid("order-sheet"))
        expect(sheet.locator(data_testid("order-level"))).to_have_text("督促办")
        expect(sheet.locator(".facts")).to_contain_text(number)
        expect(sheet.locator(".facts .deadline")).to_have_text("2026-03-12 23:59")
        shot(supervisor, "14-supervision-order")
        supervisor.context.close()

        # -- The leader opens this month's report and downloads it.
        leader = desk_context(browser, accept_downloads=True).new_page()
        log_in(leader, base, "leader")
        on_home = shown_figures(leader, data_testid("leader-this-month-figures"))
        shot(leader, "15-leader-home")
        leader.click(data_testid("leader-this-month-report"))
        leader.wait_for_url(f"{base}/reports/monthly/{PERIOD}/")
        expect(leader.locator(data_testid("report-title"))).to_have_text(f"月报 {PERIOD}")
        shown = shown_figures(leader, data_testid("overall-figures"))
        live = figures(live_cast.leader, start=dt.date(2026, 3, 1), end=dt.date(2026, 4, 1))
        assert shown == on_home == {field: live[0].as_row()[field] for field in FIELDS}
        # The one ticket: reopened, so not resolved; called back once, not satisfied.
        assert (shown["total"], shown["resolved"], shown["closure_rate"]) == (1, 0, 0.0)
        assert (shown["visited"], shown["satisfied"], shown["satisfaction_rate"]) == (1, 0, 0.0)
        assert (shown["on_time_rate"], shown["overdue_open"]) == (None, 0)
        levels = shown_orders_by_level(leader)
        assert levels == {"深入办": 0, "重点办": 0, "督促办": 1}
        station_row = f'{data_testid("report-unit")} tr[data-key="PS-A"]'
        expect(leader.locator(station_row)).to_have_count(1)
        by_unit = shown_figures(leader, station_row)
        assert by_unit["total"] == 1
        expect(
            leader.locator('[data-testid="chart-trend"][data-chart-ready="true"]')
        ).to_have_count(1)
        shot(leader, "16-monthly-report")

        with leader.expect_download() as download_info:
            leader.click(data_testid("export"))
        download = download_info.value
        assert download.suggested_filename == f"jieban-monthly-{PERIOD}.xlsx"
        saved = ARTIFACTS / "walk" / f"monthly-{PERIOD}.xlsx"
        download.save_as(saved)
        leader.context.close()

    book = load_workbook(saved)
    overall = book["总体"]
    assert [cell.value for cell in overall[2]] == [PERIOD, *(shown[field] for field in FIELDS)]
    labelled = {row[0].value: row[1].value for row in overall.iter_rows(min_row=3) if row[0].value}
    assert {label: labelled[label] for label in levels} == levels
    assert labelled["合计"] == sum(levels.values()) == 1
    units = {row[0].value: row[2:] for row in book["按单位"].iter_rows(min_row=2)}
    assert list(units) == ["PS-A"]
    in_sheet = dict(zip(FIELDS, (cell.value for cell in units["PS-A"]), strict=True))
    assert {field: in_sheet[field] for field in by_unit} == by_unit
