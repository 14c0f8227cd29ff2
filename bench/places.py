"""Benchmark: the grid and unit suggested from an address at intake (`suggest_place_and_unit`),
over many registered buildings, in SQLite (a fresh data directory) or the PostgreSQL database
of DATABASE_URL.

It creates a station with `--grids` grids and `--buildings` buildings spread over them (their
address keys as `Building.save` writes them, bulk-inserted), and three dispatch rules, then
times `--runs` suggestions for addresses of three kinds: a registered building written another
way (幸福小区三栋502 for 幸福小区3栋), a place without a registered building (its estate's
grid, unambiguous), and an address matching nothing. Prints p50 and p99 per kind and the
queries per suggestion.

    PYTHONPATH=src .venv/bin/python bench/places.py [--buildings 20000] [--grids 200] [--runs 500]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from typing import Any


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--buildings", type=int, default=20000)
    parser.add_argument("--grids", type=int, default=200)
    parser.add_argument("--runs", type=int, default=500)
    options = parser.parse_args()
    os.environ.setdefault("JIEBAN_DATA_DIR", tempfile.mkdtemp(prefix="bench-places-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jieban.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from jieban.community.models import Building
    from jieban.org.actions import create_unit
    from jieban.org.actors import SYSTEM
    from jieban.org.models import Unit
    from jieban.suggestions.rules import RuleDraft, create_rule, suggest_place_and_unit
    from jieban.tickets.models import Category

    call_command("migrate", verbosity=0)
    create_unit(code="B-BUR", kind="bureau", name="基准局")
    create_unit(code="B-PS", kind="station", name="基准派出所", parent="B-BUR")
    create_unit(code="B-COM", kind="community", name="基准社区", parent="B-PS")
    grids = [
        create_unit(code=f"B-G{n:04d}", kind="grid", name=f"第{n}网格", parent="B-COM")
        for n in range(options.grids)
    ]
    per_estate = 20
    rows = []
    for number in range(options.buildings):
        estate, building = divmod(number, per_estate)
        grid = grids[estate % len(grids)]
        address = f"城关镇第{estate}小区{building + 1}栋"
        rows.append(Building(grid=grid, name=f"第{estate}小区{building + 1}栋", address=address))
        rows[-1].key_address()
    Building.objects.bulk_create(rows, batch_size=2000)
    for code in ("noise", "dangerous_dogs", "fraud_check"):
        create_rule(RuleDraft(f"{code} 规则", code, "B-PS", station="B-PS"), by=SYSTEM)
    noise = Category.objects.get(code="noise")
    estates = options.buildings // per_estate
    kinds = {
        "a building written another way": lambda n: f"第{n % estates}小区三栋502",
        "a place without its building": lambda n: f"第{n % estates}小区{per_estate + 5}栋",
        "an address matching nothing": lambda n: f"和平路{n}号",
    }
    print(f"{Building.objects.count()} buildings in {Unit.objects.filter(kind='grid').count()} "
          f"grids, {connection.vendor}, load average {os.getloadavg()[0]:.2f}")  # fmt: skip
    failed = False
    for name, address in kinds.items():
        times: list[float] = []
        queries: list[str] = []

        def count(run: Any, sql: str, *args: Any, queries: list[str] = queries) -> Any:
            queries.append(sql)
            return run(sql, *args)

        with connection.execute_wrapper(count):
            suggest_place_and_unit(address=address(0), category=noise, grid=None)
        if os.environ.get("BENCH_PROFILE"):
            import cProfile

            cProfile.runctx(
                "for n in range(100): suggest(address=address(n), category=noise, grid=None)",
                {"suggest": suggest_place_and_unit, "address": address, "noise": noise},
                {},
                sort="tottime",
            )
        for run in range(options.runs):
            started = time.perf_counter()
            suggested = suggest_place_and_unit(address=address(run), category=noise, grid=None)
            times.append((time.perf_counter() - started) * 1000)
        expected = name != "an address matching nothing"
        failed |= (suggested.place is not None) != expected
        times.sort()
        p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
        print(f"{name:34} p50 {statistics.median(times):6.2f} ms  p99 {p99:6.2f} ms  "
              f"{len(queries)} queries")  # fmt: skip
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
