"""`jieban grid import FILE.geojson`: load or update grid boundaries, all or nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jieban.community.actions import Outcome, import_grid_boundaries
from jieban.community.gcj02 import collection_to_wgs84
from jieban.org.actors import SYSTEM


class Command(BaseCommand):
    help = "Load or update grid boundaries from a GeoJSON FeatureCollection."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser(
            "import",
            help="a FeatureCollection whose features' properties carry the grid code (and "
            "optionally name, community, valid_from); one line per feature; nothing is "
            "written if any feature is rejected (exit status 1)",
        )
        load.add_argument("file", type=Path)
        load.add_argument(
            "--from-gcj02",
            action="store_true",
            help="the file's coordinates are GCJ-02, as drawn on a Chinese map service (Amap, "
            "Tencent): convert them to WGS-84 (the published formula, inverted to under a "
            "millimetre) before checking and storing them",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror}") from exc
        if options["from_gcj02"]:
            content = _converted(content)
        # An operator's command acts as the system (ARCHITECTURE.md, "Following a request").
        report = import_grid_boundaries(content, by=SYSTEM)
        if report.error:
            raise CommandError(f"{path}: {report.error}")
        for result in report.results:
            line = f"#{result.number}\t{result.code or '-'}\t{result.outcome}"
            if result.outcome == Outcome.REJECTED:
                self.stdout.write(f"{line}\t{result.reason}")
            else:
                self.stdout.write(line)
        counts = {
            outcome: sum(1 for r in report.results if r.outcome == outcome)
            for outcome in (Outcome.CREATED, Outcome.UPDATED, Outcome.REJECTED)
        }
        summary = ", ".join(f"{count} {outcome}" for outcome, count in counts.items())
        if not report.written:
            raise CommandError(f"{summary}: nothing was written.")
        self.stdout.write(f"{summary}.")


def _converted(content: bytes) -> bytes:
    """The file with its geometries converted from GCJ-02; a file that is not JSON as it is,
    for the import to say so."""
    try:
        collection = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return content
    return json.dumps(collection_to_wgs84(collection), ensure_ascii=False).encode()
