"""The permission matrix: every route the URL configuration has, who may read it and who may
write to it, walked by every role.

`ROWS` lists every page and API endpoint (the back office under /admin/ is checked on its own,
at the end) with the roles that may read it (GET) and the roles that may write to it (POST, or
PUT), or None where the route does not offer that method (then it answers 405). The test walks
Django's URL resolver: a route missing from the table, or a row for a route that is gone, fails.
Then each role walks every row with real objects in the address: tickets held by station A (for
everyone but A's people, another unit's tickets), one A held and gave back (now B's), one a
building head registered. An allowed request must succeed (2xx, or a 3xx that is not the way
to the login page). A refused one must be a 403, or a 404 where the object is not the role's to
see (`seen_by`: a ticket of another unit does not exist for you), or, for a visitor without a
session, the way to the login page (pages) or a 401 (API).

The roles are the shared cast (the permission table's, tests/test_permissions.py, whose
`outsider` is a mediator of a community under station A), a visitor who is not logged in, and a
channel's API token (a dispatcher's: the dispatcher on the API, nobody on a page). The role
sets come from that table's POLICY and UNIT_BOUND, which check the permission functions; this
file checks that the routes apply them. Every request runs in a savepoint rolled back after it,
so each role meets the same objects, and at a fixed moment, so periods and months are fixed.

Alone: `pytest tests/test_permission_matrix.py`.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any

import pytest
import time_machine
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.http import HttpResponseBase
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from openpyxl import Workbook

from jieban.community.actions import create_building
from jieban.community.appointments import issue_appointment
from jieban.exchange.actions import receive_orders
from jieban.exchange.imports import check_file, record_check
from jieban.exchange.models import PlatformMessage
from jieban.intake.actions import add_attachment
from jieban.mediation.actions import (
    AgreementDraft,
    CaseDraft,
    TermDraft,
    add_studio_mediator,
    attach_scan,
    create_studio,
    log_session,
    open_case,
    record_agreement,
    succeed_case,
)
from jieban.mediation.handovers import hand_over
from jieban.notify.models import Notification
from jieban.ops.heartbeat import record_sweep
from jieban.org.actions import create_unit
from jieban.org.models import ApiToken, User
from jieban.stats.reports import publish_report
from jieban.suggestions.rules import RuleDraft, create_rule
from jieban.tickets import transitions
from jieban.tickets.campaign import take_snapshot
from jieban.tickets.extensions import request_extension
from jieban.tickets.models import SupervisionOrder
from jieban.tickets.supervision import supervise_ticket
from jieban.web.tickets.saved_filters import save_filter
from jieban.workcalendar import workdays
from tests.conftest import Cast, local, new_ticket
from tests.platform_peer import make_platform
from tests.platform_peer import order as platform_order
from tests.test_permissions import CAST, MEMBER_BOUND, POLICY, UNIT_BOUND
from tests.ticket_sheets import SOURCE, make_source, xlsx
from tests.ticket_sheets import row as ticket_row
from tests.web.conftest import dispatched, in_progress, resolved

Roles = frozenset[str]

ANONYMOUS = "anonymous"
TOKEN = "token"
ROLES = (*CAST, ANONYMOUS, TOKEN)

PEOPLE: Roles = frozenset(CAST)
EVERYONE: Roles = PEOPLE | {ANONYMOUS}
NOBODY: Roles = frozenset()
# The command centre and the bureau's leaders: they see every ticket.
BUREAU: Roles = frozenset(POLICY["sees_whole_bureau"])
# The command centre: administrators, dispatchers, supervisors.
CENTRE: Roles = frozenset(POLICY["can_record_visit"])
DISPATCHERS: Roles = frozenset(POLICY["can_dispatch"])
REGISTRARS: Roles = frozenset(POLICY["can_register"])
SUPERVISORS: Roles = frozenset(POLICY["can_supervise"])
DECIDERS: Roles = frozenset(POLICY["can_decide_extension"])
SNAPSHOT_TAKERS: Roles = frozenset(POLICY["can_take_snapshot"])
CAMPAIGN: Roles = frozenset(POLICY["can_see_campaign"])
STATS: Roles = frozenset(POLICY["can_see_stats"])
REPORT_READERS: Roles = frozenset(POLICY["can_read_reports"])
PUBLISHERS: Roles = frozenset(POLICY["can_publish_report"])
ADMINS: Roles = frozenset(POLICY["can_edit_calendar"])
# Station A's people, who work the tickets it holds, and who sees such a ticket.
HOLDERS_A: Roles = frozenset(UNIT_BOUND["can_work_unit_tickets"])
SEES_A: Roles = BUREAU | HOLDERS_A
ATTACH_A: Roles = frozenset(UNIT_BOUND["can_attach"])
# A ticket station A held and gave back, now with station B: A still sees it, B works it.
SEES_MOVED: Roles = SEES_A | {"handler_b"}
# A ticket the building head registered, held by station A: its registrar follows it.
SEES_REPORTED: Roles = SEES_A | {"building_head"}

# Mediation: who opens its pages; who sees the studio's cases (the cast's mediator, `outsider`,
# is the studio's mediator here); who accepts cases for the studio; who works them.
MEDIATION: Roles = frozenset(POLICY["can_see_mediation"])
SEES_CASE: Roles = BUREAU | {"outsider"}
# The mediation figures: the bureau's, the mediators' (their own) and the stations'.
MEDIATION_FIGURES: Roles = frozenset(POLICY["can_see_mediation_figures"])
# A station's leaders and the administrators: buildings and appointment letters.
MANAGERS: Roles = frozenset(POLICY["can_manage_buildings"])
LETTER_ISSUERS: Roles = frozenset(POLICY["can_issue_appointments"])
GRIDS: Roles = frozenset(POLICY["can_see_grids"])
# The command centre's dispatchers import tickets from sheets; a source's columns, mapped.
IMPORTERS: Roles = frozenset(POLICY["can_import_tickets"])
SOURCE_FORM = {"channel": "hotline_12345", "column_order_number": "工单编号",
               "column_content": "诉求内容"}  # fmt: skip
# Building heads and grid officers report from the phone (随手报); both hold a letter here.
REPORTERS: Roles = frozenset(POLICY["can_report_from_phone"])
PHONE_REPORT = {
    "category": "renovation_noise",
    "content": "楼道堆放杂物",
    "idempotency_key": "0b7f0a52-4f5e-4c69-9a0e-2d1c3b4a5e6f",
}
# The people letters appoint read their own; the world's letter appoints the building head.
APPOINTEES: Roles = frozenset(POLICY["can_read_own_appointments"])
READS_LETTER: Roles = LETTER_ISSUERS | {"building_head"}
# The studios: who lists them, who opens one, who edits the world's (hosted by station A).
STUDIO_READERS: Roles = frozenset(POLICY["can_see_studios"])
STUDIO_MANAGERS: Roles = frozenset(POLICY["can_manage_studios"])
STUDIO_EDITORS: Roles = frozenset(UNIT_BOUND["can_edit_studio"])
NEW_STUDIO = {"code": "MS2", "name": "新调解工作室", "host_unit": "PS-A"}
MEDIATOR = {"person": "outsider", "kind": "lawyer"}
GRID_MAP: Roles = frozenset(POLICY["can_see_grid_map"])
# The exchange with the 12345 platforms: its page and actions; the platform's own addresses
# answer only its signature (every role here, unsigned, is refused 401).
EXCHANGE: Roles = frozenset(POLICY["can_manage_exchange"])
# The command centre's dispatch rules, and who reads how the suggestions did in use.
RULE_MANAGERS: Roles = frozenset(POLICY["can_manage_dispatch_rules"])
RULE = {"name": "噪音 → 甲派出所", "category": "noise", "unit": "PS-A"}
RULE_FORM = {**RULE, "enabled": "on"}
BUILDING = {"grid": "G-01", "kind": "building", "name": "5号楼", "address": "幸福路 5 号"}
LETTER = {
    "post": "grid_officer",
    "person": "grid_officer",
    "grids": ["G-01"],
    "starts_on": "2026-03-11",
    "ends_on": "2027-03-10",
    "station": "PS-A",
}
CASE_OPENERS: Roles = frozenset(MEMBER_BOUND["can_open_mediation_case"])
MEDIATORS: Roles = frozenset(MEMBER_BOUND["can_mediate"])
# The hand-over: the station handling a ticket hands it over; the bureau and station A, which
# handed the world's one over, see it; its committee's mediators answer it, and the cast has
# none (tests/test_handover.py gives a committee one), so every answer here is refused.
HANDS_OVER: Roles = frozenset(UNIT_BOUND["can_hand_over"])
HANDOVER_VIEWERS: Roles = frozenset(POLICY["can_see_handovers"])
SEES_HANDOVER: Roles = BUREAU | HOLDERS_A
CASE = {
    "source": "application",
    "applicant_name": "王五",
    "respondent_name": "赵六",
    "dispute_type": "neighbours",
    "facts": "楼上漏水",
}
AGREEMENT_HEAD = {
    "facts": "楼上漏水致楼下受损",
    "applicant_responsibility": "无",
    "respondent_responsibility": "承担维修费",
    "signed_on": "2026-03-11",
}
TERM = {"obligor": "respondent", "content": "支付维修费", "method": "转账", "due_on": "2026-03-20"}
AGREEMENT = {**AGREEMENT_HEAD, "terms": [TERM]}
AGREEMENT_FORM = {
    **AGREEMENT_HEAD,
    "term_1_obligor": "respondent",
    "term_1_content": "支付维修费",
    "term_1_method": "转账",
    "term_1_due_on": "2026-03-20",
}

# A POST Service Request without an api_key (a session or a bearer token is no key).
OPEN311_REQUEST = {"service_code": "noise", "address_string": "幸福路 1 号", "description": "噪音"}
# A Wednesday with working days around it: every request is made at this moment.
NOW = local(2026, 3, 11, 10)
CSRF = "matrixcsrf" * 3 + "ok"
PNG = b"\x89PNG\r\n\x1a\n matrix"


class Upload:
    """A file field of a write: a fresh small PNG for each request."""

    def file(self) -> SimpleUploadedFile:
        return SimpleUploadedFile("现场.png", PNG, content_type="image/png")


class TicketSheet(Upload):
    """The ticket import's sheet: one order of the city's 12345 platform for station A."""

    def __init__(self, order: str = "2026031100001") -> None:
        self.order = order

    def file(self) -> SimpleUploadedFile:
        return SimpleUploadedFile("工单.xlsx", xlsx([ticket_row(self.order)]))


class HeadsSheet(Upload):
    """The bulk entry's sheet: one new building head for the world's building."""

    def file(self) -> SimpleUploadedFile:
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.append(["Name", "Phone", "Buildings", "Term starts", "Term ends"])
        sheet.append(["王秀英", "13800000001", "1号楼", "2026-04-01", "2029-03-31"])
        buffer = io.BytesIO()
        book.save(buffer)
        return SimpleUploadedFile("楼长.xlsx", buffer.getvalue())


@dataclass(frozen=True)
class Row:
    """One route as a role meets it: the address with objects filled in (`{name}` from the
    `World`), who may read it, who may write to it (None: the method is not offered, 405), what
    a write sends, and who sees the object it names (a refusal is a 404 for anyone else)."""

    route: str
    url: str
    read: Roles | None = None
    write: Roles | None = None
    data: dict[str, Any] | None = None
    method: str = "POST"
    write_url: str | None = None
    seen_by: Roles | None = None
    # Whether `seen_by` holds for writes too; else a refused write is a 403.
    write_seen: bool = True
    # Whether a visitor without credentials is sent to log in (pages) or told 401 (API) before
    # anything else; the API's root answers 404 to everyone.
    authenticates: bool = True
    # A partner's address, signed by it and by no person: every write unsigned is a 401.
    signed: bool = False

    @property
    def api(self) -> bool:
        return self.route.startswith("api/")


ROWS: list[Row] = [
    # --- Logging in, out, and the language -------------------------------------------------
    Row("login/", "/login/", read=EVERYONE, write=EVERYONE, authenticates=False,
        data={"username": "nobody", "password": "wrong"}),
    Row("logout/", "/logout/", write=EVERYONE, authenticates=False),
    Row("i18n/setlang/", "/i18n/setlang/", read=EVERYONE, write=EVERYONE, authenticates=False,
        data={"language": "en", "next": "/"}),
    # --- Public: residents follow their own case (the resolved ticket's phone ends in 1234) -
    Row("track/", "/track/", read=EVERYONE, write=EVERYONE, authenticates=False,
        data={"number": "{resolved}", "phone_last4": "1234"}),
    # --- The operator's probes: no login; /metrics from 127.0.0.1 (the test client's) -------
    Row("healthz", "/healthz", read=EVERYONE, authenticates=False),
    Row("metrics", "/metrics", read=EVERYONE, authenticates=False),
    # --- Pages -------------------------------------------------------------------------------
    Row("", "/", read=PEOPLE),
    Row("inbox/", "/inbox/", read=PEOPLE),
    Row("tickets/", "/tickets/", read=PEOPLE),
    Row("tickets/export.xlsx", "/tickets/export.xlsx", read=PEOPLE),
    Row("tickets/new/", "/tickets/new/", read=REGISTRARS, write=REGISTRARS,
        data={"channel": "phone", "category": "renovation_noise", "content": "楼道堆放杂物"}),
    Row(r"^tickets/new/recent/?$", "/tickets/new/recent/?phone=13812341234", read=REGISTRARS),
    Row("tickets/new/categories", "/tickets/new/categories?content=广场舞音响声音过大",
        read=REGISTRARS),
    Row(r"^tickets/new/similar/?$", "/tickets/new/similar/?resident_phone=13812341234",
        read=REGISTRARS),
    Row("tickets/new/unit/", "/tickets/new/unit/?address=幸福路1号&category=noise",
        read=REGISTRARS),
    Row("tickets/filters/", "/tickets/filters/", write=PEOPLE,
        data={"name": "新工单", "query": "status=new"}),
    Row("tickets/filters/<id:pk>/delete/", "/tickets/filters/{saved_filter}/delete/",
        write=frozenset({"dispatcher"}), seen_by=frozenset({"dispatcher"})),
    Row("tickets/<str:number>/", "/tickets/{in_progress}/", read=SEES_A, seen_by=SEES_A),
    Row("tickets/<str:number>/", "/tickets/{moved}/", read=SEES_MOVED, seen_by=SEES_MOVED),
    Row("tickets/<str:number>/", "/tickets/{reported}/", read=SEES_REPORTED,
        seen_by=SEES_REPORTED),
    Row("tickets/<str:number>/print/", "/tickets/{in_progress}/print/", read=SEES_A,
        seen_by=SEES_A),
    Row("tickets/<str:number>/similar/", "/tickets/{in_progress}/similar/", read=SEES_A,
        seen_by=SEES_A),
    Row("tickets/<str:number>/attachments/", "/tickets/{in_progress}/attachments/",
        write=ATTACH_A, seen_by=SEES_A, data={"attachments": Upload()}),
    Row("tickets/<str:number>/attachments/", "/tickets/{moved}/attachments/",
        write=CENTRE | {"handler_b"}, seen_by=SEES_MOVED,
        data={"attachments": Upload()}),
    Row("tickets/<str:number>/attachments/", "/tickets/{reported}/attachments/",
        write=ATTACH_A | {"building_head"}, seen_by=SEES_REPORTED,
        data={"attachments": Upload()}),
    Row("tickets/<str:number>/attachments/<id:pk>/",
        "/tickets/{in_progress}/attachments/{attachment}/", read=SEES_A, seen_by=SEES_A),
    Row("tickets/<str:number>/supervise/", "/tickets/{in_progress}/supervise/",
        write=SUPERVISORS, seen_by=SEES_A, data={"note": "请三日内办结"}),
    Row("tickets/<str:number>/visit/", "/tickets/{resolved}/visit/", write=CENTRE,
        seen_by=SEES_A, data={"outcome": "satisfied", "note": "居民满意"}),
    Row("tickets/<str:number>/repeat-of/", "/tickets/{new}/repeat-of/", write=DISPATCHERS,
        seen_by=BUREAU, data={"number": "{earlier}"}),
    Row("tickets/<str:number>/extension/", "/tickets/{in_progress}/extension/",
        write=HOLDERS_A, seen_by=SEES_A, data={"days": "2", "reason": "需协调物业"}),
    Row("tickets/<str:number>/extension/", "/tickets/{moved}/extension/",
        write=frozenset({"handler_b"}), seen_by=SEES_MOVED,
        data={"days": "2", "reason": "需协调物业"}),
    Row("tickets/<str:number>/extension/approve/", "/tickets/{pending}/extension/approve/",
        write=DECIDERS, seen_by=SEES_A, data={"note": "同意"}),
    Row("tickets/<str:number>/extension/reject/", "/tickets/{pending}/extension/reject/",
        write=DECIDERS, seen_by=SEES_A, data={"note": "理由不足"}),
    Row("tickets/<str:number>/<slug:action>/", "/tickets/{new}/dispatch/", write=DISPATCHERS,
        seen_by=BUREAU, data={"unit": "PS-B"}),
    Row("tickets/<str:number>/<slug:action>/", "/tickets/{dispatched}/accept/",
        write=HOLDERS_A, seen_by=SEES_A),
    Row("tickets/<str:number>/<slug:action>/", "/tickets/{moved}/accept/",
        write=frozenset({"handler_b"}), seen_by=SEES_MOVED),
    Row("tickets/<str:number>/<slug:action>/", "/tickets/{dispatched}/return/",
        write=HOLDERS_A, seen_by=SEES_A, data={"reason": "不属本辖区"}),
    Row("tickets/<str:number>/<slug:action>/", "/tickets/{in_progress}/resolve/",
        write=HOLDERS_A, seen_by=SEES_A, data={"result": "已协调停工"}),
    Row("tickets/<str:number>/<slug:action>/", "/tickets/{resolved}/close/",
        write=DISPATCHERS, seen_by=SEES_A, data={"note": "回访满意"}),
    Row("tickets/<str:number>/<slug:action>/", "/tickets/{new}/invalidate/",
        write=DISPATCHERS, seen_by=BUREAU, data={"reason": "重复来电"}),
    Row("tickets/<str:number>/<slug:action>/", "/tickets/{new}/merge/", write=DISPATCHERS,
        seen_by=BUREAU, data={"into": "{earlier}"}),
    Row("calendar/", "/calendar/", read=PEOPLE, write=ADMINS,
        data={"date": "2026-04-06", "kind": "workday", "source": "县政府通知"}),
    Row("calendar/<int:year>/", "/calendar/2026/", read=PEOPLE, write=ADMINS,
        data={"date": "2026-04-06", "kind": "workday", "source": "县政府通知"}),
    Row("calendar/remove/", "/calendar/remove/", write=ADMINS, data={"date": "{override}"}),
    Row("supervision/", "/supervision/", read=PEOPLE),
    Row("supervision/<str:number>/print/", "/supervision/{order}/print/", read=SEES_A,
        seen_by=SEES_A),
    Row("follow-up/", "/follow-up/", read=CENTRE),
    Row("campaign/", "/campaign/", read=CAMPAIGN),
    Row(r"^campaign/(?P<month>\d{4}-\d{2})/$", "/campaign/2026-02/", read=CAMPAIGN),
    Row(r"^campaign/(?P<month>\d{4}-\d{2})/snapshot/$", "/campaign/2026-03/snapshot/",
        write=SNAPSHOT_TAKERS),
    Row(r"^campaign/(?P<month>\d{4}-\d{2})/export\.xlsx$", "/campaign/2026-02/export.xlsx",
        read=CAMPAIGN),
    Row("notifications/", "/notifications/", read=PEOPLE),
    Row("notifications/read/", "/notifications/read/", write=PEOPLE),
    Row("notifications/<id:pk>/", "/notifications/{notification}/",
        read=frozenset({"handler_a"}), seen_by=frozenset({"handler_a"})),
    Row("community/map/", "/community/map/", read=GRID_MAP),
    Row("community/map/shapes.json", "/community/map/shapes.json", read=GRID_MAP),
    Row("buildings/", "/buildings/", read=MANAGERS),
    Row("buildings/new/", "/buildings/new/", read=MANAGERS, write=MANAGERS, data=BUILDING),
    Row("buildings/<id:pk>/", "/buildings/{building}/", read=MANAGERS, write=MANAGERS,
        data={**BUILDING, "name": "1号楼（东）"}),
    Row("appointments/", "/appointments/", read=LETTER_ISSUERS),
    Row("appointments/new/", "/appointments/new/", read=LETTER_ISSUERS, write=LETTER_ISSUERS,
        data=LETTER),
    Row("appointments/<id:pk>/", "/appointments/{letter}/", read=LETTER_ISSUERS),
    Row("appointments/<id:pk>/renew/", "/appointments/{letter}/renew/", write=LETTER_ISSUERS,
        data={"ends_on": "2028-03-10"}),
    Row("appointments/<id:pk>/revoke/", "/appointments/{letter}/revoke/", write=LETTER_ISSUERS,
        data={"reason": "调离本辖区"}),
    Row("quick-report/", "/quick-report/", read=REPORTERS, write=REPORTERS,
        data={**PHONE_REPORT, "photos": Upload()}),
    Row("quick-report/mine/", "/quick-report/mine/", read=REPORTERS),
    Row("appointments/<id:pk>/print/", "/appointments/{letter}/print/", read=READS_LETTER,
        seen_by=READS_LETTER),
    Row("appointments/mine/", "/appointments/mine/", read=APPOINTEES),
    Row("appointments/bulk/", "/appointments/bulk/", read=LETTER_ISSUERS, write=LETTER_ISSUERS,
        data={"file": HeadsSheet(), "station": "PS-A"}),
    Row("appointments/bulk/template.xlsx", "/appointments/bulk/template.xlsx",
        read=LETTER_ISSUERS),
    Row("imports/", "/imports/", read=IMPORTERS, write=IMPORTERS,
        data={"source": SOURCE, "file": TicketSheet()}),
    Row("imports/sources/new/", "/imports/sources/new/", read=IMPORTERS, write=IMPORTERS,
        data={**SOURCE_FORM, "name": "district-12345"}),
    Row("imports/sources/<slug:name>/", "/imports/sources/{source}/", read=IMPORTERS,
        write=IMPORTERS, data=SOURCE_FORM),
    Row("imports/<id:pk>/", "/imports/{import}/", read=IMPORTERS),
    Row("imports/<id:pk>/confirm/", "/imports/{import}/confirm/", write=IMPORTERS),
    Row("studios/", "/studios/", read=STUDIO_READERS),
    Row("studios/new/", "/studios/new/", read=STUDIO_MANAGERS, write=STUDIO_MANAGERS,
        data=NEW_STUDIO),
    Row("studios/<id:pk>/", "/studios/{studio}/", read=STUDIO_READERS, write=STUDIO_EDITORS,
        data={"name": "老杨调解工作室", "phone": "0571-1234567"}),
    Row("studios/<id:pk>/mediators/", "/studios/{studio}/mediators/", write=STUDIO_EDITORS,
        data=MEDIATOR),
    Row("studios/<id:pk>/mediators/remove/", "/studios/{studio}/mediators/remove/",
        write=STUDIO_EDITORS, data={"person": "outsider"}),
    Row("studios/<id:pk>/close/", "/studios/{quiet_studio}/close/", write=STUDIO_EDITORS,
        data={}),
    Row("mediation/", "/mediation/", read=MEDIATION),
    Row("mediation/new/", "/mediation/new/", read=CASE_OPENERS, write=CASE_OPENERS,
        data={**CASE, "forum": "studio:MS"}),
    Row("mediation/<str:number>/", "/mediation/{case}/", read=SEES_CASE, seen_by=SEES_CASE),
    Row("mediation/<str:number>/<slug:action>/", "/mediation/{case}/session/",
        write=MEDIATORS, seen_by=SEES_CASE,
        data={"held_on": "2026-03-11", "attendees": "王五、赵六", "discussion": "陈述"}),
    Row("mediation/<str:number>/<slug:action>/", "/mediation/{mediating}/succeed/",
        write=MEDIATORS, seen_by=SEES_CASE, data={"conclusion": "赔偿 2000 元"}),
    Row("mediation/<str:number>/<slug:action>/", "/mediation/{mediating}/fail/",
        write=MEDIATORS, seen_by=SEES_CASE, data={"route": "litigation", "conclusion": "不成"}),
    Row("mediation/<str:number>/<slug:action>/", "/mediation/{case}/withdraw/",
        write=MEDIATORS, seen_by=SEES_CASE, data={"reason": "撤回"}),
    Row("mediation/<str:number>/<slug:action>/", "/mediation/{case}/extend/",
        write=MEDIATORS, seen_by=SEES_CASE, data={"days": "10", "consent": "双方同意"}),
    # A succeeded case's agreement: read by whoever sees the case, recorded (on the succeeded
    # case without one), its scan, performance and follow-up calls by the studio's mediators.
    Row("mediation/<str:number>/agreement/", "/mediation/{agreed}/agreement/", read=SEES_CASE,
        write=MEDIATORS, write_url="/mediation/{succeeded}/agreement/", seen_by=SEES_CASE,
        data=AGREEMENT_FORM),
    Row("mediation/<str:number>/agreement/print/", "/mediation/{agreed}/agreement/print/",
        read=SEES_CASE, seen_by=SEES_CASE),
    Row("mediation/<str:number>/agreement/scan/", "/mediation/{agreed}/agreement/scan/",
        read=SEES_CASE, write=MEDIATORS, seen_by=SEES_CASE, data={"scan": Upload()}),
    Row("mediation/<str:number>/agreement/performance/",
        "/mediation/{agreed}/agreement/performance/", write=MEDIATORS, seen_by=SEES_CASE,
        data={"term": "1", "term1-performance": "performed", "term1-performed_on": "2026-03-11"}),
    Row("mediation/<str:number>/agreement/visits/", "/mediation/{agreed}/agreement/visits/",
        write=MEDIATORS, seen_by=SEES_CASE,
        data={"visited_on": "2026-03-11", "called": "both", "statement": "满意",
              "satisfied": "yes"}),
    Row("tickets/<str:number>/handover/", "/tickets/{in_progress}/handover/", read=HANDS_OVER,
        write=HANDS_OVER, seen_by=SEES_A, data={"committee": "TJ-MX"}),
    Row("handovers/", "/handovers/", read=HANDOVER_VIEWERS),
    Row("handovers/<id:pk>/", "/handovers/{handover}/", read=SEES_HANDOVER,
        seen_by=SEES_HANDOVER),
    Row("handovers/<id:pk>/print/", "/handovers/{handover}/print/", read=SEES_HANDOVER,
        seen_by=SEES_HANDOVER),
    Row("handovers/<id:pk>/<slug:action>/", "/handovers/{handover}/accept/", write=NOBODY,
        seen_by=SEES_HANDOVER, data={}),
    Row("handovers/<id:pk>/<slug:action>/", "/handovers/{handover}/decline/", write=NOBODY,
        seen_by=SEES_HANDOVER, data={"reason": "不属本村"}),
    # --- Open311 GeoReport v2: GET is public (only Open311's own requests); a POST needs an
    # application's api_key, which no role has here: refused (403) for everyone, session or not.
    Row(r"^open311/v2/services\.(?P<response_format>json|xml)$", "/open311/v2/services.json",
        read=EVERYONE, authenticates=False),
    Row(r"^open311/v2/services\.(?P<response_format>json|xml)$", "/open311/v2/services.xml",
        read=EVERYONE, authenticates=False),
    Row(r"^open311/v2/services/(?P<service_code>[^/]+)\.(?P<response_format>json|xml)$",
        "/open311/v2/services/noise.xml", read=EVERYONE, authenticates=False),
    Row(r"^open311/v2/requests\.(?P<response_format>json|xml)$", "/open311/v2/requests.json",
        read=EVERYONE, write=NOBODY, authenticates=False, data=OPEN311_REQUEST),
    Row(r"^open311/v2/requests\.(?P<response_format>json|xml)$", "/open311/v2/requests.xml",
        read=EVERYONE, write=NOBODY, authenticates=False, data=OPEN311_REQUEST),
    Row(r"^open311/v2/requests/(?P<service_request_id>[^/]+)\.(?P<response_format>json|xml)$",
        "/open311/v2/requests/{open311}.json", read=EVERYONE, authenticates=False),
    # A ticket of another channel does not exist for Open311, whoever asks.
    Row(r"^open311/v2/requests/(?P<service_request_id>[^/]+)\.(?P<response_format>json|xml)$",
        "/open311/v2/requests/{in_progress}.xml", read=NOBODY, seen_by=NOBODY,
        authenticates=False),
    Row("stats/", "/stats/", read=STATS),
    Row("stats/mediation/", "/stats/mediation/", read=MEDIATION_FIGURES),
    Row("reports/", "/reports/", read=REPORT_READERS),
    # The monthly mediation report is the bureau's too, like the other reports.
    Row("reports/mediation/<str:period>/", "/reports/mediation/2026-02/", read=REPORT_READERS,
        seen_by=REPORT_READERS),
    Row("reports/mediation/<str:period>/publish/", "/reports/mediation/2026-02/publish/",
        write=PUBLISHERS),
    Row("reports/mediation/<str:period>/export.xlsx", "/reports/mediation/2026-02/export.xlsx",
        read=REPORT_READERS, seen_by=REPORT_READERS),
    # A report is the bureau's: for anyone else it does not exist; publishing is refused.
    Row("reports/<slug:kind>/<str:period>/", "/reports/monthly/2026-02/", read=REPORT_READERS,
        seen_by=REPORT_READERS),
    Row("reports/<slug:kind>/<str:period>/publish/", "/reports/monthly/2026-02/publish/",
        write=PUBLISHERS),
    Row("reports/<slug:kind>/<str:period>/export.xlsx", "/reports/monthly/2026-02/export.xlsx",
        read=REPORT_READERS, seen_by=REPORT_READERS),
    # --- The API -----------------------------------------------------------------------------
    Row("api/v1/", "/api/v1/", read=NOBODY, write=NOBODY, seen_by=NOBODY, authenticates=False),
    # The document and its docs are for people with a session or a token, like every endpoint;
    # they answer any method with themselves: a POST reads them too.
    Row("api/v1/openapi.json", "/api/v1/openapi.json", read=PEOPLE, write=PEOPLE),
    Row("api/v1/docs", "/api/v1/docs", read=PEOPLE, write=PEOPLE),
    Row("api/v1/track", "/api/v1/track?number={resolved}&phone_last4=1234", read=EVERYONE,
        authenticates=False),
    Row("api/v1/tickets/batch", "/api/v1/tickets/batch", write=REGISTRARS,
        data={"items": [{"channel": "phone", "content": "楼道堆放杂物"}]}),
    Row("api/v1/tickets", "/api/v1/tickets", read=PEOPLE, write=REGISTRARS,
        data={"channel": "phone", "category": "noise", "content": "广场舞音响声音过大"}),
    Row("api/v1/classify", "/api/v1/classify", write=REGISTRARS,
        data={"text": "广场舞音响声音过大"}),
    Row("api/v1/tickets/<number>", "/api/v1/tickets/{in_progress}", read=SEES_A,
        seen_by=SEES_A),
    Row("api/v1/tickets/<number>", "/api/v1/tickets/{moved}", read=SEES_MOVED,
        seen_by=SEES_MOVED),
    Row("api/v1/tickets/<number>/events", "/api/v1/tickets/{in_progress}/events", read=SEES_A,
        seen_by=SEES_A),
    Row("api/v1/tickets/<number>/similar", "/api/v1/tickets/{in_progress}/similar",
        read=SEES_A, seen_by=SEES_A),
    Row("api/v1/tickets/<number>/dispatch", "/api/v1/tickets/{new}/dispatch",
        write=DISPATCHERS, seen_by=BUREAU, data={"unit": "PS-B"}),
    Row("api/v1/tickets/<number>/accept", "/api/v1/tickets/{dispatched}/accept",
        write=HOLDERS_A, seen_by=SEES_A, data={}),
    Row("api/v1/tickets/<number>/accept", "/api/v1/tickets/{moved}/accept",
        write=frozenset({"handler_b"}), seen_by=SEES_MOVED, data={}),
    Row("api/v1/tickets/<number>/return", "/api/v1/tickets/{dispatched}/return",
        write=HOLDERS_A, seen_by=SEES_A, data={"reason": "不属本辖区"}),
    Row("api/v1/tickets/<number>/resolve", "/api/v1/tickets/{in_progress}/resolve",
        write=HOLDERS_A, seen_by=SEES_A, data={"result": "已协调停工"}),
    Row("api/v1/tickets/<number>/close", "/api/v1/tickets/{resolved}/close",
        write=DISPATCHERS, seen_by=SEES_A, data={"note": "回访满意"}),
    Row("api/v1/tickets/<number>/invalidate", "/api/v1/tickets/{new}/invalidate",
        write=DISPATCHERS, seen_by=BUREAU, data={"reason": "重复来电"}),
    Row("api/v1/tickets/<number>/merge", "/api/v1/tickets/{new}/merge", write=DISPATCHERS,
        seen_by=BUREAU, data={"into": "{earlier}"}),
    Row("api/v1/tickets/<number>/extension", "/api/v1/tickets/{in_progress}/extension",
        write=HOLDERS_A, seen_by=SEES_A, data={"days": 2, "reason": "需协调物业"}),
    Row("api/v1/tickets/<number>/extension/approve",
        "/api/v1/tickets/{pending}/extension/approve", write=DECIDERS, seen_by=SEES_A,
        data={"note": "同意"}),
    Row("api/v1/tickets/<number>/extension/reject",
        "/api/v1/tickets/{pending}/extension/reject", write=DECIDERS, seen_by=SEES_A,
        data={"note": "理由不足"}),
    Row("api/v1/tickets/<number>/attachments", "/api/v1/tickets/{in_progress}/attachments",
        read=SEES_A, write=ATTACH_A, seen_by=SEES_A, data={"file": Upload()}),
    Row("api/v1/tickets/<number>/attachments", "/api/v1/tickets/{moved}/attachments",
        read=SEES_MOVED, write=CENTRE | {"handler_b"}, seen_by=SEES_MOVED,
        data={"file": Upload()}),
    Row("api/v1/tickets/<number>/supervise", "/api/v1/tickets/{in_progress}/supervise",
        write=SUPERVISORS, seen_by=SEES_A, data={"note": "请三日内办结"}),
    Row("api/v1/tickets/<number>/visits", "/api/v1/tickets/{resolved}/visits", read=SEES_A,
        write=CENTRE, seen_by=SEES_A, data={"outcome": "satisfied", "note": "居民满意"}),
    Row("api/v1/tickets/<number>/repeat-of", "/api/v1/tickets/{new}/repeat-of",
        write=DISPATCHERS, seen_by=BUREAU, data={"number": "{earlier}"}),
    Row("api/v1/units", "/api/v1/units", read=PEOPLE),
    Row("api/v1/categories", "/api/v1/categories", read=PEOPLE),
    # GET takes a year and PUT a date on the one route.
    Row("api/v1/calendar/<when>", "/api/v1/calendar/2026", read=PEOPLE, write=ADMINS,
        method="PUT", write_url="/api/v1/calendar/2026-04-06",
        data={"kind": "workday", "source": "县政府通知"}),
    Row("api/v1/supervision-orders", "/api/v1/supervision-orders", read=PEOPLE),
    Row("api/v1/campaigns/<month>", "/api/v1/campaigns/2026-02", read=CAMPAIGN),
    Row("api/v1/campaigns/<month>/snapshot", "/api/v1/campaigns/2026-03/snapshot",
        write=SNAPSHOT_TAKERS, data={}),
    Row("api/v1/notifications", "/api/v1/notifications", read=PEOPLE),
    Row("api/v1/notifications/read", "/api/v1/notifications/read", write=PEOPLE, data={}),
    Row("api/v1/stats", "/api/v1/stats?start=2026-03-01&end=2026-03-12", read=STATS),
    Row("api/v1/mediation/stats", "/api/v1/mediation/stats?start=2026-03-01&end=2026-03-12",
        read=MEDIATION_FIGURES),
    # A published report is the bureau's: for anyone else it does not exist. Publishing one
    # is refused (403) to those who may not.
    Row("api/v1/reports/<kind>/<period>", "/api/v1/reports/monthly/2026-02",
        read=REPORT_READERS, seen_by=REPORT_READERS, write=PUBLISHERS,
        write_url="/api/v1/reports/monthly/2026-01", write_seen=False, data={}),
    Row("api/v1/studios", "/api/v1/studios", read=STUDIO_READERS, write=STUDIO_MANAGERS,
        data=NEW_STUDIO),
    Row("api/v1/studios/<pk>", "/api/v1/studios/{studio}", read=STUDIO_READERS,
        write=STUDIO_EDITORS, method="PATCH", data={"phone": "0571-1234567"}),
    Row("api/v1/studios/<pk>/mediators", "/api/v1/studios/{studio}/mediators",
        write=STUDIO_EDITORS, data=MEDIATOR),
    Row("api/v1/studios/<pk>/mediators/<username>",
        "/api/v1/studios/{studio}/mediators/outsider", write=STUDIO_EDITORS, method="DELETE"),
    Row("api/v1/studios/<pk>/close", "/api/v1/studios/{quiet_studio}/close",
        write=STUDIO_EDITORS, data={}),
    Row("api/v1/grids", "/api/v1/grids", read=GRIDS),
    Row("api/v1/buildings", "/api/v1/buildings", read=MANAGERS, write=MANAGERS, data=BUILDING),
    Row("api/v1/buildings/<pk>", "/api/v1/buildings/{building}", read=MANAGERS, write=MANAGERS,
        method="PUT", data={**BUILDING, "name": "1号楼（东）"}),
    Row("api/v1/appointments", "/api/v1/appointments", read=LETTER_ISSUERS | APPOINTEES,
        write=LETTER_ISSUERS, data=LETTER),
    Row("api/v1/appointments/<pk>", "/api/v1/appointments/{letter}", read=READS_LETTER,
        seen_by=READS_LETTER),
    Row("api/v1/appointments/<pk>/print", "/api/v1/appointments/{letter}/print",
        read=READS_LETTER, seen_by=READS_LETTER),
    Row("api/v1/appointments/<pk>/renew", "/api/v1/appointments/{letter}/renew",
        write=LETTER_ISSUERS, data={"ends_on": "2028-03-10"}),
    Row("api/v1/appointments/<pk>/revoke", "/api/v1/appointments/{letter}/revoke",
        write=LETTER_ISSUERS, data={"reason": "调离本辖区"}),
    Row("api/v1/reports", "/api/v1/reports", read=REPORTERS, write=REPORTERS,
        data=PHONE_REPORT),
    Row("api/v1/mediation-cases", "/api/v1/mediation-cases", read=MEDIATION,
        write=CASE_OPENERS, data={**CASE, "studio": "MS"}),
    Row("api/v1/mediation-cases/<number>", "/api/v1/mediation-cases/{case}", read=SEES_CASE,
        seen_by=SEES_CASE),
    Row("api/v1/mediation-cases/<number>/sessions", "/api/v1/mediation-cases/{case}/sessions",
        write=MEDIATORS, seen_by=SEES_CASE,
        data={"held_on": "2026-03-11", "attendees": "王五、赵六", "discussion": "陈述"}),
    Row("api/v1/mediation-cases/<number>/succeed",
        "/api/v1/mediation-cases/{mediating}/succeed", write=MEDIATORS, seen_by=SEES_CASE,
        data={"conclusion": "赔偿 2000 元"}),
    Row("api/v1/mediation-cases/<number>/fail", "/api/v1/mediation-cases/{mediating}/fail",
        write=MEDIATORS, seen_by=SEES_CASE, data={"route": "litigation", "conclusion": "不成"}),
    Row("api/v1/mediation-cases/<number>/withdraw", "/api/v1/mediation-cases/{case}/withdraw",
        write=MEDIATORS, seen_by=SEES_CASE, data={"reason": "撤回"}),
    Row("api/v1/mediation-cases/<number>/extend", "/api/v1/mediation-cases/{case}/extend",
        write=MEDIATORS, seen_by=SEES_CASE, data={"days": 10, "consent": "双方同意"}),
    Row("api/v1/mediation-cases/<number>/agreement", "/api/v1/mediation-cases/{agreed}/agreement",
        read=SEES_CASE, write=MEDIATORS,
        write_url="/api/v1/mediation-cases/{succeeded}/agreement", seen_by=SEES_CASE,
        data=AGREEMENT),
    Row("api/v1/mediation-cases/<number>/agreement/scan",
        "/api/v1/mediation-cases/{agreed}/agreement/scan", write=MEDIATORS, seen_by=SEES_CASE,
        data={"file": Upload()}),
    Row("api/v1/mediation-cases/<number>/performance",
        "/api/v1/mediation-cases/{agreed}/performance", write=MEDIATORS, seen_by=SEES_CASE,
        data={"term": 1, "performance": "performed", "performed_on": "2026-03-11"}),
    Row("api/v1/mediation-cases/<number>/visits", "/api/v1/mediation-cases/{agreed}/visits",
        read=SEES_CASE, write=MEDIATORS, seen_by=SEES_CASE,
        data={"visited_on": "2026-03-11", "called": "both", "statement": "满意",
              "satisfied": True}),
    Row("api/v1/tickets/<number>/handover", "/api/v1/tickets/{in_progress}/handover",
        write=HANDS_OVER, seen_by=SEES_A, data={"committee": "TJ-MX"}),
    Row("api/v1/handovers", "/api/v1/handovers", read=HANDOVER_VIEWERS),
    Row("api/v1/handovers/<pk>", "/api/v1/handovers/{handover}", read=SEES_HANDOVER,
        seen_by=SEES_HANDOVER),
    Row("api/v1/handovers/<pk>/accept", "/api/v1/handovers/{handover}/accept", write=NOBODY,
        seen_by=SEES_HANDOVER, data={}),
    Row("api/v1/handovers/<pk>/decline", "/api/v1/handovers/{handover}/decline",
        write=NOBODY, seen_by=SEES_HANDOVER, data={"reason": "不属本村"}),
    # --- The 12345 platform link ------------------------------------------------------------
    Row("exchange/", "/exchange/", read=EXCHANGE),
    Row("exchange/messages/<id:pk>/retry/", "/exchange/messages/{message}/retry/",
        write=EXCHANGE),
    Row("exchange/apply-waiting/", "/exchange/apply-waiting/", write=EXCHANGE),
    Row("api/v1/exchange/<code>/orders", "/api/v1/exchange/sz12345/orders", write=NOBODY,
        signed=True, data={"orders": []}),
    Row("api/v1/exchange/<code>/events", "/api/v1/exchange/sz12345/events", write=NOBODY,
        signed=True, data={"events": []}),
    Row("api/v1/exchange/tickets/<number>/progress",
        "/api/v1/exchange/tickets/{platform_ticket}/progress", write=HOLDERS_A, seen_by=SEES_A,
        data={"note": "已联系施工方"}),
    Row("api/v1/exchange/platforms", "/api/v1/exchange/platforms", read=EXCHANGE),
    Row("tickets/<str:number>/progress/", "/tickets/{platform_ticket}/progress/",
        write=HOLDERS_A, seen_by=SEES_A, data={"note": "已联系施工方"}),
    Row("api/v1/exchange/messages/<pk>/retry", "/api/v1/exchange/messages/{message}/retry",
        write=EXCHANGE, data={}),
    # --- Dispatch rules and the suggestions in use ------------------------------------------
    Row("dispatch-rules/", "/dispatch-rules/", read=RULE_MANAGERS),
    Row("dispatch-rules/new/", "/dispatch-rules/new/", read=RULE_MANAGERS, write=RULE_MANAGERS,
        data=RULE_FORM),
    Row("dispatch-rules/<id:pk>/", "/dispatch-rules/{rule}/", read=RULE_MANAGERS,
        write=RULE_MANAGERS, data={**RULE_FORM, "name": "噪音"}),
    Row("dispatch-rules/<id:pk>/move/", "/dispatch-rules/{rule}/move/", write=RULE_MANAGERS,
        data={"position": "1"}),
    Row("dispatch-rules/<id:pk>/switch/", "/dispatch-rules/{rule}/switch/",
        write=RULE_MANAGERS, data={"enabled": "0"}),
    Row("suggestions/", "/suggestions/", read=REPORT_READERS),
    Row("api/v1/dispatch-rules", "/api/v1/dispatch-rules", read=RULE_MANAGERS,
        write=RULE_MANAGERS, data=RULE),
    Row("api/v1/dispatch-rules/<pk>", "/api/v1/dispatch-rules/{rule}", read=RULE_MANAGERS,
        write=RULE_MANAGERS, method="PUT", data={**RULE, "enabled": False}),
    Row("api/v1/dispatch-rules/<pk>/move", "/api/v1/dispatch-rules/{rule}/move",
        write=RULE_MANAGERS, data={"position": 1}),
]  # fmt: skip


def routes_of(patterns: list[URLPattern | URLResolver], prefix: str = "") -> Iterator[str]:
    """Every route under `patterns`, spelt as Django's resolver spells a match's `route`."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from routes_of(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern)


