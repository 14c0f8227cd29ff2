"""In a real browser on a 375-pixel phone: a studio's mediator accepts a case from their home,
logs a session, extends the case with both parties' consent, records that it succeeded and then
its agreement (a term due before the signing refused on the form), the term's performance and
the follow-up call, which close the case, and opens the A4 sheet; every page fits the phone's
width. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect

from jieban.mediation.models import CaseStatus, MediationCase
from tests.conftest import Cast
from tests.test_mediation import set_up_mediation
from tests.web.browser import Screenshots, data_testid, fits_width, log_in, phone_context

pytestmark = pytest.mark.browser

shot = Screenshots("mediation-")


def test_a_mediator_works_a_case_on_a_phone(
    live_cast: Cast, live_server: Any, browser: Browser
) -> None:
    set_up_mediation()
    base = live_server.url
    page = phone_context(browser).new_page()
    log_in(page, base, "yang")
    expect(page.locator(data_testid("open-summary"))).to_contain_text("0")
    assert fits_width(page)

    page.click(data_testid("new-case"))
    page.select_option("#id_forum", "studio:YANG")
    page.select_option("#id_source", "application")
    page.select_option("#id_dispute_type", "neighbours")
    page.fill("#id_applicant_name", "王五")
    page.fill("#id_applicant_phone", "13912345678")
    page.fill("#id_respondent_name", "赵六")
    page.fill("#id_amount", "-1")
    page.fill("#id_facts", "楼上漏水，维修费用协商不成。")
    assert fits_width(page)
    page.click("form[data-testid='case-form'] button.primary")
    # The form comes back with the message on the amount, the rest kept.
    expect(page.locator("#id_amount_error")).to_be_visible()
    expect(page.locator("#id_applicant_name")).to_have_value("王五")
    page.fill("#id_amount", "3500")
    page.click("form[data-testid='case-form'] button.primary")
    expect(page.locator(data_testid("case-status"))).to_have_text("已受理")
    expect(page.locator(data_testid("clock-running"))).to_be_visible()
    shot(page, "accepted")
    assert fits_width(page)

    session = page.locator(data_testid("action-session"))
    session.locator("[name=attendees]").fill("王五、赵六、物业")
    session.locator("[name=discussion]").fill("双方陈述，物业确认漏水点。")
    session.locator("button.primary").click()
    expect(page.locator(data_testid("case-status"))).to_have_text("调解中")
    expect(page.locator(data_testid("sessions"))).to_contain_text("物业确认漏水点")

    extend = page.locator(data_testid("action-extend"))
    extend.locator("[name=days]").fill("10")
    extend.locator("[name=consent]").fill("双方当面同意延期")
    extend.locator("button.primary").click()
    expect(page.locator(data_testid("extension"))).to_contain_text("双方当面同意延期")
    expect(page.locator(data_testid("action-extend"))).to_have_count(0)

    succeed = page.locator(data_testid("action-succeed"))
    succeed.locator("[name=conclusion]").fill("赵六承担维修费 2000 元，十日内付清。")
    succeed.locator("button.primary").click()
    expect(page.locator(data_testid("case-status"))).to_have_text("达成协议")
    shot(page, "succeeded")
    assert fits_width(page)
    case = MediationCase.objects.get()
    assert case.status == CaseStatus.SUCCEEDED and case.was_extended

    page.click(data_testid("menu-mediation"))
    expect(page.locator(data_testid("case-row"))).to_have_count(1)
    expect(page.locator(data_testid("agreement-missing"))).to_be_visible()
    assert fits_width(page)

    # The agreement (调解协议书), recorded on the phone.
    page.goto(f"{base}/mediation/{case.number}/")
    page.click(data_testid("record-agreement"))
    page.fill("#id_applicant_responsibility", "王五无责任。")
    page.fill("#id_respondent_responsibility", "赵六承担全部维修责任。")
    page.select_option("#id_term_1_obligor", "respondent")
    page.fill("#id_term_1_content", "支付维修费 2000 元")
    page.fill("#id_term_1_method", "银行转账")
    today = timezone.localdate()
    page.fill("#id_term_1_due_on", (today - dt.timedelta(days=1)).isoformat())
    assert fits_width(page)
    shot(page, "agreement-form")
    page.click("form[action$='/agreement/'] button.primary")
    expect(page.locator("#id_term_1_due_on_error")).to_be_visible()
    expect(page.locator("#id_term_1_content")).to_have_value("支付维修费 2000 元")
    page.fill("#id_term_1_due_on", (today + dt.timedelta(days=10)).isoformat())
    page.click("form[action$='/agreement/'] button.primary")
    expect(page.locator(data_testid("term"))).to_have_count(1)
    expect(page.locator(data_testid("follow-up-running"))).to_be_visible()
    assert fits_width(page)

    # The term performed and both parties called: the case closes by itself.
    term = page.locator(data_testid("performance-form"))
    term.locator("[name=term1-performance]").select_option("performed")
    term.locator("button").click()
    expect(page.locator(data_testid("performance"))).to_contain_text("已履行")
    visit = page.locator(data_testid("visit-form"))
    visit.locator("[name=called]").select_option("both")
    visit.locator("[name=statement]").fill("双方表示协议已履行，关系缓和。")
    visit.locator("input[name=satisfied][value=yes]").check()
    visit.locator("button.primary").click()
    expect(page.locator(data_testid("case-status"))).to_have_text("已结案")
    expect(page.locator(data_testid("closed-note"))).to_be_visible()
    shot(page, "agreement-closed")
    assert fits_width(page)

    page.goto(f"{base}/mediation/{case.number}/agreement/print/")
    expect(page.locator(data_testid("agreement-sheet"))).to_contain_text("支付维修费 2000 元")
    expect(page.locator(data_testid("seal"))).to_be_visible()
    shot(page, "agreement-print")
    assert fits_width(page)
    assert MediationCase.objects.get().status == CaseStatus.CLOSED
