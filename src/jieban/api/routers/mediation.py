"""Mediation: mediation cases with their sessions, conclusions and extension, a succeeded
case's agreement with its terms' performance and the follow-up calls, and the police–mediation
hand-over of a ticket (handed over, accepted, declined).

The shapes are kept here, next to the handlers, as `jieban.api.api` allows a new area to."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import StrictBool, StrictInt

from jieban.api.schemas import ERRORS, PathId, Version
from jieban.api.serializers import local
from jieban.http import AuthenticatedRequest
from jieban.mediation.access import access_case, access_handover, case_people, shown_phone
from jieban.mediation.actions import (
    AgreementDraft,
    CaseDraft,
    TermDraft,
    attach_scan,
    available_actions,
    extend_case,
    fail_case,
    log_session,
    may_close,
    open_case,
    record_agreement,
    record_performance,
    record_visit,
    succeed_case,
    withdraw_case,
)
from jieban.mediation.handovers import accept_handover, decline_handover, hand_over
from jieban.mediation.models import Agreement, AgreementVisit, Handover, MediationCase
from jieban.mediation.selectors import (
    CaseFilters,
    agreement_of,
    case_page,
    clock_of,
    handover_list,
)
from jieban.org.actors import Viewer

router = Router(tags=["mediation"])


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
    # The agreement's follow-up call (`running`, `due_soon`, `overdue`, `stopped` once done),
    # null without an agreement.
    follow_up: str | None
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


class AgreementTermIn(Schema):
    obligor: str
    content: str
    method: str
    due_on: str


class AgreementIn(Schema):
    facts: str
    applicant_responsibility: str
    respondent_responsibility: str
    signed_on: str
    terms: list[AgreementTermIn]
    version: StrictInt | None = None


class PerformanceIn(Schema):
    term: StrictInt
    performance: str
    performed_on: str
    note: str = ""
    version: StrictInt | None = None


class AgreementVisitIn(Schema):
    visited_on: str
    called: str
    statement: str
    satisfied: StrictBool
    version: StrictInt | None = None


class AgreementPartyOut(Schema):
    name: str
    phone: str


class AgreementTermOut(Schema):
    position: int
    obligor: str
    content: str
    method: str
    due_on: dt.date
    performance: str
    performed_on: dt.date | None
    performance_note: str
    performance_recorded_at: dt.datetime | None


class AgreementVisitOut(Schema):
    visited_on: dt.date
    called: str
    statement: str
    satisfied: StrictBool
    recorded_by: str | None
    recorded_at: dt.datetime


class AgreementScanOut(Schema):
    name: str
    content_type: str
    size: int | None


class AgreementOut(Schema):
    case: str
    status: str
    version: int
    applicant: AgreementPartyOut
    respondent: AgreementPartyOut
    facts: str
    applicant_responsibility: str
    respondent_responsibility: str
    signed_on: dt.date
    terms: list[AgreementTermOut]
    last_due_on: dt.date
    fully_performed: bool
    visit_due_on: dt.date
    follow_up: str
    visited_at: dt.datetime | None
    visits: list[AgreementVisitOut]
    scan: AgreementScanOut | None
    recorded_at: dt.datetime
    # Every term's performance and the follow-up recorded: the case is (or will be) closed.
    closable: bool
    actions: list[str]


def visit_out(visit: AgreementVisit) -> dict[str, Any]:
    return {
        "visited_on": visit.visited_on,
        "called": visit.called,
        "statement": visit.statement,
        "satisfied": visit.satisfied,
        "recorded_by": visit.recorded_by.username if visit.recorded_by else None,
        "recorded_at": local(visit.recorded_at),
    }


def agreement_out(user: Viewer, agreement: Agreement) -> dict[str, Any]:
    """An agreement as `user` is shown it: the parties' phones whole for the mediators only."""
    case = agreement.case
    people = case_people(case)
    return {
        "case": case.number,
        "status": case.status,
        "version": case.version,
        "applicant": {
            "name": case.applicant_name,
            "phone": shown_phone(user, case.applicant_phone, people),
        },
        "respondent": {
            "name": case.respondent_name,
            "phone": shown_phone(user, case.respondent_phone, people),
        },
        "facts": agreement.facts,
        "applicant_responsibility": agreement.applicant_responsibility,
        "respondent_responsibility": agreement.respondent_responsibility,
        "signed_on": agreement.signed_on,
        "terms": [
            {
                "position": term.position,
                "obligor": term.obligor,
                "content": term.content,
                "method": term.method,
                "due_on": term.due_on,
                "performance": term.performance,
                "performed_on": term.performed_on,
                "performance_note": term.performance_note,
                "performance_recorded_at": local(term.performance_recorded_at),
            }
            for term in agreement.terms.all()
        ],
        "last_due_on": agreement.last_due_on,
        "fully_performed": agreement.fully_performed,
        "visit_due_on": agreement.visit_due_on,
        "follow_up": agreement.visit_clock,
        "visited_at": local(agreement.visited_at),
        "visits": [visit_out(visit) for visit in agreement.visits.all()],
        "scan": (
            {
                "name": agreement.scan_name,
                "content_type": agreement.scan_type,
                "size": agreement.scan_size,
            }
            if agreement.scan
            else None
        ),
        "recorded_at": local(agreement.recorded_at),
        "closable": may_close(case),
        "actions": available_actions(user, case, people),
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
        "follow_up": case.follow_up,
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


@router.post("/mediation-cases/{number}/agreement", response={201: AgreementOut, **ERRORS})
def post_agreement(
    request: AuthenticatedRequest, number: str, payload: AgreementIn
) -> Status[dict[str, Any]]:
    draft = AgreementDraft(
        facts=payload.facts,
        applicant_responsibility=payload.applicant_responsibility,
        respondent_responsibility=payload.respondent_responsibility,
        signed_on=payload.signed_on,
        terms=[TermDraft(**term.dict()) for term in payload.terms],
    )
    record_agreement(number, draft=draft, by=request.user, expected_version=payload.version)
    return Status(201, agreement_out(request.user, agreement_of(request.user, number)))


@router.get("/mediation-cases/{number}/agreement", response={200: AgreementOut, **ERRORS})
def get_agreement(request: AuthenticatedRequest, number: str) -> dict[str, Any]:
    return agreement_out(request.user, agreement_of(request.user, number))


@router.post("/mediation-cases/{number}/agreement/scan", response={200: AgreementOut, **ERRORS})
def post_scan(
    request: AuthenticatedRequest, number: str, file: File[UploadedFile]
) -> dict[str, Any]:
    attach_scan(number, upload=file, by=request.user)
    return agreement_out(request.user, agreement_of(request.user, number))


@router.post("/mediation-cases/{number}/performance", response={200: AgreementOut, **ERRORS})
def post_performance(
    request: AuthenticatedRequest, number: str, payload: PerformanceIn
) -> dict[str, Any]:
    record_performance(
        number,
        term=payload.term,
        performance=payload.performance,
        performed_on=payload.performed_on,
        note=payload.note,
        by=request.user,
        expected_version=payload.version,
    )
    return agreement_out(request.user, agreement_of(request.user, number))


@router.post("/mediation-cases/{number}/visits", response={201: AgreementOut, **ERRORS})
def post_visit(
    request: AuthenticatedRequest, number: str, payload: AgreementVisitIn
) -> Status[dict[str, Any]]:
    record_visit(
        number,
        visited_on=payload.visited_on,
        called=payload.called,
        statement=payload.statement,
        satisfied=payload.satisfied,
        by=request.user,
        expected_version=payload.version,
    )
    return Status(201, agreement_out(request.user, agreement_of(request.user, number)))


@router.get("/mediation-cases/{number}/visits", response={200: list[AgreementVisitOut], **ERRORS})
def list_visits(request: AuthenticatedRequest, number: str) -> list[dict[str, Any]]:
    return [visit_out(visit) for visit in agreement_of(request.user, number).visits.all()]


class HandoverIn(Schema):
    committee: str
    dispute_type: str = ""
    respondent: str = ""
    note: str = ""


class HandoverAcceptIn(Schema):
    mediators: list[str] = []
    version: Version | None = None


# What accepting takes when no body is sent: every field is optional.
ACCEPT_AS_IS = HandoverAcceptIn()


class HandoverDeclineIn(Schema):
    reason: str
    version: Version | None = None


class HandoverOut(Schema):
    id: int
    ticket: str
    station: str
    committee: str
    level: str
    dispute_type: str
    respondent_name: str
    note: str
    status: str
    handed_over_at: dt.datetime
    answer_due_at: dt.datetime
    overdue: bool
    answered_at: dt.datetime | None
    decline_reason: str
    case: str | None
    case_status: str | None
    returned_at: dt.datetime | None
    version: int


def handover_out(handover: Handover) -> dict[str, Any]:
    return {
        "id": handover.pk,
        "ticket": handover.ticket.number,
        "station": handover.station.code,
        "committee": handover.committee.code,
        "level": handover.level,
        "dispute_type": handover.dispute_type,
        "respondent_name": handover.respondent_name,
        "note": handover.note,
        "status": handover.status,
        "handed_over_at": local(handover.handed_over_at),
        "answer_due_at": local(handover.answer_due_at),
        "overdue": handover.is_overdue,
        "answered_at": local(handover.answered_at),
        "decline_reason": handover.decline_reason,
        "case": handover.case.number if handover.case else None,
        "case_status": handover.case.status if handover.case else None,
        "returned_at": local(handover.returned_at),
        "version": handover.version,
    }


class HandoverFilterIn(Schema):
    pending: bool = False
    limit: int = Field(100, ge=1, le=500)


class HandoverListOut(Schema):
    handovers: list[HandoverOut]


@router.get("/handovers", response={200: HandoverListOut, **ERRORS})
def get_handovers(request: AuthenticatedRequest, query: Query[HandoverFilterIn]) -> dict[str, Any]:
    """The hand-overs you may see (sent by your station or to your committee): the waiting
    ones first by their answer deadline, then the answered ones newest first; `pending=true`
    for the waiting ones only."""
    handovers = handover_list(request.user, pending_only=query.pending)[: query.limit]
    return {"handovers": [handover_out(handover) for handover in handovers]}


@router.get("/handovers/{pk}", response={200: HandoverOut, **ERRORS})
def get_handover(request: AuthenticatedRequest, pk: PathId) -> dict[str, Any]:
    return handover_out(access_handover(request.user, pk))


@router.post("/tickets/{number}/handover", response={201: HandoverOut, **ERRORS})
def post_handover(
    request: AuthenticatedRequest, number: str, payload: HandoverIn
) -> Status[dict[str, Any]]:
    handover = hand_over(
        number,
        committee=payload.committee,
        dispute_type=payload.dispute_type,
        respondent=payload.respondent,
        note=payload.note,
        by=request.user,
    )
    return Status(201, handover_out(access_handover(request.user, handover.pk)))


@router.post("/handovers/{pk}/accept", response={200: HandoverOut, **ERRORS})
def post_handover_accept(
    request: AuthenticatedRequest, pk: PathId, payload: HandoverAcceptIn = ACCEPT_AS_IS
) -> dict[str, Any]:
    accept_handover(
        pk, mediators=payload.mediators, by=request.user, expected_version=payload.version
    )
    return handover_out(access_handover(request.user, pk))


@router.post("/handovers/{pk}/decline", response={200: HandoverOut, **ERRORS})
def post_handover_decline(
    request: AuthenticatedRequest, pk: PathId, payload: HandoverDeclineIn
) -> dict[str, Any]:
    decline_handover(pk, reason=payload.reason, by=request.user, expected_version=payload.version)
    return handover_out(access_handover(request.user, pk))
