"""`jieban report daily|weekly|monthly PERIOD`: compute and store (freeze) a report."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jieban.errors import DomainError
from jieban.org.actors import SYSTEM
from jieban.stats.rates import rounding_of, row_percent
from jieban.stats.reports import publish_report


class Command(BaseCommand):
    help = "Publish a report: once stored it reads the same forever after."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=["daily", "weekly", "monthly"])
        parser.add_argument("period", help="2026-07-14, 2026-W29 or 2026-07")
        parser.add_argument("--json", action="store_true", help="print the stored figures")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report, created = publish_report(options["kind"], options["period"], by=SYSTEM)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        overall = report.data["overall"]
        rounding = rounding_of(report.data)

        def shown(rate: str) -> str:
            value = row_percent(overall, rate, rounding)
            return "-" if value is None else f"{value}%"

        state = "published" if created else "already published"
        self.stdout.write(
            f"{report.kind} {report.period}\t{state}\ttotal {overall['total']}"
            f"\tresolved {overall['resolved']}\tclosure {shown('closure_rate')}"
            f"\ton time {shown('on_time_rate')}"
            f"\tsatisfaction {shown('satisfaction_rate')}"
        )
        if options["json"]:
            self.stdout.write(json.dumps(report.data, ensure_ascii=False, indent=2))
