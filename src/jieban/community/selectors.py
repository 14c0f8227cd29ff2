"""Reads the pages and the API share: the grids as they stood on a day.

A grid's recorded versions are its history. Before its first version a grid stands where the
unit tree puts it (its parent community, and that community's station), without a boundary;
after a version that closed with no successor the grid is no more. A community's town is the
`CommunityVersion` valid on the day, or none.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import BooleanField, ExpressionWrapper, Q

from jieban.community.models import CommunityVersion, GridVersion, Town
from jieban.org.models import Unit, UnitKind


@dataclass(frozen=True)
class GridPlace:
    """A grid as it stood on a day: its name, community, town, station and boundary."""

    grid: Unit
    name: str
    community: Unit | None
    town: Town | None
    station: Unit | None
    boundary: dict[str, Any] | None
    valid_from: dt.date | None
    valid_to: dt.date | None

    @property
    def code(self) -> str:
        return self.grid.code


def valid_on(day: dt.date) -> Q:
    """The versions valid on `day`: begun on or before it, not ended by it."""
    return Q(valid_from__lte=day) & (Q(valid_to__isnull=True) | Q(valid_to__gt=day))


def tree_place(grid: Unit) -> tuple[Unit | None, Unit | None]:
    """(community, station) as the unit tree puts `grid`."""
    parent = grid.parent
    if parent is None:
        return None, None
    if parent.kind == UnitKind.STATION:
        return None, parent
    station = parent.parent if parent.parent and parent.parent.kind == UnitKind.STATION else None
    return (parent if parent.kind == UnitKind.COMMUNITY else None), station


def grids_on(day: dt.date, *, station_id: int | None = None) -> list[GridPlace]:
    """Every grid as it stood on `day`, by code; with `station_id`, those in that station's
    area then. Four queries, whatever the number of grids."""
    grids = list(
        Unit.objects.filter(kind=UnitKind.GRID).select_related("parent__parent").order_by("code")
    )
    versions = {
        version.grid_id: version
        for version in GridVersion.objects.filter(valid_on(day)).select_related(
            "community", "station"
        )
    }
    begun = set(GridVersion.objects.filter(valid_from__lte=day).values_list("grid_id", flat=True))
    places = []
    for grid in grids:
        version = versions.get(grid.pk)
        if version is not None:
            places.append(
                GridPlace(
                    grid,
                    version.name,
                    version.community,
                    None,
                    version.station,
                    version.boundary,
                    version.valid_from,
                    version.valid_to,
                )
            )
        elif grid.pk not in begun:
            community, station = tree_place(grid)
            places.append(GridPlace(grid, grid.name, community, None, station, None, None, None))
    if station_id is not None:
        places = [place for place in places if place.station and place.station.pk == station_id]
    towns = {
        version.community_id: version.town
        for version in CommunityVersion.objects.filter(
            valid_on(day), community__in={place.community for place in places if place.community}
        ).select_related("town")
    }
    return [
        GridPlace(
            place.grid,
            place.name,
            place.community,
            towns.get(place.community.pk) if place.community else None,
            place.station,
            place.boundary,
            place.valid_from,
            place.valid_to,
        )
        for place in places
    ]


@dataclass(frozen=True)
class MapGrid:
    """A grid as the grid map shows it on a day: its code, name, station and whether it has a
    boundary then (the boundaries themselves: `boundaries_on`)."""

    pk: int
    code: str
    name: str
    station_id: int | None
    has_boundary: bool


def map_grids_on(day: dt.date, *, station_id: int | None = None) -> list[MapGrid]:
    """Every grid as it stood on `day` by code, as `grids_on` places it, reading only what the
    map shows (no boundary, no model instance: a map has thousands of grids); with
    `station_id`, those in that station's area then. Three queries."""
    grids = (
        Unit.objects.filter(kind=UnitKind.GRID)
        .order_by("code")
        .values_list(
            "pk", "code", "name", "parent_id", "parent__kind", "parent__parent_id",
            "parent__parent__kind",
        )
    )  # fmt: skip
    versions = {
        grid_id: (name, station, bool(drawn))
        for grid_id, name, station, drawn in GridVersion.objects.filter(valid_on(day))
        .annotate(drawn=ExpressionWrapper(Q(boundary__isnull=False), BooleanField()))
        .values_list("grid_id", "name", "station_id", "drawn")
    }
    begun = set(GridVersion.objects.filter(valid_from__lte=day).values_list("grid_id", flat=True))
    found = []
    for pk, code, name, parent, parent_kind, grandparent, grandparent_kind in grids:
        version = versions.get(pk)
        if version is not None:
            found.append(MapGrid(pk, code, version[0], version[1], version[2]))
        elif pk not in begun:
            # Where the unit tree puts it (`tree_place`), without a boundary.
            station = (
                parent
                if parent_kind == UnitKind.STATION
                else grandparent
                if grandparent_kind == UnitKind.STATION
                else None
            )
            found.append(MapGrid(pk, code, name, station, False))
    if station_id is not None:
        found = [grid for grid in found if grid.station_id == station_id]
    return found


def boundaries_on(day: dt.date, *, station_id: int | None = None) -> list[tuple[str, Any]]:
    """(code, boundary) of every grid with a boundary on `day`, by code; with `station_id`,
    those then in that station's area. One query."""
    versions = GridVersion.objects.filter(valid_on(day), boundary__isnull=False)
    if station_id is not None:
        versions = versions.filter(station_id=station_id)
    return list(versions.order_by("grid__code").values_list("grid__code", "boundary"))
