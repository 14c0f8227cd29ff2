"""The ticket list's Excel export: the same filters as the page, phones masked, capped."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from jieban.tickets.selectors import encode_cursor
from jieban.web.tickets import export as ticket_export
from tests.conftest import Cast, local, new_ticket
from tests.web.conftest import dispatched, dispatched_at, resolved

HEADER = [
    "编号",
    "受理时间",
    "来源渠道",
    "类别",
    "单位",
    "状态",
    "办理期限",
    "超期",
    "标题",
    "地址",
    "群众姓名",
    "电话",
    "办理结果",
]


def download(client: Client, query: str = "") -> bytes:
    response = client.get(f"/tickets/export.xlsx{query}")
    assert response.status_code == 200
    assert response["Content-Type"] == ticket_export.XLSX
    assert response["Content-Disposition"].startswith('attachment; filename="jieban-tickets-')
    return b"".join(response.streaming_content)  # type: ignore[attr-defined]


def rows(content: bytes) -> list[list[Any]]:
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def every_text(content: bytes) -> str:
    """All the XML in the file, to look for what must not be anywhere in it."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return "".join(archive.read(name).decode() for name in archive.namelist())


class TestTicketExport:
    def test_it_exports_the_filtered_list_with_masked_phones(
        self, client: Client, cast: Cast
    ) -> None:
        done = resolved(cast, resident_phone="13812341234", received_at=local(2026, 3, 2, 9))
        other = new_ticket(cast.dispatcher, resident_phone="13900005678", content="狗在小区里乱跑")
        client.force_login(cast.dispatcher)
        content = download(client, "?status=resolved")
        table = rows(content)
        assert table[0] == HEADER
        assert len(table) == 2
        row = dict(zip(HEADER, table[1], strict=True))
        assert row["编号"] == done.number
        assert row["受理时间"].strftime("%Y-%m-%d %H:%M") == "2026-03-02 09:00"
        assert row["来源渠道"] == "来电"
        assert row["类别"] == "装修噪音"
        assert row["单位"] == "甲派出所"
        assert row["状态"] == "已办结"
        assert row["办理期限"] is not None
        assert row["超期"] == "否"
        assert row["标题"] == done.title
        assert row["地址"] == "甲一社区 3 栋 502"
        assert row["群众姓名"] == "张三"
        assert row["电话"] == "138****1234"
        assert row["办理结果"] == "已协调停工。"
        text = every_text(content)
        assert "13812341234" not in text
        assert other.number not in text

    def test_it_never_carries_a_whole_phone(self, client: Client, cast: Cast) -> None:
        new_ticket(
            cast.dispatcher,
            title="请回电 13700001111",
            resident_phone="13812341234",
            address="联系人 139-0000-2222 家",
        )
        client.force_login(cast.dispatcher)  # who may see whole phones on the page
        content = download(client)
        text = every_text(content)
        for phone in ("13812341234", "13700001111", "139-0000-2222", "13900002222"):
            assert phone not in text
        row = rows(content)[1]
        assert row[8] == "请回电 137****1111"
        assert row[11] == "138****1234"

    def test_it_exports_all_when_unfiltered_newest_first(self, client: Client, cast: Cast) -> None:
        made = [new_ticket(cast.dispatcher, received_at=local(2026, 3, day)) for day in (1, 2, 3)]
        client.force_login(cast.dispatcher)
        numbers = [row[0] for row in rows(download(client))[1:]]
        assert numbers == [ticket.number for ticket in reversed(made)]

    def test_it_takes_the_search_and_the_overdue_filter(self, client: Client, cast: Cast) -> None:
        noisy = new_ticket(cast.dispatcher, content="广场舞音响声音太大")
        new_ticket(cast.dispatcher)
        client.force_login(cast.dispatcher)
        assert [row[0] for row in rows(download(client, "?q=广场舞"))[1:]] == [noisy.number]
        late = dispatched_at(cast, local(2026, 1, 5))
        dispatched(cast, "PS-A")
        table = rows(download(client, "?overdue=1"))
        assert [row[0] for row in table[1:]] == [late.number]
        assert table[1][7] == "是"

    def test_it_exports_only_what_the_person_may_see(self, client: Client, cast: Cast) -> None:
        mine = dispatched(cast, "PS-A")
        dispatched(cast, "PS-B")
        new_ticket(cast.dispatcher)
        client.force_login(cast.handler_a)
        assert [row[0] for row in rows(download(client))[1:]] == [mine.number]
        client.force_login(cast.outsider)
        assert rows(download(client)) == [HEADER]

    def test_it_says_so_when_it_stops_at_the_cap(
        self, client: Client, cast: Cast, monkeypatch: Any
    ) -> None:
        monkeypatch.setattr(ticket_export, "MAX_ROWS", 2)
        for day in (1, 2, 3):
            new_ticket(cast.dispatcher, received_at=local(2026, 3, day))
        client.force_login(cast.dispatcher)
        table = rows(download(client))
        assert len(table) == 4
        assert table[3][0] == "仅导出了前 2 条工单：请缩小筛选范围以导出其余工单。"

    def test_it_keeps_text_that_looks_like_a_formula_as_text(
        self, client: Client, cast: Cast
    ) -> None:
        new_ticket(cast.dispatcher, title='=HYPERLINK("http://example.com","点我")')
        client.force_login(cast.dispatcher)
        sheet = load_workbook(io.BytesIO(download(client))).active
        assert sheet is not None
        cell = sheet.cell(row=2, column=9)
        assert cell.data_type == "s"
        assert cell.value == '=HYPERLINK("http://example.com","点我")'

    def test_it_refuses_bad_filters(self, client: Client, cast: Cast) -> None:
        client.force_login(cast.dispatcher)
        response = client.get("/tickets/export.xlsx?unit=NOWHERE")
        assert response.status_code == 400
        assert "未知单位 NOWHERE。" in response.content.decode()

    def test_it_is_linked_from_the_list_with_the_same_filters(
        self, client: Client, cast: Cast
    ) -> None:
        client.force_login(cast.dispatcher)
        cursor = encode_cursor(timezone.now(), 1)
        html = client.get(f"/tickets/?status=new&q=噪音&cursor={cursor}").content.decode()
        # The filters, not the page: the export has all the rows.
        assert 'href="/tickets/export.xlsx?q=%E5%99%AA%E9%9F%B3&amp;status=new"' in html

    def test_it_needs_a_login(self, client: Client, cast: Cast) -> None:
        assert client.get("/tickets/export.xlsx").status_code == 302

    def test_it_runs_a_fixed_number_of_queries(
        self, client: Client, cast: Cast, django_assert_num_queries: object
    ) -> None:
        for code in ("PS-A", "PS-B"):
            for _ in range(3):
                dispatched(cast, code)
                new_ticket(cast.dispatcher)
        client.force_login(cast.dispatcher)
        # session, user, the tickets with their categories and units
        with django_assert_num_queries(3):  # type: ignore[operator]
            assert len(rows(download(client))) == 13
        # A filter by unit costs its lookup, whatever the number of rows.
        with django_assert_num_queries(4):  # type: ignore[operator]
            assert len(rows(download(client, "?unit=PS-A"))) == 4
