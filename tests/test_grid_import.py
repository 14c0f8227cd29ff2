"""`jieban grid import FILE.geojson`: per feature created, updated or rejected and why; all or
nothing, exit status 1 when anything is rejected."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from jieban.community.models import GridVersion
from jieban.community.selectors import grids_on
from jieban.org.actions import create_unit
from tests.conftest import Cast, local
from tests.test_grids import SQUARE, WIDER


def feature(code: Any, geometry: Any = SQUARE, **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": {"code": code, **properties}, "geometry": geometry}


def collection(*features: Any) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def write(tmp_path: Path, content: Any) -> Path:
    path = tmp_path / "grids.geojson"
    text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
    path.write_text(text, encoding="utf-8")
    return path


def run(path: Path) -> str:
    out = StringIO()
    with translation.override("en"):
        call_command("grid", "import", str(path), stdout=out)
    return out.getvalue()


def refused(path: Path) -> tuple[str, str]:
    """What the command printed and the error it ended with."""
    out = StringIO()
    with pytest.raises(CommandError) as error, translation.override("en"):
        call_command("grid", "import", str(path), stdout=out)
    return out.getvalue(), str(error.value)


class TestImport:
    def test_it_creates_then_updates_and_reports_each_feature(
        self, cast: Cast, tmp_path: Path
    ) -> None:
        first = write(
            tmp_path,
            collection(feature("G-01", valid_from="2025-01-01"), feature("G-02", name="二网格")),
        )
        with time_machine.travel(local(2026, 3, 11), tick=False):
            assert run(first).splitlines() == [
                "#1\tG-01\tcreated",
                "#2\tG-02\tcreated",
                "2 created, 0 updated, 0 rejected.",
            ]
        second = write(tmp_path, collection(feature("G-01", WIDER, valid_from="2026-01-01")))
        assert run(second).splitlines() == [
            "#1\tG-01\tupdated",
            "0 created, 1 updated, 0 rejected.",
        ]
        places = {p.code: p for p in grids_on(dt.date(2025, 6, 1))}
        assert places["G-01"].boundary == SQUARE
        places = {p.code: p for p in grids_on(dt.date(2026, 3, 11))}
        assert places["G-01"].boundary == WIDER
        assert (places["G-02"].name, places["G-02"].boundary) == ("二网格", SQUARE)
        assert places["G-02"].valid_from == dt.date(2026, 3, 11)  # today by default

    def test_a_community_moves_the_grid_and_its_station(self, cast: Cast, tmp_path: Path) -> None:
        create_unit(code="COM-B1", kind="community", name="乙一社区", parent="PS-B")
        run(
            write(
                tmp_path, collection(feature("G-02", community="COM-B1", valid_from="2026-01-01"))
            )
        )
        moved = next(p for p in grids_on(dt.date(2026, 1, 1)) if p.code == "G-02")
        assert (moved.community.code, moved.station.code) == ("COM-B1", "PS-B")  # type: ignore[union-attr]

    @pytest.mark.parametrize(
        ("content", "words"),
        [
            ("{not json", "is not JSON"),
            ("", "is not JSON"),
            ([feature("G-01")], "not a GeoJSON FeatureCollection"),
            ({"type": "Feature", "geometry": SQUARE}, "not a GeoJSON FeatureCollection"),
            ({"type": "FeatureCollection"}, "no list of features"),
        ],
    )
    def test_a_file_that_is_not_a_feature_collection_writes_nothing(
        self, cast: Cast, tmp_path: Path, content: Any, words: str
    ) -> None:
        printed, error = refused(write(tmp_path, content))
        assert words in error
        assert printed == ""
        assert not GridVersion.objects.exists()

    @pytest.mark.parametrize(
        ("bad", "words"),
        [
            (feature("G-09"), "No grid with the code G-09."),
            (feature("COM-A1"), "No grid with the code COM-A1."),
            (
                feature(
                    "G-02", {"type": "Polygon", "coordinates": [SQUARE["coordinates"][0][:-1]]}
                ),
                "Ring 1 of polygon 1 does not close",
            ),
            (
                feature(
                    "G-02",
                    {
                        "type": "Polygon",
                        "coordinates": [[[p[1], p[0]] for p in SQUARE["coordinates"][0]]],
                    },
                ),
                "out of range",
            ),
            (feature("G-02", None), "no geometry"),
            (feature(None), 'no grid code ("code")'),
            ({"type": "Feature", "geometry": SQUARE}, 'no grid code ("code")'),
            ("G-02", "Not a GeoJSON Feature."),
            (feature("G-02", community="COM-X"), "No community or village with the code COM-X."),
            (feature("G-02", valid_from="2026-13-01"), "is not a date"),
            (feature("G-02", valid_from=20260101), "valid_from is a date"),
            (feature("G-02", name=""), "The name is required."),
            (feature("G-01"), "Grid G-01 appears twice in the file."),
        ],
    )
    def test_one_rejected_feature_and_nothing_is_written(
        self, cast: Cast, tmp_path: Path, bad: Any, words: str
    ) -> None:
        path = write(tmp_path, collection(feature("G-01"), bad))
        printed, error = refused(path)
        lines = printed.splitlines()
        assert lines[0] == "#1\tG-01\tcreated"
        assert lines[1].startswith("#2\t") and "\trejected\t" in lines[1]
        assert words in lines[1]
        assert error == "1 created, 0 updated, 1 rejected: nothing was written."
        assert not GridVersion.objects.exists()

    def test_an_earlier_start_than_the_current_version_is_rejected(
        self, cast: Cast, tmp_path: Path
    ) -> None:
        run(write(tmp_path, collection(feature("G-01", valid_from="2026-01-01"))))
        printed, _error = refused(
            write(tmp_path, collection(feature("G-01", WIDER, valid_from="2025-06-01")))
        )
        assert "a new one must start later" in printed
        assert GridVersion.objects.get().boundary == SQUARE

    def test_the_command_line_exits_with_status_1(self, cast: Cast, tmp_path: Path) -> None:
        # Django's command line exits with the CommandError's return code (run_from_argv),
        # and closes every connection after it, the test's too: so the error is checked here.
        path = write(tmp_path, collection(feature("G-09")))
        with pytest.raises(CommandError) as error, translation.override("en"):
            call_command("grid", "import", str(path), stdout=StringIO())
        assert error.value.returncode == 1
        assert not GridVersion.objects.exists()

    def test_a_missing_file_is_named(self, cast: Cast, tmp_path: Path) -> None:
        _printed, error = refused(tmp_path / "missing.geojson")
        assert "missing.geojson" in error
