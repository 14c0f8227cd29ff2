"""Benchmark: searching the ticket list (`/tickets/?q=…`) over a million demo tickets in SQLite.

Reuses the demo database bench/pages.py builds and keeps as a template (run it first): copies
the template, runs `migrate` on the copy (timed: a new search index is built then, over every
ticket), travels back to the moment the data were made for (time-machine, the clock then
ticks on) and, logged in as the dispatcher (who sees every ticket) with Django's test client,
times the first page of the ticket list searching for

- two characters: from a word in one ticket of seven to one found nowhere;
- one character: from one in half of the tickets to one found nowhere;
- three characters (the trigram index): a common phrase and a rare one.

Each is requested once to warm up (its query count and the number of matching tickets are
recorded then), then `--runs` times; it prints p50 and p95 of the server time against the
target of bench/pages.py (p95 < 150 ms). With `--scan`, one and two characters are answered as
before migration 0010, by `icontains` on the text columns, newest first: the figures to
compare with.

    .venv/bin/python bench/search.py [--tickets 1000000] [--runs 20] [--scan] [--work DIR]
                                     [--keep] [--reuse]

`--keep` leaves the migrated copy in the work directory, and `--reuse` measures it again
(and leaves it) without copying and migrating anew: the index takes minutes to build.

The exit status is 1 when a search misses the target or answers an error.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from pages import TARGET_MS, machine, percentile

HERE = Path(__file__).resolve().parent

# Words of the demo's texts (seed 2026), from the most common to none, with how many of the
# million tickets hold them: for two characters, around each threshold of the plans that
# `_fts5_search` chooses between (selectors.FEW_MATCHES, selectors.MANY_MATCHES).
SEARCHES = [
    ("no search (for comparison)", ""),
    ("two characters, 134,629 tickets", "物业"),
    ("two characters, 27,060 tickets", "停车"),
    ("two characters, 19,976 tickets", "补办"),
    ("two characters, 1,174 tickets", "道附"),
    ("two characters, 306 tickets", "雪梅"),
    ("two characters, none", "火箭"),
    ("one character, 461,454 tickets", "区"),
    ("one character, 36,510 tickets", "霞"),
    ("one character, none", "鑫"),
    ("three characters, 106,210 tickets", "噪音扰"),
    ("three characters, 8 tickets", "蒋雪梅"),
]


def scan_short_words() -> None:
    """Answer fewer than three characters as before the index of pairs: a scan."""
    from django.db.models import Q, QuerySet

    from jieban.tickets import selectors

    indexed = selectors.search_tickets

    def search_tickets(tickets: QuerySet[Any], query: str) -> QuerySet[Any]:
        text = selectors.CONTROL_CHARACTERS.sub("", query).strip()[: selectors.MAX_QUERY]
        if not text or len(text) >= selectors.TRIGRAM:
            return indexed(tickets, query)
        condition = Q(number=text)
        for name in selectors.SEARCHED_TEXT:
            condition |= Q(**{f"{name}__icontains": text})
        return tickets.filter(condition)

    selectors.search_tickets = search_tickets


def matching(query: str) -> int:
    """How many tickets the search finds, counted through the search itself."""
    from jieban.org.models import User
    from jieban.tickets.selectors import TicketFilters, filter_tickets

    dispatcher = User.objects.get(username="dispatcher")
    return filter_tickets(dispatcher, TicketFilters(q=query)).count()


def measure(runs: int) -> bool:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from jieban.org.models import User

    client = Client(HTTP_HOST="localhost")  # a host ALLOWED_HOSTS serves by default
    client.force_login(User.objects.get(username="dispatcher"))
    failed = False
    print(f"\ntarget: p95 < {TARGET_MS:.0f} ms; {runs} timed requests each, after one warm-up")
    for name, query in SEARCHES:
        path = f"/tickets/?q={query}"
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        # Counted now: the next request clears Django's query log.
        queries = len(captured.captured_queries)
        if response.status_code != 200:
            print(f"{name:34} {query:3} ERROR: HTTP {response.status_code}")
            failed = True
            continue
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            client.get(path)
            samples.append((time.perf_counter() - started) * 1000)
        p50, p95 = statistics.median(samples), percentile(samples, 0.95)
        ok = p95 < TARGET_MS
        failed |= not ok
        print(
            f"{name:34} {query:3} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  "
            f"({queries:2d} queries, {matching(query):,} found)  "
            f"{'PASS' if ok else 'FAIL'}",
            flush=True,
        )
    return failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument(
        "--scan", action="store_true", help="one and two characters by a scan, as before"
    )
    parser.add_argument("--work", type=Path, help="where to copy the template (a scratch dir)")
    parser.add_argument("--keep", action="store_true", help="keep the migrated copy")
    parser.add_argument("--reuse", action="store_true", help="measure the copy --keep kept")
    args = parser.parse_args()

    data_dir = HERE / "out" / f"pages-{args.tickets}"
    template = data_dir / "template.sqlite3"
    if not template.exists():
        sys.exit(f"no {template}: run bench/pages.py --tickets {args.tickets} first")
    work = args.work or HERE / "out" / f"search-{args.tickets}"
    reuse = args.reuse and (work / "jieban.sqlite3").exists()
    if not reuse:
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        shutil.copy(template, work / "jieban.sqlite3")
    meta = json.loads((data_dir / "built.json").read_text())
    os.environ.pop("DATABASE_URL", None)
    os.environ["JIEBAN_DATA_DIR"] = str(work)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jieban.settings")

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    assert not settings.DEBUG, "measure with JIEBAN_DEBUG off"
    if reuse:
        print(f"reusing {work} ({meta['tickets']:,} tickets for {meta['now']})", flush=True)
    else:
        print(f"copied {template} ({meta['tickets']:,} tickets for {meta['now']})", flush=True)
        started = time.perf_counter()
        call_command("migrate", "--noinput", verbosity=1)
        print(f"migrate: {time.perf_counter() - started:.0f} s", flush=True)
    print(f"machine: {machine()}", flush=True)
    if args.scan:
        scan_short_words()
        print("one and two characters: icontains, a scan newest first (as before 0010)")

    import time_machine

    with time_machine.travel(dt.datetime.fromisoformat(meta["now"]), tick=True):
        failed = measure(args.runs)
    if not (args.keep or reuse):
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
