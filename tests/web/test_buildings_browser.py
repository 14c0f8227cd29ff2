"""In a real browser on a 375-pixel phone: a station's leader adds a building to a grid of the
area, finds it in the list filtered by that grid, and corrects its address; the pages fit the
phone's width. Screenshots go to test-artifacts/."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from jieban.community.models import Building
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
