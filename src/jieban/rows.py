"""Rows written with one prepared INSERT, adapting each value as Django's backends would
store it, only faster: the demo's bulk load and the intake's batches (`BulkWriter`).

Django's `bulk_create` compiles every value of every row through the field's preparation
(a few microseconds each: a ticket has forty columns), and on SQLite splits a batch into
statements of 999 parameters. Here the adaptation is chosen once per column, plain values
pass as they are, and the driver's `executemany` runs one statement for all the rows.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import operator
from collections.abc import Callable, Iterable
from typing import Any

from django.db import connection
from django.db.models import Field, Model

# Column types whose Python values the database drivers take as they are.
PLAIN_TYPES = frozenset(
    {
        "AutoField", "BigAutoField", "BigIntegerField", "BooleanField", "CharField",
        "ForeignKey", "IntegerField", "PositiveBigIntegerField", "PositiveIntegerField",
        "PositiveSmallIntegerField", "SlugField", "SmallIntegerField", "TextField",
    }
)  # fmt: skip


def column(model: type[Model], name: str) -> str:
    """`"table"."column"` of a model's field, quoted for the database: for the few hot
    statements written by hand once per process (the intake's, the suggestions')."""
    field = model._meta.get_field(name)
    assert isinstance(field, Field)
    quote = connection.ops.quote_name
    return f"{quote(model._meta.db_table)}.{quote(field.column)}"


def _prepare(item: Any, value: Any) -> Any:
    return item.get_db_prep_save(value, connection)


def _sqlite_datetime(value: dt.datetime) -> str:
    """What Django's SQLite backend stores for an aware datetime (UTC, naive text), only faster:
    the ISO text of the UTC time without its "+00:00"."""
    return value.astimezone(dt.UTC).isoformat(" ")[:-6]


def _sqlite_json(value: Any) -> str:
    """What Django's SQLite backend stores for a JSONField without an encoder, only faster."""
    return json.dumps(value)


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
        constants, factories = self.constants, self.factories
        made = frozenset(factories)
        pick = operator.itemgetter(*self.names)
        records = []
        for row in rows:
            if made and not made <= row.keys():
                row = {name: factory() for name, factory in factories.items()} | row
            records.append(list(pick(constants | row)))
        self._execute(records)

    def write_objects(self, objects: Iterable[Model]) -> None:
        """INSERT model instances as they are (every column from its attribute; the instance's
        own defaults were set when it was made), in one `executemany`. Their primary keys are
        not read back: the caller finds them by a unique column when it needs them."""
        pick = operator.attrgetter(*self.names)
        self._execute([list(pick(item)) for item in objects])

    def _execute(self, records: list[list[Any]]) -> None:
        if not records:
            return
        adapters = [(index, adapt) for index, adapt in enumerate(self.adapters) if adapt]
        for record in records:
            for index, adapt in adapters:
                value = record[index]
                if value is not None:
                    record[index] = adapt(value)
        with connection.cursor() as cursor:
            cursor.executemany(self.sql, records)
