"""`jieban worker`: sweeps deadlines and delivers notifications until SIGTERM."""

from __future__ import annotations

import logging
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from jieban.worker.runner import Worker

log = logging.getLogger("jieban.worker")


class Command(BaseCommand):
    help = "Run the background worker (deadline sweeps, campaign snapshots, notifications)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=None, help="seconds between sweeps")

    def handle(self, *args: Any, **options: Any) -> None:
        # Its lines go to the log (stderr), each naming the worker: JSON lines under
        # `jieban serve` and in production, text otherwise (README, "Operating: health,
        # metrics and logs").
        Worker(interval=options["interval"], write=log.info).run()
