"""Mediation: the studios, and mediation cases with their sessions, conclusions and extension.

The shapes are kept here, next to the handlers, as `jieban.api.api` allows a new area to."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Query, Router, Schema, Status
from pydantic import StrictInt

from jieban.api.schemas import ERRORS
from jieban.api.serializers import local
from jieban.http import AuthenticatedRequest
from jieban.mediation.access import access_case, case_people, shown_phone
from jieban.mediation.actions import (
    CaseDraft,
    available_actions,
    extend_case,
    fail_case,
    log_session,
    open_case,
    succeed_case,
    withdraw_case,
)
from jieban.mediation.models import MediationCase, Studio
from jieban.mediation.selectors import CaseFilters, case_page, clock_of, visible_studios
from jieban.org.actors import Viewer

router = Router(tags=["mediation"])


class MediatorOut(Schema):
    username: str
    name: str
    kind: str


class StudioOut(Schema):
    code: str
    name: str
    host_unit: str
    address: str
    phone: str
    opened_on: dt.date | None
    mediators: list[MediatorOut]


class CaseIn(Schema):
    source: str
    applicant_name: str
    respondent_name: str
    dispute_type: str
    facts: str
    studio: str = ""
    committee: str = ""
    applicant_phone: str = ""
    respondent_phone: str = ""
    amount: Decimal | None = None
    mediators: list[str] = []
    ticket: str = ""


class CaseFilterIn(Schema):
    status: str = ""
    studio: str = ""
    committee: str = ""
    dispute_type: str = ""
    mediator: str = ""
    open: bool = False
    due_soon: bool = False
    overdue: bool = False
    offset: int = 0
    limit: int = 50


class SessionOut(Schema):
    held_on: dt.date
    attendees: str
    discussion: str
    agreed: str
    recorded_by: str | None


class CaseOut(Schema):
    number: str
    source: str
    ticket: str | None
    applicant_name: str
    applicant_phone: str
    respondent_name: str
    respondent_phone: str
    dispute_type: str
    amount: Decimal | None
    facts: str
    studio: str | None
    committee: str | None
    committee_level: str | None
    mediators: list[str]
    status: str
    accepted_at: dt.datetime
    due_at: dt.datetime
    clock: str
    extended_at: dt.datetime | None
    extension_consent: str
    concluded_at: dt.datetime | None
    conclusion: str
    failure_route: str
    version: int


class CaseDetailOut(CaseOut):
    sessions: list[SessionOut]
    actions: list[str]


class CasePageOut(Schema):
    items: list[CaseOut]
    total: int


class SessionIn(Schema):
    held_on: str
    attendees: str
    discussion: str
    agreed: str = ""
    version: StrictInt | None = None


class SucceedIn(Schema):
    conclusion: str
    version: StrictInt | None = None


class FailIn(Schema):
    route: str
    conclusion: str
    version: StrictInt | None = None


class WithdrawIn(Schema):
    reason: str
    version: StrictInt | None = None


class ExtendIn(Schema):
    days: StrictInt = 30
    consent: str
    version: StrictInt | None = None


def studio_out(studio: Studio) -> dict[str, Any]:
    return {
        "code": studio.code,
        "name": studio.name,
        "host_unit": studio.host_unit.code,
        "address": studio.address,
        "phone": studio.phone,
        "opened_on": studio.opened_on,
        "mediators": [
            {
                "username": membership.person.username,
                "name": membership.person.display_name,
                "kind": membership.kind,
            }
            for membership in studio.memberships.all()
        ],
    }


def case_out(user: Viewer, case: MediationCase, people: set[int]) -> dict[str, Any]:
    """A case as `user` is shown it: the parties' phones whole for its mediators only."""
    return {
        "number": case.number,
        "source": case.source,
        "ticket": case.ticket.number if case.ticket else None,
        "applicant_name": case.applicant_name,
        "applicant_phone": shown_phone(user, case.applicant_phone, people),
        "respondent_name": case.respondent_name,
        "respondent_phone": shown_phone(user, case.respondent_phone, people),
        "dispute_type": case.dispute_type,
        "amount": case.amount,
        "facts": case.facts,
        "studio": case.studio.code if case.studio else None,
        "committee": case.committee.code if case.committee else None,
        "committee_level": case.committee.level if case.committee else None,
        "mediators": [person.username for person in case.mediators.all()],
        "status": case.status,
        "accepted_at": local(case.accepted_at),
        "due_at": local(case.due_at),
        "clock": clock_of(case),
        "extended_at": local(case.extended_at),
        "extension_consent": case.extension_consent,
        "concluded_at": local(case.concluded_at),
        "conclusion": case.conclusion,
        "failure_route": case.failure_route,
        "version": case.version,
    }


