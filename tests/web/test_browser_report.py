"""The leader's month in a real browser: from the home page to last month's report, published
with its button, downloaded as Excel, and the workbook opened and checked against the figures;
and a unit's own statistics on a phone-sized screen. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import datetime as dt
import importlib
import re
from dataclasses import dataclass
from typing import Any

import pytest
import time_machine
from django.apps import apps
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, expect

from jieban.intake.actions import TicketDraft, register_ticket
from jieban.org.actions import create_person, create_unit
from jieban.org.models import Unit, User
from jieban.stats.figures import figures, orders_by_level
from jieban.stats.models import PublishedReport
from jieban.tickets import transitions
from jieban.tickets.models import Category
from jieban.tickets.visits import record_visit
from tests.conftest import PASSWORD
from tests.web.browser import ARTIFACTS, fits_width, log_in

pytestmark = pytest.mark.browser

FIELDS = (
    "total",
    "resolved",
    "closure_rate",
    "on_time",
    "on_time_rate",
    "visited",
    "satisfied",
    "satisfaction_rate",
    "overdue_open",
    "practical",
    "practical_share",
    "repeats",
)


@dataclass
class People:
    dispatcher: User
    handler_a: User
    leader: User


@dataclass
class LastMonth:
    period: str
    start: dt.date
    end: dt.date


@pytest.fixture
def people(transactional_db: Any, monkeypatch: pytest.MonkeyPatch) -> People:
    # Playwright's sync API runs an event loop in this thread; the ORM calls made here are
    # still plain synchronous calls.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    if not Category.objects.exists():
        # A transactional test before this one flushed the data migration's categories.
        defaults = importlib.import_module("jieban.tickets.migrations.0002_default_categories")
        defaults.create_defaults(apps, None)
    create_unit(code="BUR", kind="bureau", name="测试县公安局")
    create_unit(code="CC", kind="centre", name="指挥中心", parent="BUR")
    create_unit(code="PS-A", kind="station", name="甲派出所", name_en="Station A", parent="BUR")
    create_unit(code="PS-B", kind="station", name="乙派出所", name_en="Station B", parent="BUR")
    return People(
        dispatcher=create_person(
            username="dispatcher", role="dispatcher", unit="CC", password=PASSWORD
        ),
        handler_a=create_person(
            username="handler_a",
            role="unit_handler",
            unit="PS-A",
            password=PASSWORD,
            full_name="钱民警",
        ),
        leader=create_person(
            username="leader", role="leader", unit="BUR", password=PASSWORD, full_name="孙局长"
        ),
    )


def register(people: People, content: str, **fields: Any) -> str:
    draft = TicketDraft(channel=fields.pop("channel", "phone"), content=content, **fields)
    ticket, _created = register_ticket(draft, by=people.dispatcher)
    return ticket.number


@pytest.fixture
def last_month(people: People) -> LastMonth:
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
            people,
            "楼上装修噪音很大。",
            category="renovation_noise",
            resident_phone="13800001111",
        )
        dispute = register(
            people,
            "邻居占用楼道堆放杂物。",
            category="neighbour_dispute",
            channel="hotline_12345",
            resident_phone="13800002222",
        )
        late = register(people, "车辆剐蹭纠纷。", category="traffic_dispute")
        register(people, "咨询身份证办理。", category="consultation", channel="walk_in")
        for number in (noisy, dispute):
            transitions.dispatch_ticket(number, unit=station_a, by=people.dispatcher)
        transitions.dispatch_ticket(late, unit=station_b, by=people.dispatcher)
    with at(4):
        for number in (noisy, dispute):
            transitions.accept_ticket(number, by=people.handler_a)
            transitions.resolve_ticket(number, result="已处理。", by=people.handler_a)
        record_visit(noisy, outcome="satisfied", note="", by=people.dispatcher)
        record_visit(dispute, outcome="dissatisfied", note="仍未清理", by=people.dispatcher)
    return LastMonth(f"{start:%Y-%m}", start, end)


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"report-{name}.png"), full_page=True)


def shown_figures(page: Page, testid: str) -> dict[str, Any]:
    """The figures a tile list shows, from each tile's data-value."""
    values = page.eval_on_selector_all(
        f'[data-testid="{testid}"] [data-field]',
        "nodes => nodes.map(n => [n.dataset.field, n.dataset.value])",
    )
    return {
        field: (None if value == "" else float(value) if "." in value else int(value))
        for field, value in values
    }


