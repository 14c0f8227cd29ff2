"""`jieban sweep --once`: one sweep, printing what it did."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jieban.worker.runner import run_sweep


class Command(BaseCommand):
    help = "Run one sweep: supervision orders, due-soon warnings, campaign, notifications."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="one sweep, then exit")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["once"]:
            raise CommandError("use --once for one sweep, or `jieban worker` to keep sweeping")
        for line in run_sweep().lines():
            self.stdout.write(line)
