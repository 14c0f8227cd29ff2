"""Registering a call: the form a dispatcher fills while the resident is on the phone."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from jieban.org.models import Unit
from jieban.tickets.models import Attachment, Ticket, TicketEvent
from jieban.web.tickets import registration
from tests.conftest import Cast, local, new_ticket

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
        assert (
            '<button type="submit" class="primary" name="then" value="register">登记</button>'
            in html
        )

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


def options(html: str, name: str) -> list[tuple[str, str]]:
    """The (value, label) options of the select `name`, in order."""
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, flags=re.DOTALL)
    assert select is not None, name
    return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select.group(1))


def groups(html: str, name: str) -> list[tuple[str, list[str]]]:
    """The select `name` as (optgroup label, [option values]), in order."""
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, flags=re.DOTALL)
    assert select is not None, name
    return [
        (label, re.findall(r'<option value="([^"]*)"', body))
        for label, body in re.findall(
            r'<optgroup label="([^"]*)">(.*?)</optgroup>', select.group(1), flags=re.DOTALL
        )
    ]


class TestRegisterForm:
    def test_it_has_no_default_category(self, client: Client, cast: Cast) -> None:
        client.force_login(cast.dispatcher)
        html = client.get("/tickets/new/").content.decode()
        categories = options(html, "category")
        assert categories[0] == ("", "— 请选择 —")
        assert re.search(r'<option value="" selected>— 请选择 —</option>', html)
        assert "other" in [value for value, _label in categories]
        response = client.post("/tickets/new/", call(category=""))
        assert response.status_code == 400
        assert field_error(response.content.decode(), "category") == "请选择类别。"
        assert not Ticket.objects.exists()

    def test_it_names_the_channels_as_dispatchers_do(self, client: Client, cast: Cast) -> None:
        client.force_login(cast.dispatcher)
        html = client.get("/tickets/new/").content.decode()
        assert options(html, "channel") == [
            ("hotline_12345", "12345热线"),
            ("online_platform", "速来办/网上平台"),
            ("building_head", "楼长上报"),
            ("walk_in", "来访"),
            ("phone", "来电"),
            ("grid", "网格员上报"),
            ("other", "其他"),
        ]
        assert re.search(r'<option value="phone" selected>来电</option>', html)

    def test_it_leaves_open311_to_the_machines(
        self, client: Client, cast: Cast, api_as: Any
    ) -> None:
        client.force_login(cast.dispatcher)
        response = client.post("/tickets/new/", call(channel="open311"))
        assert response.status_code == 400
        field_error(response.content.decode(), "channel")
        assert not Ticket.objects.exists()
        answer = api_as(cast.dispatcher).post(
            "/tickets", {"channel": "open311", "content": "路灯不亮", "external_id": "311-1"}
        )
        assert answer.status_code == 201
        assert Ticket.objects.get().channel == "open311"

    def test_it_stores_the_platform_ticket_number(self, client: Client, cast: Cast) -> None:
        client.force_login(cast.dispatcher)
        response = client.post(
            "/tickets/new/", call(channel="hotline_12345", external_id=" 12345-0714-001 ")
        )
        assert response.status_code == 302
        ticket = Ticket.objects.get()
        assert (ticket.channel, ticket.external_id) == ("hotline_12345", "12345-0714-001")
        html = client.get(response["Location"]).content.decode()
        assert "12345热线 · 12345-0714-001" in html
        # Left empty, there is none.
        client.post("/tickets/new/", call(channel="hotline_12345", external_id=""))
        assert Ticket.objects.filter(external_id__isnull=True).count() == 1

    def test_a_platform_number_registered_before_is_an_error_on_its_field(
        self, client: Client, cast: Cast
    ) -> None:
        client.force_login(cast.dispatcher)
        client.post("/tickets/new/", call(channel="hotline_12345", external_id="12345-001"))
        first = Ticket.objects.get()
        response = client.post(
            "/tickets/new/",
            call(channel="hotline_12345", external_id="12345-001", content="又一次来电"),
        )
        assert response.status_code == 409
        html = response.content.decode()
        assert field_error(html, "external_id") == (
            f"12345热线工单号 12345-001 已登记，即工单 {first.number}。"
        )
        assert 'value="12345-001"' in html and "又一次来电" in html
        assert Ticket.objects.count() == 1
        # The same number from another platform is another ticket.
        response = client.post(
            "/tickets/new/", call(channel="online_platform", external_id="12345-001")
        )
        assert response.status_code == 302
        assert Ticket.objects.count() == 2

    def test_a_platform_number_registered_before_dispatches_nothing(
        self, client: Client, cast: Cast
    ) -> None:
        client.force_login(cast.dispatcher)
        client.post("/tickets/new/", call(channel="hotline_12345", external_id="12345-001"))
        response = client.post(
            "/tickets/new/",
            call(channel="hotline_12345", external_id="12345-001", unit="PS-A", then="dispatch"),
        )
        assert response.status_code == 409
        field_error(response.content.decode(), "external_id")
        assert Ticket.objects.get().status == "new"


class TestRegisterAndDispatch:
    def test_it_groups_the_units_by_kind_stations_first(self, client: Client, cast: Cast) -> None:
        client.force_login(cast.dispatcher)
        html = client.get("/tickets/new/").content.decode()
        assert groups(html, "unit") == [
            ("派出所", ["PS-A", "PS-B"]),
            ("社区 / 村", ["COM-A1"]),
            ("网格", ["G-01", "G-02"]),
        ]
        assert options(html, "unit")[0] == ("", "—")
        select = re.search(r'<select name="unit"[^>]*>', html)
        assert select is not None
        assert (
            "data-searchable" in select.group() and 'data-search-label="搜索单位"' in select.group()
        )
        assert '<button type="submit" name="then" value="dispatch">登记并交办</button>' in html
        # The unit comes after the call and its 登记 button, beside its own button.
        assert html.index('value="register"') < html.index('name="unit"')
        assert html.index('name="unit"') < html.index('value="dispatch"')

    def test_it_registers_and_dispatches_in_one_step(self, client: Client, cast: Cast) -> None:
        client.force_login(cast.dispatcher)
        with time_machine.travel(local(2026, 7, 14, 10), tick=False):
            response = client.post("/tickets/new/", call(unit="PS-B", then="dispatch"))
        assert response.status_code == 302
        ticket = Ticket.objects.get()
        assert response["Location"] == f"/tickets/{ticket.number}/"
        assert ticket.status == "dispatched"
        assert ticket.unit is not None and ticket.unit.code == "PS-B"
        assert ticket.first_handler == cast.dispatcher
        assert timezone.localtime(ticket.due_at).isoformat() == "2026-07-21T23:59:59+08:00"
        kinds = list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))
        assert kinds == ["intake", "dispatch"]
        html = client.get(response["Location"]).content.decode()
        assert f"工单 {ticket.number} 已登记并交办给 乙派出所。" in html

    def test_it_registers_a_repeat_and_dispatches_it(self, client: Client, cast: Cast) -> None:
        earlier = new_ticket(cast.dispatcher, resident_phone="13912345678")
        client.force_login(cast.dispatcher)
        response = client.post(
            "/tickets/new/", call(unit="PS-A", then="dispatch", repeat_of=earlier.number)
        )
        assert response.status_code == 302
        ticket = Ticket.objects.exclude(pk=earlier.pk).get()
        assert (ticket.status, ticket.repeat_of_id) == ("dispatched", earlier.pk)
        html = client.get(response["Location"]).content.decode()
        assert f"为 {earlier.number} 的重复反映，并已交办给 甲派出所。" in html

    def test_a_refused_dispatch_leaves_no_ticket(
        self, client: Client, cast: Cast, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        earlier = new_ticket(cast.dispatcher, resident_phone="13912345678")
        # The command centre in the list, as if it could take tickets: the form accepts it,
        # the dispatch refuses it after the ticket was registered and marked as a repeat.
        monkeypatch.setattr(
            registration, "dispatchable_units", lambda: list(Unit.objects.order_by("code"))
        )
        client.force_login(cast.dispatcher)
        response = client.post(
            "/tickets/new/", call(unit="CC", then="dispatch", repeat_of=earlier.number)
        )
        assert response.status_code == 400
        assert field_error(response.content.decode(), "unit") == "单位 CC 不能承办工单。"
        assert list(Ticket.objects.all()) == [earlier]
        assert TicketEvent.objects.exclude(ticket=earlier).count() == 0
        assert Ticket.objects.get(pk=earlier.pk).repeat_count == 0
        # The number it would have had is given to the next ticket.
        assert client.post("/tickets/new/", call()).status_code == 302
        numbers = sorted(Ticket.objects.values_list("number", flat=True))
        assert numbers[1].endswith("-0002")

    def test_it_refuses_a_unit_not_on_the_list(self, client: Client, cast: Cast) -> None:
        client.force_login(cast.dispatcher)
        for unit in ("CC", "NOWHERE"):
            response = client.post("/tickets/new/", call(unit=unit, then="dispatch"))
            assert response.status_code == 400
            field_error(response.content.decode(), "unit")
        assert not Ticket.objects.exists()

    def test_the_dispatch_button_needs_a_unit(self, client: Client, cast: Cast) -> None:
        client.force_login(cast.dispatcher)
        response = client.post("/tickets/new/", call(unit="", then="dispatch"))
        assert response.status_code == 400
        assert field_error(response.content.decode(), "unit") == "请选择交办单位。"
        assert not Ticket.objects.exists()

    def test_a_chosen_unit_is_never_dropped_without_a_word(
        self, client: Client, cast: Cast
    ) -> None:
        client.force_login(cast.dispatcher)
        for then in ("register", ""):
            response = client.post("/tickets/new/", call(unit="PS-A", then=then))
            assert response.status_code == 400
            assert "登记并交办" in field_error(response.content.decode(), "unit")
        assert not Ticket.objects.exists()

    def test_who_may_not_dispatch_registers_only(self, client: Client, cast: Cast) -> None:
        client.force_login(cast.grid_officer)
        html = client.get("/tickets/new/").content.decode()
        assert 'name="unit"' not in html and 'value="dispatch"' not in html
        response = client.post("/tickets/new/", call(unit="PS-A", then="dispatch"))
        assert response.status_code == 403
        assert not Ticket.objects.exists()
        assert client.post("/tickets/new/", call()).status_code == 302
        assert Ticket.objects.get().status == "new"
