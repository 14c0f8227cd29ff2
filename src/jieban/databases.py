"""Which database answers: the primary (`default`) always, except for the reads of reports and
statistics, which a PostgreSQL streaming replica (`replica`, JIEBAN_REPLICA_DATABASE_URL) takes
off the primary when there is one.

The rule, in `ReplicaRouter`: a read goes to the replica only inside `reading_from_replica()`
(the statistics' selectors are wrapped in it, `from_replica`), only outside a transaction on the
primary, and only once the replica has replayed everything the primary had committed when the
block first read, or last wrote. Then the figures read from the replica are the very figures
the primary would give at that moment:

- the statistics rebuild their dirty daily rollups before they read them (`stats.rollups`):
  those writes go to the primary, like every write, and the reads inside that rebuild's
  transaction stay with the primary (they must see its rows and hold its locks);
- a write inside the block makes the next read wait for the replica again, so the rollups just
  rebuilt are there when they are summed, never the stale ones before them;
- the wait is the replica's replay position catching up with the primary's WAL position
  (`pg_last_wal_replay_lsn() >= pg_current_wal_insert_lsn()`), at most JIEBAN_REPLICA_WAIT_MS;
  a replica further behind, or not answering, leaves the rest of the block to the primary
  (logged), so figures are late by nothing, only slower.

Without a replica everything reads and writes the primary, as before. Migrations run on the
primary only; the replica's connections are read-only (`settings.replica_config`).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.db import DatabaseError, connections

logger = logging.getLogger(__name__)

DEFAULT = "default"
REPLICA = "replica"
# Between two looks at the replica's replay position while waiting for it.
POLL_SECONDS = 0.005

P = ParamSpec("P")
R = TypeVar("R")


@dataclass
class _Reading:
    """One `reading_from_replica()` block: whether the replica has caught up with the primary
    since the block's last write, and whether it has been given up for the rest of it."""

    caught_up: bool = False
    given_up: bool = False


_reading: ContextVar[_Reading | None] = ContextVar("jieban_reading_from_replica", default=None)


def replica_configured() -> bool:
    return REPLICA in connections.settings


@contextlib.contextmanager
def reading_from_replica() -> Iterator[None]:
    """Reads inside the block may go to the replica (see the module); a block inside another
    is part of it."""
    if _reading.get() is not None:
        yield
        return
    token = _reading.set(_Reading())
    try:
        yield
    finally:
        _reading.reset(token)


def from_replica(function: Callable[P, R]) -> Callable[P, R]:
    """`function` run inside `reading_from_replica()`: for the selectors of figures."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with reading_from_replica():
            return function(*args, **kwargs)

    return wrapper


def _replica_caught_up() -> bool:
    """Whether the replica has replayed the primary's WAL up to where it is now, waiting for it
    at most JIEBAN_REPLICA_WAIT_MS. A replica that is itself a primary (not in recovery: the
    test run's mirror of the primary's database) holds what it holds, now."""
    try:
        with connections[DEFAULT].cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_insert_lsn()")
            (position,) = cursor.fetchone()
        deadline = time.monotonic() + settings.JIEBAN_REPLICA_WAIT_MS / 1000
        with connections[REPLICA].cursor() as cursor:
            while True:
                cursor.execute(
                    "SELECT NOT pg_is_in_recovery() OR pg_last_wal_replay_lsn() >= %s::pg_lsn",
                    [position],
                )
                (caught_up,) = cursor.fetchone()
                if caught_up:
                    return True
                if time.monotonic() >= deadline:
                    logger.warning(
                        "replica has not replayed %s within %d ms: figures read from the primary",
                        position,
                        settings.JIEBAN_REPLICA_WAIT_MS,
                    )
                    return False
                time.sleep(POLL_SECONDS)
    except DatabaseError:
        logger.warning("replica not reachable: figures read from the primary", exc_info=True)
        return False


class ReplicaRouter:
    """The database of each read, write and migration (see the module)."""

    def db_for_read(self, model: type[Any], **hints: Any) -> str:
        reading = _reading.get()
        if reading is None or reading.given_up or not replica_configured():
            return DEFAULT
        if connections[DEFAULT].in_atomic_block:
            return DEFAULT
        if not reading.caught_up:
            reading.caught_up = _replica_caught_up()
            reading.given_up = not reading.caught_up
            if reading.given_up:
                return DEFAULT
        return REPLICA

    def db_for_write(self, model: type[Any], **hints: Any) -> str:
        reading = _reading.get()
        if reading is not None:
            # The next read waits until the replica has this write too.
            reading.caught_up = False
        return DEFAULT

    def allow_relation(self, first: Any, second: Any, **hints: Any) -> bool:
        # The replica holds the primary's rows: an object read there is the primary's object.
        return True

    def allow_migrate(
        self, db: str, app_label: str, model_name: str | None = None, **hints: Any
    ) -> bool:
        return db == DEFAULT
