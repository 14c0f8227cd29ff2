"""Mediation studios and their mediators: the list, opening and editing a studio, adding and
removing its mediators (`jieban.mediation.studios`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Router, Schema, Status

from jieban.api.schemas import ERRORS, PathId
from jieban.http import AuthenticatedRequest
from jieban.mediation.models import Studio
from jieban.mediation.studios import (
    access_studio,
    add_mediator,
    close_studio,
    open_studio,
    remove_mediator,
    studio_list,
    update_studio,
)

router = Router(tags=["mediation"])


class MediatorOut(Schema):
    username: str
    name: str
    kind: str = Field(description="police, peoples_mediator, lawyer, retired_cadre or volunteer")


class StudioOut(Schema):
    id: int
    code: str
    name: str
    host_unit: str = Field(description="The code of the station or community that hosts it")
    host_unit_name: str
    address: str
    phone: str
    opened_on: dt.date | None
    mediators: list[MediatorOut]
    open_cases: int = Field(description="Cases accepted or being mediated")


class StudioClosedOut(Schema):
    id: int
    code: str
    active: bool


class StudioIn(Schema):
    code: str
    name: str
    host_unit: str = Field(description="The code of the station or community that hosts it")
    address: str = ""
    phone: str = ""
    opened_on: dt.date | None = None


class StudioPatch(Schema):
    name: str | None = None
    address: str | None = None
    phone: str | None = None
    opened_on: dt.date | None = None


# A PATCH without a body changes nothing (and answers the studio), as the document says.
NO_CHANGE = StudioPatch()


class MediatorIn(Schema):
    person: str = Field(description="The username of a person with the mediator role")
    kind: str = Field(description="police, peoples_mediator, lawyer, retired_cadre or volunteer")


def studio_out(studio: Studio) -> dict[str, Any]:
    return {
        "id": studio.pk,
        "code": studio.code,
        "name": studio.name,
        "host_unit": studio.host_unit.code,
        "host_unit_name": studio.host_unit.name,
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
        "open_cases": getattr(studio, "open_cases", 0),
    }


@router.get("/studios", response={200: list[StudioOut], **ERRORS})
def list_studios(request: AuthenticatedRequest) -> list[dict[str, Any]]:
    """The bureau's active studios with their host, mediators and open cases."""
    return [studio_out(studio) for studio in studio_list(request.user)]


@router.post("/studios", response={201: StudioOut, **ERRORS})
def post_studio(request: AuthenticatedRequest, payload: StudioIn) -> Status:
    """Open a studio: administrators for any station or community, a station's or
    community's leaders for their own unit."""
    studio = open_studio(**payload.dict(), by=request.user)
    return Status(201, studio_out(access_studio(request.user, studio.pk)))


@router.get("/studios/{pk}", response={200: StudioOut, **ERRORS})
def get_studio(request: AuthenticatedRequest, pk: PathId) -> dict[str, Any]:
    return studio_out(access_studio(request.user, pk))


@router.patch("/studios/{pk}", response={200: StudioOut, **ERRORS})
def patch_studio(
    request: AuthenticatedRequest, pk: PathId, payload: StudioPatch = NO_CHANGE
) -> dict[str, Any]:
    """Change the fields given: administrators and the host unit's leaders."""
    return studio_out(update_studio(pk, **payload.dict(exclude_unset=True), by=request.user))


@router.post("/studios/{pk}/mediators", response={201: StudioOut, **ERRORS})
def post_mediator(request: AuthenticatedRequest, pk: PathId, payload: MediatorIn) -> Status:
    """Add a mediator of a kind (one already there changes kind)."""
    add_mediator(pk, person=payload.person, kind=payload.kind, by=request.user)
    return Status(201, studio_out(access_studio(request.user, pk)))


@router.delete("/studios/{pk}/mediators/{username}", response={200: StudioOut, **ERRORS})
def delete_mediator(request: AuthenticatedRequest, pk: PathId, username: str) -> dict[str, Any]:
    """Take a mediator off the studio: they no longer see its cases."""
    return studio_out(remove_mediator(pk, person=username, by=request.user))


@router.post("/studios/{pk}/close", response={200: StudioClosedOut, **ERRORS})
def post_studio_close(request: AuthenticatedRequest, pk: PathId) -> dict[str, Any]:
    """Close a studio with no open case (409 while it has one): it leaves the lists and takes
    no more cases; its concluded cases and figures stay."""
    studio = close_studio(pk, by=request.user)
    return {"id": studio.pk, "code": studio.code, "active": studio.is_active}
