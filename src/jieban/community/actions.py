"""Writes to the community network: grid versions (and their import from GeoJSON) and
buildings. Each write checks its permission, then the rule, in one transaction.

Grids and buildings have no lifecycle of states, so there is no `ALLOWED` table here: a grid
version's rule is its dates (a new version starts after the current one, which it closes), a
building's is the grid it may be put in (`jieban.community.access`).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jieban.community.access import access_building, managed_grids
from jieban.community.boundaries import check_boundary
from jieban.community.models import Building, BuildingKind, GridVersion
from jieban.community.selectors import tree_place
from jieban.errors import DomainError, InvalidInput
from jieban.inputs import check_day, clean_text, parse_day
from jieban.org.actors import Actor, person_of
from jieban.org.models import Unit, UnitKind
from jieban.org.permissions import can_edit_grids, can_manage_buildings, require


def _managers_only() -> str:
    return _("Only a station's leaders and administrators may manage buildings.")


class Outcome:
    CREATED = "created"
    UPDATED = "updated"
    REJECTED = "rejected"


def _unit(code: Any, kind: str, *, field: str) -> Unit:
    unit = Unit.objects.filter(code=code, kind=kind).first() if isinstance(code, str) else None
    if unit is None:
        message = (
            _("No grid with the code %(code)s.")
            if kind == UnitKind.GRID
            else _("No community or village with the code %(code)s.")
        )
        raise InvalidInput(message % {"code": code}, field=field)
    return unit


def record_grid_version(
    grid: Unit,
    *,
    valid_from: dt.date,
    boundary: Any,
    name: str | None = None,
    community: Unit | None = None,
    by: Actor,
) -> tuple[GridVersion, str]:
    """Record how `grid` stands from `valid_from`: its boundary and, when given, its name and
    community (else as before). A later start closes the current version and opens the next
    ("updated"); the same start corrects it; an earlier start is refused: history is not
    rewritten by an import. A grid's first version is "created"."""
    require(can_edit_grids(by), _("Only administrators may redraw grids."))
    check_day(valid_from, field="valid_from")
    shape = check_boundary(boundary) if boundary is not None else None
    with transaction.atomic():
        # One redrawing of a grid at a time.
        grid = (
            Unit.objects.select_for_update(of=("self",))
            .select_related("parent__parent")
            .get(pk=grid.pk)
        )
        latest = GridVersion.objects.filter(grid=grid).order_by("-valid_from").first()
        if latest is None:
            community_before, station_before = tree_place(grid)
            version = GridVersion(
                grid=grid,
                name=grid.name,
                community=community_before,
                station=station_before,
                valid_from=valid_from,
            )
            outcome = Outcome.CREATED
        elif valid_from < latest.valid_from:
            raise InvalidInput(
                _("Grid %(code)s has a version from %(date)s; a new one must start later.")
                % {"code": grid.code, "date": latest.valid_from.isoformat()},
                field="valid_from",
            )
        elif valid_from == latest.valid_from:
            version, outcome = latest, Outcome.UPDATED
        else:
            if latest.valid_to is None or latest.valid_to > valid_from:
                latest.valid_to = valid_from
                latest.save(update_fields=["valid_to"])
            version = GridVersion(
                grid=grid,
                name=latest.name,
                community=latest.community,
                station=latest.station,
                valid_from=valid_from,
            )
            outcome = Outcome.UPDATED
        if name is not None:
            version.name = clean_text(
                name, field="name", label=_("The name"), limit=120, required=True
            )
        if community is not None:
            version.community = community
            if community.parent and community.parent.kind == UnitKind.STATION:
                version.station = community.parent
        version.boundary = shape
        version.recorded_by = person_of(by)
        version.save()
    return version, outcome


@dataclass
class FeatureResult:
    """What became of one feature of an import: its number (from 1), grid code, outcome."""

    number: int
    code: str
    outcome: str
    reason: str = ""


@dataclass
class ImportReport:
    results: list[FeatureResult] = field(default_factory=list)
    error: str = ""  # the file as a whole was refused

    @property
    def written(self) -> bool:
        return not self.error and all(r.outcome != Outcome.REJECTED for r in self.results)


class _Rejected(Exception):
    """Leaves the import's transaction so that nothing of it is written."""


