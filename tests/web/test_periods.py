"""Periods read inclusively: the pages, the workbooks and the reports name a period's last day
(`2026-11-01 至 2026-11-30`), and the statistics form's end date is the last day counted. The
API keeps `end` exclusive, as documented."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import translation
from openpyxl import load_workbook

from jieban.tickets.models import Ticket
from jieban.web.stats.presenting import inclusive_period
from tests.conftest import Cast, local, new_ticket
from tests.web.test_stats_page import section, table_rows

# Early December 2026: November has ended, and its report can be published.
DECEMBER = local(2026, 12, 3, 10)


def received_at(by: Any, moment: dt.datetime) -> Ticket:
    with time_machine.travel(moment, tick=False):
        return new_ticket(by)


@pytest.fixture
def month_ends(cast: Cast) -> dict[str, Ticket]:
    """One ticket in the last second of 30 November, one in the first second of December."""
    last = local(2026, 11, 30, 23, 59) + dt.timedelta(seconds=59)
    return {
        "30 Nov": received_at(cast.dispatcher, last),
        "1 Dec": received_at(cast.dispatcher, last + dt.timedelta(seconds=1)),
    }


@pytest.fixture
def in_december() -> Any:
    with time_machine.travel(DECEMBER, tick=False):
        yield


def total_shown(client: Client, **query: str) -> int:
    response = client.get("/stats/", query)
    assert response.status_code == 200, response.content.decode()
    [row] = table_rows(response.content.decode(), "stats-rows")
    return int(row["total"])


class TestTheLabel:
    def test_it_names_the_last_day_in_both_languages(self) -> None:
        november = (dt.date(2026, 11, 1), dt.date(2026, 12, 1))
        with translation.override("zh-hans"):
            assert inclusive_period(*november) == "2026-11-01 至 2026-11-30"
        with translation.override("en"):
            assert inclusive_period(*november) == "2026-11-01 – 2026-11-30"
            assert inclusive_period("2026-07-14", "2026-07-15") == "2026-07-14"


@pytest.mark.usefixtures("in_december")
class TestTheStatisticsForm:
    def test_its_end_is_the_last_day_counted(
        self, client: Client, cast: Cast, month_ends: dict[str, Ticket]
    ) -> None:
        client.force_login(cast.leader)
        assert total_shown(client, start="2026-11-01", end="2026-11-30") == 1
        assert total_shown(client, start="2026-11-30", end="2026-11-30") == 1  # one day
        assert total_shown(client, start="2026-12-01", end="2026-12-01") == 1
        assert total_shown(client, start="2026-11-01", end="2026-12-01") == 2

    def test_the_api_keeps_its_end_exclusive(
        self, cast: Cast, month_ends: dict[str, Ticket], api_as: Any
    ) -> None:
        api = api_as(cast.leader)
        [row] = api.get("/stats", start="2026-11-01", end="2026-12-01").json()["rows"]
        assert row["total"] == 1
        [row] = api.get("/stats", start="2026-11-01", end="2026-11-30").json()["rows"]
        assert row["total"] == 0

    def test_its_heading_names_the_last_day(
        self, client: Client, cast: Cast, month_ends: dict[str, Ticket]
    ) -> None:
        client.force_login(cast.leader)
        html = client.get("/stats/", {"start": "2026-11-01", "end": "2026-11-30"}).content.decode()
        assert "数据：2026-11-01 至 2026-11-30" in html
        assert "2026-12-01" not in html
        client.post("/i18n/setlang/", {"language": "en", "next": "/"})
        html = client.get("/stats/", {"start": "2026-11-01", "end": "2026-11-30"}).content.decode()
        assert "Figures, 2026-11-01 – 2026-11-30" in html
        assert "To (included)" in html

    def test_it_defaults_to_this_month_up_to_its_last_day(
        self, client: Client, cast: Cast, month_ends: dict[str, Ticket]
    ) -> None:
        client.force_login(cast.leader)
        html = client.get("/stats/").content.decode()
        assert 'name="start" value="2026-12-01"' in html
        assert 'name="end" value="2026-12-31"' in html
        assert "数据：2026-12-01 至 2026-12-31" in html
        assert sum(int(row["total"]) for row in table_rows(html, "stats-rows")) == 1

    def test_a_last_day_before_the_first_is_refused(self, client: Client, cast: Cast) -> None:
        client.force_login(cast.leader)
        response = client.get("/stats/", {"start": "2026-11-02", "end": "2026-11-01"})
        assert response.status_code == 400
        assert "截止日期不能早于起始日期。" in response.content.decode()


@pytest.mark.usefixtures("in_december")
class TestReports:
    def test_a_report_names_its_last_day_on_the_page_the_list_and_the_workbook(
        self, client: Client, cast: Cast, month_ends: dict[str, Ticket]
    ) -> None:
        client.force_login(cast.leader)
        html = client.get("/reports/monthly/2026-11/").content.decode()
        assert "受理日期 2026-11-01 至 2026-11-30" in html
        assert "2026-12-01" not in html.split('rel="next"')[0]
        client.post("/reports/monthly/2026-11/publish/")
        client.post("/reports/weekly/2026-W48/publish/")
        listed = section(client.get("/reports/").content.decode(), "published-reports")
        assert "(2026-11-01 至 2026-11-30)" in listed
        assert "(2026-11-23 至 2026-11-29)" in listed
        response = client.get("/reports/monthly/2026-11/export.xlsx")
        sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
        facts = {row[0].value: row[1].value for row in sheet.iter_rows(min_row=4)}
        assert facts["统计期间"] == "2026-11-01 至 2026-11-30"
        assert not any(
            re.search("不含", str(cell.value)) for row in sheet.iter_rows() for cell in row
        )

    def test_a_daily_report_names_its_one_day(self, client: Client, cast: Cast) -> None:
        client.force_login(cast.leader)
        html = client.get("/reports/daily/2026-11-30/").content.decode()
        assert "受理日期 2026-11-30，" in html


@pytest.mark.usefixtures("in_december")
def test_the_home_figures_name_the_months_last_day(client: Client, cast: Cast) -> None:
    client.force_login(cast.leader)
    html = client.get("/").content.decode()
    assert "2026-12-01 至 2026-12-31 受理的工单" in html
    assert "2026-11-01 至 2026-11-30 受理的工单" in html
    # Their links to the statistics page name the same last day.
    assert "/stats/?start=2026-11-01&amp;end=2026-11-30" in html
