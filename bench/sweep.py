"""Benchmark: the worker's sweep over a million tickets in SQLite.

Builds (once, cached under bench/out/) a database of 1,000,000 tickets of which 100,000 are
open, 1,000 of those with a deadline that has just passed. The open ones due before the end of
the next working day were already warned, as they would be in a running system; likewise the
reports of the periods that ended before today are frozen and the month's campaign snapshot is
taken (timed apart) before the sweeps. Then it times a full sweep (which must issue the 1,000
supervision orders and freeze the reports of the periods that ended today) and a second sweep
that finds nothing, and checks what each did.

    .venv/bin/python bench/sweep.py [--tickets 1000000] [--open 100000] [--overdue 1000]

Targets on the 2-core reference machine: the full sweep under 5 s, the empty one under 0.1 s.
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

HERE = Path(__file__).resolve().parent


def build(tickets: int, open_count: int, overdue: int, seed: int) -> float:
    """Fill the database; returns the moment (a timestamp) the deadlines are relative to."""
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from jieban.org.actions import create_person, create_unit
    from jieban.org.models import Unit, User
    from jieban.tickets.models import Category, Status, Ticket
    from jieban.workcalendar.workdays import due_soon_horizon

    call_command("migrate", "--noinput", verbosity=0)
    create_unit(code="BUR", kind="bureau", name="测试县公安局")
    create_unit(code="CC", kind="centre", name="指挥中心", parent="BUR")
    stations = []
    for index in range(1, 7):
        code = f"PS{index:02d}"
        create_unit(code=code, kind="station", name=f"第{index}派出所", parent="BUR")
        create_person(username=f"h{index}", role="unit_handler", unit=code, password="bench-pass-1")
        create_person(username=f"l{index}", role="unit_leader", unit=code, password="bench-pass-1")
        stations.append(Unit.objects.get(code=code))
    dispatcher = create_person(username="d", role="dispatcher", unit="CC", password="bench-pass-1")
    categories = list(Category.objects.all())
    rng = random.Random(seed)
    now = timezone.now()
    horizon = due_soon_horizon(now)
    closed = tickets - open_count
    batch: list[Ticket] = []
    started = time.perf_counter()

    def flush() -> None:
        with transaction.atomic():
            Ticket.objects.bulk_create(batch, batch_size=5000)
        batch.clear()

    for index in range(tickets):
        received = now - dt.timedelta(minutes=rng.randint(60, 60 * 24 * 365))
        unit = stations[index % len(stations)]
        fields = {
            "number": f"JB{received:%Y%m%d}-{index:07d}",
            "channel": "hotline_12345",
            "category": categories[index % len(categories)],
            "unit": unit,
            "title": "噪音扰民",
            "content": "楼上装修噪音很大，晚上十点还在施工。",
            "resident_phone": f"138{index:08d}",
            "received_at": received,
            "registered_at": received,
            "registered_by": dispatcher,
            "dispatched_at": received + dt.timedelta(minutes=10),
        }
        if index < closed:
            ticket = Ticket(
                status=Status.CLOSED,
                due_at=received + dt.timedelta(days=7),
                resolved_at=received + dt.timedelta(days=3),
                closed_at=received + dt.timedelta(days=4),
                result="已处理",
                **fields,
            )
        else:
            position = index - closed
            if position < overdue:
                due = now - dt.timedelta(minutes=rng.randint(1, 10))
            else:
                # Not within the next two hours, so no other ticket falls due while we measure.
                due = now + dt.timedelta(minutes=rng.randint(120, 60 * 24 * 14))
            status = Status.IN_PROGRESS if position % 2 else Status.DISPATCHED
            signing_due = received + dt.timedelta(days=1)
            ticket = Ticket(
                status=status,
                due_at=due,
                # Warned already, as a running system would have done when it came near.
                warned_due_at=due if now <= due <= horizon else None,
                # The sweep looks at a running ticket when its deadline comes.
                watch_at=due,
                # Signed for, or told once already that it was not: no clock to look at.
                accept_due_at=signing_due,
                accept_late_at=signing_due
                if status == Status.DISPATCHED and signing_due < now
                else None,
                **fields,
            )
        batch.append(ticket)
        if len(batch) >= 20000:
            flush()
    if batch:
        flush()
    assert User.objects.count() >= 13
    print(f"built {tickets:,} tickets in {time.perf_counter() - started:.0f} s", flush=True)
    return now.timestamp()


def print_parts(report: Any) -> None:
    """The seconds of each part of a sweep (`SweepReport.seconds`), on one line."""
    print(
        "  parts: "
        + ", ".join(f"{part} {seconds:.2f} s" for part, seconds in report.seconds.items()),
        flush=True,
    )


def time_empty_sweeps(runs: int) -> int:
    """Run `runs` sweeps, print their median and slowest time, and return what they found
    (orders, warnings and reports: none, when they are empty)."""
    from jieban.worker.runner import run_sweep

    times = []
    found = 0
    for _ in range(runs):
        started = time.perf_counter()
        empty = run_sweep()
        times.append(time.perf_counter() - started)
        found += len(empty.orders) + len(empty.warned) + len(empty.published)
    print(
        f"empty sweep: median {statistics.median(times) * 1000:.1f} ms, "
        f"max {max(times) * 1000:.1f} ms over {runs} runs",
        flush=True,
    )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--open", type=int, default=100_000)
    parser.add_argument("--overdue", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--empty-runs", type=int, default=20)
    parser.add_argument(
        "--profile", action="store_true", help="profile the full sweep: its slowest queries"
    )
    args = parser.parse_args()

    data_dir = HERE / "out" / f"sweep-{args.tickets}-{args.open}-{args.overdue}-{args.seed}"
    template = data_dir / "template.sqlite3"
    work = data_dir / "run"
    os.environ.pop("DATABASE_URL", None)
    os.environ["JIEBAN_DATA_DIR"] = str(work)
    # The sweep's daily backup (due at a fresh data directory) is not what is measured.
    os.environ["JIEBAN_BACKUP_DAILY"] = "false"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jieban.settings")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from jieban.notify.models import Notification
    from jieban.stats import rollups
    from jieban.stats.reports import publish_ended_periods
    from jieban.tickets.campaign import take_month_snapshot
    from jieban.tickets.models import SupervisionOrder, Ticket
    from jieban.worker.runner import run_sweep

    if template.exists():
        shutil.copy(template, work / "jieban.sqlite3")
        from django.core.management import call_command

        # A template built before the latest migrations catches up here.
        call_command("migrate", "--noinput", verbosity=0)
        # Deadlines are relative to the time of the build: move them to now.
        shift = time.time() - float((data_dir / "built_at").read_text())
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE tickets_ticket SET due_at = datetime(due_at, ?), "
                "warned_due_at = datetime(warned_due_at, ?), watch_at = datetime(watch_at, ?) "
                "WHERE status IN ('dispatched', 'in_progress')",
                [f"+{int(shift)} seconds"] * 3,
            )
            # A template built by an older version of this script may have deadlines falling
            # due during the run: push those two hours on (warned ones stay warned).
            cursor.execute(
                "UPDATE tickets_ticket SET due_at = datetime(due_at, '+2 hours'), "
                "warned_due_at = datetime(warned_due_at, '+2 hours'), "
                "watch_at = datetime(watch_at, '+2 hours') WHERE status IN "
                "('dispatched', 'in_progress') AND due_at > datetime('now') "
                "AND due_at < datetime('now', '+2 hours')"
            )
        print(f"reusing {template} (deadlines moved by {shift:.0f} s)", flush=True)
    else:
        built_at = build(args.tickets, args.open, args.overdue, args.seed)
        connection.close()
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        shutil.copy(work / "jieban.sqlite3", template)
        (data_dir / "built_at").write_text(str(built_at))
        # Deadlines were set relative to the start of the build, minutes ago: move them to now.
        shift = time.time() - built_at
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE tickets_ticket SET due_at = datetime(due_at, ?), "
                "warned_due_at = datetime(warned_due_at, ?), watch_at = datetime(watch_at, ?) "
                "WHERE status IN ('dispatched', 'in_progress')",
                [f"+{int(shift)} seconds"] * 3,
            )

    # Moving the deadlines changed every open ticket, and the rollup triggers marked their days
    # dirty: a running worker keeps the rollups current every sweep, so bring them up to date
    # first, as they would be, and time only what the sweep itself makes dirty.
    started = time.perf_counter()
    days = 0
    while cleaned := rollups.refresh():
        days += cleaned
    print(
        f"rollups brought up to date after moving the deadlines: {days} dates in "
        f"{time.perf_counter() - started:.1f} s (not timed below)",
        flush=True,
    )
    # A running worker froze each period's report as the period ended: freeze them up to the
    # day before (not timed), and leave those that ended today (yesterday, and the week or the
    # month that ended with it) to the timed sweep, as each night's first sweep finds them.
    started = time.perf_counter()
    frozen = 0
    while True:
        published, left = publish_ended_periods(
            timezone.localdate() - dt.timedelta(days=1),
            limit=100,
            horizon_days=settings.JIEBAN_PUBLISH_CATCH_UP_DAYS,
        )
        frozen += len(published)
        if not left:
            break
    print(
        f"reports frozen up to the day before: {frozen} in "
        f"{time.perf_counter() - started:.1f} s (not timed below)",
        flush=True,
    )
    # The month's first sweep took its campaign snapshot: time that once, apart (its cost is
    # once a month, not each sweep's).
    started = time.perf_counter()
    campaign = take_month_snapshot(timezone.now())
    listed = campaign.items.count() if campaign else 0
    print(
        f"the month's campaign snapshot: {listed:,} tickets listed in "
        f"{time.perf_counter() - started:.2f} s (once a month, by its first sweep)",
        flush=True,
    )
    open_tickets = Ticket.objects.filter(status__in=("dispatched", "in_progress")).count()
    print(f"tickets: {Ticket.objects.count():,}, open: {open_tickets:,}", flush=True)

    started = time.perf_counter()
    if args.profile:
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            full = run_sweep()
        full_seconds = time.perf_counter() - started
        queries = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))
        print(f"{len(queries)} queries, {sum(float(q['time']) for q in queries):.2f} s in all")
        for query in queries[:15]:
            print(f"  {float(query['time']) * 1000:8.1f} ms  {query['sql'][:300]}")
    else:
        full = run_sweep()
        full_seconds = time.perf_counter() - started
    told = Notification.objects.filter(kind="supervision_order").count()
    print(
        f"full sweep: {full_seconds:.2f} s, {len(full.orders)} orders, "
        f"{len(full.warned)} warnings, {told} notifications, rollups rebuilt for "
        f"{full.rollups} dates, reports frozen: {', '.join(full.published) or 'none'}",
        flush=True,
    )
    print_parts(full)
    found_later = 0
    # The dates the orders dirtied beyond the full sweep's share of rollups are rebuilt by the
    # sweeps that follow, a bounded number each: time those, then the empty sweeps proper.
    catch_up = []
    while True:
        started = time.perf_counter()
        sweep = run_sweep()
        found_later += len(sweep.orders) + len(sweep.warned) + len(sweep.published)
        if not sweep.rollups:
            break
        catch_up.append((time.perf_counter() - started, sweep.rollups))
    if catch_up:
        print(
            f"the next {len(catch_up)} sweeps rebuilt the other "
            f"{sum(dates for _seconds, dates in catch_up)} dates' rollups, "
            f"{max(seconds for seconds, _dates in catch_up):.2f} s at the most",
            flush=True,
        )
    found_later += time_empty_sweeps(args.empty_runs)
    orders = SupervisionOrder.objects.count()
    print(f"orders, warnings or reports found by the empty sweeps: {found_later}")
    ok = len(full.orders) == orders == args.overdue and found_later == 0
    print("orders issued == newly overdue tickets:", "yes" if ok else f"NO ({orders})")
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
