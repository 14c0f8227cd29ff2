"""Tickets: intake, the list and one ticket, its lifecycle transitions, events and attachments."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Query, Router, Status
from ninja.files import UploadedFile

from jieban.api.routers.suggestions import recorded_categories_out
from jieban.api.schemas import (
    ERRORS,
    NO_DECISION,
    NO_NOTE,
    NO_VERSION,
    AttachmentOut,
    DecisionIn,
    DispatchIn,
    EventOut,
    ExtensionIn,
    ExtensionOut,
    MergeIn,
    NoteIn,
    ReasonIn,
    RegisteredTicketOut,
    RejectionIn,
    ResultIn,
    SimilarTicketOut,
    TicketFilterIn,
    TicketIn,
    TicketOut,
    TicketPageOut,
    VersionIn,
)
from jieban.api.serializers import (
    due_soon_clock,
    extension_out,
    local,
    similar_out,
    ticket_detail_out,
    ticket_out,
)
from jieban.errors import InvalidInput
from jieban.http import AuthenticatedRequest
from jieban.intake.actions import TicketDraft, add_attachment
from jieban.org.models import Unit
from jieban.suggestions.actions import register_and_suggest
from jieban.suggestions.models import SuggestionKind
from jieban.suggestions.places import reason_text
from jieban.suggestions.repeats import similar_tickets
from jieban.suggestions.rules import PlaceAndUnit
from jieban.tickets import transitions
from jieban.tickets.access import access_ticket, openable_numbers
from jieban.tickets.extensions import (
    approve_extension,
    latest_extensions,
    reject_extension,
    request_extension,
)
from jieban.tickets.models import Attachment, TicketEvent
from jieban.tickets.selectors import (
    TicketFilters,
    filter_tickets,
    linked_numbers,
    page_of_tickets,
    ticket_timeline,
)

router = Router()


def event_out(event: TicketEvent) -> dict[str, Any]:
    return {
        "kind": event.kind,
        "at": local(event.at),
        "actor": event.actor.username if event.actor else None,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "payload": event.payload,
    }


def attachment_out(attachment: Attachment) -> dict[str, Any]:
    return {
        "id": attachment.pk,
        "name": attachment.original_name,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "uploaded_at": local(attachment.uploaded_at),
        "url": reverse(
            "web:attachment", kwargs={"number": attachment.ticket.number, "pk": attachment.pk}
        ),
    }


def _unit_by_code(code: str) -> Unit:
    unit = Unit.objects.filter(code=code).first()
    if unit is None:
        raise InvalidInput(_("Unknown unit %(code)s.") % {"code": code}, field="unit")
    return unit


def suggested_place_out(suggested: PlaceAndUnit | None) -> dict[str, Any]:
    """`suggested_grid` and `suggested_unit` of a ticket just registered (none if replayed)."""
    grid, unit = None, None
    if suggested is not None and suggested.place is not None:
        place = suggested.place
        reason = reason_text(place.reasons()[0])
        grid = {"code": place.grid.code, "name": place.grid.name, "reason": reason}
    if suggested is not None and suggested.unit is not None:
        first = suggested.unit
        reason = reason_text(first.reasons[0])
        unit = {"code": first.unit.code, "name": first.unit.name, "reason": reason}
    return {"suggested_grid": grid, "suggested_unit": unit}


@router.post(
    "/tickets",
    response={200: RegisteredTicketOut, 201: RegisteredTicketOut, **ERRORS},
    tags=["tickets"],
)
def create_ticket(request: AuthenticatedRequest, payload: TicketIn) -> Status[dict[str, Any]]:
    registered = register_and_suggest(TicketDraft(**payload.dict()), by=request.user)
    if registered.created:
        # A ticket just taken in has no request for more time and links to no other ticket:
        # nothing to look up for them.
        out = ticket_out(
            registered.ticket, request.user, full_phone=True, extensions={}, openable=set()
        )
    else:
        out = ticket_out(registered.ticket, request.user, full_phone=True)
    out["suggested_categories"] = recorded_categories_out(
        registered.of_kind(SuggestionKind.CATEGORY)
    )
    out["possible_repeats"] = [similar_out(item) for item in registered.possible_repeats]
    out |= suggested_place_out(registered.place_and_unit)
    return Status(201 if registered.created else 200, out)


@router.get("/tickets", response={200: TicketPageOut, **ERRORS}, tags=["tickets"])
def list_tickets(
    request: AuthenticatedRequest,
    filters: Query[TicketFilterIn],
) -> dict[str, Any]:
    values = filters.dict()
    cursor, limit = values.pop("cursor"), values.pop("limit")
    tickets = filter_tickets(request.user, TicketFilters(**values))
    rows, next_cursor = page_of_tickets(tickets, cursor=cursor, limit=limit)
    clock = due_soon_clock()
    extensions = latest_extensions(row.pk for row in rows)
    openable = openable_numbers(request.user, linked_numbers(rows))
    items = [
        ticket_out(row, request.user, clock=clock, extensions=extensions, openable=openable)
        for row in rows
    ]
    return {"items": items, "next": next_cursor}


@router.get("/tickets/{number}", response={200: TicketOut, **ERRORS}, tags=["tickets"])
def get_ticket(request: AuthenticatedRequest, number: str) -> dict[str, Any]:
    return ticket_detail_out(request.user, number)


@router.get(
    "/tickets/{number}/similar", response={200: list[SimilarTicketOut], **ERRORS}, tags=["tickets"]
)
def get_similar_tickets(
    request: AuthenticatedRequest, number: str, limit: int | None = None
) -> list[dict[str, Any]]:
    """The open or recent tickets likely about the same matter (重复反映), best first."""
    ticket = access_ticket(request.user, number)
    return [similar_out(item) for item in similar_tickets(ticket, by=request.user, limit=limit)]


@router.get("/tickets/{number}/events", response={200: list[EventOut], **ERRORS}, tags=["tickets"])
def get_ticket_events(request: AuthenticatedRequest, number: str) -> list[dict[str, Any]]:
    ticket = access_ticket(request.user, number)
    return [event_out(event) for event in ticket_timeline(ticket, request.user)]


@router.post("/tickets/{number}/dispatch", response={200: TicketOut, **ERRORS}, tags=["lifecycle"])
def dispatch(request: AuthenticatedRequest, number: str, payload: DispatchIn) -> dict[str, Any]:
    # Resolve access first: an invisible ticket is a 404 whatever the body says.
    access_ticket(request.user, number)
    transitions.dispatch_ticket(
        number,
        unit=_unit_by_code(payload.unit),
        by=request.user,
        expected_version=payload.version,
    )
    return ticket_detail_out(request.user, number)


@router.post("/tickets/{number}/accept", response={200: TicketOut, **ERRORS}, tags=["lifecycle"])
def accept(
    request: AuthenticatedRequest, number: str, payload: VersionIn = NO_VERSION
) -> dict[str, Any]:
    transitions.accept_ticket(number, by=request.user, expected_version=payload.version)
    return ticket_detail_out(request.user, number)


@router.post("/tickets/{number}/return", response={200: TicketOut, **ERRORS}, tags=["lifecycle"])
def return_to_centre(
    request: AuthenticatedRequest, number: str, payload: ReasonIn
) -> dict[str, Any]:
    transitions.return_ticket(
        number, reason=payload.reason, by=request.user, expected_version=payload.version
    )
    return ticket_detail_out(request.user, number)


@router.post("/tickets/{number}/resolve", response={200: TicketOut, **ERRORS}, tags=["lifecycle"])
def resolve(request: AuthenticatedRequest, number: str, payload: ResultIn) -> dict[str, Any]:
    transitions.resolve_ticket(
        number,
        result=payload.result,
        outcome=payload.outcome,
        by=request.user,
        expected_version=payload.version,
    )
    return ticket_detail_out(request.user, number)


@router.post("/tickets/{number}/close", response={200: TicketOut, **ERRORS}, tags=["lifecycle"])
def close(request: AuthenticatedRequest, number: str, payload: NoteIn = NO_NOTE) -> dict[str, Any]:
    transitions.close_ticket(
        number, note=payload.note, by=request.user, expected_version=payload.version
    )
    return ticket_detail_out(request.user, number)


@router.post(
    "/tickets/{number}/invalidate", response={200: TicketOut, **ERRORS}, tags=["lifecycle"]
)
def invalidate(request: AuthenticatedRequest, number: str, payload: ReasonIn) -> dict[str, Any]:
    transitions.invalidate_ticket(
        number, reason=payload.reason, by=request.user, expected_version=payload.version
    )
    return ticket_detail_out(request.user, number)


@router.post("/tickets/{number}/merge", response={200: TicketOut, **ERRORS}, tags=["lifecycle"])
def merge(request: AuthenticatedRequest, number: str, payload: MergeIn) -> dict[str, Any]:
    transitions.merge_ticket(
        number, into=payload.into, by=request.user, expected_version=payload.version
    )
    return ticket_detail_out(request.user, number)


@router.post(
    "/tickets/{number}/extension", response={201: ExtensionOut, **ERRORS}, tags=["extensions"]
)
def ask_for_extension(
    request: AuthenticatedRequest, number: str, payload: ExtensionIn
) -> Status[dict[str, Any] | None]:
    """The holding unit asks for 1-10 more working days, before its deadline passes."""
    extension = request_extension(number, days=payload.days, reason=payload.reason, by=request.user)
    return Status(201, extension_out(extension))


@router.post(
    "/tickets/{number}/extension/approve",
    response={200: ExtensionOut, **ERRORS},
    tags=["extensions"],
)
def approve_pending_extension(
    request: AuthenticatedRequest, number: str, payload: DecisionIn = NO_DECISION
) -> dict[str, Any] | None:
    """The command centre grants the time asked: the deadline moves."""
    return extension_out(approve_extension(number, note=payload.note, by=request.user))


@router.post(
    "/tickets/{number}/extension/reject",
    response={200: ExtensionOut, **ERRORS},
    tags=["extensions"],
)
def reject_pending_extension(
    request: AuthenticatedRequest, number: str, payload: RejectionIn
) -> dict[str, Any] | None:
    """The command centre refuses, saying why: the deadline stays."""
    return extension_out(reject_extension(number, note=payload.note, by=request.user))


@router.get(
    "/tickets/{number}/attachments",
    response={200: list[AttachmentOut], **ERRORS},
    tags=["tickets"],
)
def list_attachments(request: AuthenticatedRequest, number: str) -> list[dict[str, Any]]:
    ticket = access_ticket(request.user, number)
    return [attachment_out(item) for item in ticket.attachments.select_related("ticket")]


@router.post(
    "/tickets/{number}/attachments", response={201: AttachmentOut, **ERRORS}, tags=["tickets"]
)
def upload_attachment(
    request: AuthenticatedRequest, number: str, file: File[UploadedFile]
) -> Status[dict[str, Any]]:
    attachment = add_attachment(number, file, by=request.user)
    return Status(201, attachment_out(attachment))
