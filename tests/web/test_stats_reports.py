"""Report pages: a live report is `build_report`, a published one is its frozen data whatever
happens to the tickets later; the Excel export holds the same figures cell by cell; reports
are the bureau's; bad periods are 404s or the form again, never 500s."""

from __future__ import annotations

import io
import re
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from jieban.stats.models import PublishedReport
from jieban.stats.reports import build_report
from jieban.tickets import transitions
from jieban.tickets.visits import record_visit
from jieban.worker.runner import run_sweep
from tests.conftest import Cast, local
from tests.web.test_stats_page import (
    FIELDS,
    ROW,
    March,
    march,
    section,
    table_rows,
    values_in,
)

# After March ended: its report can be published.
APRIL = local(2026, 4, 2, 10)
REPORT = "/reports/monthly/2026-03/"
# Each rate and the counts it divides, as docs/statistics.md defines them.
RATES = {
    "closure_rate": ("resolved", "total"),
    "on_time_rate": ("on_time", "resolved"),
    "satisfaction_rate": ("satisfied", "visited"),
    "practical_share": ("practical", "total"),
    "accepted_on_time_rate": ("accepted_on_time", "accept_clock_ended"),
    "first_visit_satisfaction_rate": ("first_visit_satisfied", "first_visited"),
    "network_share": ("network", "total"),
}
DECIMAL_MODES = {"half_up": ROUND_HALF_UP, "truncate": ROUND_DOWN}
PHONE = re.compile(r"1\d{10}")


@pytest.fixture
def month(cast: Cast) -> March:
    return march(cast)


@pytest.fixture
def in_april() -> Any:
    with time_machine.travel(APRIL, tick=False):
        yield


def figures_of(row: dict[str, Any]) -> dict[str, Any]:
    return {name: row[name] for name in FIELDS}


def by_key(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["key"]: figures_of(row) for row in rows}


def shown_percent(row: dict[str, Any], rate: str, rounding: str = "half_up") -> Decimal | None:
    """A rate of `row` as a percentage with two decimals by `rounding`, worked out here with
    Decimal's own rounding modes (not the code's function)."""
    part, whole = (row[name] for name in RATES[rate])
    if whole == 0:
        return None
    exact = Decimal(part * 100) / Decimal(whole)
    return exact.quantize(Decimal("0.01"), rounding=DECIMAL_MODES[rounding])


def in_workbook(row: dict[str, Any], rounding: str = "half_up") -> dict[str, Any]:
    """The figures of `row` as a workbook holds them: counts as they are, each rate the
    percentage the page shows as a number (98.08 % is 0.9808)."""
    shown = figures_of(row)
    for rate in RATES:
        value = shown_percent(row, rate, rounding)
        shown[rate] = None if value is None else float(value / 100)
    return shown


def by_key_in_workbook(rows: list[dict[str, Any]], rounding: str) -> dict[str, dict[str, Any]]:
    return {row["key"]: in_workbook(row, rounding) for row in rows}


def shown_report(html: str) -> dict[str, Any]:
    """Every figure a report page shows, read back from its data attributes."""
    shown: dict[str, Any] = {"overall": values_in(section(html, "overall-figures")), "by": {}}
    for group in ("category", "unit", "channel", "grid"):
        shown["by"][group] = {
            row.pop("key"): {k: v for k, v in row.items() if k != "period"}
            for row in table_rows(html, f"report-{group}")
        }
    shown["trend"] = (
        [row for row in table_rows(html, "report-trend")]
        if 'data-testid="report-trend"' in html
        else []
    )
    levels = section(html, "orders-by-level")
    shown["orders_by_level"] = dict(
        re.findall(r'<tr data-level="(\d)">.*?data-value="(\d+)"', levels, re.S)
    )
    return shown


def assert_page_shows(html: str, data: dict[str, Any]) -> None:
    shown = shown_report(html)
    assert shown["overall"] == figures_of(data["overall"])
    for group, rows in data["by"].items():
        assert shown["by"][group] == by_key(rows), group
    assert [
        {k: v for k, v in row.items() if k not in ("key", "period")} for row in shown["trend"]
    ] == [figures_of(row) for row in data["trend"]]
    assert [row["key"] for row in shown["trend"]] == [row["key"] for row in data["trend"]]
    assert shown["orders_by_level"] == {k: str(v) for k, v in data["orders_by_level"].items()}


