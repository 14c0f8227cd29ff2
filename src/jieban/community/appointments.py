"""Appointment letters (聘书): issue, renew and revoke, shaped like the ticket's transitions.

One `ALLOWED` table says which action a letter's status permits; each action checks the
permission (`can_issue_appointments`), the letter's access (`access_appointment`: 404), the
table (409), then writes in one transaction. A letter appoints a building head to buildings,
a grid police chief to grids, a grid officer to one grid, all within the issuing station's
area on the day it is issued.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from jieban.community.access import (
    access_appointment,
    is_bureau_wide,
    managed_appointments,
    visible_buildings,
)
from jieban.community.models import Appointment, AppointmentStatus, Building, Post
from jieban.community.selectors import grids_on
from jieban.errors import Conflict, InvalidInput
from jieban.inputs import check_day, clean_text
from jieban.org.actors import Actor, Viewer, person_of
from jieban.org.models import Role, Unit, UnitKind, User
from jieban.org.permissions import can_issue_appointments, require

ALLOWED: dict[str, frozenset[str]] = {
    "renew": frozenset({AppointmentStatus.ACTIVE}),
    "revoke": frozenset({AppointmentStatus.ACTIVE}),
}
# The station sees the letters that expire within this many days.
EXPIRY_WARNING_DAYS = 30
# A person of each post holds this role (a grid police chief: a station's people).
POST_ROLES: dict[str, frozenset[str]] = {
    Post.BUILDING_HEAD: frozenset({Role.BUILDING_HEAD}),
    Post.GRID_OFFICER: frozenset({Role.GRID_OFFICER}),
    Post.GRID_CHIEF: frozenset({Role.UNIT_HANDLER, Role.UNIT_LEADER}),
}


def _issuers_only() -> str:
    return _("Only a station's leaders and administrators may issue appointment letters.")


@dataclass(frozen=True)
class LetterPlace:
    """A place a letter appoints to, as its sheet prints it: a grid, or a building in it."""

    grid_code: str
    grid_name: str
    building: str | None = None
    address: str | None = None


def letter_sheet(letter: Appointment) -> dict[str, Any]:
    """What a letter's A4 sheet prints: the bureau, the title, the appointee, the post, the
    places, the term, the issuer and the date; the status when it is no longer in force."""
    bureau = str(getattr(settings, "JIEBAN_BUREAU_NAME", "")) or (
        Unit.objects.filter(kind=UnitKind.BUREAU, parent__isnull=True)
        .order_by("pk")
        .values_list("name", flat=True)
        .first()
        or ""
    )
    buildings = letter.buildings.select_related("grid").order_by("grid__code", "name")
    places = [
        LetterPlace(building.grid.code, building.grid.name, building.name, building.address)
        for building in buildings
    ] + [LetterPlace(grid.code, grid.name) for grid in letter.grids.order_by("code")]
    return {
        "number": letter.number,
        "bureau": bureau,
        "title": _("Appointment letter"),
        "addressee": letter.person.display_name,
        "post": letter.post,
        "post_name": str(Post(letter.post).label),
        "places": places,
        "starts_on": letter.starts_on,
        "ends_on": letter.ends_on,
        "issued_by": letter.issued_by_unit.name,
        "issued_on": letter.issued_on,
        "status": letter.status,
        "status_name": str(AppointmentStatus(letter.status).label),
        "revoked_on": letter.revoked_on,
        "revoke_reason": letter.revoke_reason,
    }


def expiring_appointments(actor: Viewer, *, today: dt.date | None = None) -> QuerySet[Appointment]:
    """The letters in force that end within `EXPIRY_WARNING_DAYS` days of today, soonest
    first."""
    today = today or timezone.localdate()
    return (
        managed_appointments(actor)
        .filter(
            status=AppointmentStatus.ACTIVE,
            ends_on__gte=today,
            ends_on__lte=today + dt.timedelta(days=EXPIRY_WARNING_DAYS),
        )
        .order_by("ends_on", "number")
    )


def _station(actor: Actor, code: str | None) -> Unit:
    if not is_bureau_wide(actor):
        # can_issue_appointments: a station's leader, whose unit is the station.
        assert isinstance(actor, User) and actor.unit_id is not None
        return Unit.objects.select_for_update().get(pk=actor.unit_id)
    station = (
        Unit.objects.select_for_update().filter(code=code, kind=UnitKind.STATION).first()
        if code
        else None
    )
    if station is None:
        raise InvalidInput(_("Name the police station that issues the letter."), field="station")
    return station


def _next_number(station: Unit, year: int) -> str:
    """`PS-A-2026-007`: the station's code, the year, its letters of the year counted on;
    the caller holds the station's row lock, and the number is unique besides."""
    issued = Appointment.objects.filter(
        issued_by_unit=station, number__startswith=f"{station.code}-{year}-"
    ).count()
    return f"{station.code}-{year}-{issued + 1:03d}"


def _check_person(username: str, post: str, station: Unit) -> User:
    person = User.objects.filter(username=username, is_active=True).first()
    if person is None:
        raise InvalidInput(_("No person %(name)s.") % {"name": username}, field="person")
    if person.role not in POST_ROLES[post]:
        raise InvalidInput(
            _("%(person)s is not a %(post)s.")
            % {"person": person.display_name, "post": Post(post).label},
            field="person",
        )
    if post == Post.GRID_CHIEF and person.unit_id != station.pk:
        raise InvalidInput(
            _("A grid police chief is one of the issuing station's people."), field="person"
        )
    return person


