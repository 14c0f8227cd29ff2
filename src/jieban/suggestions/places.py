"""The grid and the police station from a caller's address (issue 13, item 3).

An address is read with `jieban.addresses.read_address` and matched to the registered
buildings by their `address_key` (kept on every save of a building). A building whose key is
the address's gives its grid. When none matches, the same place without the building (幸福小区
for 幸福小区9栋) gives the grid if every registered building of that place is in one grid: an
ambiguous place suggests nothing. The unit suggested is the station whose area the grid is in
today: the grid's current version, else where the unit tree puts it.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from jieban.addresses import Address, read_address
from jieban.community.models import Building, GridVersion
from jieban.community.selectors import tree_place
from jieban.inputs import printable
from jieban.org.models import Unit
from jieban.rows import column

# How sure a match is: a building named exactly, or only its place.
BUILDING_MATCH = 1.0
PLACE_MATCH = 0.6


class Reason:
    """Why a grid or unit is suggested: a code stored with the suggestion (never a translated
    sentence, so that the figures can be read from it), shown by `reason_text`."""

    ADDRESS = "address"  # the address names a registered building
    PLACE = "place"  # the address's place, without its building, is in one grid
    GRID = "grid"  # the grid the ticket was registered in
    RULE = "rule"  # a dispatch rule of the command centre


@dataclass(frozen=True)
class PlaceMatch:
    """The grid an address is in, the station that covers it, and why."""

    grid: Unit
    station: Unit | None
    # The building the address names, or the place's name for a match without a building.
    matched: str
    reason: str
    score: float

    @property
    def exact(self) -> bool:
        """The address names a registered building: its grid is known, not guessed."""
        return self.reason == Reason.ADDRESS

    def reasons(self, *, for_unit: bool = False) -> list[dict[str, Any]]:
        """The reasons stored with the grid's (or the station's) suggestion."""
        reason: dict[str, Any] = {"code": self.reason, "matched": self.matched}
        reason["grid"] = self.grid.name
        if for_unit and self.station is not None:
            reason["unit"] = self.station.name
        return [reason]


def station_of(grid: Unit, *, day: dt.date | None = None) -> Unit | None:
    """The police station whose area `grid` is in on `day` (today): its version then, else
    where the unit tree puts it."""
    day = day or timezone.localdate()
    # The latest version begun by `day`: valid then, or closed without a successor.
    version = (
        GridVersion.objects.filter(grid=grid, valid_from__lte=day)
        .select_related("station")
        .order_by("-valid_from")
        .first()
    )
    if version is None:
        return tree_place(grid)[1]
    if version.valid_to is not None and version.valid_to <= day:
        return None  # the grid was closed without a successor: no station covers it
    return version.station


def match_address(address: str) -> PlaceMatch | None:
    """The grid and station `address` is in, by the registered buildings; None when nothing
    matches or the place is in more than one grid."""
    # A call being typed may hold what no text may (a NUL refused with the form): not
    # looked for, and PostgreSQL would refuse it as a parameter.
    parts = read_address(printable(address))
    if not parts.place:
        return None
    # Asked on every registration: two statements written once per process (`_named_sql`,
    # `_place_sql`), the grid read with the ORM only once one matches.
    with connection.cursor() as cursor:
        cursor.execute(_named_sql(), [parts.building_key])
        named = cursor.fetchall()
        if named:
            if len({grid_id for grid_id, _name in named}) > 1:
                return None
            grid = Unit.objects.select_related("parent__parent").get(pk=named[0][0])
            return PlaceMatch(grid, station_of(grid), named[0][1], Reason.ADDRESS, BUILDING_MATCH)
        # The same place: its buildings, or (an address naming a building) the place itself.
        cursor.execute(_place_sql(), [parts.place])
        grids = [grid_id for (grid_id,) in cursor.fetchall()]
    return _place_match(grids, parts)


def _place_match(grids: list[int], parts: Address) -> PlaceMatch | None:
    """The place's one grid, when all its registered buildings are in one grid."""
    if len(grids) != 1:
        return None
    grid = Unit.objects.select_related("parent__parent").get(pk=grids[0])
    if not grid.is_active:
        return None
    return PlaceMatch(grid, station_of(grid), parts.place, Reason.PLACE, PLACE_MATCH)


@functools.cache
def _named_sql() -> str:
    """The grid and name of each building with an address key, in an active grid, oldest
    first."""
    building, unit = Building._meta.db_table, Unit._meta.db_table
    quote = connection.ops.quote_name
    return (
        f"SELECT {column(Building, 'grid')}, {column(Building, 'name')}"
        f" FROM {quote(building)} INNER JOIN {quote(unit)}"
        f" ON {column(Building, 'grid')} = {column(Unit, 'id')}"
        f" WHERE {column(Building, 'address_key')} = %s AND {column(Unit, 'is_active')}"
        f" ORDER BY {column(Building, 'id')}"
    )


@functools.cache
def _place_sql() -> str:
    """Two of the grids the buildings of a place are in: one is the place's grid."""
    quote = connection.ops.quote_name
    return (
        f"SELECT DISTINCT {column(Building, 'grid')} FROM {quote(Building._meta.db_table)}"
        f" WHERE {column(Building, 'place_key')} = %s LIMIT 2"
    )


def reason_text(reason: dict[str, Any]) -> str:
    """A stored reason as a person reads it: 地址匹配 幸福小区3栋 → 城关派出所."""
    code = reason.get("code")
    target = reason.get("unit") or reason.get("grid") or ""
    if code == Reason.ADDRESS:
        return _("Address matches %(matched)s → %(target)s") % {
            "matched": reason.get("matched", ""),
            "target": target,
        }
    if code == Reason.PLACE:
        return _("Address in %(matched)s → %(target)s") % {
            "matched": reason.get("matched", ""),
            "target": target,
        }
    if code == Reason.GRID:
        return _("Grid %(matched)s → %(target)s") % {
            "matched": reason.get("matched", ""),
            "target": target,
        }
    if code == Reason.RULE:
        return _("Rule: %(name)s") % {"name": reason.get("rule", "")}
    return str(reason.get("text", ""))
