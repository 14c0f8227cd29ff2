"""The community network: grids as they stood on a day (with their boundaries) and buildings."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from jieban.api.schemas import ERRORS, Id
from jieban.community.access import access_building, visible_buildings
from jieban.community.actions import create_building, update_building
from jieban.community.models import Building
from jieban.community.selectors import GridPlace, grids_on
from jieban.http import AuthenticatedRequest
from jieban.inputs import parse_day
from jieban.org.models import Unit
from jieban.org.permissions import can_manage_buildings, can_see_grids, require

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
def get_building(request: AuthenticatedRequest, pk: Id) -> dict[str, Any]:
    require(can_manage_buildings(request.user), _("You may not manage buildings."))
    return building_out(access_building(request.user, pk))


@router.put("/buildings/{pk}", response={200: BuildingOut, **ERRORS}, tags=["community"])
def put_building(request: AuthenticatedRequest, pk: Id, payload: BuildingIn) -> dict[str, Any]:
    """Change a building you manage: its grid (one you manage), kind, name and address."""
    return building_out(update_building(pk, **payload.dict(), by=request.user))
