"""In a real browser: a dispatcher types a caller's address and the registration page suggests
the grid and the unit (the picker's first choice, saying why), fills the empty grid, and the
ticket is dispatched to the suggested unit; on a 375-pixel phone, the dispatch rules' page and
the suggestions in use fit the width. Screenshots go to test-artifacts/."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from jieban.community.actions import create_building
from jieban.suggestions.rules import RuleDraft, create_rule
from jieban.tickets.models import Status, Ticket
from tests.conftest import Cast
from tests.web.browser import (
    Screenshots,
    data_testid,
    desk_context,
    fits_width,
    log_in,
    phone_context,
)

pytestmark = pytest.mark.browser

shot = Screenshots("dispatch-rules-")


def test_the_address_typed_suggests_the_grid_and_the_unit(
    live_cast: Cast, live_server: Any, browser: Browser
) -> None:
    create_building(grid="G-02", kind="building", name="幸福小区3栋",
                    address="城关镇幸福小区3栋", by=live_cast.admin)  # fmt: skip
    base = live_server.url
    page = desk_context(browser).new_page()
    log_in(page, base, "dispatcher")
    page.goto(f"{base}/tickets/new/")
    page.select_option("#id_category", "noise")
    page.fill("#id_content", "楼下广场舞音响太吵")
    page.fill("#id_address", "幸福小区三栋502")
    suggestion = page.locator(data_testid("unit-suggestion"))
    expect(suggestion).to_contain_text("地址匹配 幸福小区3栋 → 甲派出所")
    expect(page.locator("#id_grid")).to_have_value("G-02")
    first = page.locator("#id_unit option").nth(1)
    expect(first).to_have_attribute("value", "PS-A")
    expect(first).to_contain_text("地址匹配")
    # The picker came back with its search box, once.
    expect(page.locator("#unit-picker [data-select-search]")).to_have_count(1)
    shot(page, "registration")
    page.select_option("#id_unit", "PS-A")
    page.click('button[value="dispatch"]')
    page.wait_for_url(f"{base}/tickets/JB*/")
    ticket = Ticket.objects.get()
    assert (ticket.status, ticket.unit.code, ticket.grid.code) == (  # type: ignore[union-attr]
        Status.DISPATCHED,
        "PS-A",
        "G-02",
    )


def test_the_rules_and_the_measures_fit_a_phone(
    live_cast: Cast, live_server: Any, browser: Browser
) -> None:
    create_rule(RuleDraft("城关辖区噪音扰民 → 甲派出所", "noise", "PS-A", station="PS-A",
                          dispatch_at_confidence=0.9), by=live_cast.dispatcher)  # fmt: skip
    create_rule(RuleDraft("违规养犬 → 乙派出所", "dangerous_dogs", "PS-B"), by=live_cast.dispatcher)
    base = live_server.url
    page = phone_context(browser).new_page()
    log_in(page, base, "dispatcher")
    page.goto(f"{base}/dispatch-rules/")
    expect(page.locator(data_testid("dispatch-rules"))).to_contain_text("置信度 ≥ 0.9")
    assert fits_width(page)
    shot(page, "list")
    page.locator(data_testid("rule-down")).first.click()
    expect(page.locator(f"{data_testid('dispatch-rules')} tbody tr").first).to_contain_text(
        "违规养犬"
    )
    page.goto(f"{base}/suggestions/")
    expect(page.locator("h1")).to_contain_text("受理建议采纳情况")
    assert fits_width(page)
    shot(page, "measures")
