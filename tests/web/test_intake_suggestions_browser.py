"""In a real browser, the whole of issue 13 at the desk: a dispatcher types a caller's words and
address; the suggested category comes in and one key takes it; the earlier report of the same
matter comes in beside the form and one click marks the call a repeat of it; the unit picker
offers the suggested unit first, and the call is dispatched to it. Screenshots go to
test-artifacts/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from jieban.community.actions import create_building
from jieban.intake.actions import TicketDraft, register_ticket
from jieban.suggestions.models import Suggestion, SuggestionKind
from jieban.tickets.models import Status, Ticket
from tests.conftest import Cast
from tests.web.browser import Screenshots, data_testid, desk_context, log_in

pytestmark = pytest.mark.browser

shot = Screenshots("intake-suggestions-")


def test_a_call_registered_with_every_suggestion_taken(
    live_cast: Cast, mapped: Path, live_server: Any, browser: Browser
) -> None:
    create_building(grid="G-02", kind="building", name="幸福小区3栋",
                    address="城关镇幸福小区3栋", by=live_cast.admin)  # fmt: skip
    earlier, _created = register_ticket(
        TicketDraft(
            channel="phone",
            content="幸福小区3栋有人遛狗不拴绳，大型犬追咬路人。",
            resident_phone="13900007777",
            address="城关镇幸福小区3栋",
            category="dangerous_dogs",
        ),
        by=live_cast.dispatcher,
    )
    base = live_server.url
    context = desk_context(browser)
    page = context.new_page()
    log_in(page, base, "dispatcher")
    page.goto(f"{base}/tickets/new/")
    # A neighbour calls about the same dogs, in other words and another way of the address.
    page.fill("#id_resident_phone", "13700008888")
    page.fill("#id_address", "幸福小区三号楼")
    page.locator("#id_content").click()
    page.keyboard.type("小区里大狗不拴绳，追着孩子咬，孩子被狗吓哭了")

    # The category: the first suggestion taken with one key.
    suggested = page.locator('[data-testid="suggested-category"]')
    expect(suggested.first).to_have_attribute("data-suggested-category", "dangerous_dogs")
    page.keyboard.press("Alt+1")
    expect(page.locator("#id_category")).to_have_value("dangerous_dogs")

    # The earlier report of the same matter, with its reasons, marked in one click.
    row = page.locator(f'[data-testid="similar-ticket"][data-number="{earlier.number}"]')
    expect(row).to_be_visible()
    expect(row.locator('[data-testid="similar-reason"]').first).to_have_text("同一地址")
    row.get_by_text("本次来电是此件的重复反映").click()

    # The unit: the station of the building's grid, first in the picker, saying why.
    expect(page.locator(data_testid("unit-suggestion"))).to_contain_text("甲派出所")
    first = page.locator("#id_unit option").nth(1)
    expect(first).to_have_attribute("value", "PS-A")
    shot(page, "registration")
    page.select_option("#id_unit", "PS-A")
    page.click('button[value="dispatch"]')
    page.wait_for_url(re.compile(r"/tickets/JB\d{8}-\d{4}/$"))
    shot(page, "registered")

    ticket = Ticket.objects.exclude(pk=earlier.pk).get()
    assert ticket.category.code == "dangerous_dogs"
    assert ticket.repeat_of_id == earlier.pk
    assert (ticket.status, ticket.unit.code, ticket.grid.code) == (  # type: ignore[union-attr]
        Status.DISPATCHED,
        "PS-A",
        "G-02",
    )
    # What was suggested is recorded with it: each suggestion's first was the one taken.
    firsts = dict(Suggestion.objects.filter(ticket=ticket, rank=1).values_list("kind", "value"))
    assert firsts[SuggestionKind.CATEGORY] == "dangerous_dogs"
    assert firsts[SuggestionKind.REPEAT] == earlier.number
    assert firsts[SuggestionKind.UNIT] == "PS-A"
    context.close()
