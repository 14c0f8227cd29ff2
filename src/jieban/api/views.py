"""The JSON API under /api/v1/: thin handlers that parse, call the domain, and render."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, NinjaAPI, Query, Status
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.files import UploadedFile

from jieban.api.auth import BearerToken, SessionUser
from jieban.api.schemas import (
    AttachmentOut,
    CalendarOverrideIn,
    CalendarOverrideOut,
    CalendarYearOut,
    CampaignOut,
    CategoryOut,
    DispatchIn,
    ErrorOut,
    EventOut,
    MergeIn,
    NoteIn,
    NotificationPageOut,
    ReadIn,
    ReasonIn,
    RepeatOfIn,
    ReportOut,
    ResultIn,
    StatsIn,
    StatsOut,
    SuperviseIn,
    SupervisionOrderFilterIn,
    SupervisionOrderOut,
    SupervisionOrderPageOut,
    TicketFilterIn,
    TicketIn,
    TicketOut,
    TicketPageOut,
    UnitOut,
    VersionIn,
    VisitIn,
    VisitOut,
    VisitResultOut,
)
from jieban.errors import DomainError, InvalidInput
from jieban.http import AuthenticatedRequest
from jieban.intake.actions import TicketDraft, add_attachment, mark_repeat, register_ticket
from jieban.notify import outbox
from jieban.org.models import Unit
from jieban.stats.figures import figures
from jieban.stats.models import PublishedReport
from jieban.stats.reports import publish_report, published_report
from jieban.tickets import transitions
from jieban.tickets.access import access_ticket, mask_phone, may_see_full_phone
from jieban.tickets.campaign import CampaignRow, campaign_board, is_cleared
from jieban.tickets.models import Attachment, Category, SupervisionOrder, Ticket, Visit
from jieban.tickets.selectors import (
    TicketFilters,
    filter_tickets,
    is_due_soon,
    page_of_tickets,
    ticket_timeline,
)
from jieban.tickets.supervision import supervise_ticket, supervision_order_page
from jieban.tickets.visits import record_visit
from jieban.workcalendar import workdays

api = NinjaAPI(
    title="Jieban API",
    version="1",
    urls_namespace="api",
    auth=[BearerToken(), SessionUser()],
    docs_url="/docs",
)

ERRORS: dict[int | tuple[int, ...], Any] = {(400, 401, 403, 404, 409, 413): ErrorOut}


def _error(
    request: HttpRequest, status: int, detail: str, field: str | None = None
) -> HttpResponse:
    return api.create_response(request, {"detail": detail, "field": field}, status=status)


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return _error(request, exc.status_code, exc.message, exc.field)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    first = exc.errors[0] if exc.errors else {}
    wrappers = ("body", "payload", "query", "path", "filters")
    location = [str(part) for part in first.get("loc", ()) if part not in wrappers]
    field = ".".join(location) or None
    message = str(first.get("msg", _("Invalid input.")))
    if first.get("type") == "missing":
        message = _("This field is required.")
    detail = f"{field}: {message}" if field else message
    return _error(request, 400, detail, field)


@api.exception_handler(RequestDataTooBig)
def on_body_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return _error(request, 413, _("The request body is too large."), "body")


@api.exception_handler(AuthenticationError)
def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, _("Log in, or send a valid token as 'Authorization: Bearer …'."))


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc.__cause__, RequestDataTooBig):
        return _error(request, 413, _("The request body is too large."), "body")
    if exc.status_code == 400:
        return _error(request, 400, _("The request body is not valid JSON."), "body")
    return _error(request, exc.status_code, str(exc))


def _local(value: dt.datetime | None) -> dt.datetime | None:
    return timezone.localtime(value) if value is not None else None


def ticket_out(
    ticket: Ticket,
    viewer: Any,
    *,
    full_phone: bool = False,
    clock: tuple[dt.datetime, dt.datetime] | None = None,
) -> dict[str, Any]:
    """The API's view of a ticket; the phone is masked unless the viewer handles the ticket.

    `clock` is (now, due-soon horizon), computed once for a whole list."""
    now, horizon = clock or _clock()
    phone = ticket.resident_phone
    if not (full_phone and may_see_full_phone(viewer, ticket)):
        phone = mask_phone(phone)
    warnings = []
    if ticket.due_basis == workdays.BASIS_WEEKENDS_ONLY and ticket.due_at is not None:
        warnings.append(workdays.missing_data_warning([timezone.localtime(ticket.due_at).year]))
    return {
        "number": ticket.number,
        "status": ticket.status,
        "channel": ticket.channel,
        "external_id": ticket.external_id,
        "category": ticket.category.code,
        "unit": ticket.unit.code if ticket.unit else None,
        "grid": ticket.grid.code if ticket.grid else None,
        "title": ticket.title,
        "content": ticket.content,
        "address": ticket.address,
        "resident_name": ticket.resident_name,
        "resident_phone": phone,
        "received_at": _local(ticket.received_at),
        "dispatched_at": _local(ticket.dispatched_at),
        "due_at": _local(ticket.due_at),
        "due_basis": ticket.due_basis,
        "accepted_at": _local(ticket.accepted_at),
        "resolved_at": _local(ticket.resolved_at),
        "closed_at": _local(ticket.closed_at),
        "is_overdue": ticket.is_overdue,
        "is_due_soon": is_due_soon(ticket, now=now, horizon=horizon),
        "repeat_count": ticket.repeat_count,
        "repeat_of": ticket.repeat_of.number if ticket.repeat_of else None,
        "supervision_level": ticket.supervision_level,
        "result": ticket.result,
        "close_note": ticket.close_note,
        "merged_into": ticket.merged_into.number if ticket.merged_into else None,
        "first_handler": ticket.first_handler.username if ticket.first_handler else None,
        "version": ticket.version,
        "warnings": warnings,
    }


def _clock() -> tuple[dt.datetime, dt.datetime]:
    now = timezone.now()
    return now, workdays.due_soon_horizon(now)


def _detail(request: AuthenticatedRequest, number: str) -> dict[str, Any]:
    ticket = access_ticket(request.user, number)
    return ticket_out(ticket, request.user, full_phone=True)


@api.post("/tickets", response={200: TicketOut, 201: TicketOut, **ERRORS}, tags=["tickets"])
def create_ticket(request: AuthenticatedRequest, payload: TicketIn) -> Status[dict[str, Any]]:
    ticket, created = register_ticket(TicketDraft(**payload.dict()), by=request.user)
    return Status(201 if created else 200, ticket_out(ticket, request.user, full_phone=True))


@api.get("/tickets", response={200: TicketPageOut, **ERRORS}, tags=["tickets"])
def list_tickets(
    request: HttpRequest,
    filters: Query[TicketFilterIn],
) -> dict[str, Any]:
    values = filters.dict()
    cursor, limit = values.pop("cursor"), values.pop("limit")
    tickets = filter_tickets(request.user, TicketFilters(**values))
    rows, next_cursor = page_of_tickets(tickets, cursor=cursor, limit=limit)
    clock = _clock()
    items = [ticket_out(row, request.user, clock=clock) for row in rows]
    return {"items": items, "next": next_cursor}


@api.get("/tickets/{number}", response={200: TicketOut, **ERRORS}, tags=["tickets"])
def get_ticket(request: AuthenticatedRequest, number: str) -> dict[str, Any]:
    return _detail(request, number)


@api.get("/tickets/{number}/events", response={200: list[EventOut], **ERRORS}, tags=["tickets"])
def get_ticket_events(request: AuthenticatedRequest, number: str) -> list[dict[str, Any]]:
    ticket = access_ticket(request.user, number)
    return [
        {
            "kind": event.kind,
            "at": _local(event.at),
            "actor": event.actor.username if event.actor else None,
            "from_status": event.from_status,
            "to_status": event.to_status,
            "payload": event.payload,
        }
        for event in ticket_timeline(ticket)
    ]


def _unit_by_code(code: str) -> Unit:
    unit = Unit.objects.filter(code=code).first()
    if unit is None:
        raise InvalidInput(_("Unknown unit %(code)s.") % {"code": code}, field="unit")
    return unit


@api.post("/tickets/{number}/dispatch", response={200: TicketOut, **ERRORS}, tags=["lifecycle"])
def dispatch(request: AuthenticatedRequest, number: str, payload: DispatchIn) -> dict[str, Any]:
    # Resolve access first: an invisible ticket is a 404 whatever the body says.
    access_ticket(request.user, number)
    transitions.dispatch_ticket(
        number,
        unit=_unit_by_code(payload.unit),
        by=request.user,
        expected_version=payload.version,
    )
    return _detail(request, number)


@api.post("/tickets/{number}/accept", response={200: TicketOut, **ERRORS}, tags=["lifecycle"])
def accept(
    request: AuthenticatedRequest, number: str, payload: VersionIn | None = None
) -> dict[str, Any]:
    version = payload.version if payload else None
    transitions.accept_ticket(number, by=request.user, expected_version=version)
    return _detail(request, number)


@api.post("/tickets/{number}/return", response={200: TicketOut, **ERRORS}, tags=["lifecycle"])
def return_to_centre(
    request: AuthenticatedRequest, number: str, payload: ReasonIn
) -> dict[str, Any]:
    transitions.return_ticket(
        number, reason=payload.reason, by=request.user, expected_version=payload.version
    )
    return _detail(request, number)


@api.post("/tickets/{number}/resolve", response={200: TicketOut, **ERRORS}, tags=["lifecycle"])
def resolve(request: AuthenticatedRequest, number: str, payload: ResultIn) -> dict[str, Any]:
    transitions.resolve_ticket(
        number, result=payload.result, by=request.user, expected_version=payload.version
    )
    return _detail(request, number)


@api.post("/tickets/{number}/close", response={200: TicketOut, **ERRORS}, tags=["lifecycle"])
def close(
    request: AuthenticatedRequest, number: str, payload: NoteIn | None = None
) -> dict[str, Any]:
    note = payload.note if payload else ""
    version = payload.version if payload else None
    transitions.close_ticket(number, note=note, by=request.user, expected_version=version)
    return _detail(request, number)


@api.post("/tickets/{number}/invalidate", response={200: TicketOut, **ERRORS}, tags=["lifecycle"])
def invalidate(request: AuthenticatedRequest, number: str, payload: ReasonIn) -> dict[str, Any]:
    transitions.invalidate_ticket(
        number, reason=payload.reason, by=request.user, expected_version=payload.version
    )
    return _detail(request, number)


@api.post("/tickets/{number}/merge", response={200: TicketOut, **ERRORS}, tags=["lifecycle"])
def merge(request: AuthenticatedRequest, number: str, payload: MergeIn) -> dict[str, Any]:
    transitions.merge_ticket(
        number, into=payload.into, by=request.user, expected_version=payload.version
    )
    return _detail(request, number)


def attachment_out(attachment: Attachment) -> dict[str, Any]:
    return {
        "id": attachment.pk,
        "name": attachment.original_name,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "uploaded_at": _local(attachment.uploaded_at),
        "url": reverse(
            "web:attachment", kwargs={"number": attachment.ticket.number, "pk": attachment.pk}
        ),
    }


@api.get(
    "/tickets/{number}/attachments",
    response={200: list[AttachmentOut], **ERRORS},
    tags=["tickets"],
)
def list_attachments(request: AuthenticatedRequest, number: str) -> list[dict[str, Any]]:
    ticket = access_ticket(request.user, number)
    return [attachment_out(item) for item in ticket.attachments.select_related("ticket")]


@api.post(
    "/tickets/{number}/attachments", response={201: AttachmentOut, **ERRORS}, tags=["tickets"]
)
def upload_attachment(
    request: AuthenticatedRequest, number: str, file: File[UploadedFile]
) -> Status[dict[str, Any]]:
    attachment = add_attachment(number, file, by=request.user)
    return Status(201, attachment_out(attachment))


@api.get("/units", response={200: list[UnitOut]}, tags=["organisation"])
def list_units(request: AuthenticatedRequest) -> list[dict[str, Any]]:
    return [
        {
            "code": unit.code,
            "kind": unit.kind,
            "name": unit.name,
            "name_en": unit.name_en,
            "parent": unit.parent.code if unit.parent else None,
        }
        for unit in Unit.objects.filter(is_active=True).select_related("parent").order_by("code")
    ]


@api.get("/categories", response={200: list[CategoryOut]}, tags=["organisation"])
def list_categories(request: AuthenticatedRequest) -> list[dict[str, Any]]:
    return [
        {
            "code": item.code,
            "name": item.name,
            "name_en": item.name_en,
            "parent": item.parent.code if item.parent else None,
            "deadline_days": item.deadline_days,
            "practical": item.practical,
        }
        for item in Category.objects.filter(is_active=True).select_related("parent")
    ]


# GET takes a year and PUT a date on the same path: one route, as Django resolves paths once.
@api.get("/calendar/{when}", response={200: CalendarYearOut, **ERRORS}, tags=["calendar"])
def get_calendar(request: AuthenticatedRequest, when: str) -> dict[str, Any]:
    """The holidays, make-up working days and overrides of the year `when` (YYYY)."""
    if not (when.isdigit() and len(when) == 4):
        raise InvalidInput(_("%(value)s is not a year (YYYY).") % {"value": when}, field="year")
    year = int(when)
    if year < 1900 or year > 2200:
        raise InvalidInput(_("The year must be between 1900 and 2200."), field="year")
    days, official = workdays.year_calendar(year)
    return {
        "year": year,
        "official_data": official,
        "warning": None if official else workdays.missing_data_warning([year]),
        "days": [
            {
                "date": day.date,
                "kind": "workday" if day.is_workday else "holiday",
                "source": day.source,
                "note": day.note,
            }
            for day in days
        ],
    }


@api.put("/calendar/{when}", response={200: CalendarOverrideOut, **ERRORS}, tags=["calendar"])
def put_calendar_day(
    request: AuthenticatedRequest, when: str, payload: CalendarOverrideIn
) -> dict[str, Any]:
    """Mark the date `when` (YYYY-MM-DD) a holiday or a working day; administrators only."""
    try:
        day = dt.date.fromisoformat(when)
    except ValueError:
        raise InvalidInput(
            _("%(date)s is not a date (YYYY-MM-DD).") % {"date": when}, field="date"
        ) from None
    override = workdays.set_override(
        date=day, kind=payload.kind, source=payload.source, by=request.user
    )
    return {"date": override.date, "kind": override.kind, "source": override.source}


# --- supervision, follow-up calls, repeats, campaigns, notifications ---------------------------


def order_out(order: SupervisionOrder) -> dict[str, Any]:
    return {
        "number": order.number,
        "ticket": order.ticket.number,
        "unit": order.unit.code,
        "reason": order.reason,
        "level": order.level,
        "issued_at": _local(order.issued_at),
        "due_at": _local(order.due_at),
        "fulfilled_at": _local(order.fulfilled_at),
        "superseded_by": order.superseded_by.number if order.superseded_by else None,
        "note": order.note,
    }


@api.get(
    "/supervision-orders", response={200: SupervisionOrderPageOut, **ERRORS}, tags=["supervision"]
)
def list_supervision_orders(
    request: HttpRequest, filters: Query[SupervisionOrderFilterIn]
) -> dict[str, Any]:
    orders, next_cursor = supervision_order_page(
        request.user,
        unit=filters.unit,
        level=filters.level,
        open_only=filters.open,
        ticket=filters.ticket,
        cursor=filters.cursor,
        limit=filters.limit,
    )
    return {"items": [order_out(order) for order in orders], "next": next_cursor}


@api.post(
    "/tickets/{number}/supervise",
    response={201: SupervisionOrderOut, **ERRORS},
    tags=["supervision"],
)
def supervise(
    request: AuthenticatedRequest, number: str, payload: SuperviseIn
) -> Status[dict[str, Any]]:
    order = supervise_ticket(number, note=payload.note, days=payload.days, by=request.user)
    return Status(201, order_out(order))


def visit_out(visit: Visit) -> dict[str, Any]:
    return {
        "outcome": visit.outcome,
        "note": visit.note,
        "called_by": visit.called_by.username if visit.called_by else None,
        "channel": visit.reported_by_channel,
        "at": _local(visit.at),
    }


@api.post("/tickets/{number}/visits", response={201: VisitResultOut, **ERRORS}, tags=["follow-up"])
def post_visit(
    request: AuthenticatedRequest, number: str, payload: VisitIn
) -> Status[dict[str, Any]]:
    visit, ticket = record_visit(
        number,
        outcome=payload.outcome,
        note=payload.note,
        by=request.user,
        channel=payload.channel,
    )
    return Status(201, {"visit": visit_out(visit), "ticket": _detail(request, ticket.number)})


@api.get("/tickets/{number}/visits", response={200: list[VisitOut], **ERRORS}, tags=["follow-up"])
def list_visits(request: AuthenticatedRequest, number: str) -> list[dict[str, Any]]:
    ticket = access_ticket(request.user, number)
    return [visit_out(visit) for visit in ticket.visits.select_related("called_by")]


@api.post("/tickets/{number}/repeat-of", response={200: TicketOut, **ERRORS}, tags=["tickets"])
def repeat_of(request: AuthenticatedRequest, number: str, payload: RepeatOfIn) -> dict[str, Any]:
    mark_repeat(number, of=payload.number, merge=payload.merge, by=request.user)
    return _detail(request, number)


@api.get("/campaigns/{month}", response={200: CampaignOut, **ERRORS}, tags=["supervision"])
def get_campaign(request: AuthenticatedRequest, month: str) -> dict[str, Any]:
    board = campaign_board(request.user, month)

    def row(item: CampaignRow) -> dict[str, Any]:
        return {
            "unit": item.unit_code,
            "name": item.unit_name,
            "at_start": item.at_start,
            "cleared": item.cleared,
            "remaining": item.remaining,
        }

    return {
        "month": board.campaign.month,
        "taken_at": _local(board.campaign.taken_at),
        "total": row(board.total),
        "units": [row(item) for item in board.rows],
        "items": [
            {
                "ticket": item.ticket.number,
                "unit": item.unit.code if item.unit else None,
                "status": item.ticket.status,
                "long_pending": item.long_pending,
                "repeated": item.repeated,
                "cleared": is_cleared(item),
            }
            for item in board.items
        ],
    }


@api.get("/notifications", response={200: NotificationPageOut, **ERRORS}, tags=["notifications"])
def list_notifications(request: AuthenticatedRequest, unread: bool = False) -> dict[str, Any]:
    items = outbox.inbox(request.user, unread_only=unread)
    return {
        "unread": outbox.unread_count(request.user),
        "items": [
            {
                "id": item.pk,
                "event_id": str(item.event_id),
                "kind": item.kind,
                "title": item.title,
                "body": item.body,
                "ticket": item.ticket.number if item.ticket else None,
                "created_at": _local(item.created_at),
                "read": item.read_at is not None,
            }
            for item in items
        ],
    }


@api.post(
    "/notifications/read", response={200: NotificationPageOut, **ERRORS}, tags=["notifications"]
)
def read_notifications(request: AuthenticatedRequest, payload: ReadIn) -> dict[str, Any]:
    outbox.mark_read(request.user, ids=payload.ids)
    return list_notifications(request)


# --- statistics and reports ------------------------------------------------------------------


@api.get("/stats", response={200: StatsOut, **ERRORS}, tags=["statistics"])
def get_stats(request: AuthenticatedRequest, query: Query[StatsIn]) -> dict[str, Any]:
    """Figures over tickets received in [start, end) (local dates; `end` not included)."""
    rows = figures(
        request.user,
        start=query.start,
        end=query.end,
        period=query.period,
        group_by=query.group_by,
    )
    return {
        "start": query.start,
        "end": query.end,
        "period": query.period,
        "group_by": query.group_by,
        "rows": [row.as_row() for row in rows],
    }


def report_out(report: PublishedReport) -> dict[str, Any]:
    return {
        "kind": report.kind,
        "period": report.period,
        "published_at": _local(report.published_at),
        "published_by": report.published_by.username if report.published_by else None,
        "data": report.data,
    }


@api.get("/reports/{kind}/{period}", response={200: ReportOut, **ERRORS}, tags=["statistics"])
def get_report(request: AuthenticatedRequest, kind: str, period: str) -> dict[str, Any]:
    return report_out(published_report(request.user, kind, period))


@api.post(
    "/reports/{kind}/{period}",
    response={200: ReportOut, 201: ReportOut, **ERRORS},
    tags=["statistics"],
)
def post_report(request: AuthenticatedRequest, kind: str, period: str) -> Status[dict[str, Any]]:
    report, created = publish_report(kind, period, by=request.user)
    return Status(201 if created else 200, report_out(report))
