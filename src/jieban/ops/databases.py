"""The database's part of a backup and a restore, for each vendor.

SQLite: the online backup API copies the database in one step, which is one read transaction:
in WAL mode the writers go on, and the copy is the database as it stood when the step began.
A restore copies back the same way, into the data directory's database in one write
transaction: all or nothing, and right whatever the target's journal holds (renaming a file
over a database whose `-wal` file still has frames would replay those frames onto it).

PostgreSQL: `pg_dump --format=custom` from a snapshot exported by a repeatable-read
transaction, in which the rows are also counted, so the counts are exactly the dump's; a
restore is `pg_restore --clean --if-exists --no-owner --no-privileges` in a single transaction.
The connection comes from `settings.DATABASES` as for Django itself; the password goes to the
client tools in `PGPASSWORD`, never on their command line.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote

from django.apps import apps
from django.db import connection
from django.db.models import FileField

from jieban.ops.archives import VENDOR_NAMES, BackupError

Query = Callable[[str], Sequence[Sequence[Any]]]

# The libpq settings Django passes on in OPTIONS that the client tools read from the
# environment; the others (Django's own, psycopg's) mean nothing to them.
LIBPQ_ENVIRONMENT = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "sslcrl": "PGSSLCRL",
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
    "options": "PGOPTIONS",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
    "application_name": "PGAPPNAME",
}
# pg_dump waits this long for a table a migration holds, then gives up (milliseconds).
LOCK_WAIT_MS = 300_000
POSTGRES_TABLES = """
    SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p') AND n.nspname = current_schema() ORDER BY c.relname
"""
SQLITE_TABLES = """
    SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite!_%' ESCAPE '!'
    AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' ORDER BY name
"""


@dataclass(frozen=True)
class DatabaseCopy:
    """The database copied into a file, and what the copy holds."""

    vendor: str
    server_version: str
    dump_tool: str
    tables: dict[str, int]
    migrations: dict[str, str]
    # The names the copy's file fields hold: the attachments it needs.
    referenced_files: frozenset[str]


def vendor() -> str:
    """This Jieban's database vendor, one a backup knows."""
    if connection.vendor not in VENDOR_NAMES:
        raise BackupError(f"Backups know SQLite and PostgreSQL, not {connection.vendor}.")
    return connection.vendor


def copy_database(target: Path) -> DatabaseCopy:
    """Copy this Jieban's database into the new file `target`, consistent while it is used."""
    if vendor() == "sqlite":
        return _copy_sqlite(target)
    return _copy_postgresql(target)


def check_copy(path: Path, of_vendor: str) -> None:
    """BackupError unless this machine can restore the copy at `path` (checked before the
    restore touches anything): a pg_restore older than the pg_dump that made it cannot."""
    if of_vendor == "sqlite":
        try:
            with _closing(sqlite3.connect(_file_uri(path, "ro"), uri=True)) as copy:
                copy.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.Error as exc:
            raise BackupError(f"its database is not an SQLite database ({exc})") from exc
        return
    _run_client(["pg_restore", "--list", str(path)], "pg_restore", capture=True)


def tables_holding_rows() -> list[str]:
    """The tables of this Jieban's database that hold at least one row."""
    query = _django_query()
    return [
        table
        for table in _tables(query, vendor())
        if query(f"SELECT 1 FROM {_quoted(table)} LIMIT 1")
    ]


def table_names() -> list[str]:
    return _tables(_django_query(), vendor())


def row_counts() -> dict[str, int]:
    """The rows of each table of this Jieban's database."""
    return _counts(_django_query(), vendor())


def refresh_statistics() -> None:
    """After a restore, on PostgreSQL: `VACUUM (ANALYZE)`, which pg_restore leaves undone. Its
    planner would otherwise guess at every table, and the visibility map the counts read from
    the indexes alone would be empty (at ten million tickets, three home pages took 204-282 ms
    until it ran, 55-94 ms after). SQLite's copy carries its statistics."""
    if vendor() != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")


