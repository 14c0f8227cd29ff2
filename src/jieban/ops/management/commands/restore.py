"""`jieban restore FILE [--force]`: a backup back into an empty database and attachments'
storage (or over what they hold, with --force), after checking every member against its
manifest; prints what it restored (README, "Backups")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jieban.ops.archives import VENDOR_NAMES, BackupError
from jieban.ops.restore import restore_backup


class Command(BaseCommand):
    help = "Restore a backup made by `jieban backup` into an empty database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="a jieban-backup-….tar.gz archive")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace the database and the attachments this Jieban holds already",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            restored = restore_backup(path, force=options["force"])
        except BackupError as exc:
            raise CommandError(exc.message) from exc
        manifest = restored.manifest
        self.stdout.write(
            f"Restored {path}: taken {manifest.created_at:%Y-%m-%d %H:%M:%S %z} by Jieban "
            f"{manifest.jieban_version} on {VENDOR_NAMES[manifest.vendor]} "
            f"{manifest.server_version}."
        )
        self.stdout.write(
            f"{manifest.summary()}: every table's rows and every attachment's size match the "
            f"manifest."
        )
        if restored.left_in_place:
            self.stdout.write(
                f"{restored.left_in_place} files the attachments' storage held, which the "
                f"backup has not, were left in place."
            )
        if restored.needs_migrate:
            self.stdout.write(
                "The backup is from an earlier version: run `jieban migrate` before starting "
                "Jieban."
            )