def workbook(response: Any) -> Any:
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return load_workbook(io.BytesIO(response.content))


def sheet_rows(sheet: Worksheet, labels: int) -> list[tuple[list[Any], dict[str, Any]]]:
    """(label cells, figures) of each row of a sheet's table, up to the first empty row."""
    rows = []
    header = [cell.value for cell in sheet[1]]
    assert header[labels:] == [
        "工单总数",
        "已办结",
        "办结率",
        "按期",
        "按期办结率",
        "已回访",
        "满意",
        "满意率",
        "超期未办结",
        "为民解决实事类",
        "实事类占比",
        "重复反映",
        "及时签收",
        "签收时限已届满",
        "及时签收率",
        "首次回访接通",
        "首次回访满意",
        "首次回访满意率",
        "上报局领导",
        "批准延期",
        "退单",
        "社区网络上报",
        "社区网络上报占比",
    ]
    for row in sheet.iter_rows(min_row=2):
        values = [cell.value for cell in row]
        if all(value is None for value in values):
            break
        figures = dict(zip(FIELDS, values[labels : labels + len(FIELDS)], strict=True))
        for cell, name in zip(row[labels:], FIELDS, strict=False):
            if name in RATES:
                assert cell.number_format == "0.00%", name
        rows.append((values[:labels], figures))
    return rows


def assert_workbook_holds(
    book: Any, data: dict[str, Any], period: str, rounding: str = "half_up"
) -> None:
    """Cell by cell: the overall row, the trend, and each group's sheet; the rates as the
    page shows them, rounded by `rounding`."""
    overall, trend, *groups, _scores = book.worksheets
    assert [sheet.title for sheet in book.worksheets] == [
        "总体",
        "趋势",
        "按类别",
        "按单位",
        "按渠道",
        "按网格",
        "计分排名",
    ]
    assert sheet_rows(overall, 1) == [([period], in_workbook(data["overall"], rounding))]
    assert sheet_rows(trend, 1) == [
        ([row["key"]], in_workbook(row, rounding)) for row in data["trend"]
    ]
    for sheet, group in zip(groups, ("category", "unit", "channel", "grid"), strict=True):
        rows = sheet_rows(sheet, 2)
        assert {labels[0] or "": figures for labels, figures in rows} == by_key_in_workbook(
            data["by"][group], rounding
        ), group
        assert [figures["total"] for _labels, figures in rows] == sorted(
            (figures["total"] for _labels, figures in rows), reverse=True
        )
    levels = {
        row[0].value: row[1].value
        for row in overall.iter_rows()
        if row[0].value in ("督促办", "重点办", "深入办")
    }
    assert levels == {
        "督促办": data["orders_by_level"]["1"],
        "重点办": data["orders_by_level"]["2"],
        "深入办": data["orders_by_level"]["3"],
    }


def no_phone_anywhere(book: Any) -> bool:
    return not any(
        PHONE.search(str(cell.value))
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    )


