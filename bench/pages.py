"""Benchmark: the server time of the pages people use, over a million demo tickets in SQLite
(or, with `--database-url`, in a PostgreSQL database of any size: see `measure_in_postgresql`).

Builds (once, cached under bench/out/pages-<N>/) a `jieban demo --tickets N` database and keeps
it as a template, with the moment it was built for: every run copies the template and travels
back to that moment (time-machine, the clock then ticks on), so the data are as "fresh" as when
they were made, however long ago that was. Then it measures in-process, with Django's test
client (no network, no web server; logged in with `force_login`), the time from request to
response of:

- the ticket list, first page, and filtered pages; ticket details (several tickets, in turn);
- the home page of the dispatcher, a unit handler, the supervisor and the leader;
- the monthly report page of last month (or `build_report` if there is no such page);
- `GET /api/v1/stats?period=month&…&group_by=unit`.

The demo leaves the deadlines open tickets missed last to the worker's first sweep; with
`--after-sweep` that sweep runs first (as `jieban serve` would), which is the state of a
running system: hardly any ticket is overdue for more than the minute between two sweeps.

Each is requested once to warm up (its query count is recorded then), then `--runs` times.
It prints p50 and p95 and PASS/FAIL against the target (p95 < 150 ms). A page that answers
404 is "not available" (pages still being built). With `--profile` (or for every FAIL) it prints
where the time of one request goes: SQL against the rest, the slowest queries and SQLite's
EXPLAIN QUERY PLAN of each.

    .venv/bin/python bench/pages.py [--tickets 1000000] [--runs 30] [--profile] [--after-sweep]

The exit status is 1 when a page misses the target or answers an error.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TARGET_MS = 150.0


@dataclass
class Case:
    name: str
    user: str
    paths: list[str]
    # Instead of a page: a function (when the page does not exist yet).
    call: Callable[[], Any] | None = None
    samples: list[float] = field(default_factory=list)
    queries: int | None = None
    status: str = ""


# With --search: two characters common and rare (as bench/search.py found them in the
# million demo tickets: 134,629, 27,060, 19,976, 1,174, 306 and no match), one character
# common, rare and absent, and three characters (the trigram index) common and rare.
SEARCHED_WORDS = [
    "物业",
    "停车",
    "补办",
    "道附",
    "雪梅",
    "火箭",
    "区",
    "霞",
    "鑫",
    "噪音扰",
    "蒋雪梅",
]


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, round(share * len(ordered)) - 1)]


def machine() -> str:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return (
        f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()}, load average {load}"
    )


def build(data_dir: Path, work: Path, tickets: int, seed: int, now: str | None) -> dict[str, Any]:
    """Run the demo into `work`, then keep its database as the template."""
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    call_command("migrate", "--noinput", verbosity=0)
    moment = (
        dt.datetime.fromisoformat(now)
        if now
        else timezone.localtime().replace(second=0, microsecond=0)
    )
    print(f"building {tickets:,} demo tickets for {moment.isoformat()} …", flush=True)
    started = time.perf_counter()
    call_command(
        "demo",
        "--tickets",
        str(tickets),
        "--seed",
        str(seed),
        "--now",
        moment.isoformat(),
        stdout=sys.stdout,
        stderr=sys.stderr,
    )
    seconds = time.perf_counter() - started
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            # No ANALYZE: the application never runs it, so its query planner works without
            # statistics; the benchmark measures it as it is.
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    meta = {
        "now": moment.isoformat(),
        "tickets": tickets,
        "seed": seed,
        "build_seconds": round(seconds, 1),
        "built_on": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
    }
    if (work / "jieban.sqlite3").exists():
        shutil.copy(work / "jieban.sqlite3", data_dir / "template.sqlite3")
    (data_dir / "built.json").write_text(json.dumps(meta, indent=2))
    print(f"built in {seconds:.0f} s; template kept in {data_dir}", flush=True)
    return meta


def pick_tickets() -> list[str]:
    """A few different tickets to open: the longest timeline, a resident sent back, a matter
    reported again and again, a new one, an ordinary closed one."""
    from django.db.models import Count

    from jieban.tickets.models import Ticket

    chosen: list[str] = []
    queries = [
        Ticket.objects.annotate(n=Count("orders")).order_by("-n", "pk"),
        Ticket.objects.filter(orders__reason="dissatisfied", status="closed").order_by("pk"),
        Ticket.objects.order_by("-repeat_count", "pk"),
        Ticket.objects.filter(status="new").order_by("-pk"),
        Ticket.objects.filter(status="closed").order_by("pk")[5000:],
    ]
    for query in queries:
        number = query.values_list("number", flat=True).first()
        if number and number not in chosen:
            chosen.append(number)
    return chosen


def profile(case: Case, clients: dict[str, Any]) -> None:
    """Where one request's time goes: SQL or not, the slowest queries and their plans.

    SQLite does most of a query's work while the rows are fetched, after the time Django
    records for it: each captured query is run again here, rows fetched, to time it whole."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        if case.call is not None:
            case.call()
        else:
            clients[case.user].get(case.paths[0])
        total = (time.perf_counter() - started) * 1000
    timed = []
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
                timed.append((float(query["time"]) * 1000, 0, sql))
                continue
            started = time.perf_counter()
            cursor.execute(sql)
            rows = len(cursor.fetchall())
            timed.append(((time.perf_counter() - started) * 1000, rows, sql))
    timed.sort(reverse=True)
    sql_ms = sum(ms for ms, _rows, _sql in timed)
    print(
        f"    profile of {case.paths[0] if case.paths else case.name}: {total:.1f} ms, "
        f"{len(timed)} queries taking {sql_ms:.1f} ms with their rows fetched, the rest "
        f"(Python, templates) about {max(total - sql_ms, 0):.1f} ms"
    )
    if sql_ms < total / 2:
        python_profile(case, clients)
    for ms, rows, sql in timed[:4]:
        print(f"      {ms:7.1f} ms {rows:6d} rows  {sql[:700]}")
        if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
            continue
        explain = "EXPLAIN QUERY PLAN" if connection.vendor == "sqlite" else "EXPLAIN ANALYZE"
        with connection.cursor() as cursor:
            cursor.execute(f"{explain} {sql}")
            for row in cursor.fetchall():
                print(f"                 plan: {row[-1]}")


