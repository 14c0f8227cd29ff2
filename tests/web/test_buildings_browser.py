"""In a real browser on a 375-pixel phone: a station's leader adds a building to a grid of the
area, finds it in the list filtered by that grid, and corrects its address; issues a building
head's appointment letter, sees it among those expiring, and opens its A4 sheet. The pages fit
the phone's width. Screenshots go to test-artifacts/."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect

from jieban.community.actions import create_building
from jieban.community.models import Appointment, Building
from tests.conftest import Cast
from tests.web.browser import Screenshots, data_testid, fits_width, log_in, phone_context

pytestmark = pytest.mark.browser

shot = Screenshots("buildings-")


def test_a_leader_adds_and_edits_a_building_on_a_phone(
    live_cast: Cast, live_server: Any, browser: Browser
) -> None:
    base = live_server.url
    page = phone_context(browser).new_page()
    log_in(page, base, "leader_a")
    page.click(data_testid("menu-buildings"))
    expect(page.locator("h1")).to_contain_text("楼栋")
    page.select_option("#id_grid", "G-02")
    page.click(f"{data_testid('building-filters')} button.primary")
    page.click(data_testid("building-new"))
    expect(page.locator("#id_grid")).to_have_value("G-02")
    page.select_option("#id_kind", "courtyard")
    page.fill("#id_name", "老粮站院落")
    page.fill("#id_address", "粮站路1号")
    assert fits_width(page)
    shot(page, "form")
    page.click(f"{data_testid('building-form')} button.primary")

    page.wait_for_url(f"{base}/buildings/?grid=G-02")
    row = page.locator(f"{data_testid('buildings')} tbody tr").first
    expect(row).to_contain_text("老粮站院落")
    expect(row).to_contain_text("院落")
    expect(page.locator(".messages")).to_contain_text("老粮站院落 已保存。")
    assert fits_width(page)
    shot(page, "list")

    row.get_by_role("link", name="编辑").click()
    page.fill("#id_address", "粮站路3号")
    page.click(f"{data_testid('building-form')} button.primary")
    page.wait_for_url(f"{base}/buildings/?grid=G-02")
    expect(page.locator(data_testid("buildings"))).to_contain_text("粮站路3号")
    assert Building.objects.get().address == "粮站路3号"


def test_a_leader_issues_a_letter_on_a_phone_and_prints_it(
    live_cast: Cast, live_server: Any, browser: Browser
) -> None:
    building = create_building(
        grid="G-02", kind="building", name="3栋", address="幸福路3号", by=live_cast.admin
    )
    base = live_server.url
    page = phone_context(browser).new_page()
    log_in(page, base, "leader_a")
    page.click(data_testid("menu-appointments"))
    page.click(data_testid("appointment-new"))
    page.select_option("#id_post", "building_head")
    page.select_option("#id_person", "building_head")
    page.check(f'input[name="buildings"][value="{building.pk}"]')
    today = timezone.localdate()
    page.fill("#id_starts_on", (today - dt.timedelta(days=300)).isoformat())
    page.fill("#id_ends_on", (today + dt.timedelta(days=10)).isoformat())
    assert fits_width(page)
    page.click(f"{data_testid('appointment-form')} button.primary")
    expect(page.locator("h1")).to_contain_text("聘书")
    letter = Appointment.objects.get()
    page.goto(f"{base}/appointments/")
    expect(page.locator(data_testid("expiring"))).to_contain_text(letter.number)
    assert fits_width(page)
    shot(page, "letters")

    page.goto(f"{base}/appointments/{letter.pk}/print/")
    sheet = page.locator(data_testid("letter-sheet"))
    expect(sheet).to_contain_text("幸福路3号")
    expect(page.locator(data_testid("letter-issuer"))).to_have_text("甲派出所")
    shot(page, "letter-sheet")
