"""`jieban import source NAME` maps a source's columns; `jieban import tickets FILE --source
NAME [--dry-run]` checks a sheet (.xlsx or CSV) from it and, when every row is right, imports
its tickets as the system (README, "Importing tickets from Excel and CSV")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jieban.errors import DomainError
from jieban.exchange.imports import (
    MAX_FILE_BYTES,
    check_file,
    confirm_import,
    default_mapping,
    record_check,
    row_error_text,
    save_source,
)
from jieban.exchange.models import IMPORT_CHANNELS, ImportField, ImportSource, ImportState
from jieban.org.actors import SYSTEM


class Command(BaseCommand):
    help = "Ticket imports from Excel and CSV sheets: map a source's columns, import a file."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        source = sub.add_parser(
            "source",
            help="make or change a source: its channel and which column holds which field "
            "(a new source starts from the usual headers of 12345 exports)",
        )
        source.add_argument("name", help="e.g. city-12345 (small letters, digits, - or _)")
        source.add_argument(
            "--channel", choices=[channel.value for channel in IMPORT_CHANNELS], default=None
        )
        source.add_argument(
            "--column",
            action="append",
            default=[],
            metavar="FIELD=HEADER",
            help=f"the sheet's header of a field (one of: {', '.join(ImportField.values)}); "
            "FIELD= leaves the field out",
        )
        tickets = sub.add_parser(
            "tickets",
            help="check the file; one line per wrong cell and nothing written if any row is "
            "wrong (exit status 1); else import its rows (rows already there are skipped)",
        )
        tickets.add_argument("file", type=Path)
        tickets.add_argument("--source", required=True, help="the source's name")
        tickets.add_argument(
            "--dry-run", action="store_true", help="check and count only: nothing is written"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "source":
                self._source(options)
            else:
                self._tickets(options)
        except DomainError as exc:
            raise CommandError(exc.message) from exc

    def _source(self, options: dict[str, Any]) -> None:
        known = ImportSource.objects.filter(name=options["name"]).first()
        mapping = dict(known.mapping) if known else default_mapping()
        for item in options["column"]:
            name, equals, header = item.partition("=")
            if not equals or name not in ImportField.values:
                raise CommandError(
                    f"--column {item}: write FIELD=HEADER, FIELD one of "
                    f"{', '.join(ImportField.values)}"
                )
            mapping[name] = header
        channel = options["channel"] or (known.channel if known else IMPORT_CHANNELS[0].value)
        source, created = save_source(
            name=options["name"], channel=channel, mapping=mapping, by=SYSTEM
        )
        self.stdout.write(f"{'created' if created else 'changed'} source {source.name}")
        for name, header in source.mapping.items():
            self.stdout.write(f"{name}\t{header}")

    def _tickets(self, options: dict[str, Any]) -> None:
        path: Path = options["file"]
        try:
            with path.open("rb") as sheet:
                content = sheet.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror}") from exc
        # An operator's command acts as the system (ARCHITECTURE.md, "Following a request").
        check = check_file(content, file_name=path.name, source=options["source"], by=SYSTEM)
        if check.already_imported:
            assert check.previous is not None
            previous = check.previous
            if previous.state != ImportState.FAILED:
                self.stdout.write(
                    f"{path}: this file was already imported from {check.source.name} "
                    f"(import {previous.pk}, {previous.state}): nothing changed."
                )
                return
        else:
            for error in check.errors:
                self.stdout.write(f"row {error.row}\t{error.column}\t{error.message}")
            if check.errors:
                raise CommandError(
                    f"{path}: {len(check.errors)} errors in the sheet: nothing was written."
                )
            self.stdout.write(
                f"{check.rows_total} rows: {check.rows_total - check.existing} new, "
                f"{check.existing} already there."
            )
        if options["dry_run"]:
            self.stdout.write("Dry run: nothing was written.")
            return
        record = record_check(check, by=SYSTEM)
        record = confirm_import(record.pk, by=SYSTEM, at_once=True)
        self.stdout.write(
            f"import {record.pk}: {record.created_count} tickets created, "
            f"{record.existing_count} already there, {record.refused_count} refused."
        )
        for error in record.errors:
            self.stdout.write(f"row {error['row']}\t{error['column']}\t{row_error_text(error)}")
        if record.state != ImportState.DONE:
            raise CommandError(
                f"{path}: the import stopped ({record.failure}); run the command again to "
                "resume it."
            )
