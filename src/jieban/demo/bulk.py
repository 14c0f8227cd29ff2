"""Bulk loading: plain rows written with one prepared INSERT each, no model instances.

What a million-ticket demo needs to take minutes instead of hours: `BulkWriter` writes rows
given as dicts by column name, adapting each value as Django's backends would store it (only
faster); `bulk_load` readies SQLite for the load (a larger page cache, the full-text index
built once at the end instead of by a trigger per ticket) and puts everything back after.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import operator
import re
from collections.abc import Callable, Iterator
from typing import Any

from django.db import connection, transaction
from django.db.models import Model

from jieban.tickets.models import Ticket

# SQLite's page cache while the demo loads (KiB).
LOAD_CACHE_KIB = 256 * 1024

# Column types whose Python values the database drivers take as they are.
PLAIN_TYPES = frozenset(
    {
        "AutoField", "BigAutoField", "BigIntegerField", "BooleanField", "CharField",
        "ForeignKey", "IntegerField", "PositiveBigIntegerField", "PositiveIntegerField",
        "PositiveSmallIntegerField", "SlugField", "SmallIntegerField", "TextField",
    }
)  # fmt: skip


def _prepare(item: Any, value: Any) -> Any:
    return item.get_db_prep_save(value, connection)


def _sqlite_datetime(value: dt.datetime) -> str:
    """What Django's SQLite backend stores for an aware datetime (UTC, naive text), only faster:
    the ISO text of the UTC time without its "+00:00"."""
    return value.astimezone(dt.UTC).isoformat(" ")[:-6]


def _sqlite_json(value: Any) -> str:
    """What Django's SQLite backend stores for a JSONField without an encoder, only faster."""
    return json.dumps(value)


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


class BulkWriter:
    """INSERTs plain rows (dicts by column name) with one prepared statement: no model instances.

    Every concrete column of the model is written; a column a row does not give gets the field's
    default, so columns added to the model later are filled as the ORM would fill them.
    """

    def __init__(self, model: type[Model], *, with_pk: bool) -> None:
        fields = [item for item in model._meta.concrete_fields if with_pk or not item.primary_key]
        self.names = [item.attname for item in fields]
        # What the ORM would put in a column a row leaves out ("" for text, None for nullable
        # columns, the field's default otherwise; a callable default is called for each row).
        self.constants: dict[str, Any] = {}
        self.factories: dict[str, Callable[[], Any]] = {}
        for item in fields:
            if item.has_default() and callable(item.default):
                self.factories[item.attname] = item.get_default
            else:
                self.constants[item.attname] = item.get_default()
        ops = connection.ops
        self.adapters: list[Callable[[Any], Any] | None] = []
        for item in fields:
            kind = item.get_internal_type()
            if kind == "DateTimeField":
                self.adapters.append(
                    _sqlite_datetime
                    if connection.vendor == "sqlite"
                    else ops.adapt_datetimefield_value
                )
            elif kind in PLAIN_TYPES:
                self.adapters.append(None)
            elif (
                kind == "JSONField"
                and connection.vendor == "sqlite"
                and getattr(item, "encoder", None) is None
            ):
                self.adapters.append(_sqlite_json)
            else:
                self.adapters.append(functools.partial(_prepare, item))
        table = ops.quote_name(model._meta.db_table)
        columns = ", ".join(ops.quote_name(item.column) for item in fields)
        marks = ", ".join(["%s"] * len(fields))
        self.sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"

    def write(self, rows: list[dict[str, Any]]) -> None:
        """INSERT `rows` in one `executemany`, inside the caller's transaction."""
        if not rows:
            return
        constants, factories = self.constants, self.factories
        made = frozenset(factories)
        pick = operator.itemgetter(*self.names)
        adapters = [(index, adapt) for index, adapt in enumerate(self.adapters) if adapt]
        values = []
        for row in rows:
            if made and not made <= row.keys():
                row = {name: factory() for name, factory in factories.items()} | row
            record = list(pick(constants | row))
            for index, adapt in adapters:
                value = record[index]
                if value is not None:
                    record[index] = adapt(value)
            values.append(record)
        with connection.cursor() as cursor:
            cursor.executemany(self.sql, values)


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
