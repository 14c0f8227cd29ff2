"""The community network: grids as they stood on a day (with their boundaries) and buildings."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from jieban.api.schemas import ERRORS, BodyFloat, Id, PathId
from jieban.api.serializers import local
from jieban.community.access import (
    access_appointment,
    access_building,
    managed_appointments,
    visible_appointments,
    visible_buildings,
)
from jieban.community.actions import create_building, update_building
from jieban.community.appointments import (
    expiring_appointments,
    issue_appointment,
    letter_sheet,
    renew_appointment,
    revoke_appointment,
)
from jieban.community.models import Appointment, Building, PhoneReport
from jieban.community.reports import ReportDraft, my_reports, send_phone_report
from jieban.community.selectors import GridPlace, grids_on
from jieban.http import AuthenticatedRequest
from jieban.inputs import parse_day
from jieban.org.models import Unit
from jieban.org.permissions import (
    can_issue_appointments,
    can_manage_buildings,
    can_read_own_appointments,
    can_report_from_phone,
    can_see_grids,
    require,
)

router = Router()


class PlaceOut(Schema):
    code: str
    name: str


class GridOut(Schema):
    code: str
    name: str
    community: PlaceOut | None
    town: PlaceOut | None
    station: PlaceOut | None
    boundary: dict[str, Any] | None = Field(
        description="A GeoJSON Polygon or MultiPolygon in WGS-84 (longitude, latitude), or null"
    )
    valid_from: dt.date | None
    valid_to: dt.date | None


class BuildingIn(Schema):
    grid: str
    kind: str = "building"
    name: str
    address: str


class BuildingOut(Schema):
    id: int
    grid: PlaceOut
    kind: str
    name: str
    address: str
    updated_at: dt.datetime


class AppointmentIn(Schema):
    person: str = Field(description="The appointee's username")
    post: str = Field(description="building_head, grid_chief or grid_officer")
    starts_on: dt.date
    ends_on: dt.date
    buildings: list[Id] = Field(default=[], description="Building ids (a building head)")
    grids: list[str] = Field(default=[], description="Grid codes (a grid post)")
    station: str | None = Field(
        default=None, description="The issuing station's code (administrators only)"
    )


class RenewIn(Schema):
    ends_on: dt.date
    starts_on: dt.date | None = None


class RevokeIn(Schema):
    reason: str


class LetterPlaceOut(Schema):
    grid: str = Field(description="The grid's code")
    grid_name: str
    building: str | None = Field(description="The building's name (a building head's letter)")
    address: str | None


class LetterSheetOut(Schema):
    number: str
    bureau: str = Field(description="The bureau's name at the head of the sheet")
    title: str
    addressee: str = Field(description="The appointee's name")
    post: str
    post_name: str
    places: list[LetterPlaceOut]
    starts_on: dt.date
    ends_on: dt.date
    issued_by: str
    issued_on: dt.date
    status: str
    status_name: str
    revoked_on: dt.date | None
    revoke_reason: str
    print_url: str = Field(description="The A4 print sheet (HTML) for a logged-in browser")


class AppointmentOut(Schema):
    id: int
    number: str
    person: str
    person_name: str
    post: str
    buildings: list[int]
    grids: list[str]
    starts_on: dt.date
    ends_on: dt.date
    issued_by: PlaceOut
    issued_on: dt.date
    status: str
    is_expired: bool
    renewal_of: str | None
    revoked_on: dt.date | None
    revoke_reason: str


def _place(unit: Any) -> dict[str, str] | None:
    return {"code": unit.code, "name": unit.name} if unit is not None else None


def grid_out(place: GridPlace) -> dict[str, Any]:
    return {
        "code": place.code,
        "name": place.name,
        "community": _place(place.community),
        "town": _place(place.town),
        "station": _place(place.station),
        "boundary": place.boundary,
        "valid_from": place.valid_from,
        "valid_to": place.valid_to,
    }


def building_out(building: Building) -> dict[str, Any]:
    grid: Unit = building.grid
    return {
        "id": building.pk,
        "grid": _place(grid),
        "kind": building.kind,
        "name": building.name,
        "address": building.address,
        "updated_at": building.updated_at,
    }


@router.get("/grids", response={200: list[GridOut], **ERRORS}, tags=["community"])
def list_grids(request: AuthenticatedRequest, at: str = "") -> list[dict[str, Any]]:
    """Every grid as it stood on `at` (YYYY-MM-DD, today by default): its name, community,
    town, station and boundary then."""
    require(can_see_grids(request.user), _("You may not see the grids."))
    day = parse_day(at, field="at") if at else timezone.localdate()
    return [grid_out(place) for place in grids_on(day)]


@router.get("/buildings", response={200: list[BuildingOut], **ERRORS}, tags=["community"])
def list_buildings(request: AuthenticatedRequest, grid: str = "") -> list[dict[str, Any]]:
    """The buildings of the grids you manage (a station's leaders: their area's), by grid."""
    require(can_manage_buildings(request.user), _("You may not manage buildings."))
    buildings = visible_buildings(request.user)
    if grid:
        buildings = buildings.filter(grid__code=grid)
    return [building_out(building) for building in buildings.order_by("grid__code", "name")]


@router.post("/buildings", response={201: BuildingOut, **ERRORS}, tags=["community"])
def post_building(request: AuthenticatedRequest, payload: BuildingIn) -> Status:
    """Add a building or courtyard (kind `building` or `courtyard`) to a grid you manage."""
    building = create_building(**payload.dict(), by=request.user)
    return Status(201, building_out(building))


@router.get("/buildings/{pk}", response={200: BuildingOut, **ERRORS}, tags=["community"])
def get_building(request: AuthenticatedRequest, pk: PathId) -> dict[str, Any]:
    require(can_manage_buildings(request.user), _("You may not manage buildings."))
    return building_out(access_building(request.user, pk))


@router.put("/buildings/{pk}", response={200: BuildingOut, **ERRORS}, tags=["community"])
def put_building(request: AuthenticatedRequest, pk: PathId, payload: BuildingIn) -> dict[str, Any]:
    """Change a building you manage: its grid (one you manage), kind, name and address."""
    return building_out(update_building(pk, **payload.dict(), by=request.user))


def appointment_out(letter: Appointment) -> dict[str, Any]:
    return {
        "id": letter.pk,
        "number": letter.number,
        "person": letter.person.username,
        "person_name": letter.person.display_name,
        "post": letter.post,
        "buildings": sorted(building.pk for building in letter.buildings.all()),
        "grids": sorted(grid.code for grid in letter.grids.all()),
        "starts_on": letter.starts_on,
        "ends_on": letter.ends_on,
        "issued_by": _place(letter.issued_by_unit),
        "issued_on": letter.issued_on,
        "status": letter.status,
        "is_expired": letter.is_expired,
        "renewal_of": letter.renewal_of.number if letter.renewal_of else None,
        "revoked_on": letter.revoked_on,
        "revoke_reason": letter.revoke_reason,
    }


def _letters_only(request: AuthenticatedRequest) -> None:
    require(
        can_issue_appointments(request.user) or can_read_own_appointments(request.user),
        _("You may not read appointment letters."),
    )


@router.get("/appointments", response={200: list[AppointmentOut], **ERRORS}, tags=["community"])
def list_appointments(
    request: AuthenticatedRequest, expiring: bool = False
) -> list[dict[str, Any]]:
    """Your station's appointment letters (administrators: every station's), newest first;
    with `expiring=true`, those in force that end within 30 days, soonest first. A building
    head, grid officer or grid police chief who issues none gets their own letters."""
    _letters_only(request)
    if can_issue_appointments(request.user):
        letters = (
            expiring_appointments(request.user) if expiring else managed_appointments(request.user)
        )
    else:
        letters = visible_appointments(request.user)
        if expiring:
            letters = letters.none()
    letters = letters.select_related("renewal_of").prefetch_related("buildings", "grids")
    return [appointment_out(letter) for letter in letters]


@router.post("/appointments", response={201: AppointmentOut, **ERRORS}, tags=["community"])
def post_appointment(request: AuthenticatedRequest, payload: AppointmentIn) -> Status:
    """Issue a letter: a building head for buildings, a grid police chief for grids, a grid
    officer for one grid, all in the issuing station's area."""
    letter = issue_appointment(**payload.dict(), by=request.user)
    return Status(201, appointment_out(letter))


