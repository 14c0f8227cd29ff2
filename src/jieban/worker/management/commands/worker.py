"""`jieban worker`: sweeps deadlines and delivers notifications until SIGTERM."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from jieban.worker.runner import Worker


class Command(BaseCommand):
    help = "Run the background worker (deadline sweeps, campaign snapshots, notifications)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=None, help="seconds between sweeps")

    def handle(self, *args: Any, **options: Any) -> None:
        def write(line: str) -> None:
            self.stdout.write(line)
            self.stdout.flush()

        Worker(interval=options["interval"], write=write).run()
