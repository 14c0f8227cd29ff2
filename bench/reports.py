"""Benchmark: statistics and reports over a million tickets in SQLite.

Reuses the database `bench/sweep.py` builds (1,000,000 tickets over a year; run it first),
rebuilds the daily rollups once, then times over repeated runs, as a bureau-wide user: a
monthly, weekly and daily report built live, and `GET /api/v1/stats` grouped four ways,
through Django's test client (server time, no network). Prints p50 and p95 of each.

    .venv/bin/python bench/reports.py [--runs 30]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "out" / "sweep-1000000-100000-1000-7" / "template.sqlite3"


def timed(runs: int, work: Callable[[], object]) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[max(0, round(0.95 * len(samples)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    if not SOURCE.exists():
        raise SystemExit(f"{SOURCE} is missing: run bench/sweep.py first")
    work = HERE / "out" / "reports"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    shutil.copy(SOURCE, work / "jieban.sqlite3")
    os.environ.pop("DATABASE_URL", None)
    os.environ["JIEBAN_DATA_DIR"] = str(work)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jieban.settings")

    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from jieban.org.models import User
    from jieban.stats import rollups
    from jieban.stats.reports import build_report

    call_command("migrate", "--noinput", verbosity=0)
    started = time.perf_counter()
    rollups.refresh_range(dt.date(2000, 1, 1), dt.date(2100, 1, 1))
    print(f"rollups rebuilt for every day in {time.perf_counter() - started:.1f} s", flush=True)

    user = User.objects.get(username="d")
    client = Client(HTTP_HOST="localhost")  # a host ALLOWED_HOSTS serves by default
    client.force_login(user)
    cases: list[tuple[str, Callable[[], object]]] = [
        ("monthly report 2026-10", lambda: build_report(user, "monthly", "2026-10")),
        ("weekly report 2026-W42", lambda: build_report(user, "weekly", "2026-W42")),
        ("daily report 2026-10-14", lambda: build_report(user, "daily", "2026-10-14")),
    ]
    for group_by in ("category", "unit", "channel", "grid"):
        path = f"/api/v1/stats?period=month&start=2026-01-01&end=2027-01-01&group_by={group_by}"
        cases.append((f"GET stats by month and {group_by}", lambda path=path: client.get(path)))
    for name, work_item in cases:
        p50, p95 = timed(args.runs, work_item)
        print(f"{name:40} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms")


if __name__ == "__main__":
    main()
