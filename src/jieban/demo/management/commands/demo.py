"""`jieban demo [--tickets N] [--seed S] [--if-empty]`: a fictional county bureau to try out."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from jieban.demo.data import BUREAU
from jieban.demo.exchange import build_exchange
from jieban.demo.generator import TicketGenerator
from jieban.demo.handovers import hand_over_disputes
from jieban.demo.mediation import build_mediation
from jieban.demo.network import build_network
from jieban.demo.organisation import create_organisation, create_people, demo_logins
from jieban.demo.rules import create_dispatch_rules
from jieban.demo.suggestions import build_suggestion_history
from jieban.org.models import Unit, User
from jieban.stats import mediation_rollups
from jieban.stats.rollups import refresh_range
from jieban.tickets.models import Ticket


def _moment(value: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(value)
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


class Command(BaseCommand):
    help = (
        "Fill an empty database with a fictional county bureau (青川县公安局): its command centre, "
        "6 police stations, communities, 20 grids, a login for every role, and N tickets over "
        "the last 90 days in every state. The same seed gives the same data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tickets", type=int, default=3000, help="how many tickets (3000)")
        parser.add_argument("--seed", type=int, default=2026, help="random seed (2026)")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing (but list the demo logins) when the database already has units",
        )
        parser.add_argument(
            "--now",
            type=_moment,
            default=None,
            help="the moment the 90 days end (ISO 8601; default: now). With the same seed and "
            "the same moment, the data are identical.",
        )
        parser.add_argument(
            "--cases",
            type=int,
            default=None,
            help="how many mediation cases over the last year (default: 4 for every 5 tickets, "
            "at most 3000)",
        )
        parser.add_argument(
            "--batch-size", type=int, default=5000, help="tickets per bulk insert (5000)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["tickets"] < 0:
            raise CommandError("--tickets must be 0 or more")
        if options["cases"] is not None and options["cases"] < 0:
            raise CommandError("--cases must be 0 or more")
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        if Unit.objects.exists() or Ticket.objects.exists():
            if options["if_empty"]:
                self.stdout.write("The database already has units: the demo was not loaded.")
                self._print_logins()
                return
            raise CommandError(
                "The database already has units or tickets: the demo fills an empty database "
                "only (use --if-empty to skip quietly, or a new JIEBAN_DATA_DIR)."
            )
        started = time.monotonic()
        now = options["now"] or timezone.now()
        with transaction.atomic():
            create_organisation()
            people = create_people()
        total = options["tickets"]

        def progress(done: int) -> None:
            if total >= 50000:
                rate = done / max(time.monotonic() - started, 0.001)
                self.stderr.write(f"  {done} / {total} tickets ({rate:.0f}/s)")

        generator = TicketGenerator(
            seed=options["seed"],
            now=now,
            people=people,
            batch_size=options["batch_size"],
            progress=progress,
        )
        created = generator.run(total)
        cases = options["cases"] if options["cases"] is not None else min(total * 4 // 5, 3000)
        with transaction.atomic():
            network = build_network(seed=options["seed"], now=now, admin=people["admin"])
            mediation = build_mediation(seed=options["seed"], now=now, cases=cases)
        generated = time.monotonic()
        if total >= 50000:
            self.stderr.write(f"  tickets written in {generated - started:.1f} s; daily rollups…")
        # The inserts marked their days dirty: build the rollups now, so that the first report
        # does not wait for them.
        refresh_range(generator.first_day, generator.now.date() + dt.timedelta(days=1))
        while mediation_rollups.refresh():
            pass
        # Through the real actions, at the real time: after the rollups, like any later work.
        handovers = hand_over_disputes(now)
        exchange = build_exchange(now, admin=people["admin"])
        # What the intake would have suggested these last weeks, before any dispatch rule.
        history = build_suggestion_history(now=now, by=people["dispatcher"])
        with transaction.atomic():
            rules = create_dispatch_rules(people["admin"])
        elapsed = time.monotonic() - started
        counts = generator.counts
        self.stdout.write(
            f"Demo loaded: {BUREAU[1]} ({BUREAU[0]}), {Unit.objects.count()} units, "
            f"{User.objects.count()} people, {created} tickets with {counts['orders']} supervision "
            f"orders, {counts['visits']} follow-up calls, {counts['repeats']} repeat reports and "
            f"{counts['extensions']} requests for more time; {len(network.towns)} towns, "
            f"{sum(len(rows) for rows in network.buildings.values())} buildings, "
            f"{network.letters} appointment letters, {network.reports} phone reports, "
            f"{len(mediation.committees)} mediation committees, {len(mediation.studios)} "
            f"studios, {mediation.cases} mediation cases, {handovers} hand-overs, "
            f"{exchange.orders} 12345 platform orders with {exchange.messages} messages out, "
            f"{exchange.open311} Open311 requests, {exchange.imported} imported tickets, "
            f"{history.suggestions} suggestions at intake (the classifier trained on "
            f"{history.trained_on} closed tickets) and {rules} dispatch rules "
            f"in {elapsed:.1f} s (rollups {elapsed - (generated - started):.1f} s)."
        )
        self._print_logins()

    def _print_logins(self) -> None:
        rows = demo_logins()
        if not rows:
            self.stdout.write("No demo logins in this database.")
            return
        table = [("username", "role", "unit", "password"), *rows]
        widths = [max(_width(row[i]) for row in table) for i in range(3)]
        self.stdout.write("")
        for row in table:
            cells = [row[i] + " " * (widths[i] - _width(row[i])) for i in range(3)]
            self.stdout.write("  ".join([*cells, row[3]]))


def _width(text: str) -> int:
    """Columns a terminal gives `text`: CJK characters take two."""
    return sum(2 if ord(char) >= 0x2E80 else 1 for char in text)
