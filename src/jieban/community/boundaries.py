"""A grid's boundary: a GeoJSON Polygon or MultiPolygon (RFC 7946) in WGS-84 longitude and
latitude, checked before it is stored. Each ring has at least four positions and closes (its
last position is its first), each position is [longitude, latitude] (an altitude may follow)
with the longitude within -180..180 and the latitude within -90..90.

The checks are the few RFC 7946 asks of a polygon, written here rather than taken from a
GeoJSON library so that each refusal says in the reader's language which ring of which
polygon is wrong and how.
"""

from __future__ import annotations

import math
from typing import Any

from django.utils.translation import gettext as _

from jieban.errors import InvalidInput

GEOMETRY_TYPES = ("Polygon", "MultiPolygon")


def check_boundary(geometry: Any, *, field: str = "boundary") -> dict[str, Any]:
    """`geometry` as stored (type and coordinates only), or InvalidInput saying what is wrong."""
    if not isinstance(geometry, dict):
        raise InvalidInput(_("A boundary is a GeoJSON geometry object."), field=field)
    kind = geometry.get("type")
    if kind not in GEOMETRY_TYPES:
        raise InvalidInput(
            _("A boundary is a Polygon or a MultiPolygon, not %(type)s.") % {"type": kind},
            field=field,
        )
    coordinates = geometry.get("coordinates")
    polygons = [coordinates] if kind == "Polygon" else coordinates
    if not isinstance(polygons, list) or not polygons:
        raise InvalidInput(_("The boundary has no coordinates."), field=field)
    for p_index, polygon in enumerate(polygons, 1):
        if not isinstance(polygon, list) or not polygon:
            raise InvalidInput(
                _("Polygon %(polygon)d has no rings.") % {"polygon": p_index}, field=field
            )
        for r_index, positions in enumerate(polygon, 1):
            _check_ring(positions, polygon=p_index, ring=r_index, field=field)
    return {"type": kind, "coordinates": coordinates}


def _check_ring(positions: Any, *, polygon: int, ring: int, field: str) -> None:
    where = {"polygon": polygon, "ring": ring}
    if not isinstance(positions, list) or len(positions) < 4:
        raise InvalidInput(
            _("Ring %(ring)d of polygon %(polygon)d needs at least four positions.") % where,
            field=field,
        )
    for position in positions:
        _check_position(position, where=where, field=field)
    if positions[0][:2] != positions[-1][:2]:
        raise InvalidInput(
            _(
                "Ring %(ring)d of polygon %(polygon)d does not close: its last position "
                "must repeat its first."
            )
            % where,
            field=field,
        )


def _check_position(position: Any, *, where: dict[str, int], field: str) -> None:
    if (
        not isinstance(position, list)
        or len(position) not in (2, 3)
        or not all(_is_number(value) for value in position)
    ):
        raise InvalidInput(
            _(
                "Ring %(ring)d of polygon %(polygon)d has a position that is not "
                "[longitude, latitude]."
            )
            % where,
            field=field,
        )
    longitude, latitude = position[0], position[1]
    if not -180 <= longitude <= 180 or not -90 <= latitude <= 90:
        raise InvalidInput(
            _(
                "Ring %(ring)d of polygon %(polygon)d has a position out of range "
                "(%(longitude)s, %(latitude)s): WGS-84 longitude is within -180..180 and "
                "latitude within -90..90."
            )
            % {**where, "longitude": longitude, "latitude": latitude},
            field=field,
        )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