def routed() -> set[str]:
    """What the URL configuration routes, but the back office (checked on its own below)."""
    return {
        route for route in routes_of(get_resolver().url_patterns) if not route.startswith("admin/")
    }


def test_the_table_lists_every_route_and_nothing_else() -> None:
    listed = {row.route for row in ROWS}
    assert sorted(routed() - listed) == [], "routes without their row in ROWS"
    assert sorted(listed - routed()) == [], "rows of ROWS for routes that are gone"


# What the addresses name (`World.objects`), as a sample to resolve them with.
SAMPLE = {
    name: {
        "saved_filter": "1", "attachment": "1", "notification": "1", "building": "1",
        "letter": "1", "studio": "1", "handover": "1", "quiet_studio": "2", "import": "1",
        "source": "city-12345", "message": "1", "rule": "1",
    }.get(name, "JB1")
    for name in (
        "new", "earlier", "dispatched", "in_progress", "pending", "resolved", "moved",
        "reported", "order", "saved_filter", "attachment", "notification", "override",
        "case", "mediating", "succeeded", "agreed", "building", "letter", "studio",
        "case", "mediating", "succeeded", "agreed", "building", "letter", "handover",
        "quiet_studio", "open311", "import", "source", "platform_ticket", "message", "rule",
    )
}  # fmt: skip


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.url)
def test_each_row_names_its_route(row: Row) -> None:
    for url in (row.url, row.write_url or row.url):
        path = url.split("?")[0].format_map(SAMPLE)
        assert resolve(path).route == row.route