def test_the_leader_publishes_and_downloads_the_monthly_report(
    people: People, last_month: LastMonth, live_server: Any, browser: Browser
) -> None:
    base = live_server.url
    period = last_month.period
    live = figures(people.leader, start=last_month.start, end=last_month.end)[0].as_row()
    assert (live["total"], live["resolved"], live["visited"]) == (4, 1, 2)

    desk = browser.new_context(
        locale="zh-CN", viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    page = desk.new_page()
    log_in(page, base, "leader")
    expect(page.locator("h1")).to_have_text("全局数据")
    assert shown_figures(page, "leader-last-month-figures") == {f: live[f] for f in FIELDS}
    shot(page, "01-leader-home")

    page.click('[data-testid="leader-last-month-report"]')
    page.wait_for_url(f"{base}/reports/monthly/{period}/")
    expect(page.locator('[data-testid="report-title"]')).to_have_text(f"月报 {period}")
    expect(page.locator('[data-testid="live-note"]')).to_be_visible()
    expect(page.locator('[data-testid="chart-trend"][data-chart-ready="true"]')).to_have_count(1)
    assert page.evaluate("typeof echarts") == "object", "the vendored ECharts did not load"
    assert shown_figures(page, "overall-figures") == {f: live[f] for f in FIELDS}
    shot(page, "02-live-report")

    page.click('[data-testid="publish"]')
    page.wait_for_url(f"{base}/reports/monthly/{period}/")
    expect(page.locator(".messages")).to_contain_text(f"月报 {period} 已发布。")
    expect(page.locator('[data-testid="published-note"]')).to_contain_text("孙局长")
    expect(page.locator('[data-testid="publish"]')).to_have_count(0)
    shot(page, "03-published-report")

    stored = PublishedReport.objects.get(kind="monthly", period=period)
    assert stored.published_by == people.leader
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
    assert [cell.value for cell in overall[2]] == [period, *(live[f] for f in FIELDS)]
    assert overall["D2"].number_format == "0.00%"  # the closure rate, a number
    by_unit = {
        row[0].value or "": [cell.value for cell in row[2:]]
        for row in book.worksheets[3].iter_rows(min_row=2)
    }
    assert by_unit == {row["key"]: [row[f] for f in FIELDS] for row in stored.data["by"]["unit"]}
    levels = {row[0].value: row[1].value for row in overall.iter_rows() if row[0].value}
    assert (
        levels["督促办"]
        == orders_by_level(people.leader, start=last_month.start, end=last_month.end)["1"]
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
    people: People, last_month: LastMonth, live_server: Any, browser: Browser
) -> None:
    base = live_server.url
    phone = browser.new_context(
        locale="zh-CN", viewport={"width": 375, "height": 800}, is_mobile=True, has_touch=True
    )
    page = phone.new_page()
    log_in(page, base, "handler_a")
    expect(page.locator('[data-testid="unit-tiles"]')).to_be_visible()
    assert fits_width(page)
    shot(page, "04-unit-home-phone")

    page.click("nav >> text=统计")
    page.wait_for_url(f"{base}/stats/")
    page.fill("#id_start", last_month.start.isoformat())
    page.fill("#id_end", last_month.end.isoformat())
    page.select_option("#id_period", "")
    page.select_option("#id_group_by", "category")
    page.click(".stats-form button[type=submit]")
    expect(page.locator('[data-testid="chart-stats"][data-chart-ready="true"]')).to_have_count(1)
    own = figures(people.handler_a, start=last_month.start, end=last_month.end, group_by="category")
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
    people: People, last_month: LastMonth, live_server: Any, browser: Browser
) -> None:
    base = live_server.url
    desk = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
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