def case_detail_out(user: Viewer, number: str) -> dict[str, Any]:
    case = access_case(user, number)
    people = case_people(case)
    sessions = case.sessions.select_related("recorded_by")
    return {
        **case_out(user, case, people),
        "sessions": [
            {
                "held_on": session.held_on,
                "attendees": session.attendees,
                "discussion": session.discussion,
                "agreed": session.agreed,
                "recorded_by": session.recorded_by.username if session.recorded_by else None,
            }
            for session in sessions
        ],
        "actions": available_actions(user, case, people),
    }


@router.get("/studios", response={200: list[StudioOut], **ERRORS})
def list_studios(request: AuthenticatedRequest) -> list[dict[str, Any]]:
    return [studio_out(studio) for studio in visible_studios(request.user)]


@router.post("/mediation-cases", response={201: CaseDetailOut, **ERRORS})
def create_case(request: AuthenticatedRequest, payload: CaseIn) -> Status[dict[str, Any]]:
    case = open_case(CaseDraft(**payload.dict()), by=request.user)
    return Status(201, case_detail_out(request.user, case.number))


@router.get("/mediation-cases", response={200: CasePageOut, **ERRORS})
def list_cases(request: AuthenticatedRequest, filters: Query[CaseFilterIn]) -> dict[str, Any]:
    cases, total = case_page(
        request.user,
        CaseFilters(
            status=filters.status,
            studio=filters.studio,
            committee=filters.committee,
            dispute_type=filters.dispute_type,
            mediator=filters.mediator,
            open_only=filters.open,
            due_soon=filters.due_soon,
            overdue=filters.overdue,
        ),
        offset=filters.offset,
        limit=filters.limit,
    )
    people: dict[tuple[int | None, int | None], set[int]] = {}
    items = []
    for case in cases:
        key = (case.studio_id, case.committee_id)
        if key not in people:
            people[key] = case_people(case)
        items.append(case_out(request.user, case, people[key]))
    return {"items": items, "total": total}


@router.get("/mediation-cases/{number}", response={200: CaseDetailOut, **ERRORS})
def get_case(request: AuthenticatedRequest, number: str) -> dict[str, Any]:
    return case_detail_out(request.user, number)


@router.post("/mediation-cases/{number}/sessions", response={201: CaseDetailOut, **ERRORS})
def post_session(
    request: AuthenticatedRequest, number: str, payload: SessionIn
) -> Status[dict[str, Any]]:
    log_session(
        number,
        held_on=payload.held_on,
        attendees=payload.attendees,
        discussion=payload.discussion,
        agreed=payload.agreed,
        by=request.user,
        expected_version=payload.version,
    )
    return Status(201, case_detail_out(request.user, number))


@router.post("/mediation-cases/{number}/succeed", response={200: CaseDetailOut, **ERRORS})
def post_succeed(request: AuthenticatedRequest, number: str, payload: SucceedIn) -> dict[str, Any]:
    succeed_case(
        number, conclusion=payload.conclusion, by=request.user, expected_version=payload.version
    )
    return case_detail_out(request.user, number)


@router.post("/mediation-cases/{number}/fail", response={200: CaseDetailOut, **ERRORS})
def post_fail(request: AuthenticatedRequest, number: str, payload: FailIn) -> dict[str, Any]:
    fail_case(
        number,
        route=payload.route,
        conclusion=payload.conclusion,
        by=request.user,
        expected_version=payload.version,
    )
    return case_detail_out(request.user, number)


@router.post("/mediation-cases/{number}/withdraw", response={200: CaseDetailOut, **ERRORS})
def post_withdraw(
    request: AuthenticatedRequest, number: str, payload: WithdrawIn
) -> dict[str, Any]:
    withdraw_case(number, reason=payload.reason, by=request.user, expected_version=payload.version)
    return case_detail_out(request.user, number)


@router.post("/mediation-cases/{number}/extend", response={200: CaseDetailOut, **ERRORS})
def post_extend(request: AuthenticatedRequest, number: str, payload: ExtendIn) -> dict[str, Any]:
    extend_case(
        number,
        days=payload.days,
        consent=payload.consent,
        by=request.user,
        expected_version=payload.version,
    )
    return case_detail_out(request.user, number)