@dataclass
class World:
    """The objects the rows' addresses and bodies name, made through the real actions."""

    objects: dict[str, str]
    people: dict[str, User]
    token: str


@pytest.fixture
def world(cast: Cast) -> World:
    with time_machine.travel(local(2026, 2, 4, 10), tick=False):
        # February's clear-to-zero board, for the pages that read a month's board.
        take_snapshot("2026-02")
    with time_machine.travel(NOW, tick=False):
        # February's report, published, for the API that reads published reports.
        publish_report("monthly", "2026-02")
    with time_machine.travel(NOW, tick=True):
        earlier = new_ticket(cast.dispatcher)
        new = new_ticket(cast.dispatcher)
        pending = in_progress(cast)
        request_extension(pending.number, days=2, reason="需协调物业", by=cast.handler_a)
        busy = in_progress(cast)
        add_attachment(busy.number, SimpleUploadedFile("现场.png", PNG), by=cast.handler_a)
        supervise_ticket(busy.number, note="请加快办理", by=cast.supervisor)
        moved = dispatched(cast)
        transitions.return_ticket(moved.number, reason="不属本辖区", by=cast.handler_a)
        transitions.dispatch_ticket(moved.number, unit=cast.handler_b.unit, by=cast.dispatcher)
        reported = new_ticket(cast.building_head)
        transitions.dispatch_ticket(reported.number, unit=cast.handler_a.unit, by=cast.dispatcher)
        saved, _created = save_filter(cast.dispatcher, name="待交办", query="status=new")
        override = workdays.set_override(
            date=dt.date(2026, 5, 9), kind="workday", source="县政府通知", by=cast.admin
        )
        notification = Notification.objects.filter(recipient=cast.handler_a).order_by("pk")[0]
        order = SupervisionOrder.objects.get(ticket=busy)
        objects = {
            "new": new.number,
            "earlier": earlier.number,
            "dispatched": dispatched(cast).number,
            "in_progress": busy.number,
            "pending": pending.number,
            "resolved": resolved(cast).number,
            "moved": moved.number,
            "reported": reported.number,
            "order": order.number,
            "saved_filter": str(saved.pk),
            "attachment": str(busy.attachments.get().pk),
            "notification": str(notification.pk),
            "override": override.date.isoformat(),
        }
        # A studio of station A whose mediator is the cast's mediator, with a case just
        # accepted and one in mediation.
        studio = create_studio(code="MS", name="老杨调解工作室", host_unit="PS-A")
        add_studio_mediator(studio, username=cast.outsider.username, kind="peoples_mediator")
        case = open_case(CaseDraft(**CASE, studio="MS"), by=cast.outsider)
        mediating = open_case(CaseDraft(**CASE, studio="MS"), by=cast.outsider)
        log_session(
            mediating.number, held_on=NOW.date(), attendees="王五、赵六", discussion="陈述",
            by=cast.outsider,
        )  # fmt: skip
        objects["case"], objects["mediating"] = case.number, mediating.number
        # A succeeded case without its agreement yet, and one with its agreement and scan.
        for name in ("succeeded", "agreed"):
            succeeded = open_case(CaseDraft(**CASE, studio="MS"), by=cast.outsider)
            log_session(
                succeeded.number, held_on=NOW.date(), attendees="王五、赵六", discussion="陈述",
                by=cast.outsider,
            )  # fmt: skip
            succeed_case(succeeded.number, conclusion="赔偿", by=cast.outsider)
            objects[name] = succeeded.number
        draft = AgreementDraft(**AGREEMENT_HEAD, terms=[TermDraft(**TERM)])
        record_agreement(objects["agreed"], draft=draft, by=cast.outsider)
        attach_scan(objects["agreed"], upload=Upload().file(), by=cast.outsider)
        objects["studio"] = str(studio.pk)
        # A studio of station A with no case: one that may be closed.
        quiet = create_studio(code="MS-Q", name="新开调解工作室", host_unit="PS-A")
        objects["quiet_studio"] = str(quiet.pk)
        # A building of station A's grid G-01, and a letter station A issued for it.
        building = create_building(
            grid="G-01", kind="building", name="1号楼", address="幸福路 1 号", by=cast.admin
        )
        letter = issue_appointment(
            person="building_head",
            post="building_head",
            starts_on=NOW.date(),
            ends_on=NOW.date() + dt.timedelta(days=365),
            buildings=[building.pk],
            by=cast.leader_a,
        )
        objects["building"], objects["letter"] = str(building.pk), str(letter.pk)
        # The grid officer's letter for G-01: both reporters hold one in force.
        issue_appointment(
            person="grid_officer",
            post="grid_officer",
            starts_on=NOW.date(),
            ends_on=NOW.date() + dt.timedelta(days=365),
            grids=["G-01"],
            by=cast.leader_a,
        )
        # A village committee, and a dispute station A handed to it, waiting for its answer.
        create_unit(code="TJ-MX", kind="committee", name="甲一村调委会", level="village")
        handover = hand_over(in_progress(cast).number, committee="TJ-MX", by=cast.handler_a)
        objects["handover"] = str(handover.pk)
        # A request an application sent through Open311, which the server shows to anyone.
        objects["open311"] = new_ticket(cast.dispatcher, channel="open311").number
        # A source of the city's 12345 exports, and a sheet from it checked, to confirm.
        make_source()
        check = check_file(
            xlsx([ticket_row("2026031000001")]), file_name="工单.xlsx", source=SOURCE, by=cast.admin
        )
        objects["source"] = SOURCE
        objects["import"] = str(record_check(check, by=cast.admin).pk)
        # A 12345 platform's order, signed for by station A: its message not delivered yet.
        platform = make_platform()
        (taken,) = receive_orders(platform, [platform_order("SZ-M1")])
        transitions.accept_ticket(taken["ticket"], by=cast.handler_a)
        objects["platform_ticket"] = taken["ticket"]
        objects["message"] = str(PlatformMessage.objects.get().pk)
        # A dispatch rule of the command centre.
        objects["rule"] = str(create_rule(RuleDraft(**RULE), by=cast.dispatcher).pk)
        # A worker's sweep, for /healthz to answer 200.
        record_sweep(worker="matrix:1", started_at=NOW, finished_at=NOW, seconds=1.0,
                     job_seconds={})  # fmt: skip
        _token, raw = ApiToken.issue(cast.dispatcher, name="12345 channel")
    return World(objects, {member: getattr(cast, member) for member in CAST}, raw)