def python_profile(case: Case, clients: dict[str, Any]) -> None:
    """The application's functions that one request spends its time in (cProfile)."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    if case.call is not None:
        case.call()
    else:
        clients[case.user].get(case.paths[0])
    profiler.disable()
    entries = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    rows = []
    for (filename, line, function), (_cc, calls, own, cumulative, _callers) in entries.items():
        where = filename.replace("\\", "/")
        if "/jieban/" in where or "django/template/" in where:
            short = (
                where.split("/jieban/", 1)[-1]
                if "/jieban/" in where
                else where.split("site-packages/", 1)[-1]
            )
            rows.append((cumulative * 1000, own * 1000, calls, f"{short}:{line} {function}"))
    rows.sort(reverse=True)
    print("      cProfile (time under profiling is inflated), by cumulative time:")
    for cumulative, own, calls, name in rows[:14]:
        print(f"      {cumulative:8.1f} ms cum {own:7.1f} ms own {calls:7d} calls  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--now", default=None, help="build the data for this moment (ISO)")
    parser.add_argument("--profile", action="store_true", help="profile every page")
    parser.add_argument("--rebuild", action="store_true", help="build the template again")
    parser.add_argument(
        "--only", action="append", default=[], help="measure the pages whose name contains this"
    )
    parser.add_argument(
        "--database-url",
        default=None,
        help="measure in this PostgreSQL database (built there when it is empty) instead of a"
        " copy of the SQLite template",
    )
    parser.add_argument(
        "--search", action="store_true", help="also the list searched for words common and rare"
    )
    parser.add_argument(
        "--after-sweep",
        action="store_true",
        help="first run the worker's sweep (reports not published), as `jieban serve` would",
    )
    args = parser.parse_args()

    if args.database_url:
        return measure_in_postgresql(args)
    data_dir = HERE / "out" / f"pages-{args.tickets}"
    template = data_dir / "template.sqlite3"
    work = data_dir / "run"
    if args.rebuild:
        template.unlink(missing_ok=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    os.environ.pop("DATABASE_URL", None)
    os.environ["JIEBAN_DATA_DIR"] = str(work)
    # The sweep's daily backup (due at a fresh data directory) is not what is measured.
    os.environ["JIEBAN_BACKUP_DAILY"] = "false"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jieban.settings")

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    if template.exists():
        shutil.copy(template, work / "jieban.sqlite3")
        meta = json.loads((data_dir / "built.json").read_text())
        # A template built before the latest migrations catches up here.
        call_command("migrate", "--noinput", verbosity=0)
        print(f"reusing {template} ({meta['tickets']:,} tickets for {meta['now']})", flush=True)
    else:
        meta = build(data_dir, work, args.tickets, args.seed, args.now)
    assert not settings.DEBUG, "measure with JIEBAN_DEBUG off"

    run_at(meta, args)


def run_at(meta: dict[str, Any], args: argparse.Namespace) -> None:
    """Travel back to the moment the data were built for and measure."""
    import time_machine

    moment = dt.datetime.fromisoformat(meta["now"])
    print(f"machine: {machine()}", flush=True)
    with time_machine.travel(moment, tick=True):
        if args.after_sweep:
            first_sweep()
        failed = measure(args)
    sys.exit(1 if failed else 0)


def measure_in_postgresql(args: argparse.Namespace) -> None:
    """Measure in the PostgreSQL database `--database-url` itself (no copy: at ten million
    tickets a copy would take longer than the run), building the demo there if it is empty.
    What it was built for is kept in bench/out/pages-pg-<database>/built.json; a database
    built otherwise (bench/grow.py's copies, or the demo run by hand) needs `--now`."""
    name = args.database_url.rsplit("/", 1)[-1]
    data_dir = HERE / "out" / f"pages-pg-{name}"
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ["JIEBAN_DATA_DIR"] = str(data_dir)
    os.environ["JIEBAN_BACKUP_DAILY"] = "false"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jieban.settings")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", "--noinput", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM org_unit")
        (units,) = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM tickets_ticket")
        (tickets,) = cursor.fetchone()
    kept = data_dir / "built.json"
    if not units:
        meta = build(data_dir, data_dir, args.tickets, args.seed, args.now)
    elif args.now:
        meta = {"now": args.now, "tickets": tickets, "seed": args.seed}
        kept.write_text(json.dumps(meta, indent=2))
    elif kept.exists():
        meta = json.loads(kept.read_text())
    else:
        sys.exit(f"{name} holds data of an unknown moment: give --now")
    print(f"measuring in {name}: {tickets:,} tickets, built for {meta['now']}", flush=True)
    run_at(meta, args)


def first_sweep() -> None:
    """What `jieban serve` does first on the demo data: the breaches the demo left to the
    worker get their orders (the deadlines move on), due-soon warnings go out. Reports are
    not published, so that the report page is still built live."""
    from django.test.utils import override_settings

    from jieban.worker.runner import run_sweep

    started = time.perf_counter()
    with override_settings(JIEBAN_AUTO_PUBLISH=False):
        report = run_sweep()
    print(
        f"first sweep: {len(report.orders):,} supervision orders, {len(report.warned):,} "
        f"due-soon warnings, {report.delivered:,} notifications delivered, rollups "
        f"rebuilt for {report.rollups} days, in {time.perf_counter() - started:.0f} s",
        flush=True,
    )


def measure(args: argparse.Namespace) -> bool:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from jieban.org.models import User
    from jieban.stats.reports import build_report

    today = timezone.localdate()
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    first = today - dt.timedelta(days=89)
    stats_start = first.replace(day=1)
    stats_end = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    users = {user.username: user for user in User.objects.all()}
    clients: dict[str, Any] = {}
    for username in ("dispatcher", "handler1", "supervisor", "leader"):
        client = Client(HTTP_HOST="localhost")  # a host ALLOWED_HOSTS serves by default
        client.force_login(users[username])
        clients[username] = client
    details = pick_tickets()
    print(f"tickets opened in turn: {', '.join(details)}")
    leader = users["leader"]
    cases = [
        Case("ticket list, first page", "dispatcher", ["/tickets/"]),
        Case(
            "ticket list, in progress at QC-PS01",
            "dispatcher",
            ["/tickets/?status=in_progress&unit=QC-PS01"],
        ),
        Case("ticket list, overdue", "dispatcher", ["/tickets/?overdue=true"]),
        Case("ticket list, dispatch late", "dispatcher", ["/tickets/?dispatch_late=true"]),
        Case("ticket list, accept late", "dispatcher", ["/tickets/?accept_late=true"]),
        Case("ticket list, escalated", "dispatcher", ["/tickets/?escalated=true"]),
        Case("ticket list, handler1's own", "handler1", ["/tickets/"]),
        Case("ticket list, handler1 overdue", "handler1", ["/tickets/?overdue=true"]),
        Case("GET /api/v1/tickets", "dispatcher", ["/api/v1/tickets"]),
        Case(
            f"ticket detail ({len(details)} tickets)",
            "dispatcher",
            [f"/tickets/{number}/" for number in details],
        ),
        Case("home: dispatcher (command centre)", "dispatcher", ["/"]),
        Case("home: handler1 (QC-PS01)", "handler1", ["/"]),
        Case("home: supervisor", "supervisor", ["/"]),
        Case("home: leader", "leader", ["/"]),
        Case("inbox: handler1", "handler1", ["/inbox/"]),
        Case("supervision board", "supervisor", ["/supervision/"]),
        Case("follow-up queue", "dispatcher", ["/follow-up/"]),
        Case("campaign page", "leader", ["/campaign/"]),
        Case("statistics page", "leader", ["/stats/"]),
        Case("notifications: handler1", "handler1", ["/notifications/"]),
        Case(f"monthly report page {last_month}", "leader", [f"/reports/monthly/{last_month}/"]),
        Case(
            "GET /api/v1/stats by month and unit",
            "leader",
            [f"/api/v1/stats?period=month&start={stats_start}&end={stats_end}&group_by=unit"],
        ),
    ]
    if args.search:
        cases += [
            Case(f"ticket list ?q={word}", "dispatcher", [f"/tickets/?q={word}"])
            for word in SEARCHED_WORDS
        ]
    if args.only:
        cases = [case for case in cases if any(part in case.name for part in args.only)]
    failed = False
    print(f"\ntarget: p95 < {TARGET_MS:.0f} ms; {args.runs} timed requests each, after one warm-up")
    for case in cases:
        client = clients[case.user]
        with CaptureQueriesContext(connection) as captured:
            responses = [client.get(path) for path in case.paths]
        statuses = {response.status_code for response in responses}
        if statuses == {404}:
            if case.name.startswith("monthly report page"):
                # No report page yet: the report itself, as the page would build it.
                case.name = f"monthly report {last_month} (build_report)"
                case.call = lambda: build_report(leader, "monthly", last_month)
                case.paths = []
                with CaptureQueriesContext(connection) as captured:
                    case.call()
            else:
                print(f"{case.name:44} not available (404)")
                continue
        elif statuses != {200}:
            print(f"{case.name:44} ERROR: HTTP {sorted(statuses)}")
            failed = True
            continue
        case.queries = len(captured.captured_queries) // max(len(case.paths), 1)
        for index in range(args.runs):
            started = time.perf_counter()
            if case.call is not None:
                case.call()
            else:
                client.get(case.paths[index % len(case.paths)])
            case.samples.append((time.perf_counter() - started) * 1000)
        p50, p95 = statistics.median(case.samples), percentile(case.samples, 0.95)
        ok = p95 < TARGET_MS
        failed |= not ok
        print(
            f"{case.name:44} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  "
            f"({case.queries:3d} queries)  {'PASS' if ok else 'FAIL'}",
            flush=True,
        )
        if args.profile or not ok:
            profile(case, clients)
    return failed


if __name__ == "__main__":
    main()
