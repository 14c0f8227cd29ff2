"""Readable running numbers per day: `JB20260714-0042` for tickets, `DB…` for orders."""

from __future__ import annotations

import datetime as dt
import functools

from django.db import connection
from django.utils import timezone

from jieban.tickets.models import DailySequence

TICKET_PREFIX = "JB"
ORDER_PREFIX = "DB"


@functools.cache
def _allocate_sql() -> str:
    # Written once per process: the intake numbers every ticket through this. One upsert
    # (SQLite ≥ 3.35 and PostgreSQL alike) instead of UPDATE, INSERT on a miss, then SELECT:
    # it takes the row lock and reads the new value at once, and the unique constraint on
    # (prefix, day) settles a race for the first number of a day. Each call also draws an id
    # for the row it would insert; ids are never read, so the gaps do not matter.
    quote = connection.ops.quote_name
    meta = DailySequence._meta
    table = quote(meta.db_table)
    prefix, day, last = (
        quote(meta.get_field("prefix").column),
        quote(meta.get_field("day").column),
        quote(meta.get_field("last").column),
    )
    return (
        f"INSERT INTO {table} ({prefix}, {day}, {last}) VALUES (%s, %s, %s)"
        f" ON CONFLICT ({prefix}, {day}) DO UPDATE SET {last} = {table}.{last} + %s"
        f" RETURNING {last}"
    )


def local_day_of(moment: dt.datetime, zone: dt.tzinfo | None = None) -> dt.date:
    """The local day a moment is numbered under: its day in the current time zone (a bulk
    loader may pass that zone, looked up once, instead of having it looked up per moment)."""
    return timezone.localtime(moment, zone).date()


def format_number(prefix: str, day: dt.date, sequence: int) -> str:
    """`JB20260714-0042`: the prefix, the local day, the day's running number."""
    return f"{prefix}{day:%Y%m%d}-{sequence:04d}"


def allocate_numbers(prefix: str, day: dt.date, count: int = 1) -> list[str]:
    """`count` consecutive numbers of `prefix` on `day`, inside the caller's transaction."""
    with connection.cursor() as cursor:
        cursor.execute(
            _allocate_sql(), [prefix, connection.ops.adapt_datefield_value(day), count, count]
        )
        row = cursor.fetchone()
    assert row is not None
    last = int(row[0])
    return [format_number(prefix, day, seq) for seq in range(last - count + 1, last + 1)]