def acting_as(role: str, row: Row) -> str:
    """Who `role` is to `row`: the token is its dispatcher on the API and nobody on a page."""
    if role == TOKEN:
        return "dispatcher" if row.api else ANONYMOUS
    return role


def expected(row: Row, role: str, method: str) -> str:
    """What `role` must meet on `row` with `method`."""
    allowed = row.read if method == "GET" else row.write
    seen_by = row.seen_by if method == "GET" or row.write_seen else None
    who = acting_as(role, row)
    if row.signed and allowed is not None:
        return "401"
    stopped_at_the_door = who == ANONYMOUS and row.authenticates
    if allowed is None:
        # Not offered: 405, unless a page sends the visitor to log in first.
        return "login" if stopped_at_the_door and not row.api else "405"
    if who in allowed:
        return "ok"
    if stopped_at_the_door:
        return "401" if row.api else "login"
    if seen_by is not None and who not in seen_by:
        return "404"
    return "403"


def outcome(response: HttpResponseBase) -> str:
    status = response.status_code
    location = response.get("Location", "")
    if status == 302 and location.startswith(f"{reverse('web:login')}?next="):
        return "login"
    if 200 <= status < 400:
        return "ok"
    return str(status)


def client_for(role: str, world: World) -> tuple[Client, dict[str, str]]:
    """A browser for `role` with its session (none for a visitor or the token) and the CSRF
    cookie, and the headers each of its requests sends."""
    client = Client(enforce_csrf_checks=True)
    headers = {"HTTP_X_CSRFTOKEN": CSRF}
    if role == TOKEN:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {world.token}"
    elif role != ANONYMOUS:
        client.force_login(world.people[role])
    return client, headers


