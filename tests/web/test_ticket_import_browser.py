"""In a real browser: a dispatcher uploads a 12345 export with wrong rows, reads each wrong
cell with its row and column (nothing is written), corrects the sheet, uploads it again,
confirms, and finds the tickets in the list. The pages are photographed on a desk and on a
375-pixel phone, in Chinese and in English, and fit the phone's width."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect

from jieban.exchange.models import TicketImport
from jieban.tickets.models import Ticket
from tests.conftest import Cast
from tests.ticket_sheets import make_source, row, xlsx
from tests.web.browser import (
    PHONE_WIDTH,
    Screenshots,
    data_testid,
    desk_context,
    fits_width,
    log_in,
)

pytestmark = pytest.mark.browser

shot = Screenshots("ticket-import-")


def export(path: Path, *, wrong: bool) -> Path:
    """Three orders received yesterday, due in a week; with `wrong`, two cells are wrong."""
    today = timezone.localdate()
    received = f"{today - dt.timedelta(days=1):%Y/%-m/%-d} 9:05"
    due = f"{today + dt.timedelta(days=7):%Y年%-m月%-d日}"
    rows = [
        row("2026120400001", received_at=received, due_at=due),
        row("2026120400002", received_at=received, due_at=due,
            category="zaoyin" if wrong else "renovation_noise"),
        row("2026120400003", received_at="昨天上午" if wrong else received, due_at=due),
    ]  # fmt: skip
    path.write_bytes(xlsx(rows))
    return path


def test_a_dispatcher_corrects_a_sheet_and_imports_it(
    live_cast: Cast, live_server: Any, browser: Browser, tmp_path: Path
) -> None:
    make_source()
    base = live_server.url
    context = desk_context(browser)
    page = context.new_page()
    log_in(page, base, "dispatcher")
    page.click(data_testid("menu-imports"))
    expect(page.locator("h1")).to_have_text("工单导入")
    page.set_input_files("#id_file", str(export(tmp_path / "工单.xlsx", wrong=True)))
    page.click(f"{data_testid('import-form')} button.primary")
    errors = page.locator(f"{data_testid('import-errors')} tbody tr")
    expect(errors).to_have_count(2)
    expect(errors.nth(0)).to_contain_text("3")
    expect(errors.nth(0)).to_contain_text("类别编码")
    expect(errors.nth(0)).to_contain_text("zaoyin")
    expect(errors.nth(1)).to_contain_text("受理时间")
    expect(page.locator(data_testid("import-confirm"))).to_have_count(0)
    shot(page, "errors-desk-zh")
    assert not Ticket.objects.exists()

    page.click(data_testid("import-again"))
    page.set_input_files("#id_file", str(export(tmp_path / "工单（改）.xlsx", wrong=False)))
    page.click(f"{data_testid('import-form')} button.primary")
    expect(page.locator(data_testid("import-summary"))).to_contain_text("3")
    shot(page, "checked-desk-zh")
    assert not Ticket.objects.exists()
    page.click(data_testid("import-confirm"))
    expect(page.locator(data_testid("import-state"))).to_have_text("已完成")
    expect(page.locator(data_testid("import-created"))).to_have_text("3")
    shot(page, "done-desk-zh")
    page.click(data_testid("import-tickets"))
    for number in ("2026120400001", "2026120400002", "2026120400003"):
        expect(page.locator("main")).to_contain_text(f"楼上装修噪音（{number}）")
    assert Ticket.objects.filter(registered_by=live_cast.dispatcher).count() == 3
    context.close()

    refused, done = TicketImport.objects.order_by("pk")
    pages = {"errors": f"/imports/{refused.pk}/", "done": f"/imports/{done.pk}/",
             "index": "/imports/", "source": "/imports/sources/city-12345/"}  # fmt: skip
    sizes = {"phone": {"width": PHONE_WIDTH, "height": 800}, "desk": {"width": 1280, "height": 900}}
    for language, locale in (("zh", "zh-CN"), ("en", "en-US")):
        for size, viewport in sizes.items():
            context = browser.new_context(
                locale=locale, viewport=viewport, is_mobile=size == "phone"
            )
            page = context.new_page()
            log_in(page, base, "dispatcher")
            for name, path in pages.items():
                page.goto(f"{base}{path}")
                if size == "phone":
                    assert fits_width(page), f"{name} is wider than the phone in {language}"
                shot(page, f"{name}-{size}-{language}")
            context.close()
