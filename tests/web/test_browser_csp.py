"""The pages under their Content-Security-Policy in a real browser: every role's home, the ticket
list, a ticket's page and its print sheet, the registration form (with htmx looking up the
caller), the reports, the statistics with their ECharts charts drawn and a tooltip shown, the
calendar and the other boards. Any violation the browser reports, and any script error, fails
the test. Screenshots go to test-artifacts/csp/."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, expect

from jieban.tickets import transitions
from jieban.tickets.visits import record_visit
from tests.conftest import Cast, dispatch, new_ticket, resolve
from tests.web.browser import Screenshots, data_testid, desk_context, log_in, status_badge

pytestmark = pytest.mark.browser

shot = Screenshots("csp/")

# Reported from inside each page (as the page's own console error) as well as by the browser
# itself: an init script runs outside the policy.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (event) {
  console.error("CSP violation: " + event.violatedDirective + " blocked " + event.blockedURI +
    " at " + event.sourceFile + ":" + event.lineNumber);
});
"""


@dataclass
class Watch:
    """What went wrong in a browser context: policy violations and script errors."""

    problems: list[str] = field(default_factory=list)

    def console(self, message: ConsoleMessage) -> None:
        text = message.text
        if text.startswith("CSP violation"):
            self.problems.append(f"{message.page.url if message.page else '?'}: {text}")

    def error(self, error: Any) -> None:
        self.problems.append(f"script error: {error.error}")


def watched(browser: Browser) -> tuple[BrowserContext, Watch]:
    context = desk_context(browser)
    watch = Watch()
    context.add_init_script(REPORT_VIOLATIONS)
    context.on("console", watch.console)
    context.on("weberror", watch.error)
    return context, watch


@pytest.fixture
def tickets(live_cast: Cast) -> dict[str, str]:
    """A new ticket, one with station A, and one reopened by a dissatisfied call (with an
    order), all through the real actions."""
    fresh = new_ticket(live_cast.dispatcher, title="夜间装修噪音", resident_phone="13900002222")
    held = dispatch(live_cast, new_ticket(live_cast.dispatcher, title="楼道堆放杂物"))
    redo = resolve(live_cast, dispatch(live_cast, new_ticket(live_cast.dispatcher)))
    record_visit(redo.number, outcome="dissatisfied", note="仍有噪音", by=live_cast.dispatcher)
    done = resolve(live_cast, dispatch(live_cast, new_ticket(live_cast.dispatcher)))
    record_visit(done.number, outcome="satisfied", note="", by=live_cast.dispatcher)
    transitions.accept_ticket(held.number, by=live_cast.handler_a)
    return {"fresh": fresh.number, "held": held.number, "redo": redo.number}


def charts_drawn(page: Page) -> None:
    """Every chart on the page drawn by ECharts, with its height from data-height, and its
    tooltip shown when the pointer rests on it."""
    charts = page.locator("[data-chart]")
    assert charts.count() > 0
    for index in range(charts.count()):
        chart = charts.nth(index)
        expect(chart).to_have_attribute("data-chart-ready", "true")
        expect(chart.locator("svg").first).to_be_visible()
        box = chart.bounding_box()
        assert box is not None
        assert box["height"] == pytest.approx(float(chart.get_attribute("data-height") or 0))
    first = charts.first
    first.scroll_into_view_if_needed()
    box = first.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.move(box["x"] + box["width"] / 2 + 5, box["y"] + box["height"] / 2 + 5)
    page.wait_for_timeout(300)


def test_every_role_home_runs_under_the_policy(
    live_cast: Cast, tickets: dict[str, str], live_server: Any, browser: Browser
) -> None:
    base = live_server.url
    for person in (
        live_cast.admin,
        live_cast.dispatcher,
        live_cast.supervisor,
        live_cast.leader,
        live_cast.handler_a,
        live_cast.leader_a,
        live_cast.grid_officer,
        live_cast.building_head,
        live_cast.outsider,
    ):
        context, watch = watched(browser)
        page = context.new_page()
        log_in(page, base, person.username)
        expect(page.locator(data_testid("who"))).to_be_visible()
        if page.locator("[data-chart]").count():
            charts_drawn(page)
        shot(page, f"home-{person.username}")
        context.close()
        assert watch.problems == [], person.username


def test_the_pages_run_under_the_policy(
    live_cast: Cast, tickets: dict[str, str], live_server: Any, browser: Browser
) -> None:
    base = live_server.url
    context, watch = watched(browser)
    page = context.new_page()
    log_in(page, base, "dispatcher")
    month = timezone.localdate().strftime("%Y-%m")
    year = timezone.localdate().year
    redo = tickets["redo"]

    pages = [
        ("tickets", "/tickets/"),
        ("ticket", f"/tickets/{redo}/"),
        ("ticket-print", f"/tickets/{redo}/print/"),
        ("supervision", "/supervision/"),
        ("follow-up", "/follow-up/"),
        ("campaign", "/campaign/"),
        ("notifications", "/notifications/"),
        ("reports", "/reports/"),
        ("report", f"/reports/monthly/{month}/"),
        ("stats", "/stats/"),
        ("calendar", f"/calendar/{year}/"),
        ("admin", "/admin/"),
        ("api-docs", "/api/v1/docs"),
    ]
    for name, path in pages:
        response = page.goto(f"{base}{path}")
        assert response is not None and response.status == 200, path
        if name in ("report", "stats"):
            charts_drawn(page)
        if name == "ticket-print":
            # The print button, wired by print.js rather than an inline onclick.
            page.evaluate("window.print = () => { window.printAsked = true; }")
            page.click("button[data-print]")
            assert page.evaluate("window.printAsked === true")
        if name == "api-docs":
            expect(page.locator(".swagger-ui .info .title")).to_contain_text("Jieban API")
        page.wait_for_load_state("networkidle")
        shot(page, name)
    page.goto(f"{base}/tickets/{redo}/")
    order = page.locator(f"{data_testid('orders')} a").first
    order.click()
    expect(page.locator(data_testid("order-sheet"))).to_be_visible()
    shot(page, "order-print")

    # htmx under the policy: the caller's earlier ticket comes in as the number is typed, and
    # an action on a ticket's page swaps in the new panel.
    page.goto(f"{base}/tickets/new/")
    page.locator("#id_resident_phone").fill("13900002222")
    expect(
        page.locator(f'[data-testid="caller-ticket"][data-number="{tickets["fresh"]}"]')
    ).to_be_visible()
    shot(page, "register")
    page.goto(f"{base}/tickets/{tickets['fresh']}/")
    page.select_option("#id_dispatch_unit", "PS-A")
    page.click("form[data-action=dispatch] button[type=submit]")
    expect(status_badge(page)).to_have_text("已交办")
    shot(page, "dispatched")

    context.close()
    assert watch.problems == []


def test_a_violation_would_be_seen(live_cast: Cast, live_server: Any, browser: Browser) -> None:
    # The watch itself: an inline script the policy refuses is reported, and does not run.
    context, watch = watched(browser)
    page = context.new_page()
    log_in(page, live_server.url, "dispatcher")
    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.ranInline = true";
          document.body.appendChild(script);
        }"""
    )
    page.wait_for_timeout(200)
    assert page.evaluate("window.ranInline === undefined")
    context.close()
    assert any("script-src" in problem for problem in watch.problems), watch.problems