def send(
    client: Client, cookies: SimpleCookie, headers: dict[str, str], row: Row, method: str,
    world: World,
) -> HttpResponseBase:  # fmt: skip
    """One request of `row`, in a savepoint rolled back after it, with the role's cookies as
    they were before (a logout or a language switch stays in its own request)."""
    client.cookies = SimpleCookie()
    client.cookies.load({key: morsel.value for key, morsel in cookies.items()})
    url = (row.write_url if method != "GET" and row.write_url else row.url).format_map(
        world.objects
    )
    values = {
        key: value.file() if isinstance(value, Upload) else value.format_map(world.objects)
        if isinstance(value, str) else value
        for key, value in (row.data or {}).items()
    }  # fmt: skip
    with transaction.atomic():
        if method == "GET":
            response = client.get(url, **headers)
        elif row.api and not any(isinstance(value, Upload) for value in (row.data or {}).values()):
            response = client.generic(
                method, url, json.dumps(values), content_type="application/json", **headers
            )
        else:
            response = client.post(url, values, **headers)
        transaction.set_rollback(True)
    return response


@pytest.mark.parametrize("role", ROLES)
def test_every_role_meets_every_route_as_the_table_says(world: World, role: str) -> None:
    assert set(world.objects) == set(SAMPLE)
    client, headers = client_for(role, world)
    client.cookies["csrftoken"] = CSRF
    cookies = SimpleCookie()
    cookies.load({key: morsel.value for key, morsel in client.cookies.items()})
    wrong: list[str] = []
    with time_machine.travel(NOW, tick=True):
        for row in ROWS:
            for method in ("GET", "POST" if row.write is None else row.method):
                want = expected(row, role, method)
                got = outcome(send(client, cookies, headers, row, method, world))
                if got != want:
                    url = row.write_url if method != "GET" and row.write_url else row.url
                    wrong.append(
                        f"{method} {url.format_map(world.objects)}: {want} expected, {got}"
                    )
    assert wrong == [], f"{role}:\n" + "\n".join(wrong)


# --- The back office --------------------------------------------------------------------------


def back_office_pages() -> list[str]:
    return ["/admin/"] + [
        f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        for model in admin.site._registry
    ]


def test_the_back_office_is_for_administrators_only(world: World) -> None:
    pages = back_office_pages()
    for role in ROLES:
        client, headers = client_for(role, world)
        for page in pages:
            response = client.get(page, **headers)
            if role == "admin":
                assert response.status_code == 200, (role, page)
            else:
                assert response.status_code == 302, (role, page)
                assert response["Location"].startswith("/admin/login/"), (role, page)