@pytest.mark.usefixtures("in_april")
class TestLiveReport:
    def test_it_shows_the_figures_built_now_with_a_publish_button(
        self, client: Client, cast: Cast, month: March
    ) -> None:
        client.force_login(cast.leader)
        response = client.get(REPORT)
        assert response.status_code == 200
        html = response.content.decode()
        assert_page_shows(html, build_report(cast.leader, "monthly", "2026-03"))
        assert 'data-testid="live-note"' in html
        assert 'action="/reports/monthly/2026-03/publish/"' in html
        assert 'data-testid="published-note"' not in html
        assert "月报 2026-03" in html
        # Practical matters: a b(邻里纠纷 is not) … read from the overall row.
        overall = build_report(cast.leader, "monthly", "2026-03")["overall"]
        share = f"{shown_percent(overall, 'practical_share')}%"
        assert f'data-testid="practical-share">{share}<' in html

    def test_its_export_holds_the_same_figures(
        self, client: Client, cast: Cast, month: March
    ) -> None:
        client.force_login(cast.dispatcher)
        book = workbook(client.get(REPORT + "export.xlsx"))
        data = build_report(cast.dispatcher, "monthly", "2026-03")
        assert_workbook_holds(book, data, "2026-03")
        assert no_phone_anywhere(book)
        facts = {row[0].value: row[1].value for row in book.worksheets[0].iter_rows(min_row=4)}
        assert facts["发布时间"] == "未发布：实时数据"

    def test_a_daily_report_has_no_trend_and_a_weekly_one_has_days(
        self, client: Client, cast: Cast, month: March
    ) -> None:
        client.force_login(cast.leader)
        # (The sweep of 10 March froze 2 March: a day it did not freeze is built live.)
        html = client.get("/reports/daily/2026-03-16/").content.decode()
        assert 'data-testid="report-trend"' not in html
        assert_page_shows(html, build_report(cast.leader, "daily", "2026-03-16"))
        html = client.get("/reports/weekly/2026-W12/").content.decode()
        assert_page_shows(html, build_report(cast.leader, "weekly", "2026-W12"))
        assert len(table_rows(html, "report-trend")) == 2  # 16 and 18 March had tickets

    def test_it_warns_before_publishing_a_period_not_ended(
        self, client: Client, cast: Cast
    ) -> None:
        client.force_login(cast.leader)
        assert "此期间尚未结束" in client.get("/reports/monthly/2026-04/").content.decode()
        assert "此期间尚未结束" not in client.get(REPORT).content.decode()

    def test_a_period_not_ended_offers_no_publish_and_refuses_in_place(
        self, client: Client, cast: Cast
    ) -> None:
        client.force_login(cast.leader)
        with time_machine.travel(APRIL, tick=False):
            html = client.get("/reports/monthly/2026-04/").content.decode()
            assert 'data-testid="publish"' not in html
            response = client.post("/reports/monthly/2026-04/publish/")
        assert response.status_code == 409
        html = response.content.decode()
        assert "2026-04 尚未结束：请于 2026-05-01 起发布。" in html
        assert not PublishedReport.objects.filter(period="2026-04").exists()


