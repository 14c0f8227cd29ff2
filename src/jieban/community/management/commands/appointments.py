"""`jieban appointments import FILE.xlsx --unit CODE`: bulk entry of building heads with their
appointment letters from the station `CODE`, all or nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jieban.community.bulk_entry import MAX_FILE_BYTES, BulkEntryRefused, enter_building_heads
from jieban.errors import DomainError
from jieban.org.actors import SYSTEM


class Command(BaseCommand):
    help = "Bulk entry of building heads and their appointment letters from an Excel sheet."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser(
            "import",
            help="one row per building head (name, phone, buildings, term starts, term ends, "
            "as in the template of the appointments page); one line per row in error and "
            "nothing written if any row is wrong (exit status 1)",
        )
        load.add_argument("file", type=Path)
        load.add_argument("--unit", required=True, help="code of the issuing police station")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            with path.open("rb") as source:
                content = source.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror}") from exc
        try:
            # An operator's command acts as the system (ARCHITECTURE.md, "Following a request").
            entry = enter_building_heads(content, station=options["unit"], by=SYSTEM)
        except BulkEntryRefused as exc:
            for error in exc.errors:
                self.stdout.write(f"row {error.row}\t{error.column}\t{error.message}")
            raise CommandError(f"{path}: {exc.message}") from exc
        except DomainError as exc:
            raise CommandError(f"{path}: {exc.message}") from exc
        for letter in entry.letters:
            self.stdout.write(f"{letter.number}\t{letter.person.username}\t{letter.person}")
        self.stdout.write(
            f"{len(entry.letters)} letters issued, {len(entry.created)} building heads added "
            "(without a password: set one with `jieban changepassword USERNAME`)."
        )