def import_grid_boundaries(text: str | bytes, *, by: Actor) -> ImportReport:
    """Load or update grid boundaries from a GeoJSON FeatureCollection whose features'
    properties carry the grid `code` (and optionally `name`, `community`, `valid_from`, by
    default today). All or nothing: one rejected feature and nothing is written."""
    require(can_edit_grids(by), _("Only administrators may redraw grids."))
    report = ImportReport()
    try:
        collection = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        report.error = _("The file is not JSON: %(error)s") % {"error": exc}
        return report
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        report.error = _("The file is not a GeoJSON FeatureCollection.")
        return report
    features = collection.get("features")
    if not isinstance(features, list):
        report.error = _("The FeatureCollection has no list of features.")
        return report
    try:
        with transaction.atomic():
            seen: set[str] = set()
            for number, feature in enumerate(features, 1):
                report.results.append(_import_feature(number, feature, seen, by=by))
            if not report.written:
                raise _Rejected
    except _Rejected:
        pass
    return report


def _import_feature(number: int, feature: Any, seen: set[str], *, by: Actor) -> FeatureResult:
    properties = feature.get("properties") if isinstance(feature, dict) else None
    code = properties.get("code") if isinstance(properties, dict) else None
    shown = code if isinstance(code, str) else ""
    try:
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            raise InvalidInput(_("Not a GeoJSON Feature."))
        if not isinstance(properties, dict) or not isinstance(code, str) or not code:
            raise InvalidInput(_('Its properties carry no grid code ("code").'))
        if code in seen:
            raise InvalidInput(_("Grid %(code)s appears twice in the file.") % {"code": code})
        seen.add(code)
        grid = _unit(code, UnitKind.GRID, field="code")
        geometry = feature.get("geometry")
        if geometry is None:
            raise InvalidInput(_("The feature has no geometry."))
        since = properties.get("valid_from")
        if since is None:
            valid_from = timezone.localdate()
        elif isinstance(since, str):
            valid_from = parse_day(since, field="valid_from")
        else:
            raise InvalidInput(_("valid_from is a date written YYYY-MM-DD."))
        name = properties.get("name")
        if name is not None and not isinstance(name, str):
            raise InvalidInput(_("The name is not text."))
        community_code = properties.get("community")
        community = (
            _unit(community_code, UnitKind.COMMUNITY, field="community")
            if community_code is not None
            else None
        )
        # A savepoint per feature: a refused one leaves nothing behind in the transaction.
        with transaction.atomic():
            _version, outcome = record_grid_version(
                grid,
                valid_from=valid_from,
                boundary=geometry,
                name=name,
                community=community,
                by=by,
            )
    except DomainError as exc:
        return FeatureResult(number, shown, Outcome.REJECTED, exc.message)
    return FeatureResult(number, code, outcome)


def _building_fields(
    actor: Actor, *, grid: str, kind: str, name: str, address: str
) -> dict[str, Any]:
    """The checked fields of a building: a grid `actor` manages, a known kind, a name and an
    address."""
    if kind not in BuildingKind.values:
        raise InvalidInput(_("Unknown kind %(kind)s.") % {"kind": kind}, field="kind")
    grids = {place.grid.code: place.grid for place in managed_grids(actor)}
    if grid not in grids:
        raise InvalidInput(
            _("%(code)s is not a grid of your station's area.") % {"code": grid}, field="grid"
        )
    return {
        "grid": grids[grid],
        "kind": kind,
        "name": clean_text(name, field="name", label=_("The name"), limit=120, required=True),
        "address": clean_text(
            address, field="address", label=_("The address"), limit=200, required=True
        ),
    }


def _no_twin(fields: dict[str, Any], *, pk: int | None = None) -> None:
    twins = Building.objects.filter(grid=fields["grid"], name=fields["name"])
    if pk is not None:
        twins = twins.exclude(pk=pk)
    if twins.exists():
        raise InvalidInput(
            _("Grid %(grid)s has a building named %(name)s already.")
            % {"grid": fields["grid"].name, "name": fields["name"]},
            field="name",
        )


def create_building(*, grid: str, kind: str, name: str, address: str, by: Actor) -> Building:
    """Add a building or courtyard to a grid `by` manages (a grid code)."""
    require(can_manage_buildings(by), _managers_only())
    with transaction.atomic():
        fields = _building_fields(by, grid=grid, kind=kind, name=name, address=address)
        _no_twin(fields)
        return Building.objects.create(**fields, updated_by=person_of(by))


def update_building(
    pk: int, *, grid: str, kind: str, name: str, address: str, by: Actor
) -> Building:
    """Change a building `by` manages: its grid (one `by` manages too), kind, name, address."""
    require(can_manage_buildings(by), _managers_only())
    with transaction.atomic():
        building = access_building(by, pk, for_update=True)
        fields = _building_fields(by, grid=grid, kind=kind, name=name, address=address)
        _no_twin(fields, pk=building.pk)
        for key, value in fields.items():
            setattr(building, key, value)
        building.updated_by = person_of(by)
        building.save()
    return building
