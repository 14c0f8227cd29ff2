"""Grow a PostgreSQL demo database to millions of tickets by copying its closed history back in
time, for the ten-million-ticket benchmark (issue 14, item 4).

`jieban demo --tickets 1000000` makes a bureau's last 90 days (bench/pages.py builds it).
This script adds older quarters in front of them: copy k (1, 2, …) is every ticket the demo
closed, invalidated or merged, moved back k × 91 days (13 weeks, so weekdays stay weekdays),
with its number's date moved likewise (numbers stay unique: the quarters do not overlap), a
new id (id + k × 10,000,000), no external id, and its links (merged into, repeat of) to the
original tickets. Copies are added until the table holds `--tickets`; the last copy is cut
short. What the copies leave out, and why: their timelines (events), orders, calls and
rollups. The pages, searches and sweeps measured read the tickets table, which is what grows;
a ticket's page is measured on the original tickets, which keep their whole history.

Every index of the table but its primary key and unique constraints is dropped before the
copies and built again after them (much faster than keeping them up to date row by row), in
the order and with the definitions PostgreSQL reports; then VACUUM (ANALYZE), as autovacuum
would have kept the table over the years the copies stand for. Each copy is one
transaction and is recorded in `bench_grow`, so an interrupted run goes on where it stopped.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jieban_scale \\
        .venv/bin/python bench/grow.py --tickets 10000000
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time

import psycopg

OFFSET = 10_000_000
SHIFT_DAYS = 91
TERMINAL = ("closed", "invalid", "merged")


def columns(cursor: psycopg.Cursor) -> list[tuple[str, str]]:
    cursor.execute(
        "SELECT column_name, data_type FROM information_schema.columns"
        " WHERE table_name = 'tickets_ticket' ORDER BY ordinal_position"
    )
    return [(name, kind) for name, kind in cursor.fetchall()]


def copy_select(cols: list[tuple[str, str]], copy: int) -> str:
    """The SELECT list of copy `copy` of a ticket row."""
    days = copy * SHIFT_DAYS
    parts = []
    for name, kind in cols:
        if name == "id":
            parts.append(f"id + {copy * OFFSET}")
        elif name == "number":
            # JB20260907-0001: the date moved back, the day's sequence kept.
            parts.append(
                f"left(number, 2) || to_char(to_date(substr(number, 3, 8), 'YYYYMMDD')"
                f" - {days}, 'YYYYMMDD') || substr(number, 11)"
            )
        elif name == "external_id":
            parts.append("NULL")
        elif kind == "timestamp with time zone":
            parts.append(f"{name} - interval '{days} days'")
        else:
            parts.append(name)
    return ", ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=10_000_000)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("set DATABASE_URL to the PostgreSQL database the demo was built in")
    with psycopg.connect(url, autocommit=True) as connection, connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_grow (copy int PRIMARY KEY, rows bigint)")
        cursor.execute("SELECT count(*) FROM tickets_ticket")
        (total,) = cursor.fetchone()
        if total >= args.tickets:
            print(f"already {total:,} tickets")
            return
        cursor.execute("SELECT coalesce(max(copy), 0) FROM bench_grow")
        (done,) = cursor.fetchone()
        # The definitions are kept until the indexes are built again, for a run cut short.
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_grow_indexes (name text, definition text)")
        cursor.execute(
            "INSERT INTO bench_grow_indexes SELECT indexname, indexdef FROM pg_indexes"
            " WHERE tablename = 'tickets_ticket' AND indexname NOT IN (SELECT conname"
            " FROM pg_constraint WHERE conrelid = 'tickets_ticket'::regclass)"
            " AND NOT EXISTS (SELECT 1 FROM bench_grow_indexes)"
        )
        cursor.execute("SELECT name, definition FROM bench_grow_indexes ORDER BY name")
        indexes = cursor.fetchall()
        cols = columns(cursor)
        names = ", ".join(name for name, _kind in cols)
        started = time.perf_counter()
        print(f"{total:,} tickets; dropping {len(indexes)} indexes", flush=True)
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
        copy = done
        while total < args.tickets:
            copy += 1
            missing = args.tickets - total
            with connection.transaction():
                cursor.execute(
                    f"INSERT INTO tickets_ticket ({names})"
                    f" SELECT {copy_select(cols, copy)} FROM tickets_ticket"
                    f" WHERE id < {OFFSET} AND status = ANY(%s) ORDER BY id LIMIT %s",
                    [list(TERMINAL), missing],
                )
                rows = cursor.rowcount
                cursor.execute("INSERT INTO bench_grow VALUES (%s, %s)", [copy, rows])
            total += rows
            print(
                f"  copy {copy}: {rows:,} tickets, {total:,} in all"
                f" ({time.perf_counter() - started:.0f} s)",
                flush=True,
            )
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('tickets_ticket', 'id'),"
            " (SELECT max(id) FROM tickets_ticket))"
        )
        cursor.execute("SET maintenance_work_mem = '2GB'")
        cursor.execute("SET max_parallel_maintenance_workers = 2")
        for name, definition in indexes:
            begun = time.perf_counter()
            cursor.execute(
                re.sub(r"^CREATE (UNIQUE )?INDEX ", r"CREATE \1INDEX IF NOT EXISTS ", definition)
            )
            print(f"  index {name}: {time.perf_counter() - begun:.0f} s", flush=True)
        cursor.execute("DELETE FROM bench_grow_indexes")
        begun = time.perf_counter()
        # What autovacuum does to a table that grew over years: the statistics, and the map of
        # the pages all visible, without which no count is read from an index alone (the
        # follow-up queue's count fetched all its 19,194 rows after the copies).
        cursor.execute("VACUUM (ANALYZE) tickets_ticket")
        print(f"  VACUUM (ANALYZE): {time.perf_counter() - begun:.0f} s")
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        (size,) = cursor.fetchone()
        print(f"{total:,} tickets in {time.perf_counter() - started:.0f} s; database {size}")


if __name__ == "__main__":
    main()
