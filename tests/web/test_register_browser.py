"""In a real browser: a call registered from the keyboard alone (the caller's earlier ticket
shown as the number is typed, marked as repeated in one click, the category found by typing,
submitted with one key), then the list with a saved filter and the ticket with its attachment
previews on a 375-pixel phone. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import Browser, Page, Route, expect

from jieban.intake.actions import TicketDraft, add_attachment, register_ticket
from jieban.tickets.models import Ticket
from jieban.web.tickets.saved_filters import save_filter
from tests.conftest import Cast
from tests.web.browser import Screenshots, desk_context, fits_width, log_in, phone_context
from tests.web.test_register_page import PNG

pytestmark = pytest.mark.browser

CALLER = "13900003333"

shot = Screenshots("register-")


def focused(page: Page) -> str:
    return str(page.evaluate("document.activeElement.id || document.activeElement.className"))


def test_it_registers_a_repeated_call_from_the_keyboard(
    live_cast: Cast, live_server: Any, browser: Browser
) -> None:
    draft = TicketDraft(
        channel="phone",
        content="楼下烧烤店油烟很大，晚上十一点还在营业。",
        resident_phone=CALLER,
        category="other",
    )
    earlier, _created = register_ticket(draft, by=live_cast.dispatcher)
    base = live_server.url
    context = desk_context(browser)
    page = context.new_page()
    log_in(page, base, "dispatcher")
    page.goto(f"{base}/tickets/new/")
    expect(page.locator("#id_resident_phone")).to_be_focused()

    # The caller's earlier ticket comes in as the number is typed.
    page.keyboard.type(CALLER)
    row = page.locator(f'[data-testid="caller-ticket"][data-number="{earlier.number}"]')
    expect(row).to_be_visible()
    expect(row).to_contain_text("烧烤店油烟")

    # Tab through the call in order: name, channel, the platform's number, address, grid,
    # the category search.
    page.keyboard.press("Tab")
    assert focused(page) == "id_resident_name"
    page.keyboard.type("孙六")
    page.keyboard.press("Tab")
    assert focused(page) == "id_channel"
    page.keyboard.press("Tab")
    assert focused(page) == "id_external_id"
    page.keyboard.press("Tab")
    page.keyboard.type("甲一社区 9 栋")
    page.keyboard.press("Tab")
    assert focused(page) == "id_grid"
    page.keyboard.press("Tab")
    assert focused(page) == "select-search"
    page.keyboard.type("装修")
    expect(page.locator("#id_category option")).to_have_count(1)
    expect(page.locator("#id_category")).to_have_value("renovation_noise")
    # Enter picks the match and goes on, it does not submit half a call.
    page.keyboard.press("Enter")
    assert focused(page) == "id_title"
    assert page.url.endswith("/tickets/new/")
    page.keyboard.press("Tab")
    assert focused(page) == "id_content"
    page.keyboard.type("楼下烧烤店又在营业，油烟和噪音都很大。")
    shot(page, "01-typed")

    # One click: this call repeats the earlier ticket. Then one key submits.
    row.get_by_text("本次来电是此件的重复反映").click()
    page.focus("#id_content")
    page.keyboard.press("Control+Enter")
    page.wait_for_url(re.compile(r"/tickets/JB\d{8}-\d{4}/$"))
    expect(page.locator(".messages")).to_contain_text(f"为 {earlier.number} 的重复反映")
    expect(page.locator('[data-testid="repeat-of"]')).to_have_text(earlier.number)
    shot(page, "02-registered")

    # The print view: one A4 sheet with the facts and the timeline.
    page.click('[data-testid="print-link"]')
    expect(page.locator('[data-testid="ticket-sheet"] h1')).to_have_text("工单")
    expect(page.locator('[data-testid="timeline"]')).to_contain_text("标记为重复反映")
    shot(page, "03-print")

    ticket = Ticket.objects.exclude(pk=earlier.pk).get()
    assert ticket.resident_name == "孙六"
    assert ticket.category.code == "renovation_noise"
    assert ticket.grid is None
    assert ticket.repeat_of_id == earlier.pk
    assert Ticket.objects.get(pk=earlier.pk).repeat_count == 1
    context.close()


def test_it_registers_and_dispatches_from_the_keyboard(
    live_cast: Cast, live_server: Any, browser: Browser
) -> None:
    base = live_server.url
    context = desk_context(browser)
    page = context.new_page()
    log_in(page, base, "dispatcher")
    page.goto(f"{base}/tickets/new/")
    page.keyboard.type(CALLER)
    page.select_option("#id_channel", "hotline_12345")
    page.fill("#id_external_id", "12345-0714-009")
    page.fill("#id_content", "小区门口占道经营，影响通行。")
    # No category yet: the dispatcher picks one.
    expect(page.locator("#id_category")).to_have_value("")
    page.locator("#id_category").locator("xpath=preceding-sibling::input").fill("其他")
    page.keyboard.press("Enter")

    # The unit search narrows the grouped list and keeps the groups.
    units = page.locator("#id_unit")
    search = units.locator("xpath=preceding-sibling::input[@data-select-search]")
    search.focus()
    page.keyboard.type("乙")
    expect(units.locator("optgroup")).to_have_count(1)
    expect(units.locator("optgroup")).to_have_attribute("label", "派出所")
    expect(units.locator("option")).to_have_count(1)
    expect(units).to_have_value("PS-B")
    page.keyboard.press("Escape")
    expect(units.locator("optgroup")).to_have_count(3)
    page.keyboard.type("网格")
    expect(units.locator("option")).to_have_count(2)
    expect(units).to_have_value("G-01")
    page.keyboard.press("Escape")
    page.keyboard.type("乙派")
    # Enter picks it and moves on to its button; Enter there registers and dispatches.
    page.keyboard.press("Enter")
    expect(page.locator('button[value="dispatch"]')).to_be_focused()
    shot(page, "07-dispatch-now")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/tickets/JB\d{8}-\d{4}/$"))
    expect(page.locator(".messages")).to_contain_text("已登记并交办给 乙派出所")
    # Now dispatched, the ticket page offers to reassign it.
    expect(page.locator(".action-dispatch h3")).to_have_text("改派")
    expect(page.locator(".action-dispatch button[type=submit]")).to_have_text("改派")
    ticket = Ticket.objects.get()
    assert (ticket.status, ticket.unit and ticket.unit.code) == ("dispatched", "PS-B")
    assert (ticket.channel, ticket.external_id) == ("hotline_12345", "12345-0714-009")
    assert ticket.category.code == "other"

    # Ctrl+Enter in the unit search registers and dispatches at once too. Choosing the
    # category asks for the suggested unit, and the answer brings the picker back; here it is
    # held until the dispatcher has typed in the search, as on a slow night: what was typed,
    # the unit it found and the keyboard's place go over to the new picker.
    held: list[Route] = []
    page.route(re.compile(r"/tickets/new/unit/"), lambda route: held.append(route))
    page.goto(f"{base}/tickets/new/")
    page.fill("#id_content", "楼道灯坏了。")
    page.select_option("#id_category", "other")
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(50)
    assert len(held) == 1, "choosing the category asks for the suggested unit"
    page.evaluate("document.getElementById('unit-picker').dataset.old = 'yes'")
    search.focus()
    page.keyboard.type("甲派")
    expect(units).to_have_value("PS-A")
    held[0].continue_()
    page.unroute(re.compile(r"/tickets/new/unit/"))
    expect(page.locator("#unit-picker[data-old]")).to_have_count(0)
    expect(search).to_have_value("甲派")
    expect(search).to_be_focused()
    expect(units).to_have_value("PS-A")
    expect(units.locator("option")).to_have_count(1)
    page.keyboard.press("Control+Enter")
    page.wait_for_url(re.compile(r"/tickets/JB\d{8}-\d{4}/$"))
    expect(page.locator(".messages")).to_contain_text("已登记并交办给 甲派出所")
    assert Ticket.objects.exclude(pk=ticket.pk).get().unit.code == "PS-A"  # type: ignore[union-attr]
    context.close()


def test_the_list_and_the_ticket_fit_a_phone(
    live_cast: Cast, live_server: Any, browser: Browser
) -> None:
    draft = TicketDraft(
        channel="phone",
        content="小区广场舞音响声音太大，每晚持续到十点以后，影响老人和孩子休息。",
        address="甲一社区中心广场东侧健身器材旁",
        resident_phone=CALLER,
        category="noise",
    )
    ticket, _created = register_ticket(draft, by=live_cast.dispatcher)
    add_attachment(
        ticket.number,
        SimpleUploadedFile("现场照片.png", PNG, content_type="image/png"),
        by=live_cast.dispatcher,
    )
    add_attachment(
        ticket.number,
        SimpleUploadedFile("情况说明.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf"),
        by=live_cast.dispatcher,
    )
    save_filter(live_cast.dispatcher, name="待交办的噪音投诉", query="status=new&category=noise")
    base = live_server.url
    phone = phone_context(browser)
    page = phone.new_page()
    log_in(page, base, "dispatcher")

    page.goto(f"{base}/tickets/?q=广场舞")
    expect(page.locator('[data-testid="save-filter"]')).to_be_visible()
    expect(page.locator('[data-testid="export"]')).to_be_visible()
    page.get_by_role("link", name="待交办的噪音投诉").click()
    page.wait_for_url(re.compile(r"status=new"))
    expect(page.locator(f'a[href="/tickets/{ticket.number}/"]')).to_be_visible()
    assert fits_width(page)
    shot(page, "04-phone-list")

    page.goto(f"{base}/tickets/{ticket.number}/")
    expect(page.locator(".attachment-image img")).to_be_visible()
    expect(page.locator(".attachment-pdf .file-icon")).to_have_text("PDF")
    expect(page.locator('[data-testid="print-link"]')).to_be_visible()
    assert fits_width(page)
    shot(page, "05-phone-detail")

    page.goto(f"{base}/tickets/new/")
    page.fill("#id_resident_phone", CALLER)
    expect(page.locator(f'[data-number="{ticket.number}"]')).to_be_visible()
    assert fits_width(page)
    shot(page, "06-phone-register")
    phone.close()
