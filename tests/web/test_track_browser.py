"""In a real browser on a 375-pixel phone: a resident looks up their resolved case by its
number and the last four digits of their phone, reads the result, and says they are
satisfied; the case is closed, the page fits the phone. Screenshots of the page in Chinese and
English, desktop and phone, go to test-artifacts/."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import caches
from playwright.sync_api import Browser, Page, expect

from jieban.tickets.models import Ticket, Visit
from tests.conftest import Cast
from tests.web.browser import PHONE_WIDTH, Screenshots, data_testid, fits_width, phone_context
from tests.web.conftest import resolved

pytestmark = pytest.mark.browser

shot = Screenshots("track-")


def look_up(page: Page, base: str, number: str) -> None:
    page.goto(f"{base}/track/")
    page.fill("#id_number", number)
    page.fill("#id_phone_last4", "1234")
    page.click(f"{data_testid('track-form')} button.primary")
    expect(page.locator(data_testid("track-case"))).to_be_visible()


def test_a_resident_on_a_phone_follows_the_case_and_says_they_are_satisfied(
    live_cast: Cast, live_server: Any, browser: Browser
) -> None:
    caches["tries"].clear()
    ticket = resolved(live_cast, resident_name="王秀英")
    context = phone_context(browser)
    page = context.new_page()
    look_up(page, live_server.url, ticket.number)
    expect(page.locator(data_testid("track-stage"))).to_have_text(
        "已办结：承办单位已报告办理结果。"
    )
    expect(page.locator(data_testid("track-unit"))).to_have_text("甲派出所")
    expect(page.locator(data_testid("track-result"))).to_have_text("已协调停工。")
    assert "王秀英" not in page.content()
    assert fits_width(page)
    shot(page, "phone-zh")
    page.get_by_label("满意", exact=True).check()
    page.fill("#id_comment", "处理及时，谢谢民警。")
    page.click(f"{data_testid('track-answer')} button.primary")
    expect(page.locator(data_testid("track-thanks"))).to_have_text("谢谢，您的评价已记录。")
    expect(page.locator(data_testid("track-answer"))).to_have_count(0)
    expect(page.locator(data_testid("track-stage"))).to_have_text("已办结。")
    assert fits_width(page)
    shot(page, "phone-zh-answered")
    context.close()
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.status == "closed"
    visit = Visit.objects.get(ticket=ticket)
    assert (visit.outcome, visit.reported_by_channel, visit.note) == (
        "satisfied",
        "online",
        "处理及时，谢谢民警。",
    )


def test_the_page_reads_well_in_both_languages_on_desk_and_phone(
    live_cast: Cast, live_server: Any, browser: Browser
) -> None:
    caches["tries"].clear()
    ticket = resolved(live_cast)
    for language, locale in (("zh", "zh-CN"), ("en", "en-US")):
        for screen in ("desk", "phone"):
            width = 1280 if screen == "desk" else PHONE_WIDTH
            context = browser.new_context(
                locale=locale,
                viewport={"width": width, "height": 900},
                is_mobile=screen == "phone",
                has_touch=screen == "phone",
            )
            page = context.new_page()
            page.goto(f"{live_server.url}/track/")
            assert fits_width(page)
            shot(page, f"{screen}-{language}-form")
            look_up(page, live_server.url, ticket.number)
            assert fits_width(page)
            if language == "en":
                expect(page.locator(data_testid("track-stage"))).to_have_text(
                    "Handled: the unit reported its result."
                )
                expect(page.locator(data_testid("track-unit"))).to_have_text("Station A")
            shot(page, f"{screen}-{language}-case")
            context.close()
