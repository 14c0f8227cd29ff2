"""The clear-to-zero campaign board (清零行动): counts per unit, the list, the snapshot button,
and the Excel export read back cell by cell."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import time_machine
from django.test import Client
from openpyxl import load_workbook

from jieban.intake.actions import mark_repeat
from jieban.org.actions import create_unit
from jieban.tickets import transitions
from jieban.tickets.campaign import take_snapshot
from jieban.tickets.models import Campaign, Ticket
from jieban.tickets.visits import record_visit
from jieban.web.supervision import campaign as campaign_views
from jieban.worker.runner import run_sweep
from tests.conftest import Cast, local, new_ticket
from tests.web.conftest import dispatched, supervised

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
WHOLE_PHONE = re.compile(r"1\d{10}")


def build(cast: Cast) -> dict[str, Ticket]:
    """April's campaign, taken by hand on the 1st before any sweep of April: two long-pending
    tickets at station A (one cleared since), one twice supervised at station B, one reported
    three times with no unit yet; a young one left out."""
    with time_machine.travel(local(2026, 2, 2, 9), tick=False):
        old = dispatched(cast, "PS-A")
        old_with_phone = dispatched(
            cast, "PS-A", title="噪音扰民，请回电13912345678", resident_phone="13700001111"
        )
    twice = supervised(cast, "PS-B", breaches=2, at=local(2026, 3, 2, 9), signed=False)
    with time_machine.travel(local(2026, 3, 5, 9), tick=False):
        repeated = new_ticket(cast.dispatcher)
        for _ in range(2):
            mark_repeat(new_ticket(cast.dispatcher).number, of=repeated.number, by=cast.dispatcher)
        young = dispatched(cast, "PS-A")
    with time_machine.travel(local(2026, 4, 1, 9), tick=False):
        take_snapshot("2026-04")
        transitions.accept_ticket(old.number, by=cast.handler_a)
        transitions.resolve_ticket(old.number, result="已处理", by=cast.handler_a)
        record_visit(old.number, outcome="satisfied", note="", by=cast.dispatcher)
    return {
        "old": old,
        "old_with_phone": old_with_phone,
        "twice": twice,
        "repeated": repeated,
        "young": young,
    }


def counts(html: str) -> dict[str, tuple[int, int, int]]:
    """Per unit code ("" for no unit, "total"): at the start, cleared, remaining."""
    section = re.search(r'data-testid="per-unit">(.*?)</section>', html, re.DOTALL)
    assert section is not None
    found = {}
    for code, row in re.findall(r'<tr data-unit="([^"]*)">(.*?)</tr>', section.group(1), re.DOTALL):
        cells = dict(re.findall(r'data-count="(\w+)">(\d+)<', row))
        found[code] = (int(cells["at_start"]), int(cells["cleared"]), int(cells["remaining"]))
    return found


def listed(html: str) -> dict[str, str]:
    """The list: ticket number → whether it is cleared."""
    section = re.search(r'data-testid="campaign-list">(.*?)</section>', html, re.DOTALL)
    assert section is not None
    rows = re.findall(
        r'<tr data-ticket="(JB\d{8}-\d{4})".*?data-cleared="(yes|no)"', section.group(1), re.DOTALL
    )
    return dict(rows)


def workbook(response: Any) -> Any:
    return load_workbook(io.BytesIO(response.content))


def rows_of(sheet: Any, min_row: int = 1) -> list[list[Any]]:
    """The sheet's rows as lists, without the empty cells padding them on the right."""
    rows = []
    for row in sheet.iter_rows(min_row=min_row, values_only=True):
        values = list(row)
        while values and values[-1] is None:
            values.pop()
        rows.append(values)
    return rows