def restore_database(path: Path) -> None:
    """Replace this Jieban's database with the copy at `path`, all or nothing."""
    # The checks before opened Django's connection; the restore works beside it.
    connection.close()
    if vendor() == "sqlite":
        _restore_sqlite(path)
    else:
        _restore_postgresql(path)


# --- SQLite --------------------------------------------------------------------------------


def _sqlite_database_uri() -> str:
    name = str(connection.settings_dict["NAME"])
    if name.startswith("file:"):
        return name  # a URI already (the test suite's shared in-memory database)
    if name in ("", ":memory:"):
        raise BackupError("The database is in memory: there is no file to back up.")
    return _file_uri(Path(name), "rw")


def _file_uri(path: Path, mode: str) -> str:
    return f"file:{quote(str(path.resolve()))}?mode={mode}"


class _closing:
    """sqlite3's connection as a context manager that closes it (its own only commits)."""

    def __init__(self, database: sqlite3.Connection) -> None:
        self.database = database

    def __enter__(self) -> sqlite3.Connection:
        return self.database

    def __exit__(self, *exc: object) -> None:
        self.database.close()


def _copy_sqlite(target: Path) -> DatabaseCopy:
    try:
        with (
            _closing(sqlite3.connect(_sqlite_database_uri(), uri=True, timeout=30)) as source,
            _closing(sqlite3.connect(target)) as copy,
        ):
            # pages=-1: the whole database in one step, one read transaction.
            source.backup(copy)
            # One self-contained file, whatever the live database's journal.
            copy.execute("PRAGMA journal_mode=DELETE")

            def query(sql: str) -> list[Any]:
                return copy.execute(sql).fetchall()

            tables = _counts(query, "sqlite")
            return DatabaseCopy(
                vendor="sqlite",
                server_version=sqlite3.sqlite_version,
                dump_tool=f"SQLite online backup ({sqlite3.sqlite_version})",
                tables=tables,
                migrations=_latest_migrations(query, tables),
                referenced_files=_referenced_files(query, tables),
            )
    except sqlite3.Error as exc:
        raise BackupError(f"The SQLite database could not be copied: {exc}") from exc


def _restore_sqlite(path: Path) -> None:
    name = str(connection.settings_dict["NAME"])
    if name.startswith("file:") or name in ("", ":memory:"):
        raise BackupError("The database is in memory: there is no file to restore into.")
    try:
        with (
            _closing(sqlite3.connect(_file_uri(path, "ro"), uri=True)) as source,
            _closing(sqlite3.connect(name, timeout=30)) as target,
        ):
            source.backup(target)
            # The old pages leave the WAL now rather than at the next start.
            target.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.Error as exc:
        raise BackupError(
            f"The database could not be restored into {name}: {exc} (is Jieban still "
            f"running? Stop the server and the worker first)"
        ) from exc


# --- PostgreSQL ----------------------------------------------------------------------------


def _copy_postgresql(target: Path) -> DatabaseCopy:
    tool = _run_client(["pg_dump", "--version"], "pg_dump", capture=True).strip()
    # A connection of its own, never Django's: its transaction holds the exported snapshot
    # until pg_dump has read it, whatever Django's connection is doing.
    psycopg: Any = cast(Any, connection).Database
    snapshot_holder = psycopg.connect(**connection.get_connection_params())
    try:
        snapshot_holder.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        snapshot_holder.read_only = True

        def query(sql: str) -> list[Any]:
            return snapshot_holder.execute(sql).fetchall()

        [(snapshot, server_version)] = query(
            "SELECT pg_export_snapshot(), current_setting('server_version')"
        )
        tables = _counts(query, "postgresql")
        copy = DatabaseCopy(
            vendor="postgresql",
            server_version=str(server_version),
            dump_tool=tool,
            tables=tables,
            migrations=_latest_migrations(query, tables),
            referenced_files=_referenced_files(query, tables),
        )
        _run_client(
            [
                "pg_dump",
                "--format=custom",
                "--no-password",
                f"--snapshot={snapshot}",
                f"--lock-wait-timeout={LOCK_WAIT_MS}",
                f"--file={target}",
                f"--dbname={_conninfo()}",
            ],
            "pg_dump",
        )
        snapshot_holder.rollback()
    except psycopg.Error as exc:
        raise BackupError(f"The PostgreSQL database could not be read: {exc}") from exc
    finally:
        snapshot_holder.close()
    return copy


