"""The input rules (`jieban.inputs`) on the pages: bad dates, text and ids are a page saying
what is wrong (or a 404 for an address that names nothing), never a 500; every Excel export
survives text stored before the rules; a file's name never stops its upload."""

from __future__ import annotations

import base64
import io
import os
import re
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import load_workbook

from jieban.notify.models import Notification
from jieban.org.actions import create_unit
from jieban.tickets.campaign import take_snapshot
from jieban.tickets.models import Attachment, Ticket
from jieban.web.models import SavedFilter
from tests.conftest import Cast, local, new_ticket
from tests.web.conftest import dispatched, supervised
from tests.web.test_register_page import PNG, call, field_error

EDGE_DATES = ["0001-01-01", "9999-12-31", "1999-12-31", "2101-01-01", "0001-01-01T00:00:00"]
# Characters a workbook cannot hold that a database can (PostgreSQL stores no NUL, neither
# stores a lone surrogate): what a ticket stored before the rules may carry.
STORED_CONTROLS = "\x07\x08\x0b\x1b"


def cursor_of(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def alert(html: str) -> str:
    match = re.search(r'<div class="alert error" role="alert" data-field="(\w*)">', html)
    assert match, "no alert"
    return match.group(1)


class TestDates:
    @pytest.mark.parametrize("value", EDGE_DATES)
    @pytest.mark.parametrize("field", ["received_from", "received_to"])
    def test_the_ticket_list_says_which_date_is_out_of_range(
        self, client: Client, cast: Cast, field: str, value: str
    ) -> None:
        client.force_login(cast.dispatcher)
        response = client.get("/tickets/", {field: value})
        assert response.status_code == 400
        html = response.content.decode()
        assert alert(html) == field
        assert "2000-01-01" in html
        export = client.get("/tickets/export.xlsx", {field: value})
        assert export.status_code == 400
        assert "2000-01-01" in export.content.decode()

    @pytest.mark.parametrize("name", ["cursor", "before"])
    @pytest.mark.parametrize(
        "raw", ["0001-01-01T00:00:00+00:00|1", "9999-12-31T23:59:59.999999-12:00|1"]
    )
    def test_the_ticket_list_refuses_a_crafted_cursor(
        self, client: Client, cast: Cast, name: str, raw: str
    ) -> None:
        client.force_login(cast.dispatcher)
        response = client.get("/tickets/", {name: cursor_of(raw)})
        assert response.status_code == 400
        assert alert(response.content.decode()) == "cursor"

    @pytest.mark.parametrize("path", ["/follow-up/", "/supervision/"])
    def test_the_follow_up_queue_and_the_board_refuse_one_too(
        self, client: Client, cast: Cast, path: str
    ) -> None:
        client.force_login(cast.dispatcher)
        response = client.get(path, {"cursor": cursor_of("0001-01-01T00:00:00+00:00|1")})
        assert response.status_code == 400
        assert "分页游标无效" in response.content.decode()

    @pytest.mark.parametrize("value", ["0001-01-01T00:00", "9999-12-31T23:59", "1999-12-31T23:59"])
    def test_registering_says_when_the_time_received_is_out_of_range(
        self, client: Client, cast: Cast, value: str
    ) -> None:
        client.force_login(cast.dispatcher)
        with time_machine.travel(local(2026, 7, 14, 10), tick=False):
            response = client.post("/tickets/new/", call(received_at=value))
        assert response.status_code == 400
        assert "2000-01-01" in field_error(response.content.decode(), "received_at")
        assert not Ticket.objects.exists()

    @pytest.mark.parametrize(
        "path",
        [
            "/reports/weekly/9999-W52/",
            "/reports/weekly/9999-W52/export.xlsx",
            "/reports/daily/0001-01-01/",
            "/reports/daily/9999-12-31/export.xlsx",
            "/reports/monthly/0001-01/",
            "/reports/weekly/0001-W01/",
            "/campaign/0001-01/",
            "/campaign/0000-01/",
            "/campaign/9999-12/export.xlsx",
        ],
    )
    def test_a_period_out_of_range_is_a_page_that_does_not_exist(
        self, client: Client, cast: Cast, path: str
    ) -> None:
        client.force_login(cast.dispatcher)
        assert client.get(path).status_code == 404

    def test_publishing_a_period_out_of_range_is_a_404(self, client: Client, cast: Cast) -> None:
        client.force_login(cast.dispatcher)
        assert client.post("/reports/weekly/9999-W52/publish/").status_code == 404
        assert client.post("/campaign/0001-01/snapshot/").status_code == 404

    def test_opening_a_report_out_of_range_says_so(self, client: Client, cast: Cast) -> None:
        client.force_login(cast.dispatcher)
        response = client.get("/reports/", {"kind": "weekly", "period": "9999-W52"})
        assert response.status_code == 400
        assert "2000-01-01" in response.content.decode()

    def test_the_first_report_and_month_offer_no_earlier_one(
        self, client: Client, cast: Cast
    ) -> None:
        client.force_login(cast.dispatcher)
        with time_machine.travel(local(2026, 7, 14, 10), tick=False):
            for path in ("/reports/daily/2000-01-01/", "/reports/monthly/2000-01/"):
                response = client.get(path)
                assert response.status_code == 200, path
                assert 'rel="prev"' not in response.content.decode()
                assert 'rel="next"' in response.content.decode()
            response = client.get("/reports/daily/2000-01-02/")
            assert 'href="/reports/daily/2000-01-01/" rel="prev"' in response.content.decode()
            response = client.get("/campaign/2000-01/")
            assert response.status_code == 200
            assert 'rel="prev"' not in response.content.decode()
            response = client.get("/campaign/2000-02/")
            assert 'href="/campaign/2000-01/" rel="prev"' in response.content.decode()

    def test_removing_an_override_out_of_range_says_so(self, client: Client, cast: Cast) -> None:
        client.force_login(cast.admin)
        response = client.post("/calendar/remove/", {"date": "0001-01-01"}, follow=True)
        assert response.status_code == 200
        assert "2000-01-01" in response.content.decode()

    def test_an_override_out_of_range_is_refused_on_its_field(
        self, client: Client, cast: Cast
    ) -> None:
        client.force_login(cast.admin)
        response = client.post(
            "/calendar/", {"date": "9999-12-31", "kind": "holiday", "source": "通知"}
        )
        assert response.status_code == 400
        assert "2000-01-01" in response.content.decode()


class TestText:
    @pytest.mark.parametrize("field", ["content", "title", "resident_name", "address"])
    def test_registering_names_the_field_with_a_control_character(
        self, client: Client, cast: Cast, field: str
    ) -> None:
        client.force_login(cast.dispatcher)
        response = client.post("/tickets/new/", call(**{field: "甲\x07乙"}))
        assert response.status_code == 400
        assert "U+0007" in field_error(response.content.decode(), field)
        assert not Ticket.objects.exists()

    def test_a_saved_filter_refuses_them(self, client: Client, cast: Cast) -> None:
        client.force_login(cast.dispatcher)
        response = client.post("/tickets/filters/", {"name": "甲\x07", "query": "status=new"})
        assert response.status_code == 400
        response = client.post("/tickets/filters/", {"name": "甲", "query": "unit=%00"})
        assert response.status_code == 400
        assert not SavedFilter.objects.exists()

    @pytest.mark.parametrize(
        "path",
        ["/tickets/JB%00/", "/tickets/?unit=%00", "/supervision/?unit=a%00", "/stats/?%00=1"],
    )
    def test_nul_in_an_address_is_a_400(self, client: Client, cast: Cast, path: str) -> None:
        client.force_login(cast.dispatcher)
        response = client.get(path)
        assert response.status_code == 400
        assert "U+0000" in response.content.decode()

    def test_the_search_box_ignores_other_control_characters(
        self, client: Client, cast: Cast
    ) -> None:
        ticket = new_ticket(cast.dispatcher, title="装修噪音")
        client.force_login(cast.dispatcher)
        response = client.get("/tickets/", {"q": "装修\x0b噪音"})
        assert response.status_code == 200
        assert ticket.number in response.content.decode()


def stored_with_controls(ticket: Ticket) -> None:
    """Text written before the rules: past the intake, straight into the row."""
    Ticket.objects.filter(pk=ticket.pk).update(
        title=f"噪音{STORED_CONTROLS}扰民",
        address=f"3 栋{STORED_CONTROLS}502",
        resident_name=f"张{STORED_CONTROLS}三",
        result=f"已{STORED_CONTROLS}处理",
    )


def workbook(response: Any) -> Any:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return load_workbook(io.BytesIO(content))


def texts_of(book: Any) -> list[str]:
    return [
        value
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if isinstance(value, str)
    ]


class TestExcel:
    def test_the_ticket_export_survives_stored_control_characters(
        self, client: Client, cast: Cast
    ) -> None:
        ticket = dispatched(cast)
        stored_with_controls(ticket)
        client.force_login(cast.dispatcher)
        response = client.get("/tickets/export.xlsx")
        assert response.status_code == 200
        texts = texts_of(workbook(response))
        assert {"噪音扰民", "3 栋502", "张三"} <= set(texts)
        assert not [text for text in texts if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", text)]

    def test_the_campaign_export_survives_them(self, client: Client, cast: Cast) -> None:
        with time_machine.travel(local(2026, 2, 2, 9), tick=False):
            ticket = dispatched(cast)
        stored_with_controls(ticket)
        with time_machine.travel(local(2026, 3, 20, 9), tick=False):
            take_snapshot("2026-03")
        client.force_login(cast.supervisor)
        response = client.get("/campaign/2026-03/export.xlsx")
        assert response.status_code == 200
        assert "噪音扰民" in texts_of(workbook(response))

    def test_the_report_export_survives_them_in_a_unit_name(
        self, client: Client, cast: Cast
    ) -> None:
        create_unit(code="PS-X", kind="station", name=f"丙{STORED_CONTROLS}所", parent="BUR")
        with time_machine.travel(local(2026, 3, 2, 9), tick=False):
            dispatched(cast, "PS-X")
        client.force_login(cast.dispatcher)
        with time_machine.travel(local(2026, 4, 2, 10), tick=False):
            response = client.get("/reports/monthly/2026-03/export.xlsx")
        assert response.status_code == 200
        assert "丙所" in texts_of(workbook(response))


class TestIds:
    @pytest.mark.parametrize("number", [2**63, 2**64, 10**30, 2**63 - 1, 0])
    def test_an_id_names_nothing_beyond_64_bits(
        self, client: Client, cast: Cast, number: int
    ) -> None:
        ticket = new_ticket(cast.dispatcher)
        client.force_login(cast.dispatcher)
        assert client.get(f"/notifications/{number}/").status_code == 404
        assert client.get(f"/tickets/{ticket.number}/attachments/{number}/").status_code == 404
        assert client.post(f"/tickets/filters/{number}/delete/").status_code == 404

    def test_an_id_in_range_still_opens(self, client: Client, cast: Cast) -> None:
        supervised(cast)
        notification = Notification.objects.filter(recipient=cast.handler_a).first()
        assert notification is not None
        client.force_login(cast.handler_a)
        assert client.get(f"/notifications/{notification.pk}/").status_code == 302


class TestFileNames:
    LONG = "现场照片" * 60 + ".PNG"  # 240 characters, 723 bytes: more than a file system takes

    def test_a_name_longer_than_a_file_system_takes_is_stored_safe(
        self, client: Client, cast: Cast
    ) -> None:
        ticket = dispatched(cast)
        client.force_login(cast.handler_a)
        upload = SimpleUploadedFile(self.LONG, PNG, content_type="image/png")
        response = client.post(f"/tickets/{ticket.number}/attachments/", {"attachments": [upload]})
        assert response.status_code == 302
        item = Attachment.objects.get(ticket=ticket)
        stored = Path(item.file.name).name
        assert len(stored.encode()) <= 100 + len(".png")
        assert stored.endswith(".png") and stored.startswith("现场照片")
        assert os.path.exists(item.file.path)
        # Shown by its own name, as much of it as the column holds, its suffix kept.
        assert len(item.original_name) == 150
        assert item.original_name.startswith("现场照片") and item.original_name.endswith(".PNG")
        download = client.get(f"/tickets/{ticket.number}/attachments/{item.pk}/")
        assert download.status_code == 200
        assert "filename*=utf-8''" in download["Content-Disposition"]

    def test_a_name_with_control_characters_is_shown_without_them(
        self, client: Client, cast: Cast
    ) -> None:
        ticket = dispatched(cast)
        client.force_login(cast.handler_a)
        upload = SimpleUploadedFile("门\x07口\x1b.png", PNG, content_type="image/png")
        response = client.post(f"/tickets/{ticket.number}/attachments/", {"attachments": [upload]})
        assert response.status_code == 302
        item = Attachment.objects.get(ticket=ticket)
        assert item.original_name == "门口.png"
        assert Path(item.file.name).name == "门口.png"

    def test_the_api_stores_a_long_name_too(self, cast: Cast) -> None:
        from tests.conftest import ApiClient

        ticket = new_ticket(cast.dispatcher)
        client = ApiClient(cast.dispatcher)
        response = client.client.post(
            f"/api/v1/tickets/{ticket.number}/attachments",
            {"file": SimpleUploadedFile(self.LONG, PNG)},
            **client.headers,
        )
        assert response.status_code == 201, response.content
        assert response.json()["name"].endswith(".PNG")