class TestPublishedReport:
    def test_it_stays_frozen_while_the_tickets_change(
        self, client: Client, cast: Cast, month: March, api_as: Any
    ) -> None:
        t = month.tickets
        client.force_login(cast.leader)
        with time_machine.travel(APRIL, tick=False):
            response = client.post(REPORT + "publish/")
            assert response.status_code == 302 and response["Location"] == REPORT
            html = client.get(REPORT).content.decode()
        assert "月报 2026-03 已发布。" in html
        assert 'data-testid="published-note"' in html and "leader" in html
        assert 'data-testid="publish"' not in html
        frozen = api_as(cast.leader).get("/reports/monthly/2026-03").json()["data"]
        assert_page_shows(html, frozen)
        before = api_as(cast.leader).get("/stats", start="2026-03-01", end="2026-04-01").json()

        # The tickets move on: d is resolved late, b's resident is satisfied, i goes overdue
        # and gets an order in the sweep.
        with time_machine.travel(local(2026, 4, 3, 9), tick=False):
            transitions.accept_ticket(t["d"].number, by=cast.handler_b)
            transitions.resolve_ticket(t["d"].number, result="已处理", by=cast.handler_b)
            record_visit(t["b"].number, outcome="satisfied", note="", by=cast.dispatcher)
            run_sweep()
        after = api_as(cast.leader).get("/stats", start="2026-03-01", end="2026-04-01").json()
        assert after["rows"] != before["rows"]

        with time_machine.travel(local(2026, 4, 3, 10), tick=False):
            html = client.get(REPORT).content.decode()
            book = workbook(client.get(REPORT + "export.xlsx"))
        stored = api_as(cast.leader).get("/reports/monthly/2026-03").json()["data"]
        assert stored == frozen
        assert_page_shows(html, frozen)
        assert_workbook_holds(book, frozen, "2026-03")
        assert no_phone_anywhere(book)
        facts = {row[0].value: row[1].value for row in book.worksheets[0].iter_rows(min_row=4)}
        assert facts["发布人"] == "leader"
        assert facts["发布时间"] == "2026-04-02 10:00"

    def test_publishing_twice_keeps_the_first(self, client: Client, cast: Cast) -> None:
        client.force_login(cast.dispatcher)
        with time_machine.travel(APRIL, tick=False):
            client.post(REPORT + "publish/")
        client.force_login(cast.leader)
        response = client.post(REPORT + "publish/", follow=True)
        assert "此前已发布" in response.content.decode()
        report = PublishedReport.objects.get(kind="monthly", period="2026-03")
        assert report.published_by == cast.dispatcher

    def test_the_list_shows_published_reports(self, client: Client, cast: Cast) -> None:
        client.force_login(cast.leader)
        with time_machine.travel(APRIL, tick=False):
            client.post(REPORT + "publish/")
            client.post("/reports/weekly/2026-W13/publish/")
        html = client.get("/reports/").content.decode()
        part = section(html, "published-reports")
        assert 'data-report="monthly/2026-03"' in part and 'data-report="weekly/2026-W13"' in part
        assert 'href="/reports/monthly/2026-03/export.xlsx"' in part

    def test_a_report_the_worker_froze_says_so(
        self, client: Client, cast: Cast, month: March
    ) -> None:
        # The sweep of 10 March froze the oldest days since the first ticket: 2 to 4 March.
        client.force_login(cast.leader)
        html = client.get("/reports/daily/2026-03-02/").content.decode()
        assert "由系统于" in html
        facts = {
            row[0].value: row[1].value
            for row in workbook(client.get("/reports/daily/2026-03-02/export.xlsx"))
            .worksheets[0]
            .iter_rows(min_row=4)
        }
        assert facts["发布人"] == "系统"


class TestAccess:
    def test_unit_people_get_no_bureau_reports(
        self, client: Client, cast: Cast, month: March
    ) -> None:
        for person in (cast.handler_a, cast.leader_a, cast.building_head):
            client.force_login(person)
            assert client.get("/reports/").status_code == 403
            assert client.get(REPORT).status_code == 404
            assert client.get(REPORT + "export.xlsx").status_code == 404
            assert client.post(REPORT + "publish/").status_code == 403
            # Their own figures are on the statistics page.
            assert client.get("/stats/").status_code == 200
        assert not PublishedReport.objects.filter(period="2026-03").exists()

    def test_a_published_report_is_no_more_visible_to_them(
        self, client: Client, cast: Cast
    ) -> None:
        client.force_login(cast.leader)
        client.post(REPORT + "publish/")
        client.force_login(cast.handler_a)
        assert client.get(REPORT).status_code == 404
        assert client.get(REPORT + "export.xlsx").status_code == 404

    def test_it_needs_a_login(self, client: Client) -> None:
        for path in ("/reports/", REPORT, REPORT + "export.xlsx"):
            response = client.get(path)
            assert response.status_code == 302 and response["Location"].startswith("/login/")


class TestBadInput:
    @pytest.mark.parametrize(
        "path",
        [
            "/reports/yearly/2026/",
            "/reports/monthly/2026-13/",
            "/reports/monthly/2026-7/",
            "/reports/weekly/2026-W60/",
            "/reports/daily/2026-02-30/",
            "/reports/daily/x/",
            "/reports/daily/2026-02-30/export.xlsx",
        ],
    )
    def test_a_bad_period_is_not_found(self, client: Client, cast: Cast, path: str) -> None:
        client.force_login(cast.leader)
        assert client.get(path).status_code == 404
        publish = path.replace("export.xlsx", "") + ("" if path.endswith("/") else "/")
        assert client.post(publish + "publish/").status_code == 404

    @pytest.mark.parametrize(
        ("query", "field", "message"),
        [
            ({"kind": "monthly", "period": "2026-7"}, "period", "2026-7 不是有效的月报期间"),
            ({"kind": "weekly", "period": "2026-07"}, "period", "2026-W29"),
            ({"kind": "quarterly", "period": "2026-Q1"}, "kind", ""),
            ({"kind": "monthly", "period": ""}, "period", ""),
            ({"period": "2026-07"}, "kind", ""),
        ],
    )
    def test_the_open_form_comes_back_with_the_message(
        self, client: Client, cast: Cast, query: dict[str, str], field: str, message: str
    ) -> None:
        client.force_login(cast.leader)
        response = client.get("/reports/", query)
        assert response.status_code == 400
        html = response.content.decode()
        assert f'id="id_{field}_error"' in html
        assert message in html

    def test_the_open_form_goes_to_the_report(self, client: Client, cast: Cast) -> None:
        client.force_login(cast.leader)
        response = client.get("/reports/", {"kind": "weekly", "period": " 2026-W29 "})
        assert response.status_code == 302 and response["Location"] == "/reports/weekly/2026-W29/"


