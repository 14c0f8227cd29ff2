"""The demo bureau's organisation and people, created through the real actions.

`create_unit` and `create_person` (with their password rules) build the bureau from the tables
in `jieban.demo.data`; `places` reads it back as the places where the tickets' matters happen.
"""

from __future__ import annotations

from dataclasses import dataclass

from jieban.demo.data import BUREAU, CENTRE, DEMO_PASSWORD, GRID_ORDINALS, PEOPLE, STATIONS
from jieban.org.actions import create_person, create_unit
from jieban.org.models import Unit, UnitKind, User


@dataclass
class Place:
    """A community or village with its station and grids: where a ticket's matter happens."""

    unit: Unit
    station: Unit
    town: str
    village: bool
    grids: list[Unit]


def community_code(station_index: int, community_index: int) -> str:
    return f"QC-C{station_index:02d}{community_index:02d}"


def create_organisation() -> None:
    """The bureau, its command centre, stations, communities and grids, with stable codes."""
    bureau_code, name, name_en = BUREAU
    create_unit(code=bureau_code, kind=UnitKind.BUREAU, name=name, name_en=name_en)
    code, name, name_en = CENTRE
    create_unit(code=code, kind=UnitKind.CENTRE, name=name, name_en=name_en, parent=bureau_code)
    grid_number = 0
    for s_index, (s_code, s_name, s_name_en, _town, communities) in enumerate(STATIONS, 1):
        create_unit(
            code=s_code, kind=UnitKind.STATION, name=s_name, name_en=s_name_en, parent=bureau_code
        )
        for c_index, (c_name, c_name_en, _village, grids) in enumerate(communities, 1):
            c_code = community_code(s_index, c_index)
            create_unit(
                code=c_code, kind=UnitKind.COMMUNITY, name=c_name, name_en=c_name_en, parent=s_code
            )
            for g_index in range(grids):
                grid_number += 1
                create_unit(
                    code=f"QC-G{grid_number:02d}",
                    kind=UnitKind.GRID,
                    name=f"{c_name}第{GRID_ORDINALS[g_index]}网格",
                    name_en=f"{c_name_en.rsplit(' ', 1)[0]} Grid {g_index + 1}",
                    parent=c_code,
                )


def create_people() -> dict[str, User]:
    """One login per demo person, through the real action (and its password rules)."""
    return {
        username: create_person(
            username=username, role=role, unit=unit, password=DEMO_PASSWORD, full_name=full_name
        )
        for username, role, unit, full_name in PEOPLE
    }


def demo_logins() -> list[tuple[str, str, str, str]]:
    """(username, role, unit, password) of the demo people present in the database."""
    names = [username for username, _role, _unit, _full in PEOPLE]
    found = {
        user.username: user
        for user in User.objects.filter(username__in=names).select_related("unit")
    }
    rows = []
    for username in names:
        user = found.get(username)
        if user is not None:
            unit = f"{user.unit.code} {user.unit.name}" if user.unit else ""
            rows.append((username, user.role, unit, DEMO_PASSWORD))
    return rows


def places() -> list[Place]:
    """The bureau's communities and villages as created, in the order of the tables."""
    units = {unit.code: unit for unit in Unit.objects.filter(code__startswith="QC-")}
    grids_of: dict[int, list[Unit]] = {}
    for unit in units.values():
        if unit.kind == UnitKind.GRID and unit.parent_id is not None:
            grids_of.setdefault(unit.parent_id, []).append(unit)
    found = []
    for s_index, (s_code, _name, _name_en, town, communities) in enumerate(STATIONS, 1):
        for c_index, (_c_name, _c_name_en, village, _grids) in enumerate(communities, 1):
            community = units[community_code(s_index, c_index)]
            grids = sorted(grids_of.get(community.pk, []), key=lambda grid: grid.code)
            found.append(Place(community, units[s_code], town, village, grids))
    return found
