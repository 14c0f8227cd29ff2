"""Benchmark: a 50,000-row ticket import from an Excel sheet (issue 12, part 3), on SQLite.

Writes a .xlsx of N rows (a 12345 platform's export: half of them dispatched to a station
with a deadline), then checks it and imports it through the functions the import page and
`jieban import tickets` use (`check_file`, `record_check`, `confirm_import(at_once=True)`,
the command's path: the page's long imports run the same chunks in the worker). Prints the
time and rows/s of each phase and the process's peak memory (its maximum resident set after
each phase), and checks that every row became exactly one ticket.

    .venv/bin/python bench/import_sheet.py [--rows 50000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import resource
import shutil
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = "bench-12345"


def peak_mib() -> float:
    """The process's peak resident set so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def sheet(rows: int, headers: list[str], station: str) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    table = book.create_sheet()
    table.append(headers)
    start = dt.date(2026, 3, 2)
    for number in range(1, rows + 1):
        day = start + dt.timedelta(days=number % 20)
        due = day + dt.timedelta(days=7)
        dispatched = number % 2 == 0
        table.append(
            [
                f"BENCH{number:06d}",
                f"{day.year}/{day.month}/{day.day} {8 + number % 10}:{number % 60:02d}",
                "张三",
                f"139{number:08d}",
                "",
                f"反映小区夜间施工噪音扰民，第 {number} 条",
                f"城关镇幸福路 {number % 300} 号",
                "noise",
                station if dispatched else "",
                f"{due.year}年{due.month}月{due.day}日" if dispatched else "",
            ]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=50_000)
    args = parser.parse_args()
    work = HERE / "out" / "import-sheet-run"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    os.environ.pop("DATABASE_URL", None)
    os.environ["JIEBAN_DATA_DIR"] = str(work)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jieban.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from jieban.exchange.imports import (
        HEADERS,
        check_file,
        confirm_import,
        default_mapping,
        record_check,
        save_source,
    )
    from jieban.org.actions import create_person, create_unit
    from jieban.org.actors import SYSTEM
    from jieban.tickets.models import Ticket

    call_command("migrate", "--noinput", verbosity=0)
    create_unit(code="BUR", kind="bureau", name="县公安局")
    create_unit(code="CC", kind="centre", name="指挥中心", parent="BUR")
    create_unit(code="PS01", kind="station", name="城关派出所", parent="BUR")
    dispatcher = create_person(
        username="dispatcher", role="dispatcher", unit="CC", password="bench-pass-1"
    )
    save_source(name=SOURCE, channel="hotline_12345", mapping=default_mapping(), by=SYSTEM)
    load = os.getloadavg()
    print(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"after setting up: peak {peak_mib():.0f} MiB")

    started = time.perf_counter()
    content = sheet(args.rows, [headers[0] for headers in HEADERS.values()], "PS01")
    wrote = time.perf_counter() - started
    print(
        f"wrote the sheet: {args.rows:,} rows, {len(content) / 2**20:.1f} MiB in {wrote:.1f} s; "
        f"peak {peak_mib():.0f} MiB"
    )

    started = time.perf_counter()
    check = check_file(content, file_name="bench.xlsx", source=SOURCE, by=dispatcher)
    record = record_check(check, by=dispatcher)
    checked = time.perf_counter() - started
    assert not check.errors, check.errors[:3]
    print(
        f"checked: {check.rows_total:,} rows in {checked:.1f} s "
        f"({check.rows_total / checked:,.0f} rows/s); peak {peak_mib():.0f} MiB"
    )

    started = time.perf_counter()
    record = confirm_import(record.pk, by=dispatcher, at_once=True)
    imported = time.perf_counter() - started
    print(
        f"imported: {record.created_count:,} tickets in {imported:.1f} s "
        f"({record.created_count / imported:,.0f} rows/s); peak {peak_mib():.0f} MiB"
    )
    total = checked + imported
    print(f"check and import: {args.rows / total:,.0f} rows/s over {total:.1f} s")
    stored = Ticket.objects.filter(channel="hotline_12345").count()
    distinct = Ticket.objects.values("external_id").distinct().count()
    assert record.state == "done" and stored == distinct == args.rows, (record.state, stored)

    started = time.perf_counter()
    again = check_file(content, file_name="bench.xlsx", source=SOURCE, by=dispatcher)
    print(
        f"the same file again: recognised ({again.already_imported}) in "
        f"{time.perf_counter() - started:.2f} s; {stored:,} tickets, each once"
    )
    load = os.getloadavg()
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
