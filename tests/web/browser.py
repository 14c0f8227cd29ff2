"""What the browser tests share: Debian's chromium driven by Playwright, desk- and phone-sized
contexts, logging in, screenshots kept as artefacts, checks of the page's width on a phone,
and the figures a page shows. The people and units are the shared cast (`live_cast` in
tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, sync_playwright

from tests.conftest import PASSWORD, REPORT_FIELDS

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PHONE_WIDTH = 375
FIELDS = REPORT_FIELDS


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[Browser]:
    """Headless Debian chromium; Playwright never downloads a browser of its own here."""
    # Playwright's sync API runs an event loop in this thread; the ORM calls a test makes
    # beside it are still plain synchronous calls.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


def desk_context(browser: Browser, **options: Any) -> BrowserContext:
    """A person at a desktop screen, in Chinese."""
    return browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}, **options)


def phone_context(browser: Browser, *, height: int = 800, **options: Any) -> BrowserContext:
    """A person on a phone 375 pixels wide, in Chinese."""
    return browser.new_context(
        locale="zh-CN",
        viewport={"width": PHONE_WIDTH, "height": height},
        is_mobile=True,
        has_touch=True,
        **options,
    )


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{base}/")


def status_badge(page: Page) -> Locator:
    """The ticket page's status, the first badge beside its number."""
    return page.locator(".ticket-head .badge").first


def fits_width(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


@dataclass(frozen=True)
class Screenshots:
    """Full-page screenshots kept in test-artifacts/, each named `<prefix><name>.png`."""

    prefix: str

    def __call__(self, page: Page, name: str) -> None:
        path = ARTIFACTS / f"{self.prefix}{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), full_page=True)


def shown_figures(page: Page, scope: str) -> dict[str, Any]:
    """The figures shown inside the elements `scope` (a CSS selector) selects, from each
    figure's data-value: None for an empty rate, else an int or a float."""
    values = page.eval_on_selector_all(
        f"{scope} [data-field]",
        "nodes => nodes.map(n => [n.dataset.field, n.dataset.value])",
    )
    return {
        field: (None if value == "" else float(value) if "." in value else int(value))
        for field, value in values
    }


def data_testid(name: str) -> str:
    """The CSS selector of the element(s) with this data-testid."""
    return f'[data-testid="{name}"]'