def _check_places(
    actor: Actor,
    post: str,
    station: Unit,
    *,
    buildings: Sequence[int],
    grids: Sequence[str],
    today: dt.date,
) -> tuple[list[Building], list[Unit]]:
    area = {place.code: place.grid for place in grids_on(today, station_id=station.pk)}
    if post == Post.BUILDING_HEAD:
        if not buildings or grids:
            raise InvalidInput(
                _("A building head is appointed for one or more buildings."), field="buildings"
            )
        found = list(
            visible_buildings(actor).filter(pk__in=buildings, grid__in=list(area.values()))
        )
        if len(found) != len(set(buildings)):
            raise InvalidInput(_("A building is not one of the station's area."), field="buildings")
        return found, []
    if buildings or not grids or (post == Post.GRID_OFFICER and len(grids) != 1):
        message = (
            _("A grid officer is appointed for one grid.")
            if post == Post.GRID_OFFICER
            else _("A grid police chief is appointed for one or more grids.")
        )
        raise InvalidInput(message, field="grids")
    outside = sorted(set(grids) - set(area))
    if outside:
        raise InvalidInput(
            _("%(codes)s: not a grid of the station's area.") % {"codes": ", ".join(outside)},
            field="grids",
        )
    return [], [area[code] for code in dict.fromkeys(grids)]


def _check_term(starts_on: dt.date, ends_on: dt.date) -> None:
    check_day(starts_on, field="starts_on")
    check_day(ends_on, field="ends_on")
    if ends_on < starts_on:
        raise InvalidInput(_("The term ends before it starts."), field="ends_on")


def issue_appointment(
    *,
    person: str,
    post: str,
    starts_on: dt.date,
    ends_on: dt.date,
    buildings: Sequence[int] = (),
    grids: Sequence[str] = (),
    station: str | None = None,
    by: Actor,
) -> Appointment:
    """Issue a letter appointing `person` (a username) to `post` for `buildings` (ids) or
    `grids` (codes) over the term, from `by`'s station (an administrator names `station`)."""
    require(can_issue_appointments(by), _issuers_only())
    if post not in Post.values:
        raise InvalidInput(_("Unknown post %(post)s.") % {"post": post}, field="post")
    _check_term(starts_on, ends_on)
    today = timezone.localdate()
    with transaction.atomic():
        issuer = _station(by, station)
        appointee = _check_person(person, post, issuer)
        places = _check_places(by, post, issuer, buildings=buildings, grids=grids, today=today)
        return _write(appointee, post, issuer, places, starts_on, ends_on, today, by=by)


def _write(
    person: User,
    post: str,
    station: Unit,
    places: tuple[list[Building], list[Unit]],
    starts_on: dt.date,
    ends_on: dt.date,
    today: dt.date,
    *,
    by: Actor,
    renewal_of: Appointment | None = None,
) -> Appointment:
    letter = Appointment.objects.create(
        number=_next_number(station, today.year),
        person=person,
        post=post,
        starts_on=starts_on,
        ends_on=ends_on,
        issued_by_unit=station,
        issued_on=today,
        renewal_of=renewal_of,
        created_by=person_of(by),
    )
    letter.buildings.set(places[0])
    letter.grids.set(places[1])
    return letter


def _apply(action: str, pk: int, *, by: Actor) -> Appointment:
    require(can_issue_appointments(by), _issuers_only())
    letter = access_appointment(by, pk, for_update=True, to_manage=True)
    if letter.status not in ALLOWED[action]:
        raise Conflict(
            _("Letter %(number)s is %(status)s: it can no longer be renewed or revoked.")
            % {"number": letter.number, "status": letter.get_status_display()}
        )
    return letter


def renew_appointment(
    pk: int, *, ends_on: dt.date, starts_on: dt.date | None = None, by: Actor
) -> Appointment:
    """Issue the next letter for the same person, post, buildings and grids (still in the
    station's area), from the day after this term (or `starts_on`) to `ends_on`; this letter
    is then renewed."""
    with transaction.atomic():
        letter = _apply("renew", pk, by=by)
        start = starts_on or letter.ends_on + dt.timedelta(days=1)
        _check_term(start, ends_on)
        today = timezone.localdate()
        station = Unit.objects.select_for_update().get(pk=letter.issued_by_unit_id)
        places = _check_places(
            by,
            letter.post,
            station,
            buildings=[building.pk for building in letter.buildings.all()],
            grids=[grid.code for grid in letter.grids.all()],
            today=today,
        )
        letter.status = AppointmentStatus.RENEWED
        letter.changed_by = person_of(by)
        letter.save(update_fields=["status", "changed_by"])
        return _write(
            letter.person, letter.post, station, places, start, ends_on, today, by=by,
            renewal_of=letter,
        )  # fmt: skip


def revoke_appointment(pk: int, *, reason: str, by: Actor) -> Appointment:
    """Revoke a letter in force today, with the reason kept on the letter."""
    text = clean_text(reason, field="reason", label=_("The reason"), limit=500, required=True)
    with transaction.atomic():
        letter = _apply("revoke", pk, by=by)
        letter.status = AppointmentStatus.REVOKED
        letter.revoked_on = timezone.localdate()
        letter.revoke_reason = text
        letter.changed_by = person_of(by)
        letter.save(update_fields=["status", "revoked_on", "revoke_reason", "changed_by"])
    return letter
