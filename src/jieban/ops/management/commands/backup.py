"""`jieban backup [--to DIR]`: the database and the attachments in one archive, taken while
Jieban runs; prints the archive's path and what it holds (README, "Backups")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from jieban.ops.archives import BackupError
from jieban.ops.backup import take_backup


class Command(BaseCommand):
    help = "Back up the database and the attachments into one archive, while Jieban runs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--to",
            type=Path,
            default=None,
            metavar="DIR",
            help="the directory to write it in (default: JIEBAN_BACKUP_DIR, "
            "DATA_DIR/backups); created 0700 if missing",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        directory = options["to"] or settings.JIEBAN_BACKUP_DIR
        try:
            backup = take_backup(directory, now=timezone.now())
        except BackupError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(str(backup.path))
        self.stdout.write(backup.summary())
        missing = backup.manifest.missing_attachments
        if missing:
            more = ", …" if len(missing) > 5 else ""
            self.stdout.write(
                f"Not in the attachments' storage, though the database names them: "
                f"{len(missing)} files ({', '.join(missing[:5])}{more})."
            )
