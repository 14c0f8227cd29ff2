"""GCJ-02 to WGS-84 (`jieban.community.gcj02`) against published reference points, and
`jieban grid import --from-gcj02` storing the converted boundary."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from jieban.community.gcj02 import collection_to_wgs84, to_gcj02, to_wgs84
from jieban.community.selectors import grids_on
from tests.conftest import Cast

# wandergis/coordtransform's own example (test/app.js): WGS-84 (116.404, 39.915), in central
# Beijing, is shown at GCJ-02 (116.41024449916938, 39.91640428150164), some 600 m away.
BEIJING_WGS84 = (116.404, 39.915)
BEIJING_GCJ02 = (116.41024449916938, 39.91640428150164)


def test_the_formula_gives_the_published_gcj02_position() -> None:
    longitude, latitude = to_gcj02(*BEIJING_WGS84)
    assert longitude == pytest.approx(BEIJING_GCJ02[0], abs=1e-12)
    assert latitude == pytest.approx(BEIJING_GCJ02[1], abs=1e-12)


def test_the_inverse_finds_the_wgs84_position_to_a_millimetre() -> None:
    longitude, latitude = to_wgs84(*BEIJING_GCJ02)
    # 1e-8 degrees is about a millimetre.
    assert longitude == pytest.approx(BEIJING_WGS84[0], abs=1e-8)
    assert latitude == pytest.approx(BEIJING_WGS84[1], abs=1e-8)
    # The simple one-step inverse most snippets use is metres off; this one is not.
    for point in [(104.06, 30.67), (121.47, 31.23), (87.6, 43.8), (113.26, 23.13)]:
        back = to_wgs84(*to_gcj02(*point))
        assert back == pytest.approx(point, abs=1e-8)


def test_outside_china_nothing_moves() -> None:
    assert to_gcj02(2.35, 48.85) == (2.35, 48.85)
    assert to_wgs84(-74.0, 40.7) == (-74.0, 40.7)


def test_a_collection_keeps_what_is_not_a_position() -> None:
    converted = collection_to_wgs84(
        {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "properties": {"code": "G-01"}, "geometry": None},
                {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [["x"]]}},
                "not a feature",
            ],
        }
    )
    assert converted["features"][0]["geometry"] is None
    assert converted["features"][1]["geometry"]["coordinates"] == [["x"]]
    assert converted["features"][2] == "not a feature"


def _ring(points: list[tuple[float, float]]) -> list[list[float]]:
    return [list(point) for point in [*points, points[0]]]


def test_the_import_converts_with_the_flag(cast: Cast, tmp_path: Path) -> None:
    wgs84 = [(104.0, 30.0), (104.01, 30.0), (104.01, 30.01), (104.0, 30.01)]
    drawn = [to_gcj02(*point) for point in wgs84]
    path = tmp_path / "grids.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"code": "G-01", "valid_from": "2026-01-01"},
                        "geometry": {"type": "Polygon", "coordinates": [_ring(drawn)]},
                    }
                ],
            }
        )
    )
    with translation.override("en"):
        call_command("grid", "import", str(path), "--from-gcj02", stdout=StringIO())
    [place] = [p for p in grids_on(dt.date(2026, 6, 1)) if p.code == "G-01"]
    assert place.boundary is not None
    [stored] = place.boundary["coordinates"]
    assert stored[0] == stored[-1]  # still closed: the same position converts the same
    for position, expected in zip(stored, _ring(wgs84), strict=True):
        assert position == pytest.approx(expected, abs=1e-8)


def test_with_the_flag_a_file_that_is_not_json_is_still_refused(cast: Cast, tmp_path: Path) -> None:
    path = tmp_path / "grids.geojson"
    path.write_text("{not json")
    with pytest.raises(CommandError) as error, translation.override("en"):
        call_command("grid", "import", str(path), "--from-gcj02", stdout=StringIO())
    assert "not JSON" in str(error.value)
