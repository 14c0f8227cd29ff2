"""Bulk loading: what a million-ticket demo needs to take minutes instead of hours.

The rows are written by `jieban.rows.BulkWriter` (one prepared INSERT, no model instances);
`bulk_load` readies SQLite for the load (a larger page cache, the full-text index built once
at the end instead of by a trigger per ticket) and puts everything back after.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator

from django.db import connection, transaction

from jieban.tickets.models import Ticket

# SQLite's page cache while the demo loads (KiB).
LOAD_CACHE_KIB = 256 * 1024


@contextlib.contextmanager
def _full_text_index_built_after() -> Iterator[None]:
    """On SQLite, index the tickets for full-text search once, after they are all written.

    A trigger adds each new ticket to the FTS5 index (the search migration); for a bulk load
    that is half the cost of a ticket's insert, while rebuilding the index at the end takes a
    fraction of it. The insert triggers that feed an FTS5 table whose content is the tickets
    table are set aside meanwhile, then created again as they were, and the index rebuilt.
    """
    table = Ticket._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql LIKE %s",
            ["CREATE VIRTUAL TABLE%USING fts5%"],
        )
        content = re.compile(rf"\bcontent\s*=\s*['\"]?{re.escape(table)}['\"]?\s*[,)]")
        indexes = [name for name, sql in cursor.fetchall() if content.search(sql)]
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
            [table],
        )
        triggers = [
            (name, sql)
            for name, sql in cursor.fetchall()
            if re.search(r"\bAFTER\s+INSERT\b", sql, re.IGNORECASE)
            and any(re.search(rf"\bINSERT\s+INTO\s+{re.escape(index)}\b", sql) for index in indexes)
        ]
    if not triggers:
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        for name, _sql in triggers:
            cursor.execute(f"DROP TRIGGER {connection.ops.quote_name(name)}")
    try:
        yield
    finally:
        with transaction.atomic(), connection.cursor() as cursor:
            for _name, sql in triggers:
                cursor.execute(sql)
            for index in indexes:
                quoted = connection.ops.quote_name(index)
                cursor.execute(f"INSERT INTO {quoted} ({quoted}) VALUES ('rebuild')")


@contextlib.contextmanager
def bulk_load() -> Iterator[None]:
    """The database readied for a bulk load of tickets while the block runs (SQLite only)."""
    if connection.vendor != "sqlite":
        yield
        return
    # The ticket table has a dozen indexes and a full-text index: with SQLite's default
    # cache of 2 MiB a million inserts keep re-reading their pages. Give this connection
    # a larger cache while it loads, then put it back.
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (previous,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size = {-LOAD_CACHE_KIB}")
    try:
        with _full_text_index_built_after():
            yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(previous)}")
