"""In a real browser: as a call's address and words are typed, the earlier report of the same
matter comes in beside the form with its reasons, and one click marks the call a repeat of it.
Screenshots go to test-artifacts/."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from jieban.intake.actions import TicketDraft, register_ticket
from jieban.tickets.models import Ticket
from tests.conftest import Cast
from tests.web.browser import Screenshots, desk_context, log_in

pytestmark = pytest.mark.browser

shot = Screenshots("repeats-")


def test_it_shows_the_earlier_report_and_marks_the_call_a_repeat_of_it(
    live_cast: Cast, live_server: Any, browser: Browser
) -> None:
    draft = TicketDraft(
        channel="phone",
        content="幸福小区3栋楼下的工地每天夜里施工到十二点，噪音太大。",
        resident_phone="13900005555",
        address="城关镇幸福小区3栋502",
        category="other",
    )
    earlier, _created = register_ticket(draft, by=live_cast.dispatcher)
    base = live_server.url
    context = desk_context(browser)
    page = context.new_page()
    log_in(page, base, "dispatcher")
    page.goto(f"{base}/tickets/new/")
    # Another resident of the building, who says it another way.
    page.fill("#id_resident_phone", "13700006666")
    page.fill("#id_address", "幸福小区三号楼")
    page.locator("#id_category").select_option("renovation_noise")
    page.fill("#id_content", "楼下工地夜里施工到十二点，噪音太大，没法睡觉。")
    row = page.locator(f'[data-testid="similar-ticket"][data-number="{earlier.number}"]')
    expect(row).to_be_visible()
    expect(row.locator('[data-testid="similar-reason"]').first).to_have_text("同一楼栋")
    expect(row).to_contain_text("内容相似")
    shot(page, "01-similar")
    row.get_by_text("本次来电是此件的重复反映").click()
    page.focus("#id_content")
    page.keyboard.press("Control+Enter")
    page.wait_for_url(re.compile(r"/tickets/JB\d{8}-\d{4}/$"))
    expect(page.locator('[data-testid="repeat-of"]')).to_have_text(earlier.number)
    # The ticket page lists it too, among its possible earlier reports.
    expect(
        page.locator(f'[data-testid="similar-reports"] [data-number="{earlier.number}"]')
    ).to_be_visible()
    shot(page, "02-registered")
    assert Ticket.objects.exclude(pk=earlier.pk).get().repeat_of_id == earlier.pk
    context.close()
