"""The leader's month in a real browser: from the home page to last month's report, published
with its button, downloaded as Excel, and the workbook opened and checked against the figures;
and a unit's own statistics on a phone-sized screen. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import pytest
import time_machine
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import Browser, expect

from jieban.intake.actions import TicketDraft, register_ticket
from jieban.org.models import Unit
from jieban.stats.figures import figures, orders_by_level
from jieban.stats.models import PublishedReport
from jieban.stats.rates import Rounding, row_percent
from jieban.tickets import transitions
from jieban.tickets.visits import record_visit
from tests.conftest import Cast
from tests.web.browser import (
    ARTIFACTS,
    FIELDS,
    Screenshots,
    data_testid,
    desk_context,
    fits_width,
    log_in,
    phone_context,
    shown_figures,
)

pytestmark = pytest.mark.browser

shot = Screenshots("report-")


@dataclass
class LastMonth:
    period: str
    start: dt.date
    end: dt.date


def register(cast: Cast, content: str, **fields: Any) -> str:
    draft = TicketDraft(channel=fields.pop("channel", "phone"), content=content, **fields)
    ticket, _created = register_ticket(draft, by=cast.dispatcher)
    return ticket.number


@pytest.fixture
def last_month(live_cast: Cast) -> LastMonth:
    """A few tickets of last month, each taken through the real actions."""
    today = timezone.localdate()
    end = today.replace(day=1)
    start = (end - dt.timedelta(days=1)).replace(day=1)
    station_a = Unit.objects.get(code="PS-A")
    station_b = Unit.objects.get(code="PS-B")

    def at(day: int, hour: int = 9) -> Any:
        moment = dt.datetime.combine(
            start.replace(day=day), dt.time(hour), tzinfo=timezone.get_current_timezone()
        )
        return time_machine.travel(moment, tick=False)

    with at(3):
        noisy = register(
            live_cast,
            "楼上装修噪音很大。",
            category="renovation_noise",
            resident_phone="13800001111",
        )
        dispute = register(
            live_cast,
            "邻居占用楼道堆放杂物。",
            category="neighbour_dispute",
            channel="hotline_12345",
            resident_phone="13800002222",
        )
        late = register(live_cast, "车辆剐蹭纠纷。", category="traffic_dispute")
        register(live_cast, "咨询身份证办理。", category="consultation", channel="walk_in")
        for number in (noisy, dispute):
            transitions.dispatch_ticket(number, unit=station_a, by=live_cast.dispatcher)
        transitions.dispatch_ticket(late, unit=station_b, by=live_cast.dispatcher)
    with at(4):
        for number in (noisy, dispute):
            transitions.accept_ticket(number, by=live_cast.handler_a)
            transitions.resolve_ticket(number, result="已处理。", by=live_cast.handler_a)
        record_visit(noisy, outcome="satisfied", note="", by=live_cast.dispatcher)
        record_visit(dispute, outcome="dissatisfied", note="仍未清理", by=live_cast.dispatcher)
    return LastMonth(f"{start:%Y-%m}", start, end)


def in_sheet(row: dict[str, Any]) -> list[Any]:
    """A figures row as a workbook holds it: counts as they are, each rate the percentage the
    page shows (rounded half up, the default rule) as a number: 66.67 % is 0.6667."""
    values = []
    for name in FIELDS:
        if name.endswith(("_rate", "_share")):
            shown = row_percent(row, name, Rounding.HALF_UP)
            values.append(None if shown is None else float(shown / 100))
        else:
            values.append(row[name])
    return values


def test_the_leader_publishes_and_downloads_the_monthly_report(
    live_cast: Cast, last_month: LastMonth, live_server: Any, browser: Browser
) -> None:
    base = live_server.url
    period = last_month.period
    live = figures(live_cast.leader, start=last_month.start, end=last_month.end)[0].as_row()
    assert (live["total"], live["resolved"], live["visited"]) == (4, 1, 2)

    desk = desk_context(browser, accept_downloads=True)
    page = desk.new_page()
    log_in(page, base, "leader")
    expect(page.locator("h1")).to_have_text("全局数据")
    assert shown_figures(page, data_testid("leader-last-month-figures")) == {
        f: live[f] for f in FIELDS
    }
    shot(page, "01-leader-home")

    page.click('[data-testid="leader-last-month-report"]')
    page.wait_for_url(f"{base}/reports/monthly/{period}/")
    expect(page.locator('[data-testid="report-title"]')).to_have_text(f"月报 {period}")
    expect(page.locator('[data-testid="live-note"]')).to_be_visible()
    expect(page.locator('[data-testid="chart-trend"][data-chart-ready="true"]')).to_have_count(1)
    assert page.evaluate("typeof echarts") == "object", "the vendored ECharts did not load"
    assert shown_figures(page, data_testid("overall-figures")) == {f: live[f] for f in FIELDS}
    shot(page, "02-live-report")

    page.click('[data-testid="publish"]')
    page.wait_for_url(f"{base}/reports/monthly/{period}/")
    expect(page.locator(".messages")).to_contain_text(f"月报 {period} 已发布。")
    expect(page.locator('[data-testid="published-note"]')).to_contain_text(
        live_cast.leader.display_name
    )
    expect(page.locator('[data-testid="publish"]')).to_have_count(0)
    shot(page, "03-published-report")

    stored = PublishedReport.objects.get(kind="monthly", period=period)
    assert stored.published_by == live_cast.leader
    assert stored.data["overall"] == live

    with page.expect_download() as download_info:
        page.click('[data-testid="export"]')
    download = download_info.value
    assert download.suggested_filename == f"jieban-monthly-{period}.xlsx"
    saved = ARTIFACTS / f"report-monthly-{period}.xlsx"
    download.save_as(saved)
    desk.close()

    book = load_workbook(saved)
    overall = book.worksheets[0]
    assert [cell.value for cell in overall[2]] == [period, *in_sheet(live)]
    assert overall["D2"].number_format == "0.00%"  # the closure rate, a number
    by_unit = {
        row[0].value or "": [cell.value for cell in row[2:]]
        for row in book.worksheets[3].iter_rows(min_row=2)
    }
    assert by_unit == {row["key"]: in_sheet(row) for row in stored.data["by"]["unit"]}
    levels = {row[0].value: row[1].value for row in overall.iter_rows() if row[0].value}
    assert (
        levels["督促办"]
        == orders_by_level(live_cast.leader, start=last_month.start, end=last_month.end)["1"]
        == 1
    )
    cells = [
        str(cell.value)
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    ]
    assert not any("1380000" in text for text in cells), "a resident's phone in the export"


def test_a_handler_reads_the_units_figures_on_a_phone(
    live_cast: Cast, last_month: LastMonth, live_server: Any, browser: Browser
) -> None:
    base = live_server.url
    phone = phone_context(browser)
    page = phone.new_page()
    log_in(page, base, "handler_a")
    expect(page.locator('[data-testid="unit-tiles"]')).to_be_visible()
    assert fits_width(page)
    shot(page, "04-unit-home-phone")

    page.click("nav >> text=统计")
    page.wait_for_url(f"{base}/stats/")
    page.fill("#id_start", last_month.start.isoformat())
    # The form asks for the last day counted.
    last_day = last_month.end - dt.timedelta(days=1)
    page.fill("#id_end", last_day.isoformat())
    page.select_option("#id_period", "")
    page.select_option("#id_group_by", "category")
    page.click(".stats-form button[type=submit]")
    expect(page.locator('[data-testid="chart-stats"][data-chart-ready="true"]')).to_have_count(1)
    own = figures(
        live_cast.handler_a, start=last_month.start, end=last_month.end, group_by="category"
    )
    rows = page.locator('[data-testid="stats-rows"] tbody tr')
    expect(rows).to_have_count(len(own))
    assert sum(row.total for row in own) == 2  # PS-A's two tickets; PS-B's is not theirs
    assert fits_width(page)
    shot(page, "05-unit-stats-phone")

    # The reports are the bureau's: a unit's people are told where their figures are.
    response = page.goto(f"{base}/reports/")
    assert response is not None and response.status == 403
    expect(page.locator("main")).to_contain_text("统计页面")
    phone.close()


def test_the_command_centre_home_draws_its_charts(
    live_cast: Cast, last_month: LastMonth, live_server: Any, browser: Browser
) -> None:
    base = live_server.url
    desk = desk_context(browser)
    page = desk.new_page()
    log_in(page, base, "dispatcher")
    expect(page.locator('[data-testid="centre-tiles"]')).to_be_visible()
    expect(page.locator('[data-testid="chart-trend"][data-chart-ready="true"]')).to_have_count(1)
    shot(page, "06-centre-home")
    # Each number opens its list: the tickets overdue now.
    count = int(page.locator('[data-testid="count-overdue"]').inner_text())
    page.click('[data-testid="tile-overdue"]')
    page.wait_for_url(re.compile(r"/tickets/\?overdue=true$"))
    assert len(set(re.findall(r"/tickets/(JB\d{8}-\d{4})/", page.content()))) == count == 2
    desk.close()