class TestCampaignPage:
    def test_it_counts_per_unit_and_in_total(self, client: Client, cast: Cast) -> None:
        made = build(cast)
        client.force_login(cast.supervisor)
        response = client.get("/campaign/2026-04/")
        assert response.status_code == 200
        html = response.content.decode()
        assert counts(html) == {
            "PS-A": (2, 1, 1),
            "PS-B": (1, 0, 1),
            "": (1, 0, 1),
            "total": (4, 1, 3),
        }
        assert listed(html) == {
            made["old"].number: "yes",
            made["old_with_phone"].number: "no",
            made["twice"].number: "no",
            made["repeated"].number: "no",
        }
        assert made["young"].number not in html
        for text in (
            "久拖不决",
            "重复反映",
            "甲派出所",
            "乙派出所",
            "无单位",
            "已归档",
            "快照生成于 2026-04-01 09:00",
        ):
            assert text in html
        assert 'href="/campaign/2026-04/export.xlsx"' in html
        assert 'data-testid="take-snapshot"' not in html

    def test_it_lists_a_page_at_a_time(self, client: Client, cast: Cast, monkeypatch: Any) -> None:
        made = build(cast)
        monkeypatch.setattr(campaign_views, "CAMPAIGN_PAGE", 3)
        client.force_login(cast.supervisor)
        first = client.get("/campaign/2026-04/").content.decode()
        second = client.get("/campaign/2026-04/?page=2").content.decode()
        # Oldest received first, all four over two pages; the counts above are the whole's.
        on_first, on_second = listed(first), listed(second)
        assert len(on_first) == 3 and len(on_second) == 1
        assert set(on_first) | set(on_second) == {
            made[key].number for key in ("old", "old_with_phone", "twice", "repeated")
        }
        assert counts(second)["total"] == (4, 1, 3)
        assert "第 1 页，共 2 页" in first and 'href="?page=2"' in first
        assert 'href="?page=1"' in second and 'href="?page=3"' not in second
        # A page past the end shows the last; one that is no number, the first.
        assert listed(client.get("/campaign/2026-04/?page=9").content.decode()) == on_second
        assert listed(client.get("/campaign/2026-04/?page=x").content.decode()) == on_first

    def test_it_flags_why_each_ticket_is_listed(self, client: Client, cast: Cast) -> None:
        made = build(cast)
        client.force_login(cast.dispatcher)
        html = client.get("/campaign/2026-04/").content.decode()

        def flags(ticket: Ticket) -> list[str]:
            row = re.search(rf'<tr data-ticket="{ticket.number}"(.*?)</tr>', html, re.DOTALL)
            assert row is not None
            return re.findall(r'data-flag="(\w+)"', row.group(1))

        assert flags(made["old"]) == ["long_pending"]
        assert flags(made["twice"]) == ["long_pending"]
        assert flags(made["repeated"]) == ["repeated"]

    def test_it_shows_a_unit_only_its_own(self, client: Client, cast: Cast) -> None:
        made = build(cast)
        client.force_login(cast.handler_b)
        html = client.get("/campaign/2026-04/").content.decode()
        assert counts(html) == {"PS-B": (1, 0, 1), "total": (1, 0, 1)}
        assert listed(html) == {made["twice"].number: "no"}
        assert made["old"].number not in html

    def test_it_defaults_to_the_current_month(self, client: Client, cast: Cast) -> None:
        client.force_login(cast.supervisor)
        with time_machine.travel(local(2026, 4, 5, 9), tick=False):
            html = client.get("/campaign/").content.decode()
        assert '<span data-testid="month">2026-04</span>' in html
        assert "2026-04 尚未生成快照。" in html
        assert 'href="/campaign/2026-03/"' in html
        assert 'rel="next"' not in html

    def test_it_offers_a_snapshot_to_the_command_centre_only(
        self, client: Client, cast: Cast
    ) -> None:
        with time_machine.travel(local(2026, 4, 5, 9), tick=False):
            for person in (cast.dispatcher, cast.supervisor, cast.admin):
                client.force_login(person)
                assert 'data-testid="take-snapshot"' in client.get("/campaign/").content.decode()
            for person in (cast.leader, cast.handler_a, cast.leader_a):
                client.force_login(person)
                html = client.get("/campaign/").content.decode()
                assert 'data-testid="no-snapshot"' in html
                assert 'data-testid="take-snapshot"' not in html
                assert client.post("/campaign/2026-04/snapshot/").status_code == 403
            assert not Campaign.objects.exists()
            # A past month is not offered: its snapshot would not show how it started.
            client.force_login(cast.supervisor)
            html = client.get("/campaign/2026-03/").content.decode()
            assert 'data-testid="take-snapshot"' not in html

    def test_a_dispatcher_takes_the_snapshot_on_demand(self, client: Client, cast: Cast) -> None:
        with time_machine.travel(local(2026, 2, 2, 9), tick=False):
            old = dispatched(cast, "PS-A")
        client.force_login(cast.dispatcher)
        with time_machine.travel(local(2026, 4, 5, 9), tick=False):
            response = client.post("/campaign/2026-04/snapshot/")
            assert response.status_code == 302
            assert response["Location"] == "/campaign/2026-04/"
            html = client.get(response["Location"]).content.decode()
            assert "已生成 2026-04 的快照：列入 1 件工单。" in html
            assert listed(html) == {old.number: "no"}
            assert 'data-testid="take-snapshot"' not in html
        assert Campaign.objects.get().items.count() == 1

    def test_it_says_so_when_the_snapshot_was_taken_meanwhile(
        self, client: Client, cast: Cast
    ) -> None:
        # The page offered the button; the worker's sweep took the snapshot before the click.
        client.force_login(cast.supervisor)
        with time_machine.travel(local(2026, 4, 5, 9), tick=False):
            assert 'data-testid="take-snapshot"' in client.get("/campaign/").content.decode()
            take_snapshot("2026-04")
        with time_machine.travel(local(2026, 4, 5, 9, 2), tick=False):
            response = client.post("/campaign/2026-04/snapshot/")
            assert (response.status_code, response["Location"]) == (302, "/campaign/2026-04/")
            html = client.get(response["Location"]).content.decode()
        warning = '<li class="alert warning" role="status">'
        assert f"{warning}2026-04 的快照已于 2026-04-05 09:00 生成。" in html
        assert 'data-testid="per-unit"' in html
        # A stale form for a month gone by says why, too.
        with time_machine.travel(local(2026, 5, 1, 9), tick=False):
            response = client.post("/campaign/2026-04/snapshot/", follow=True)
        assert response.status_code == 200
        assert "只能生成本月（2026-05）的快照" in response.content.decode()
        assert Campaign.objects.count() == 1

    def test_it_notes_a_snapshot_taken_late(self, client: Client, cast: Cast) -> None:
        with time_machine.travel(local(2026, 2, 2, 9), tick=False):
            dispatched(cast, "PS-A")
        # The worker ran for the first time on the 4th.
        with time_machine.travel(local(2026, 4, 4, 8, 30), tick=False):
            run_sweep()
        client.force_login(cast.leader)
        html = client.get("/campaign/2026-04/").content.decode()
        assert "快照生成于 2026-04-04 08:30。" in html
        assert 'data-testid="taken-late"' in html
        assert "晚于 2026-04-01 生成" in html
        book = workbook(client.get("/campaign/2026-04/export.xlsx"))
        assert rows_of(book["按单位"])[1] == [
            "快照时间",
            dt.datetime(2026, 4, 4, 8, 30),
            "晚于 2026-04-01 生成",
        ]
        # Taken on the 1st, it is not late.
        with time_machine.travel(local(2026, 5, 1, 0, 0), tick=False):
            run_sweep()
        html = client.get("/campaign/2026-05/").content.decode()
        assert "快照生成于 2026-05-01 00:00。" in html
        assert 'data-testid="taken-late"' not in html
        book = workbook(client.get("/campaign/2026-05/export.xlsx"))
        assert rows_of(book["按单位"])[1] == ["快照时间", dt.datetime(2026, 5, 1, 0, 0)]

    def test_it_is_a_404_for_a_month_that_is_not_one(self, client: Client, cast: Cast) -> None:
        client.force_login(cast.supervisor)
        for path in ("/campaign/2026-13/", "/campaign/2026-00/export.xlsx", "/campaign/26-03/"):
            assert client.get(path).status_code == 404, path
        assert client.post("/campaign/2026-13/snapshot/").status_code == 404
        # No snapshot, nothing to export.
        assert client.get("/campaign/2026-03/export.xlsx").status_code == 404

    def test_it_exports_the_board_to_excel(self, client: Client, cast: Cast) -> None:
        made = build(cast)
        client.force_login(cast.supervisor)
        board = counts(client.get("/campaign/2026-04/").content.decode())
        response = client.get("/campaign/2026-04/export.xlsx")
        assert response.status_code == 200
        assert response["Content-Type"] == XLSX
        assert (
            response["Content-Disposition"] == 'attachment; filename="jieban-campaign-2026-04.xlsx"'
        )
        book = workbook(response)
        assert book.sheetnames == ["按单位", "清单"]
        per_unit = rows_of(book["按单位"])
        assert per_unit[0] == ["清零行动", "2026-04"]
        assert per_unit[1] == ["快照时间", dt.datetime(2026, 4, 1, 9, 0)]
        assert per_unit[3] == ["单位代码", "单位", "期初", "已清零", "剩余"]
        units = {row[0]: tuple(row[2:]) for row in per_unit[4:-1]}
        assert units == {
            "PS-A": board["PS-A"],
            "PS-B": board["PS-B"],
            None: board[""],
        }
        assert per_unit[-1] == [None, "合计", *board["total"]]
        names = {row[0]: row[1] for row in per_unit[4:-1]}
        assert names == {"PS-A": "甲派出所", "PS-B": "乙派出所", None: "无单位"}

        rows = rows_of(book["清单"])
        assert rows[0] == [
            "编号",
            "标题",
            "单位",
            "状态",
            "受理时间",
            "久拖不决",
            "重复反映",
            "重复反映次数",
            "督办级别",
            "已清零",
        ]
        by_number = {row[0]: row for row in rows[1:]}
        assert set(by_number) == {
            made[key].number for key in ("old", "old_with_phone", "twice", "repeated")
        }
        # The sweeps that supervised "twice" found the old ones late as well: level 2 each.
        old = by_number[made["old"].number]
        assert old[2:] == [
            "甲派出所",
            "已归档",
            dt.datetime(2026, 2, 2, 9, 0),
            "是",
            "否",
            0,
            2,
            "是",
        ]
        twice = by_number[made["twice"].number]
        assert twice[2:] == [
            "乙派出所",
            "已交办",
            dt.datetime(2026, 3, 2, 9, 0),
            "是",
            "否",
            0,
            2,
            "否",
        ]
        repeated = by_number[made["repeated"].number]
        assert repeated[2:] == [
            "无单位",
            "待交办",
            dt.datetime(2026, 3, 5, 9, 0),
            "否",
            "是",
            2,
            0,
            "否",
        ]
        # The per-unit counts are the list's, unit by unit.
        for code, name in (("PS-A", "甲派出所"), ("PS-B", "乙派出所")):
            in_list = [row for row in rows[1:] if row[2] == name]
            cleared = sum(1 for row in in_list if row[9] == "是")
            assert (len(in_list), cleared, len(in_list) - cleared) == board[code]

    def test_it_never_exports_a_whole_phone_number(self, client: Client, cast: Cast) -> None:
        made = build(cast)
        client.force_login(cast.supervisor)
        book = workbook(client.get("/campaign/2026-04/export.xlsx"))
        texts = [
            str(cell)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for cell in row
            if cell is not None
        ]
        assert not [text for text in texts if WHOLE_PHONE.search(text)]
        titles = {row[0]: row[1] for row in book["清单"].iter_rows(min_row=2, values_only=True)}
        assert titles[made["old_with_phone"].number] == "噪音扰民，请回电139****5678"

    def test_it_keeps_names_and_titles_that_look_like_formulas_as_text(
        self, client: Client, cast: Cast
    ) -> None:
        formula = '=HYPERLINK("http://example.com","点我")'
        create_unit(code="PS-F", kind="station", name=formula, parent="BUR")
        with time_machine.travel(local(2026, 2, 2, 9), tick=False):
            ticket = dispatched(cast, "PS-F", title="@所长 -1 楼漏水")
        with time_machine.travel(local(2026, 3, 20, 9), tick=False):
            take_snapshot("2026-03")
        client.force_login(cast.supervisor)
        book = workbook(client.get("/campaign/2026-03/export.xlsx"))
        units = {row[0].value: row for row in book["按单位"].iter_rows(min_row=5)}
        unit_row = units["PS-F"]
        (listed_row,) = book["清单"].iter_rows(min_row=2)
        assert listed_row[0].value == ticket.number
        for cell, text in (
            (unit_row[1], formula),
            (listed_row[1], "@所长 -1 楼漏水"),
            (listed_row[2], formula),
        ):
            assert (cell.value, cell.data_type) == (text, "s")
            # Excel's quote prefix: it stays text when someone edits the cell.
            assert cell.quotePrefix
        # The counts beside them are still numbers.
        assert [cell.value for cell in unit_row[2:]] == [1, 0, 1]

    def test_it_exports_only_what_the_reader_may_see(self, client: Client, cast: Cast) -> None:
        made = build(cast)
        client.force_login(cast.handler_b)
        book = workbook(client.get("/campaign/2026-04/export.xlsx"))
        numbers = [row[0] for row in book["清单"].iter_rows(min_row=2, values_only=True)]
        assert numbers == [made["twice"].number]
        per_unit = rows_of(book["按单位"], min_row=5)
        assert per_unit == [["PS-B", "乙派出所", 1, 0, 1], [None, "合计", 1, 0, 1]]

    def test_it_is_in_the_menu(self, client: Client, cast: Cast) -> None:
        for person in (cast.supervisor, cast.leader, cast.handler_a):
            client.force_login(person)
            assert 'href="/campaign/"' in client.get("/").content.decode()
        client.force_login(cast.building_head)
        assert 'href="/campaign/"' not in client.get("/").content.decode()

    def test_it_runs_a_bounded_number_of_queries(
        self, client: Client, cast: Cast, django_assert_max_num_queries: object
    ) -> None:
        with time_machine.travel(local(2026, 2, 2, 9), tick=False):
            for code in ("PS-A", "PS-B", "G-01", "PS-A", "PS-B", "G-01"):
                dispatched(cast, code)
        with time_machine.travel(local(2026, 3, 20, 9), tick=False):
            take_snapshot("2026-03")
        client.force_login(cast.supervisor)
        # session, user, the bell, the campaign, the counts per unit, the list's length and
        # its page with their tickets
        with django_assert_max_num_queries(7):  # type: ignore[operator]
            html = client.get("/campaign/2026-03/").content.decode()
        assert len(listed(html)) == 6
        with django_assert_max_num_queries(6):  # type: ignore[operator]
            assert client.get("/campaign/2026-03/export.xlsx").status_code == 200
