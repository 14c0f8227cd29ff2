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
    CategoryOut,
    DispatchIn,
    ErrorOut,
    EventOut,
    MergeIn,
    NoteIn,
    ReasonIn,
    ResultIn,
    TicketFilterIn,
    TicketIn,
    TicketOut,
    TicketPageOut,
    UnitOut,
    VersionIn,
)
from jieban.errors import DomainError, Forbidden, InvalidInput
from jieban.intake.actions import TicketDraft, add_attachment, register_ticket
from jieban.org.models import Role, Unit
from jieban.tickets import transitions
from jieban.tickets.access import access_ticket, mask_phone, may_see_full_phone
from jieban.tickets.models import Attachment, Category, Ticket
from jieban.tickets.selectors import TicketFilters, filter_tickets, page_of_tickets, ticket_timeline
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


def ticket_out(ticket: Ticket, viewer: Any, *, full_phone: bool = False) -> dict[str, Any]:
    """The API's view of a ticket; the phone is masked unless the viewer handles the ticket."""
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
        "result": ticket.result,
        "close_note": ticket.close_note,
        "merged_into": ticket.merged_into.number if ticket.merged_into else None,
        "first_handler": ticket.first_handler.username if ticket.first_handler else None,
        "version": ticket.version,
        "warnings": warnings,
    }


def _detail(request: HttpRequest, number: str) -> dict[str, Any]:
    ticket = access_ticket(request.user, number)
    return ticket_out(ticket, request.user, full_phone=True)


@api.post("/tickets", response={200: TicketOut, 201: TicketOut, **ERRORS}, tags=["tickets"])
def create_ticket(request: HttpRequest, payload: TicketIn) -> Status[dict[str, Any]]:
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
    return {"items": [ticket_out(row, request.user) for row in rows], "next": next_cursor}


@api.get("/tickets/{number}", response={200: TicketOut, **ERRORS}, tags=["tickets"])
def get_ticket(request: HttpRequest, number: str) -> dict[str, Any]:
    return _detail(request, number)


@api.get("/tickets/{number}/events", response={200: list[EventOut], **ERRORS}, tags=["tickets"])
def get_ticket_events(request: HttpRequest, number: str) -> list[dict[str, Any]]:
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
def dispatch(request: HttpRequest, number: str, payload: DispatchIn) -> dict[str, Any]:
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
def accept(request: HttpRequest, number: str, payload: VersionIn | None = None) -> dict[str, Any]:
    version = payload.version if payload else None
    transitions.accept_ticket(number, by=request.user, expected_version=version)
    return _detail(request, number)


@api.post("/tickets/{number}/return", response={200: TicketOut, **ERRORS}, tags=["lifecycle"])
def return_to_centre(request: HttpRequest, number: str, payload: ReasonIn) -> dict[str, Any]:
    transitions.return_ticket(
        number, reason=payload.reason, by=request.user, expected_version=payload.version
    )
    return _detail(request, number)


@api.post("/tickets/{number}/resolve", response={200: TicketOut, **ERRORS}, tags=["lifecycle"])
def resolve(request: HttpRequest, number: str, payload: ResultIn) -> dict[str, Any]:
    transitions.resolve_ticket(
        number, result=payload.result, by=request.user, expected_version=payload.version
    )
    return _detail(request, number)


@api.post("/tickets/{number}/close", response={200: TicketOut, **ERRORS}, tags=["lifecycle"])
def close(request: HttpRequest, number: str, payload: NoteIn | None = None) -> dict[str, Any]:
    note = payload.note if payload else ""
    version = payload.version if payload else None
    transitions.close_ticket(number, note=note, by=request.user, expected_version=version)
    return _detail(request, number)


@api.post("/tickets/{number}/invalidate", response={200: TicketOut, **ERRORS}, tags=["lifecycle"])
def invalidate(request: HttpRequest, number: str, payload: ReasonIn) -> dict[str, Any]:
    transitions.invalidate_ticket(
        number, reason=payload.reason, by=request.user, expected_version=payload.version
    )
    return _detail(request, number)


@api.post("/tickets/{number}/merge", response={200: TicketOut, **ERRORS}, tags=["lifecycle"])
def merge(request: HttpRequest, number: str, payload: MergeIn) -> dict[str, Any]:
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
def list_attachments(request: HttpRequest, number: str) -> list[dict[str, Any]]:
    ticket = access_ticket(request.user, number)
    return [attachment_out(item) for item in ticket.attachments.select_related("ticket")]


@api.post(
    "/tickets/{number}/attachments", response={201: AttachmentOut, **ERRORS}, tags=["tickets"]
)
def upload_attachment(
    request: HttpRequest, number: str, file: File[UploadedFile]
) -> Status[dict[str, Any]]:
    attachment = add_attachment(number, file, by=request.user)
    return Status(201, attachment_out(attachment))


@api.get("/units", response={200: list[UnitOut]}, tags=["organisation"])
def list_units(request: HttpRequest) -> list[dict[str, Any]]:
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
def list_categories(request: HttpRequest) -> list[dict[str, Any]]:
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
def get_calendar(request: HttpRequest, when: str) -> dict[str, Any]:
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
    request: HttpRequest, when: str, payload: CalendarOverrideIn
) -> dict[str, Any]:
    """Mark the date `when` (YYYY-MM-DD) a holiday or a working day; administrators only."""
    if getattr(request.user, "role", None) != Role.ADMIN:
        raise Forbidden(_("Only administrators may change the calendar."))
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
