"""GCJ-02 to WGS-84: for boundaries drawn on a Chinese map service (Amap/Gaode, Tencent,
Google's map of China), whose coordinates are GCJ-02 ("Mars coordinates", 火星坐标), offset
from WGS-84 by some 100 to 700 metres. Jieban stores WGS-84 (`boundaries.py`).

GCJ-02 is WGS-84 moved by a published, non-linear formula (the one in the open-source
`coordtransform` and `eviltransform` libraries, used here as they write it); going back has no
closed form, so `to_wgs84` inverts it by fixed-point iteration to under a millimetre. Outside
China's rough bounding box the services use WGS-84, and positions are left as they are.
"""

from __future__ import annotations

import math
from typing import Any

# The Krasovsky 1940 ellipsoid the formula is written on.
SEMI_MAJOR_AXIS = 6378245.0
ECCENTRICITY_SQUARED = 0.00669342162296594323
# Iterate until the round trip is within this many degrees (about 0.1 mm).
PRECISION = 1e-9
MAX_ROUNDS = 30


def outside_china(longitude: float, latitude: float) -> bool:
    """The services offset only positions within China's rough bounding box."""
    return not (73.66 < longitude < 135.05 and 3.86 < latitude < 53.55)


def _latitude_shift(x: float, y: float) -> float:
    shift = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    shift += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2 / 3
    shift += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2 / 3
    shift += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2 / 3
    return shift


def _longitude_shift(x: float, y: float) -> float:
    shift = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    shift += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2 / 3
    shift += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2 / 3
    shift += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2 / 3
    return shift


def to_gcj02(longitude: float, latitude: float) -> tuple[float, float]:
    """A WGS-84 position as a Chinese map service shows it (GCJ-02)."""
    if outside_china(longitude, latitude):
        return longitude, latitude
    d_latitude = _latitude_shift(longitude - 105.0, latitude - 35.0)
    d_longitude = _longitude_shift(longitude - 105.0, latitude - 35.0)
    radians = latitude / 180.0 * math.pi
    magic = 1 - ECCENTRICITY_SQUARED * math.sin(radians) ** 2
    root = math.sqrt(magic)
    d_latitude = (d_latitude * 180.0) / (
        (SEMI_MAJOR_AXIS * (1 - ECCENTRICITY_SQUARED)) / (magic * root) * math.pi
    )
    d_longitude = (d_longitude * 180.0) / (SEMI_MAJOR_AXIS / root * math.cos(radians) * math.pi)
    return longitude + d_longitude, latitude + d_latitude


def to_wgs84(longitude: float, latitude: float) -> tuple[float, float]:
    """The WGS-84 position a GCJ-02 one shows: the formula inverted by iteration."""
    if outside_china(longitude, latitude):
        return longitude, latitude
    guess_longitude, guess_latitude = longitude, latitude
    for _round in range(MAX_ROUNDS):
        shown_longitude, shown_latitude = to_gcj02(guess_longitude, guess_latitude)
        error_longitude, error_latitude = shown_longitude - longitude, shown_latitude - latitude
        guess_longitude -= error_longitude
        guess_latitude -= error_latitude
        if abs(error_longitude) < PRECISION and abs(error_latitude) < PRECISION:
            break
    return guess_longitude, guess_latitude


def geometry_to_wgs84(geometry: Any) -> Any:
    """A GeoJSON geometry's positions converted from GCJ-02; anything that is not a position
    is left as it is, for the boundary's checks to refuse with their message."""
    if not isinstance(geometry, dict) or "coordinates" not in geometry:
        return geometry
    return {**geometry, "coordinates": _positions_to_wgs84(geometry["coordinates"])}


def _positions_to_wgs84(value: Any) -> Any:
    if isinstance(value, list):
        if len(value) in (2, 3) and all(_is_number(item) for item in value):
            longitude, latitude = to_wgs84(value[0], value[1])
            return [longitude, latitude, *value[2:]]
        return [_positions_to_wgs84(item) for item in value]
    return value


def collection_to_wgs84(collection: Any) -> Any:
    """A FeatureCollection with each feature's geometry converted from GCJ-02."""
    if not isinstance(collection, dict) or not isinstance(collection.get("features"), list):
        return collection
    features = [
        {**feature, "geometry": geometry_to_wgs84(feature.get("geometry"))}
        if isinstance(feature, dict)
        else feature
        for feature in collection["features"]
    ]
    return {**collection, "features": features}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