class TestLanguagesAndQueries:
    def test_it_speaks_english(self, client: Client, cast: Cast, month: March) -> None:
        client.force_login(cast.leader)
        client.post("/i18n/setlang/", {"language": "en", "next": "/"})
        with time_machine.travel(APRIL, tick=False):
            client.post(REPORT + "publish/")
            html = client.get(REPORT).content.decode()
            book = workbook(client.get(REPORT + "export.xlsx"))
        assert "Monthly report 2026-03" in html and "Station A" in html
        assert "Neighbour disputes" in html and "12345 hotline" in html
        assert [sheet.title for sheet in book.worksheets][:2] == ["Overall", "Trend"]
        assert ["PS-A", "Station A"] in [
            [cell.value for cell in row[:2]] for row in book.worksheets[3].iter_rows()
        ]

    @pytest.mark.parametrize("published", [True, False])
    def test_it_runs_a_fixed_number_of_queries(
        self,
        client: Client,
        cast: Cast,
        month: March,
        django_assert_max_num_queries: Any,
        published: bool,
    ) -> None:
        client.force_login(cast.leader)
        with time_machine.travel(APRIL, tick=False):
            if published:
                client.post(REPORT + "publish/")
            client.get(REPORT)  # a live report's first read rebuilds the month's rollups
            # session, user, bell; the stored report and who published it — or, live, the
            # overall row, the trend and four groups (each: the dirty days in a savepoint, the
            # rollups, open overdue, and names for the groups) and orders by level
            queries = 6 if published else 38
            with django_assert_max_num_queries(queries):
                assert client.get(REPORT).status_code == 200
            with django_assert_max_num_queries(queries):
                assert client.get(REPORT + "export.xlsx").status_code == 200

    def test_the_list_runs_a_fixed_number_of_queries(
        self, client: Client, cast: Cast, django_assert_max_num_queries: Any
    ) -> None:
        client.force_login(cast.leader)
        for day in range(1, 6):
            client.post(f"/reports/daily/2026-03-0{day}/publish/")
        # session, user, bell; the reports with who published them
        with django_assert_max_num_queries(4):
            assert client.get("/reports/").status_code == 200


SHOWN_RATE = re.compile(r'data-field="([a-z_]+)" data-value="[^"]*">([^<]*%)')


def rates_shown(html: str, testid: str) -> dict[str, dict[str, str]]:
    """The percentages each row of a figures table shows, by row key and rate."""
    body = section(html, testid).split("<tfoot>")[0]
    return {key: dict(SHOWN_RATE.findall(cells)) for key, _period, cells in ROW.findall(body)}