def _restore_postgresql(path: Path) -> None:
    _run_client(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            # A new machine need not have the old one's roles: what is restored belongs to
            # the user Jieban connects as.
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "--no-password",
            f"--dbname={_conninfo()}",
            str(path),
        ],
        "pg_restore",
    )


def postgres_environment() -> dict[str, str]:
    """The environment of a client tool connecting where Django connects: this process's,
    with `settings.DATABASES`' values in libpq's variables."""
    settings_dict = connection.settings_dict
    environment = dict(os.environ)
    for key, variable in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
    ):
        if settings_dict.get(key):
            environment[variable] = str(settings_dict[key])
    for option, variable in LIBPQ_ENVIRONMENT.items():
        value = (settings_dict.get("OPTIONS") or {}).get(option)
        if value is not None:
            environment[variable] = str(value)
    return environment


def _conninfo() -> str:
    """`--dbname`'s value: the database's name alone (the rest is in the environment), or
    the service that names it, as Django connects."""
    settings_dict = connection.settings_dict
    service = (settings_dict.get("OPTIONS") or {}).get("service")
    if not settings_dict.get("NAME") and service:
        return f"service={_libpq_quoted(str(service))}"
    return f"dbname={_libpq_quoted(str(settings_dict.get('NAME') or 'postgres'))}"


def _libpq_quoted(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


def _run_client(arguments: list[str], program: str, *, capture: bool = False) -> str:
    try:
        result = subprocess.run(
            arguments,
            env=postgres_environment(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    except FileNotFoundError as exc:
        raise BackupError(
            f"{program} was not found: install PostgreSQL's client programs, of the server's "
            f"major version or newer (Debian and Ubuntu: postgresql-client-15)."
        ) from exc
    if result.returncode != 0:
        raise BackupError(f"{program} failed: {_first_lines(result.stderr)}")
    return result.stdout or ""


def _first_lines(text: str, lines: int = 5) -> str:
    kept = [line for line in text.strip().splitlines() if line.strip()][:lines]
    return " / ".join(kept) or "no message"


# --- both ------------------------------------------------------------------------------------


def _django_query() -> Query:
    def query(sql: str) -> list[Any]:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall()

    return query


def _quoted(name: str) -> str:
    # Both vendors quote an identifier the SQL standard's way.
    return '"' + name.replace('"', '""') + '"'


def _tables(query: Query, of_vendor: str) -> list[str]:
    rows = query(SQLITE_TABLES if of_vendor == "sqlite" else POSTGRES_TABLES)
    return [str(row[0]) for row in rows]


def _counts(query: Query, of_vendor: str) -> dict[str, int]:
    return {
        table: int(query(f"SELECT count(*) FROM {_quoted(table)}")[0][0])
        for table in _tables(query, of_vendor)
    }


def _latest_migrations(query: Query, tables: dict[str, int]) -> dict[str, str]:
    """Each app's latest applied migration (in the order they were applied)."""
    if "django_migrations" not in tables:
        return {}
    latest: dict[str, str] = {}
    for app, name in query("SELECT app, name FROM django_migrations ORDER BY id"):
        latest[str(app)] = str(name)
    return latest


def _referenced_files(query: Query, tables: dict[str, int]) -> frozenset[str]:
    names: set[str] = set()
    for model in apps.get_models():
        table = model._meta.db_table
        if table not in tables:
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, FileField):
                column = _quoted(field.column)
                rows = query(f"SELECT {column} FROM {_quoted(table)} WHERE {column} <> ''")
                names.update(str(row[0]) for row in rows)
    return frozenset(names)
