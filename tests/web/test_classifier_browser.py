"""In a real browser: the caller's words typed into the content box bring the suggested
categories in; Alt+1 takes the first into the category field, a click takes another, and the
ticket registered records what was suggested and what was chosen."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from jieban.suggestions.models import Suggestion
from jieban.tickets.models import Ticket
from tests.conftest import Cast
from tests.web.browser import desk_context, log_in

pytestmark = pytest.mark.browser


def test_it_takes_the_suggested_category_with_one_key(
    live_cast: Cast, mapped: Path, live_server: Any, browser: Browser
) -> None:
    base = live_server.url
    context = desk_context(browser)
    page = context.new_page()
    log_in(page, base, "dispatcher")
    page.goto(f"{base}/tickets/new/")
    page.locator("#id_content").click()
    page.keyboard.type("小区有人遛狗不拴绳，狗追咬路人")
    suggestions = page.locator('[data-testid="suggested-category"]')
    expect(suggestions).to_have_count(3)
    expect(suggestions.first).to_have_attribute("data-suggested-category", "dangerous_dogs")
    expect(page.locator("#id_category")).to_have_value("")

    # Alt+1 from the content box takes the first; the typing goes on where it was.
    page.keyboard.press("Alt+1")
    expect(page.locator("#id_category")).to_have_value("dangerous_dogs")
    expect(page.locator("#id_content")).to_be_focused()
    expect(suggestions.first).to_have_attribute("aria-pressed", "true")

    # A click takes any other, even while the category search narrows the list.
    page.locator("[data-select-search]").first.fill("其他")
    second = suggestions.nth(1)
    code = second.get_attribute("data-suggested-category")
    second.click()
    expect(page.locator("#id_category")).to_have_value(code or "")

    # Back to the first, and registered with Ctrl+Enter.
    page.keyboard.press("Alt+1")
    page.locator("#id_content").focus()
    page.keyboard.press("Control+Enter")
    page.wait_for_url(re.compile(r"/tickets/JB\d{8}-\d{4}/$"))
    expect(page.locator(".messages")).to_be_visible()
    ticket = Ticket.objects.get()
    assert ticket.category.code == "dangerous_dogs"
    rows = Suggestion.objects.filter(ticket=ticket).order_by("rank")
    assert [row.value for row in rows][:1] == ["dangerous_dogs"]
    assert {row.chosen for row in rows} == {"dangerous_dogs"}
    context.close()
