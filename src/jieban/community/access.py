"""Who may see and manage which buildings and appointment letters: one rule, here.

Administrators manage every grid's buildings. A police station's leaders manage the buildings
of the grids in their station's area today (`grids_on`). Nobody else manages any: a building
outside your grids does not exist for you (404); the pages and the API refuse the lists and
forms to whoever may manage none (403, `can_manage_buildings`). Appointment letters follow
the same rule by the station that issued them (`can_issue_appointments`); besides, whoever a
letter appoints reads it (`can_read_own_appointments`), and nobody else does (404). The grid map
shows the command centre and the leaders every grid, a station's people the grids of their
station's area on the day shown (`mapped_grids`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from jieban.community.models import Appointment, Building
from jieban.community.selectors import (
    GridPlace,
    MapGrid,
    boundaries_on,
    grids_on,
    map_grids_on,
)
from jieban.errors import NotFound
from jieban.org.actors import SystemActor, Viewer
from jieban.org.models import Role, User
from jieban.org.permissions import (
    can_issue_appointments,
    can_manage_buildings,
    can_read_own_appointments,
    can_see_grid_map,
    sees_whole_bureau,
)


def managed_grids(actor: Viewer) -> list[GridPlace]:
    """The grids whose buildings `actor` manages, as they stand today."""
    if not can_manage_buildings(actor):
        return []
    today = timezone.localdate()
    if is_bureau_wide(actor):
        return grids_on(today)
    assert isinstance(actor, User)  # can_manage_buildings: a station's leader
    return grids_on(today, station_id=actor.unit_id)


def mapped_grids(actor: Viewer, day: dt.date) -> list[MapGrid]:
    """The grids `actor` sees on the grid map as they stood on `day`: every grid for the
    command centre and the leaders, the grids then in the station's area for a station's
    people (`can_see_grid_map`), none for anyone else."""
    if not can_see_grid_map(actor):
        return []
    return map_grids_on(day, station_id=_map_station(actor))


def mapped_boundaries(actor: Viewer, day: dt.date) -> list[tuple[str, Any]]:
    """(code, boundary) of the grids of `mapped_grids` that have a boundary on `day`."""
    if not can_see_grid_map(actor):
        return []
    return boundaries_on(day, station_id=_map_station(actor))


def _map_station(actor: Viewer) -> int | None:
    """None for those who see every grid on the map, else the station whose area they see."""
    if sees_whole_bureau(actor):
        return None
    assert isinstance(actor, User)  # can_see_grid_map: a unit's person (a station's sees grids)
    return actor.unit_id


def visible_buildings(actor: Viewer) -> QuerySet[Building]:
    """The buildings `actor` manages, as a queryset to filter further."""
    buildings = Building.objects.select_related("grid")
    if not can_manage_buildings(actor):
        return buildings.none()
    if is_bureau_wide(actor):
        return buildings
    return buildings.filter(grid__in=[place.grid.pk for place in managed_grids(actor)])


def access_building(actor: Viewer, pk: int, *, for_update: bool = False) -> Building:
    """The building `pk` if `actor` manages it, else NotFound; locked when `for_update`."""
    buildings = visible_buildings(actor)
    if for_update:
        buildings = buildings.select_for_update(of=("self",))
    try:
        return buildings.get(pk=pk)
    except Building.DoesNotExist:
        raise NotFound(_("No building %(id)s.") % {"id": pk}) from None


def is_bureau_wide(actor: Viewer) -> bool:
    """Administrators and the system: every station's buildings and letters."""
    return isinstance(actor, SystemActor) or (isinstance(actor, User) and actor.role == Role.ADMIN)


def visible_appointments(actor: Viewer) -> QuerySet[Appointment]:
    """The letters `actor` may read: administrators every station's, a station's leaders
    their station's, and everyone their own (current and past); nobody else any."""
    if is_bureau_wide(actor):
        return managed_appointments(actor)
    if not isinstance(actor, User):
        return Appointment.objects.none()
    rule = Q(pk__in=[])
    if can_issue_appointments(actor):
        rule |= Q(issued_by_unit_id=actor.unit_id)
    if can_read_own_appointments(actor):
        rule |= Q(person=actor)
    return Appointment.objects.select_related("person", "issued_by_unit").filter(rule)


def own_appointments(actor: Viewer) -> QuerySet[Appointment]:
    """The letters that appoint `actor`, current and past, newest first: none for whoever no
    letter may appoint."""
    if not isinstance(actor, User) or not can_read_own_appointments(actor):
        return Appointment.objects.none()
    return Appointment.objects.select_related("person", "issued_by_unit").filter(person=actor)


def managed_appointments(actor: Viewer) -> QuerySet[Appointment]:
    """The letters `actor` may renew and revoke: administrators every station's, a station's
    leaders their station's (not one of theirs another station issued)."""
    letters = Appointment.objects.select_related("person", "issued_by_unit")
    if not can_issue_appointments(actor):
        return letters.none()
    if is_bureau_wide(actor):
        return letters
    assert isinstance(actor, User)
    return letters.filter(issued_by_unit_id=actor.unit_id)


def access_appointment(
    actor: Viewer, pk: int, *, for_update: bool = False, to_manage: bool = False
) -> Appointment:
    """The letter `pk` if `actor` may read it (manage it, with `to_manage`), else NotFound;
    locked when `for_update`."""
    letters = managed_appointments(actor) if to_manage else visible_appointments(actor)
    if for_update:
        letters = letters.select_for_update(of=("self",))
    try:
        return letters.get(pk=pk)
    except Appointment.DoesNotExist:
        raise NotFound(_("No appointment letter %(id)s.") % {"id": pk}) from None
