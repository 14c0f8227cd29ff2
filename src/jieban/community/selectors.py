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

from django.db.models import Q

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