@router.get("/appointments/{pk}", response={200: AppointmentOut, **ERRORS}, tags=["community"])
def get_appointment(request: AuthenticatedRequest, pk: PathId) -> dict[str, Any]:
    """A letter of your station's, or one that appoints you (404 for anyone else)."""
    return appointment_out(access_appointment(request.user, pk))


@router.get(
    "/appointments/{pk}/print", response={200: LetterSheetOut, **ERRORS}, tags=["community"]
)
def get_appointment_sheet(request: AuthenticatedRequest, pk: PathId) -> dict[str, Any]:
    """What the letter's A4 sheet prints, in the reader's language, with the address of the
    sheet itself (`print_url`, HTML for a logged-in browser)."""
    letter = access_appointment(request.user, pk)
    sheet = letter_sheet(letter)
    return {
        **sheet,
        "places": [
            {
                "grid": place.grid_code,
                "grid_name": place.grid_name,
                "building": place.building,
                "address": place.address,
            }
            for place in sheet["places"]
        ],
        "print_url": request.build_absolute_uri(
            reverse("web:appointment_print", kwargs={"pk": letter.pk})
        ),
    }


@router.post(
    "/appointments/{pk}/renew", response={201: AppointmentOut, **ERRORS}, tags=["community"]
)
def post_renewal(request: AuthenticatedRequest, pk: PathId, payload: RenewIn) -> Status:
    """Issue the next letter (201); this one is then renewed. A letter no longer in force is
    a 409."""
    letter = renew_appointment(pk, **payload.dict(), by=request.user)
    return Status(201, appointment_out(letter))


