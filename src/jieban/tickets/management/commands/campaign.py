"""`jieban campaign snapshot [YYYY-MM]`: take the month's clear-to-zero list now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from jieban.errors import DomainError
from jieban.tickets.campaign import SnapshotTaken, month_of, take_snapshot


class Command(BaseCommand):
    help = "The monthly clear-to-zero campaign."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        snapshot = sub.add_parser("snapshot", help="take the month's snapshot if not taken")
        snapshot.add_argument(
            "month", nargs="?", default=None, help="YYYY-MM, the current month (the default)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        month = options["month"] or month_of(timezone.now())
        state = "taken"
        try:
            campaign = take_snapshot(month)
        except SnapshotTaken as exc:
            # Asking again is not a failure: the month has its snapshot.
            campaign, state = exc.campaign, "already taken"
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"{campaign.month}\t{state}\t{campaign.items.count()} tickets")
