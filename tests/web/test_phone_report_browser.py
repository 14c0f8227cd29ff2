"""In a real browser on a 375-pixel phone: a building head reports a problem with a photo and
his location (随手报), pressing the send button twice; one ticket arrives at the command
centre with his building's grid; when the station resolves it, his phone shows the result and
the bell. The pages fit the phone's width. Screenshots go to test-artifacts/."""

from __future__ import annotations

import datetime as dt
import zlib
from pathlib import Path
from struct import pack
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect

from jieban.community.actions import create_building
from jieban.community.appointments import issue_appointment
from jieban.community.models import PhoneReport
from jieban.tickets.models import Ticket
from tests.conftest import Cast, dispatch, resolve
from tests.web.browser import Screenshots, data_testid, fits_width, log_in, phone_context

pytestmark = pytest.mark.browser

shot = Screenshots("phone-report-")


def small_png(path: Path) -> Path:
    """A real 2×2 PNG, written by hand."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return pack(">I", len(data)) + kind + data + pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _row in range(2))
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
    return path


def test_a_building_head_reports_from_his_phone_with_a_photo(
    live_cast: Cast, live_server: Any, browser: Browser, tmp_path: Path
) -> None:
    cast = live_cast
    building = create_building(
        grid="G-02", kind="building", name="3号楼", address="幸福路 3 号", by=cast.admin
    )
    today = timezone.localdate()
    issue_appointment(
        person="building_head",
        post="building_head",
        buildings=[building.pk],
        starts_on=today - dt.timedelta(days=10),
        ends_on=today + dt.timedelta(days=355),
        by=cast.leader_a,
    )
    base = live_server.url
    context = phone_context(
        browser,
        geolocation={"latitude": 30.274084, "longitude": 120.155070},
        permissions=["geolocation"],
    )
    page = context.new_page()
    log_in(page, base, "building_head")
    page.click(data_testid("menu-phone-report"))
    expect(page.locator("h1")).to_contain_text("随手报")
    expect(page.locator(data_testid("report-place"))).to_contain_text("3号楼")
    page.select_option("#id_category", "other")
    page.fill("#id_content", "3号楼楼道堆放杂物，堵住了消防通道。")
    page.set_input_files("#id_photos", str(small_png(tmp_path / "楼道.png")))
    page.click(data_testid("share-location"))
    expect(page.locator("[data-geolocate-status]")).to_have_text("已添加位置。")
    assert fits_width(page)
    shot(page, "form")
    # A double press: the second sends nothing.
    page.locator(data_testid("send-report")).dblclick()

    page.wait_for_url(f"{base}/quick-report/mine/")
    ticket = Ticket.objects.get()
    expect(page.locator(".messages")).to_contain_text(ticket.number)
    expect(page.locator(data_testid("my-reports"))).to_contain_text(ticket.number)
    assert fits_width(page)
    shot(page, "mine")
    assert (ticket.channel, ticket.grid.code if ticket.grid else None) == ("building_head", "G-02")
    assert [item.original_name for item in ticket.attachments.all()] == ["楼道.png"]
    report = PhoneReport.objects.get()
    assert (float(report.latitude or 0), float(report.longitude or 0)) == (30.274084, 120.15507)

    dispatch(cast, ticket)
    resolve(cast, ticket)
    page.goto(f"{base}/")
    expect(page.locator(data_testid("unread-count"))).to_have_text("1")
    desk = page.locator(data_testid("my-reports-desk"))
    expect(desk.locator(data_testid("report-status"))).to_have_text("已办结")
    expect(desk.locator(data_testid("report-result"))).to_contain_text("已处理")
    expect(page.locator(data_testid("my-letters"))).to_contain_text("楼长")
    assert fits_width(page)
    shot(page, "home")
    context.close()