@pytest.mark.usefixtures("in_april")
class TestRounding:
    """PS-A resolved 3 tickets of March, 2 on time: 66.67 % rounded half up, 66.66 %
    truncated."""

    def test_a_live_report_follows_the_setting(
        self, client: Client, cast: Cast, month: March, settings: Any
    ) -> None:
        client.force_login(cast.leader)
        html = client.get(REPORT).content.decode()
        assert rates_shown(html, "report-unit")["PS-A"]["on_time_rate"] == "66.67%"
        settings.JIEBAN_RATE_ROUNDING = "truncate"
        html = client.get(REPORT).content.decode()
        assert rates_shown(html, "report-unit")["PS-A"]["on_time_rate"] == "66.66%"
        book = workbook(client.get(REPORT + "export.xlsx"))
        assert_workbook_holds(
            book, build_report(cast.leader, "monthly", "2026-03"), "2026-03", "truncate"
        )

    def test_a_published_report_keeps_the_rule_it_was_published_with(
        self, client: Client, cast: Cast, month: March, settings: Any, api_as: Any
    ) -> None:
        settings.JIEBAN_RATE_ROUNDING = "truncate"
        client.force_login(cast.leader)
        client.post(REPORT + "publish/")
        frozen = PublishedReport.objects.get(kind="monthly", period="2026-03").data
        assert frozen["rounding"] == "truncate"
        # The frozen copy keeps the counts and the exact fractions: it can be shown again.
        ps_a = next(row for row in frozen["by"]["unit"] if row["key"] == "PS-A")
        assert (ps_a["on_time"], ps_a["resolved"], ps_a["on_time_rate"]) == (2, 3, 2 / 3)
        assert api_as(cast.leader).get("/reports/monthly/2026-03").json()["data"] == frozen

        settings.JIEBAN_RATE_ROUNDING = "half_up"
        html = client.get(REPORT).content.decode()
        assert rates_shown(html, "report-unit")["PS-A"]["on_time_rate"] == "66.66%"
        assert "比率以百分比表示，保留两位小数（去尾法）" in html
        assert_workbook_holds(
            workbook(client.get(REPORT + "export.xlsx")), frozen, "2026-03", "truncate"
        )
        # Today's figures follow today's rule.
        stats = client.get(
            "/stats/", {"start": "2026-03-01", "end": "2026-03-31", "group_by": "unit"}
        )
        assert rates_shown(stats.content.decode(), "stats-rows")["PS-A"]["on_time_rate"] == "66.67%"

    def test_a_report_frozen_before_the_rule_was_stored_reads_half_up(
        self, client: Client, cast: Cast, month: March, settings: Any
    ) -> None:
        client.force_login(cast.leader)
        client.post(REPORT + "publish/")
        report = PublishedReport.objects.get(kind="monthly", period="2026-03")
        del report.data["rounding"]
        report.save()
        settings.JIEBAN_RATE_ROUNDING = "truncate"
        html = client.get(REPORT).content.decode()
        assert rates_shown(html, "report-unit")["PS-A"]["on_time_rate"] == "66.67%"
        assert_workbook_holds(
            workbook(client.get(REPORT + "export.xlsx")), report.data, "2026-03", "half_up"
        )

    @pytest.mark.parametrize(("rounding", "shown"), [("half_up", "98.08"), ("truncate", "98.07")])
    def test_1428_of_1456_is_98_08_half_up_and_98_07_truncated(
        self, client: Client, cast: Cast, month: March, rounding: str, shown: str
    ) -> None:
        client.force_login(cast.leader)
        client.post(REPORT + "publish/")
        report = PublishedReport.objects.get(kind="monthly", period="2026-03")
        overall = report.data["overall"]
        overall.update(total=1456, resolved=1428, closure_rate=1428 / 1456)
        report.data["rounding"] = rounding
        report.save()
        html = client.get(REPORT).content.decode()
        tile = section(html, "overall-figures")
        # The tile carries the exact fraction and shows the percentage by the stored rule.
        closure_tile = re.compile(
            r'data-field="closure_rate" data-value="0\.98076[0-9]*">\s*<div class="tile-body">'
            rf'\s*<span class="count">{shown}%</span>'
        )
        assert closure_tile.search(tile), tile
        sheet = workbook(client.get(REPORT + "export.xlsx")).worksheets[0]
        closure = sheet.cell(row=2, column=2 + FIELDS.index("closure_rate"))
        assert sheet.cell(row=1, column=closure.column).value == "办结率"
        # The number itself is rounded (0.9807, not 0.98076…): Excel shows what the page does.
        assert Decimal(str(closure.value)) == Decimal(shown) / 100
        assert closure.number_format == "0.00%"