@router.post(
    "/appointments/{pk}/revoke", response={200: AppointmentOut, **ERRORS}, tags=["community"]
)
def post_revocation(request: AuthenticatedRequest, pk: PathId, payload: RevokeIn) -> dict[str, Any]:
    """Revoke a letter in force, with the reason kept on it."""
    return appointment_out(revoke_appointment(pk, reason=payload.reason, by=request.user))


class PhoneReportIn(Schema):
    category: str | None = Field(default=None, description="A ticket category's code")
    content: str
    building: Id | None = Field(
        default=None, description="A building head's building (when the letter names several)"
    )
    grid: str | None = Field(
        default=None, description="A grid officer's grid (when the letter names several)"
    )
    latitude: BodyFloat | None = Field(default=None, description="WGS-84, with longitude")
    longitude: BodyFloat | None = Field(default=None, description="WGS-84, with latitude")
    idempotency_key: str | None = Field(
        default=None,
        description="A UUID the client makes once per report (or the Idempotency-Key header)",
    )


class PhoneReportOut(Schema):
    ticket: str
    channel: str
    status: str
    category: str
    content: str
    grid: PlaceOut
    building: int | None
    latitude: float | None
    longitude: float | None
    sent_at: dt.datetime
    resolved_at: dt.datetime | None
    result: str


def report_out(report: PhoneReport) -> dict[str, Any]:
    ticket = report.ticket
    return {
        "ticket": ticket.number,
        "channel": ticket.channel,
        "status": ticket.status,
        "category": ticket.category.code,
        "content": ticket.content,
        "grid": _place(report.grid),
        "building": report.building_id,
        "latitude": float(report.latitude) if report.latitude is not None else None,
        "longitude": float(report.longitude) if report.longitude is not None else None,
        "sent_at": local(report.sent_at),
        "resolved_at": local(ticket.resolved_at) if ticket.resolved_at else None,
        "result": ticket.result,
    }


def _coordinate_text(value: float | None) -> str | None:
    return None if value is None else repr(value)


@router.post(
    "/reports", response={200: PhoneReportOut, 201: PhoneReportOut, **ERRORS}, tags=["community"]
)
def post_report(request: AuthenticatedRequest, payload: PhoneReportIn) -> Status:
    """随手报: a building head or grid officer reports (201; the same key again: 200 with the
    ticket the first send made). Photos follow with `POST /tickets/{number}/attachments`."""
    key = payload.idempotency_key or request.headers.get("Idempotency-Key", "")
    ticket, created = send_phone_report(
        ReportDraft(
            content=payload.content,
            idempotency_key=key,
            category=payload.category,
            building=payload.building,
            grid=payload.grid,
            latitude=_coordinate_text(payload.latitude),
            longitude=_coordinate_text(payload.longitude),
        ),
        by=request.user,
    )
    report = PhoneReport.objects.select_related("ticket__category", "grid").get(ticket=ticket)
    return Status(201 if created else 200, report_out(report))


@router.get("/reports", response={200: list[PhoneReportOut], **ERRORS}, tags=["community"])
def list_reports(request: AuthenticatedRequest) -> list[dict[str, Any]]:
    """My reports from the phone, newest first, with their tickets' status and result."""
    require(
        can_report_from_phone(request.user),
        _("Only building heads and grid officers report from the phone."),
    )
    return [report_out(report) for report in my_reports(request.user)]
