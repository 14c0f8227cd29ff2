"""The clocks walked through the pages over simulated weeks: a ticket left alone goes overdue and
gets levels 1, 2 and 3 while the unit's inbox, the supervisor's board and the leader's home show
it overdue throughout; after level 3 it goes to the leaders and no fourth order comes; it is
resolved and the month's report counts it as resolved late. Beside it, the unit asks for more
time on another ticket, the command centre approves it on the ticket's page, and that ticket is
resolved in time. The worker's sweep runs in this process as the clock moves on; every other
step is a person on a page. Screenshots go to test-artifacts/clocks/.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from playwright.sync_api import Browser, Page, expect

from jieban.org.models import Unit
from jieban.tickets import transitions
from jieban.tickets.models import SupervisionOrder, Ticket
from jieban.worker.runner import run_sweep
from tests.conftest import Cast, local, new_ticket
from tests.web.browser import (
    Screenshots,
    data_testid,
    desk_context,
    fits_width,
    log_in,
    phone_context,
    shown_figures,
)

pytestmark = pytest.mark.browser

shot = Screenshots("clocks/")
SECOND = dt.timedelta(seconds=1)
# Monday 2 March 2026: five working days end on Monday 9 March; no holiday in the weeks after.
STARTS = local(2026, 3, 2, 9)


def sweep(*pages: Page) -> None:
    """The worker's sweep, now (the live server shares this process's clock), once every
    page has its answers: the test database is SQLite's shared in-memory one, whose table
    locks are not waited for, so a fragment still being served would collide with the sweep's
    writes ("database table is locked")."""
    for page in pages:
        page.wait_for_load_state("networkidle")
        page.wait_for_function("() => !document.querySelector('.htmx-request')")
    run_sweep()


def visit(page: Page, url: str, username: str) -> None:
    """Open `url`, logging in again if the session ran out while the weeks went by."""
    page.goto(url)
    if "/login/" in page.url:
        base = url.split("/", 3)
        log_in(page, "/".join(base[:3]), username)
        page.goto(url)


def overdue_everywhere(
    handler: Page, supervisor: Page, leader: Page, base: str, number: str
) -> None:
    """The ticket shows overdue on the unit's inbox, the supervisor's board and the leader's
    home, whatever orders it has."""
    visit(handler, f"{base}/inbox/", "handler_a")
    row = handler.locator(f'{data_testid("inbox-overdue")} a[href="/tickets/{number}/"]')
    expect(row).to_contain_text("超期")
    assert fits_width(handler)
    visit(supervisor, f"{base}/supervision/", "supervisor")
    expect(
        supervisor.locator(f'{data_testid("overdue")} a[href="/tickets/{number}/"]')
    ).to_have_count(1)
    visit(leader, f"{base}/", "leader")
    figures = shown_figures(leader, data_testid("leader-this-month-figures"))
    assert figures["overdue_open"] == 1


def test_a_ticket_left_alone_reaches_the_leaders_and_an_extension_is_granted(
    live_cast: Cast, live_server: Any, browser: Browser
) -> None:
    base = live_server.url
    with time_machine.travel(STARTS, tick=True) as clock:
        station = Unit.objects.get(code="PS-A")
        late = new_ticket(live_cast.dispatcher, title="夜间施工噪音")
        timely = new_ticket(live_cast.dispatcher, title="小区门口占道经营")
        for ticket in (late, timely):
            transitions.dispatch_ticket(ticket.number, unit=station, by=live_cast.dispatcher)

        handler = phone_context(browser, height=812).new_page()
        log_in(handler, base, "handler_a")
        for ticket in (late, timely):
            handler.goto(f"{base}/tickets/{ticket.number}/")
            handler.click("form[data-action=accept] button[type=submit]")
            expect(handler.locator(".messages")).to_contain_text("签收")

        # -- Friday 6 March: the unit asks three more working days for one of them.
        clock.move_to(local(2026, 3, 6, 10))
        handler.goto(f"{base}/tickets/{timely.number}/")
        form = handler.locator("form[data-form=extension]")
        form.locator("input[name=days]").fill("3")
        form.locator("textarea[name=reason]").fill("需调取沿街监控，商户周末才在")
        shot(handler, "01-extension-form")
        form.locator("button[type=submit]").click()
        expect(handler.locator(data_testid("badge-extension"))).to_be_visible()
        assert fits_width(handler)
        shot(handler, "02-extension-asked")

        dispatcher = desk_context(browser).new_page()
        log_in(dispatcher, base, "dispatcher")
        pending = dispatcher.locator(
            f'{data_testid("extensions")} tr[data-ticket="{timely.number}"]'
        )
        expect(pending).to_contain_text("3")
        shot(dispatcher, "03-centre-pending-extensions")
        pending.get_by_role("link", name=timely.number).click()
        approve = dispatcher.locator("form[data-form=extension-approve]")
        approve.locator("textarea[name=note]").fill("同意，请按期办结")
        approve.locator("button[type=submit]").click()
        expect(dispatcher.locator(data_testid("due-at"))).to_have_text("2026-03-12 23:59")
        expect(dispatcher.locator(data_testid("extension"))).to_contain_text("已批准")
        shot(dispatcher, "04-extension-approved")

        # -- Tuesday 10 March, the second after the deadline: level 1; the ticket is overdue.
        supervisor = desk_context(browser).new_page()
        log_in(supervisor, base, "supervisor")
        leader = desk_context(browser).new_page()
        log_in(leader, base, "leader")
        due = Ticket.objects.get(pk=late.pk).due_at
        assert due == local(2026, 3, 9, 23, 59) + 59 * SECOND
        levels = []
        for step in range(3):
            watch = Ticket.objects.get(pk=late.pk).watch_at
            assert watch is not None
            clock.move_to(watch + SECOND)
            sweep(handler, dispatcher, supervisor, leader)
            ticket = Ticket.objects.get(pk=late.pk)
            levels.append(ticket.supervision_level)
            # The deadline never moved: the ticket is overdue on every page, at every level.
            assert ticket.due_at == due
            overdue_everywhere(handler, supervisor, leader, base, late.number)
            shot(supervisor, f"05-board-level-{step + 1}")
            if step == 0:
                # The other ticket, with its extension, is not late; it is resolved in time.
                visit(handler, f"{base}/tickets/{timely.number}/", "handler_a")
                expect(handler.locator(data_testid("badge-overdue"))).to_have_count(0)
                handler.fill("#id_resolve_result", "已协调商户退回店内经营。")
                handler.click("form[data-action=resolve] button[type=submit]")
                expect(handler.locator(".messages")).to_contain_text("办结")
        assert levels == [1, 2, 3]
        shot(handler, "06-handler-inbox-overdue")

        # -- The level-3 order runs out: no fourth order; the ticket goes to the leaders.
        third = SupervisionOrder.objects.get(ticket=late, level=3)
        clock.move_to(third.due_at + SECOND)
        sweep(handler, dispatcher, supervisor, leader)
        assert SupervisionOrder.objects.filter(ticket=late).count() == 3
        visit(leader, f"{base}/", "leader")
        escalated = leader.locator(data_testid("escalated"))
        expect(escalated).to_contain_text(late.number)
        expect(escalated).to_contain_text("超期")
        shot(leader, "07-leader-escalated")
        visit(supervisor, f"{base}/", "supervisor")
        expect(supervisor.locator(data_testid("escalated"))).to_contain_text(late.number)
        overdue_everywhere(handler, supervisor, leader, base, late.number)
        clock.move_to(third.due_at + dt.timedelta(days=2))
        sweep(handler, dispatcher, supervisor, leader)
        assert SupervisionOrder.objects.filter(ticket=late).count() == 3

        # -- The unit resolves it at last.
        visit(handler, f"{base}/tickets/{late.number}/", "handler_a")
        expect(handler.locator(data_testid("badge-escalated"))).to_be_visible()
        handler.fill("#id_resolve_result", "已约谈施工方，夜间停止施工。")
        handler.click("form[data-action=resolve] button[type=submit]")
        expect(handler.locator(".messages")).to_contain_text("办结")
        shot(handler, "08-resolved-late")
        visit(leader, f"{base}/", "leader")
        expect(leader.locator(data_testid("escalated-count"))).to_have_text("0")

        # -- April: the leader reads March's report: two resolved, one of them late.
        clock.move_to(local(2026, 4, 1, 10))
        visit(leader, f"{base}/reports/monthly/2026-03/", "leader")
        shown = shown_figures(leader, data_testid("overall-figures"))
        assert (shown["total"], shown["resolved"], shown["on_time"]) == (2, 2, 1)
        assert shown["overdue_open"] == 0
        shot(leader, "09-monthly-report")
        for page in (handler, dispatcher, supervisor, leader):
            page.context.close()
