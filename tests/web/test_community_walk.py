"""The community network and people's mediation walked through the pages in one go, each
person in a browser of their own: a building head on a phone reports a dispute with a photo
(随手报); the grid map shows his grid with one more open ticket; the command centre dispatches
the ticket; the station signs for it and hands the dispute to its village committee (公调对接)
with a printed referral; the committee's mediator accepts it on a phone, logs two sessions,
records the agreement (调解协议书) and prints it, then the term's performance and the
follow-up call, which close the case; the committee's figures and the station's ticket show
the outcome. Nothing but the pages moves the story on; the database is only read, to check.
Screenshots of every step go to test-artifacts/community-walk/.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from jieban.community.actions import create_building, record_grid_version
from jieban.community.appointments import issue_appointment
from jieban.mediation.models import CaseStatus, Handover, MediationCase
from jieban.org.actions import create_person, create_unit
from jieban.org.actors import SYSTEM
from jieban.org.models import Unit
from jieban.tickets.models import Status, Ticket
from tests.conftest import PASSWORD, Cast
from tests.web.browser import (
    Screenshots,
    data_testid,
    desk_context,
    fits_width,
    log_in,
    phone_context,
)
from tests.web.test_grid_map_browser import chart, square
from tests.web.test_phone_report_browser import small_png

pytestmark = pytest.mark.browser

shot = Screenshots("community-walk/")

COMPLAINT = "楼上邻居家装修把我家卫生间天花板泡坏了，协商赔偿不成，双方吵了起来。"


def open_tickets_on_the_map(page: Page, base: str, grid: str) -> int:
    """The open-ticket figure the grid map colours `grid` by."""
    page.goto(f"{base}/community/map/?figure=open")
    expect(page.locator("#grid-map[data-map-ready]")).to_have_count(1)
    values = chart(
        page,
        "return Object.fromEntries(chart.getOption().series[0].data.map(d => [d.name, d.value]));",
    )
    return int(values[grid])


def test_a_dispute_walks_from_a_phone_report_to_a_closed_mediation(
    live_cast: Cast, live_server: Any, browser: Browser, tmp_path: Path
) -> None:
    cast = live_cast
    base = live_server.url
    today = timezone.localdate()
    # The network as a station would have set it up: G-02 drawn, a building with its head.
    for code, west in (("G-01", 104.0), ("G-02", 104.01)):
        grid = Unit.objects.get(code=code)
        record_grid_version(grid, valid_from=dt.date(2020, 1, 1), boundary=square(west), by=SYSTEM)
    building = create_building(
        grid="G-02", kind="building", name="7号楼", address="幸福路 7 号", by=cast.admin
    )
    issue_appointment(
        person="building_head",
        post="building_head",
        buildings=[building.pk],
        starts_on=today - dt.timedelta(days=30),
        ends_on=today + dt.timedelta(days=335),
        by=cast.leader_a,
    )
    create_unit(code="TJ-V", kind="committee", name="甲一村调委会", parent="PS-A", level="village")
    create_person(username="village", role="mediator", unit="TJ-V", password=PASSWORD)

    # -- Before: the centre's map shows no open ticket in G-02.
    centre = desk_context(browser).new_page()
    log_in(centre, base, "dispatcher")
    assert open_tickets_on_the_map(centre, base, "G-02") == 0

    # -- The building head reports the dispute from his phone, with a photo.
    head = phone_context(browser).new_page()
    log_in(head, base, "building_head")
    head.click(data_testid("menu-phone-report"))
    head.select_option("#id_category", "neighbour_dispute")
    head.fill("#id_content", COMPLAINT)
    head.set_input_files("#id_photos", str(small_png(tmp_path / "天花板.png")))
    assert fits_width(head)
    shot(head, "01-report")
    head.click(data_testid("send-report"))
    head.wait_for_url(f"{base}/quick-report/mine/")
    ticket = Ticket.objects.get()
    expect(head.locator(data_testid("my-reports"))).to_contain_text(ticket.number)
    assert (ticket.channel, ticket.grid.code if ticket.grid else None) == ("building_head", "G-02")
    assert ticket.address == "幸福路 7 号" and ticket.attachments.count() == 1

    # -- The map's colour for G-02 follows: one open ticket now.
    assert open_tickets_on_the_map(centre, base, "G-02") == 1
    shot(centre, "02-map")

    # -- The centre dispatches it to station A like any other ticket.
    centre.goto(f"{base}/tickets/{ticket.number}/")
    centre.select_option("#id_dispatch_unit", "PS-A")
    centre.click("form[data-action=dispatch] button[type=submit]")
    expect(centre.locator(".ticket-head .badge").first).to_have_text("已交办")

    # -- The station signs for it and hands the dispute to the village committee.
    station = desk_context(browser).new_page()
    log_in(station, base, "handler_a")
    station.goto(f"{base}/tickets/{ticket.number}/")
    station.click("form[data-action=accept] button[type=submit]")
    expect(station.locator(".ticket-head .badge").first).to_have_text("办理中")
    station.click(data_testid("hand-over"))
    station.select_option("#id_committee", "TJ-V")
    station.select_option("#id_dispute_type", "neighbours")
    station.fill("#id_respondent", "楼上住户刘某")
    station.fill("#id_note", "双方同意调解。")
    shot(station, "03-handover-form")
    station.click("form[data-testid=handover-form] button.primary")
    expect(station.locator(data_testid("committee"))).to_contain_text("甲一村调委会")
    station.click(data_testid("print-link"))
    expect(station.locator(data_testid("referral-sheet"))).to_contain_text("甲一村调委会")
    shot(station, "04-referral")
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED and "委托人民调解" in ticket.result
    handover = Handover.objects.get()

    # -- The committee's mediator accepts it on a phone and mediates.
    mediator = phone_context(browser).new_page()
    log_in(mediator, base, "village")
    mediator.goto(f"{base}/handovers/{handover.pk}/")
    mediator.locator(data_testid("answer-accept")).locator("button").click()
    expect(mediator.locator(data_testid("case"))).to_be_visible()
    mediator.locator(f"{data_testid('case')} a").click()
    case = MediationCase.objects.get()
    assert (case.source, case.ticket_id, case.committee_id) == (
        "ticket", ticket.pk, Unit.objects.get(code="TJ-V").pk
    )  # fmt: skip
    for attendees, said in (
        ("双方当事人、物业", "双方陈述，物业确认漏水来自楼上卫生间。"),
        ("双方当事人", "就赔偿金额协商，楼上住户同意赔偿维修费。"),
    ):
        session = mediator.locator(data_testid("action-session"))
        session.locator("[name=attendees]").fill(attendees)
        session.locator("[name=discussion]").fill(said)
        session.locator("button.primary").click()
        expect(mediator.locator(data_testid("sessions"))).to_contain_text(said)
    assert case.sessions.count() == 2
    succeed = mediator.locator(data_testid("action-succeed"))
    succeed.locator("[name=conclusion]").fill("刘某赔偿维修费 1800 元，七日内付清。")
    succeed.locator("button.primary").click()
    expect(mediator.locator(data_testid("case-status"))).to_have_text("达成协议")

    mediator.click(data_testid("record-agreement"))
    mediator.fill("#id_applicant_responsibility", "申请人无责任。")
    mediator.fill("#id_respondent_responsibility", "被申请人装修不当，负全部责任。")
    mediator.select_option("#id_term_1_obligor", "respondent")
    mediator.fill("#id_term_1_content", "支付维修费 1800 元")
    mediator.fill("#id_term_1_method", "银行转账")
    mediator.fill("#id_term_1_due_on", (today + dt.timedelta(days=7)).isoformat())
    mediator.click("form[action$='/agreement/'] button.primary")
    expect(mediator.locator(data_testid("term"))).to_have_count(1)
    shot(mediator, "05-agreement")
    mediator.goto(f"{base}/mediation/{case.number}/agreement/print/")
    expect(mediator.locator(data_testid("agreement-sheet"))).to_contain_text("支付维修费 1800 元")
    expect(mediator.locator(data_testid("seal"))).to_be_visible()
    shot(mediator, "06-agreement-print")

    # Performance and the follow-up call close the case.
    mediator.goto(f"{base}/mediation/{case.number}/agreement/")
    term = mediator.locator(data_testid("performance-form"))
    term.locator("[name=term1-performance]").select_option("performed")
    term.locator("button").click()
    expect(mediator.locator(data_testid("performance"))).to_contain_text("已履行")
    visit = mediator.locator(data_testid("visit-form"))
    visit.locator("[name=called]").select_option("both")
    visit.locator("[name=statement]").fill("双方表示款项已付清，邻里关系恢复。")
    visit.locator("input[name=satisfied][value=yes]").check()
    visit.locator("button.primary").click()
    expect(mediator.locator(data_testid("case-status"))).to_have_text("已结案")
    assert fits_width(mediator)
    shot(mediator, "07-closed")
    assert MediationCase.objects.get().status == CaseStatus.CLOSED

    # -- The committee's figures count the case: accepted, concluded, succeeded, in time.
    leader = desk_context(browser).new_page()
    log_in(leader, base, "leader")
    leader.goto(f"{base}/stats/mediation/?group_by=level")
    row = leader.locator("[data-testid] tbody tr[data-key=village]").first
    expect(row).to_be_visible()
    cells = row.locator("td[data-value]")
    values = [cells.nth(i).get_attribute("data-value") for i in range(cells.count())]
    assert values[:4] == ["1", "1", "1", "0"], values  # accepted, concluded, succeeded, failed
    shot(leader, "08-figures")

    # -- The station sees the outcome on its ticket; its follow-up call is due again.
    station.goto(f"{base}/tickets/{ticket.number}/")
    panel = station.locator(data_testid("handover-panel"))
    expect(panel.locator(data_testid("handover-case"))).to_have_text(case.number)
    expect(panel).to_contain_text("已结案")
    shot(station, "09-ticket")
    ticket.refresh_from_db()
    assert ticket.visit_held_at is None
    # The phone's idempotency key is the machine's, not a number shown to people.
    assert ticket.external_id
    expect(station.locator("main")).not_to_contain_text(ticket.external_id)
