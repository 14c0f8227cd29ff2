"""In a real browser: a person locked out after five wrong passwords reads why on the login
form, an administrator lifts the lock in the back office and reads it in the history of
changes, and the person logs in. Screenshots go to test-artifacts/."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from tests.conftest import PASSWORD, Cast
from tests.web.browser import Screenshots, desk_context, log_in

pytestmark = pytest.mark.browser

shot = Screenshots("lockout-")


def test_a_lockout_is_told_lifted_and_recorded(
    live_cast: Cast, live_server: Any, browser: Browser
) -> None:
    base = live_server.url
    page = desk_context(browser).new_page()
    page.goto(f"{base}/login/")
    for _ in range(5):
        page.fill("#id_username", "dispatcher")
        page.fill("#id_password", "wrong-password")
        page.click("button.primary")
    alert = page.locator(".alert.error")
    expect(alert).to_contain_text("该账号登录失败次数过多")
    expect(alert).to_contain_text("15 分钟")
    expect(page.locator("#id_username")).to_have_value("dispatcher")
    shot(page, "1-locked")
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")
    expect(page.locator(".alert.error")).to_contain_text("该账号登录失败次数过多")
    assert page.url.startswith(f"{base}/login/")

    office = desk_context(browser).new_page()
    log_in(office, base, "admin")
    office.goto(f"{base}/admin/org/user/?q=dispatcher")
    office.locator(f'input[name="_selected_action"][value="{live_cast.dispatcher.pk}"]').check()
    office.select_option('select[name="action"]', "lift_lockouts")
    office.click('button[name="index"]')
    expect(office.locator(".messagelist")).to_contain_text("dispatcher")
    office.goto(f"{base}/admin/org/changerecord/")
    row = office.locator("#result_list tbody tr").first
    expect(row).to_contain_text("admin")
    expect(row).to_contain_text("已计登录失败次数: 5 → 0")
    shot(office, "2-history")

    log_in(page, base, "dispatcher")
    expect(page.locator("body")).to_contain_text("dispatcher")
