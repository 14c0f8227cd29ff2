"""Benchmark: the worker's sweep in a PostgreSQL demo database of millions of tickets (issue 14,
item 4), as a running system meets it.

Works in the database bench/pages.py measured (`--database-url`; the moment the data are for is
in bench/out/pages-pg-<database>/built.json) and travels back to that moment. First the
worker's catch-up (the demo leaves the breaches of its last minutes to the first sweep, and
the rollups and reports to be brought up to date; not timed against the target). Then, as in
bench/sweep.py, `--overdue` running tickets whose deadline is hours away have it moved to a
few minutes ago, and a full sweep is timed (it must issue exactly one order each), then the
sweeps that find nothing. The database is changed (the orders stay): each run takes other
tickets.

    .venv/bin/python bench/scale_sweep.py --database-url postgres://…/jieban_scale

Targets on the 2-core reference machine: the full sweep under 5 s, the empty one under 0.1 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

from sweep import print_parts, time_empty_sweeps  # bench/sweep.py, beside this file

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--overdue", type=int, default=1_000)
    parser.add_argument("--empty-runs", type=int, default=20)
    args = parser.parse_args()
    name = args.database_url.rsplit("/", 1)[-1]
    data_dir = HERE / "out" / f"pages-pg-{name}"
    meta = json.loads((data_dir / "built.json").read_text())
    os.environ["DATABASE_URL"] = args.database_url
    os.environ["JIEBAN_DATA_DIR"] = str(data_dir)
    # No daily backup of a benchmark's database by its sweeps.
    os.environ["JIEBAN_BACKUP_DAILY"] = "false"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jieban.settings")

    import django

    django.setup()
    import time_machine
    from django.db.models import F
    from django.test.utils import override_settings

    from jieban.stats import rollups
    from jieban.tickets.models import Status, SupervisionOrder, Ticket
    from jieban.worker.runner import run_sweep

    with (
        time_machine.travel(dt.datetime.fromisoformat(meta["now"]), tick=True),
        override_settings(JIEBAN_AUTO_PUBLISH=True),
    ):
        from django.utils import timezone

        started = time.perf_counter()
        sweeps = 0
        while True:
            sweeps += 1
            report = run_sweep()
            if not (report.orders or report.warned or report.rollups or report.published):
                break
        print(f"catch-up: {sweeps} sweeps in {time.perf_counter() - started:.1f} s (not timed)")
        print(f"tickets: {Ticket.objects.count():,}", flush=True)
        now = timezone.now()
        # Running tickets not due for hours, not already ordered: their deadline just passed.
        chosen = list(
            Ticket.objects.filter(
                status__in=(Status.DISPATCHED, Status.IN_PROGRESS),
                due_at__gt=now + dt.timedelta(hours=3),
                supervision_level=0,
            )
            .order_by("pk")
            .values_list("pk", flat=True)[: args.overdue]
        )
        before = SupervisionOrder.objects.count()
        late = now - dt.timedelta(minutes=5)
        Ticket.objects.filter(pk__in=chosen).update(
            due_at=late, watch_at=late, warned_due_at=late, version=F("version") + 1
        )
        # The rollups the moved deadlines dirtied, as a running worker would have them (not by
        # a sweep, which would issue the orders already).
        while rollups.refresh():
            pass
        # The same tickets, minus the orders the catch-up sweeps may have issued for them.
        started = time.perf_counter()
        full = run_sweep()
        full_seconds = time.perf_counter() - started
        issued = SupervisionOrder.objects.count() - before
        print(
            f"full sweep: {full_seconds:.2f} s, {len(full.orders)} orders "
            f"({issued} new in the table), {len(full.warned)} warnings, rollups of "
            f"{full.rollups} dates",
            flush=True,
        )
        print_parts(full)
        while run_sweep().rollups:
            pass
        found_later = time_empty_sweeps(args.empty_runs)
        ok = len(full.orders) == issued == len(chosen) and found_later == 0
        print("orders issued == newly overdue tickets:", "yes" if ok else "NO")
        if not ok:
            sys.exit(1)


if __name__ == "__main__":
    main()
