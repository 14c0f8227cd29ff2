"""Registering a call: the form a dispatcher fills while the resident is on the phone."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from jieban.tickets.models import Attachment, Ticket, TicketEvent
from tests.conftest import Cast

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)


def call(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "resident_phone": "13912345678",
        "resident_name": "李四",
        "channel": "phone",
        "address": "甲一社区 5 栋 101",
        "grid": "G-01",
        "category": "neighbour_dispute",
        "title": "",
        "content": "邻居在楼道堆放杂物，协商无果。",
        "received_at": "",
    }
    values.update(overrides)
    return values


def field_error(html: str, field: str) -> str:
    match = re.search(rf'id="id_{field}_error" role="alert">([^<]*)<', html)
    assert match, f"no error on {field}"
    return match.group(1)


class TestRegisterPage:
    def test_it_shows_the_form_with_the_phone_focused(self, client: Client, cast: Cast) -> None:
        client.force_login(cast.dispatcher)
        response = client.get("/tickets/new/")
        assert response.status_code == 200
        html = response.content.decode()
        assert re.search(r'<input type="tel" name="resident_phone"[^>]*autofocus', html)
        # Grids to choose from, and categories with their parent.
        assert '<option value="G-01">第一网格 (G-01)</option>' in html
        assert '<option value="renovation_noise">噪音扰民 / 装修噪音</option>' in html
        assert 'name="attachments" multiple' in html
        assert '<button type="submit" class="primary">登记</button>' in html

    def test_it_registers_a_ticket_and_shows_it(self, client: Client, cast: Cast) -> None:
        client.force_login(cast.dispatcher)
        photo = SimpleUploadedFile("现场.png", PNG, content_type="image/png")
        response = client.post("/tickets/new/", {**call(), "attachments": [photo]})
        ticket = Ticket.objects.get()
        assert response.status_code == 302
        assert response["Location"] == f"/tickets/{ticket.number}/"
        assert ticket.status == "new"
        assert ticket.channel == "phone"
        assert ticket.resident_phone == "13912345678"
        assert ticket.grid is not None and ticket.grid.code == "G-01"
        assert ticket.category.code == "neighbour_dispute"
        assert ticket.title == "邻居在楼道堆放杂物，协商无果。"
        assert ticket.registered_by == cast.dispatcher
        assert ticket.first_handler == cast.dispatcher
        assert Attachment.objects.get(ticket=ticket).original_name == "现场.png"
        page = client.get(response["Location"]).content.decode()
        assert f"工单 {ticket.number} 已登记。" in page

    def test_it_takes_the_time_received(self, client: Client, cast: Cast) -> None:
        client.force_login(cast.dispatcher)
        received = timezone.localtime() - dt.timedelta(hours=2)
        client.post("/tickets/new/", call(received_at=received.strftime("%Y-%m-%dT%H:%M")))
        ticket = Ticket.objects.get()
        assert timezone.localtime(ticket.received_at).strftime("%H:%M") == received.strftime(
            "%H:%M"
        )

    def test_it_shows_a_missing_content_on_its_field(self, client: Client, cast: Cast) -> None:
        client.force_login(cast.dispatcher)
        response = client.post("/tickets/new/", call(content="   "))
        assert response.status_code == 400
        html = response.content.decode()
        assert field_error(html, "content") == "诉求内容不能为空。"
        # What was typed is kept.
        assert 'value="13912345678"' in html
        assert not Ticket.objects.exists()
        assert not TicketEvent.objects.exists()

    def test_it_refuses_too_long_content(self, client: Client, cast: Cast) -> None:
        client.force_login(cast.dispatcher)
        response = client.post("/tickets/new/", call(content="吵" * 4001))
        assert response.status_code == 400
        assert field_error(response.content.decode(), "content") == (
            "诉求内容超过 4000 个字符（现为 4001 个）。"
        )
        assert not Ticket.objects.exists()

    def test_it_refuses_a_bad_phone_number(self, client: Client, cast: Cast) -> None:
        client.force_login(cast.dispatcher)
        response = client.post("/tickets/new/", call(resident_phone="call me"))
        assert response.status_code == 400
        assert "不是有效的电话号码" in field_error(response.content.decode(), "resident_phone")
        assert not Ticket.objects.exists()

    def test_it_refuses_an_unknown_grid_or_category(self, client: Client, cast: Cast) -> None:
        client.force_login(cast.dispatcher)
        for field in ("grid", "category", "channel"):
            response = client.post("/tickets/new/", call(**{field: "nowhere"}))
            assert response.status_code == 400, field
            field_error(response.content.decode(), field)
        assert not Ticket.objects.exists()

    def test_it_refuses_a_time_received_in_the_future(self, client: Client, cast: Cast) -> None:
        client.force_login(cast.dispatcher)
        future = timezone.localtime() + dt.timedelta(days=1)
        response = client.post("/tickets/new/", call(received_at=future.strftime("%Y-%m-%dT%H:%M")))
        assert response.status_code == 400
        assert field_error(response.content.decode(), "received_at") == "受理时间晚于当前时间。"
        assert not Ticket.objects.exists()

    def test_it_refuses_an_attachment_of_a_wrong_type(self, client: Client, cast: Cast) -> None:
        client.force_login(cast.dispatcher)
        script = SimpleUploadedFile("run.exe", b"MZ", content_type="application/octet-stream")
        response = client.post("/tickets/new/", {**call(), "attachments": [script]})
        assert response.status_code == 400
        assert "不接受此类型的文件" in field_error(response.content.decode(), "attachments")
        assert not Ticket.objects.exists()
        assert not Attachment.objects.exists()

    def test_it_lets_the_community_network_register(self, client: Client, cast: Cast) -> None:
        client.force_login(cast.grid_officer)
        assert client.get("/tickets/new/").status_code == 200
        assert client.post("/tickets/new/", call()).status_code == 302
        assert Ticket.objects.get().first_handler is None

    def test_it_is_forbidden_to_other_roles(self, client: Client, cast: Cast) -> None:
        for person in (cast.handler_a, cast.leader, cast.outsider):
            client.force_login(person)
            assert client.get("/tickets/new/").status_code == 403
            response = client.post("/tickets/new/", call())
            assert response.status_code == 403
            assert "无权操作" in response.content.decode()
        assert not Ticket.objects.exists()
