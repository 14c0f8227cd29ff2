"""Benchmark: earlier reports of the same matter (重复反映, suggestions/repeats.py).

Two measures, on SQLite (default) or on PostgreSQL (`--postgres URL`: a database of its own,
emptied first):

- **quality**: a `jieban demo --tickets N` bureau plants repeats (a share of calls report a
  matter of the last 30 days again, the address and words said another way, sometimes by a
  neighbour: demo/variations.py), each marked as a repeat of its earlier ticket. For every
  planted repeat, at the moment it was registered, the top three of `similar_tickets` among
  the tickets received before it are compared with the truth: right when of the same matter
  (the same first report at the end of the `repeat_of` chain). Prints recall@3 (the earlier
  ticket marked, or any of its matter, among the three), precision@3 (of the suggestions
  shown for the repeats, the share of the same matter), the first suggestion's accuracy, and
  for first reports how often something is suggested all the same.
- **lookups**: the time of one lookup (`similar_tickets` of a recent ticket, as
  `GET /api/v1/tickets/{number}/similar` runs it, as a dispatcher who sees every ticket) at
  `--tickets` tickets: the demo's bureau of `--base` tickets (its last 90 days), with copies
  of its tickets, closed and received 90 days earlier each time, until there are `--tickets`
  (the demo generator makes a million in 20 minutes and more; the copies take seconds, and
  the lookup reads only the latest tickets of a phone, a building and a grid: what the older
  ones cost is their weight in the indexes). Prints p50/p95 against the target, 50 ms.

    .venv/bin/python bench/repeats.py quality [--tickets 20000] [--postgres URL]
    .venv/bin/python bench/repeats.py lookups [--tickets 1000000] [--base 20000] [--runs 300]
                                              [--postgres URL] [--reuse]

The exit status is 1 when the lookups miss the target.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from pages import machine, percentile

HERE = Path(__file__).resolve().parent
TARGET_MS = 50.0
# The demo's span of days: each copy of its tickets goes this much further back.
SPAN_DAYS = 90


def set_up(args: argparse.Namespace, name: str) -> Path:
    """Django on an empty database: a fresh SQLite file, or the PostgreSQL one emptied; with
    `--reuse`, on the one the last run left."""
    work = HERE / "out" / f"repeats-{name}-{'postgresql' if args.postgres else 'sqlite'}"
    if not args.reuse:
        shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    os.environ["JIEBAN_DATA_DIR"] = str(work)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jieban.settings")
    if args.postgres:
        os.environ["DATABASE_URL"] = args.postgres
    else:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.db import connection

    if connection.vendor == "postgresql" and not args.reuse:
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    return work


def build_demo(tickets: int, seed: int, now: dt.datetime) -> float:
    from django.core.management import call_command

    call_command("migrate", "--noinput", verbosity=0)
    started = time.perf_counter()
    call_command(
        "demo", "--tickets", str(tickets), "--seed", str(seed), "--now", now.isoformat(),
        "--cases", "0", stdout=open(os.devnull, "w"),  # noqa: SIM115
    )  # fmt: skip
    return time.perf_counter() - started


def quality(args: argparse.Namespace) -> None:
    set_up(args, f"quality-{args.tickets}")
    import time_machine

    from jieban.org.actors import SYSTEM
    from jieban.suggestions.repeats import similar_tickets
    from jieban.tickets.models import Ticket

    now = dt.datetime.fromisoformat(args.now)
    seconds = build_demo(args.tickets, args.seed, now)
    print(f"demo of {args.tickets:,} tickets built in {seconds:.0f} s", flush=True)
    repeat_of = dict(Ticket.objects.values_list("pk", "repeat_of_id"))

    def matter(pk: int) -> int:
        while repeat_of.get(pk):
            pk = repeat_of[pk]
        return pk

    def top_three(ticket: Ticket) -> list[Any]:
        with time_machine.travel(ticket.registered_at, tick=False):
            found = similar_tickets(ticket, by=SYSTEM, limit=10)
        # Only what was there when the call came in.
        earlier = [item for item in found if item.ticket.received_at < ticket.received_at]
        return earlier[:3]

    repeats = list(Ticket.objects.filter(repeat_of__isnull=False).order_by("pk"))
    found_marked = found_matter = first_right = shown = right = 0
    for ticket in repeats:
        top = top_three(ticket)
        same = [matter(item.ticket.pk) == matter(ticket.pk) for item in top]
        found_marked += any(item.ticket.pk == ticket.repeat_of_id for item in top)
        found_matter += any(same)
        first_right += bool(same and same[0])
        shown += len(top)
        right += sum(same)
    rng = random.Random(args.seed)
    firsts = list(
        Ticket.objects.filter(repeat_of__isnull=True, repeats__isnull=True).values_list(
            "pk", flat=True
        )
    )
    sample = Ticket.objects.filter(pk__in=rng.sample(firsts, min(args.sample, len(firsts))))
    alarms = strong = 0
    drawn = sample.count()
    for ticket in sample:
        top = top_three(ticket)
        alarms += bool(top)
        strong += any(item.score >= 0.6 for item in top)
    count = len(repeats)
    print(f"machine: {machine()}")
    print(f"planted repeats: {count:,} of {args.tickets:,} tickets")
    print(f"recall@3, the ticket marked:  {found_marked / count:.1%}")
    print(f"recall@3, any of its matter:  {found_matter / count:.1%}")
    print(f"precision@3:                  {right / max(shown, 1):.1%} ({right:,} of {shown:,})")
    print(f"first suggestion right:       {first_right / count:.1%}")
    print(f"first reports ({drawn} drawn) with a suggestion: {alarms / drawn:.1%}")
    print(f"  with one scored 0.6 or more: {strong / drawn:.1%}")


def copy_tickets(total: int) -> float:
    """Copies of the demo's tickets, closed, each round 90 days further back, up to `total`.
    The search index (triggers, trigram index) is dropped first: the lookup does not read
    it, and keeping it would make the copies take hours."""
    from django.db import connection

    from jieban.tickets.models import Ticket

    started = time.perf_counter()
    columns = [field.column for field in Ticket._meta.concrete_fields if field.column != "id"]
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if postgres:
            cursor.execute(
                "SELECT indexname FROM pg_indexes WHERE tablename = 'tickets_ticket'"
                " AND indexdef ILIKE '%gin%'"
            )
            for (name,) in cursor.fetchall():
                cursor.execute(f"DROP INDEX {name}")
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger'"
                " AND tbl_name = 'tickets_ticket'"
            )
            for (name,) in cursor.fetchall():
                cursor.execute(f"DROP TRIGGER {name}")
        cursor.execute("SELECT max(id) FROM tickets_ticket")
        (base,) = cursor.fetchone()
        round_ = 0
        while (count := Ticket.objects.count()) < total:
            round_ += 1
            take = min(base, total - count)
            shifted = {
                "number": f"number || '-{round_}'",
                "external_id": "NULL",
                "status": "'closed'",
                "repeat_of_id": "NULL",
                "merged_into_id": "NULL",
            }
            for moment in ("received_at", "registered_at"):
                shifted[moment] = (
                    f"{moment} - interval '{SPAN_DAYS * round_} days'"
                    if postgres
                    else f"strftime('%Y-%m-%d %H:%M:%f', {moment}, '-{SPAN_DAYS * round_} days')"
                )
            chosen = ", ".join(shifted.get(column, column) for column in columns)
            cursor.execute(
                f"INSERT INTO tickets_ticket ({', '.join(columns)}) "
                f"SELECT {chosen} FROM tickets_ticket WHERE id <= %s ORDER BY id",
                [take],
            )
            print(f"  {count + take:,} tickets", flush=True)
        if postgres:
            cursor.execute("ANALYZE tickets_ticket")
    return time.perf_counter() - started


def lookups(args: argparse.Namespace) -> bool:
    set_up(args, f"lookups-{args.tickets}")
    import time_machine
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from jieban.org.models import Role, User
    from jieban.suggestions.repeats import similar_tickets
    from jieban.tickets.access import access_ticket
    from jieban.tickets.models import Ticket

    now = dt.datetime.fromisoformat(args.now)
    if not args.reuse:
        seconds = build_demo(args.base, args.seed, now)
        print(f"demo of {args.base:,} tickets built in {seconds:.0f} s", flush=True)
        seconds = copy_tickets(args.tickets)
        print(f"copied up to {Ticket.objects.count():,} tickets in {seconds:.0f} s", flush=True)
    dispatcher = User.objects.filter(role=Role.DISPATCHER, is_active=True).first()
    assert dispatcher is not None
    rng = random.Random(args.seed)
    recent = list(
        Ticket.objects.filter(received_at__gte=now - dt.timedelta(days=60))
        .exclude(status__in=("invalid", "merged"))
        .values_list("number", flat=True)
    )
    numbers = rng.sample(recent, min(args.runs, len(recent)))
    times: list[float] = []
    found: list[int] = []
    with time_machine.travel(now, tick=True):
        first = access_ticket(dispatcher, numbers[0])
        with CaptureQueriesContext(connection) as queries:
            similar_tickets(first, by=dispatcher)
        # Counted now: `reset_queries` below empties the log the context reads from.
        query_count = len(queries.captured_queries)
        for number in numbers:
            started = time.perf_counter()
            ticket = access_ticket(dispatcher, number)
            result = similar_tickets(ticket, by=dispatcher)
            times.append((time.perf_counter() - started) * 1000)
            found.append(len(result))
            reset_queries()
    p50, p95 = statistics.median(times), percentile(times, 0.95)
    verdict = "PASS" if p95 < TARGET_MS else "FAIL"
    print(f"machine: {machine()}")
    print(
        f"{connection.vendor}, {Ticket.objects.count():,} tickets: {len(times)} lookups, "
        f"1 + {query_count} queries each, p50 {p50:.1f} ms, p95 {p95:.1f} ms, "
        f"max {max(times):.1f} ms, {statistics.mean(found):.1f} found on average "
        f"(target p95 < {TARGET_MS:.0f} ms): {verdict}"
    )
    return verdict == "FAIL"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("measure", choices=("quality", "lookups"))
    parser.add_argument("--tickets", type=int, default=None)
    parser.add_argument("--base", type=int, default=20_000, help="the demo's tickets (lookups)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--now", default="2026-11-30T10:00:00+08:00")
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--sample", type=int, default=500, help="first reports drawn (quality)")
    parser.add_argument("--postgres", default="", help="a PostgreSQL database URL to empty")
    parser.add_argument(
        "--reuse", action="store_true", help="measure the lookups on the last run's database"
    )
    args = parser.parse_args()
    if args.measure == "quality":
        args.tickets = args.tickets or 20_000
        quality(args)
        sys.exit(0)
    args.tickets = args.tickets or 1_000_000
    sys.exit(1 if lookups(args) else 0)


if __name__ == "__main__":
    main()
