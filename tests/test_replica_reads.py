"""Reports and statistics read from a replica, for real on PostgreSQL (`jieban.databases`):
the replica is a second, read-only connection to the test database, configured as
`JIEBAN_REPLICA_DATABASE_URL` configures it, and which connection served which query is what is
asserted. The figures' reads go to the replica, their rollups are rebuilt on the primary and
read back only once the replica has them, other reads and reads inside a transaction stay on
the primary, and a replica that does not answer sends the figures back to the primary."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connections, transaction
from django.db.utils import InternalError
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jieban.databases import DEFAULT, REPLICA, ReplicaRouter, reading_from_replica
from jieban.settings import replica_config
from jieban.stats.figures import figures
from jieban.stats.models import DailyRollup
from jieban.tickets.defaults import create_default_categories
from jieban.tickets.models import Category, Ticket
from tests.conftest import ApiClient, Cast, new_ticket

# Transactional: the replica's connection sees only what is committed.
pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True, databases=[DEFAULT, REPLICA]),
]


@pytest.fixture(scope="module", autouse=True)
def replica(django_db_setup: Any) -> Iterator[None]:
    """The `replica` alias on the test database for this module's tests (set before each test
    is told which databases it may use)."""
    primary = connections[DEFAULT].settings_dict
    url = (
        f"postgres://{primary['USER']}@{primary['HOST'] or '127.0.0.1'}:{primary['PORT'] or 5432}"
        f"/{primary['NAME']}"
    )
    configured = connections.configure_settings(
        {DEFAULT: primary, REPLICA: replica_config(url, primary)}
    )
    connections.settings[REPLICA] = configured[REPLICA]
    try:
        yield
    finally:
        connections[REPLICA].close()
        del connections[REPLICA]
        del connections.settings[REPLICA]


@pytest.fixture(autouse=True)
def _categories(transactional_db: Any) -> None:
    # The data migration's categories, which an earlier transactional test's flush removed.
    create_default_categories(Category)


def sql_of(captured: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in captured.captured_queries]


def touching(queries: list[str], table: str) -> list[str]:
    return [sql for sql in queries if table in sql]


def writes(queries: list[str]) -> list[str]:
    return [
        sql for sql in queries if sql.lstrip().split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}
    ]


def test_the_figures_are_read_from_the_replica_after_their_rollups_are_rebuilt(cast: Cast) -> None:
    for _ in range(3):
        new_ticket(cast.dispatcher)
    today = timezone.localdate()
    api = ApiClient(cast.leader)
    with (
        CaptureQueriesContext(connections[DEFAULT]) as primary,
        CaptureQueriesContext(connections[REPLICA]) as read_only,
    ):
        response = api.get(
            "/stats", start=today.isoformat(), end=(today + dt.timedelta(days=1)).isoformat()
        )
    assert response.status_code == 200
    assert response.json()["rows"][0]["total"] == 3
    on_primary, on_replica = sql_of(primary), sql_of(read_only)
    # The day the three tickets made dirty was rebuilt on the primary, under its lock ...
    assert writes(touching(on_primary, "stats_dailyrollup"))
    assert touching(on_primary, "FOR UPDATE")
    # ... then the replica was asked to have caught up, and the rollups were summed there.
    assert touching(on_primary, "pg_current_wal_insert_lsn")
    assert touching(on_replica, "pg_last_wal_replay_lsn")
    assert [sql for sql in touching(on_replica, "stats_dailyrollup") if "SUM(" in sql]
    # The open-overdue figure of now, counted live, is the replica's too; nothing was written
    # there (it refuses writes: its connections are read-only).
    assert touching(on_replica, '"tickets_ticket"')
    assert not writes(on_replica)
    assert not [sql for sql in on_primary if "SUM(" in sql and "stats_dailyrollup" in sql]


def test_what_was_just_written_is_in_the_figures_read_from_the_replica(cast: Cast) -> None:
    today = timezone.localdate()
    window = {"start": today, "end": today + dt.timedelta(days=1)}
    assert figures(cast.leader, **window)[0].total == 0
    new_ticket(cast.dispatcher)
    with CaptureQueriesContext(connections[REPLICA]) as read_only:
        assert figures(cast.leader, **window)[0].total == 1
    assert touching(sql_of(read_only), "stats_dailyrollup")
    assert DailyRollup.objects.filter(day=today, dimension="all").get().total == 1


def test_other_reads_and_reads_inside_a_transaction_stay_on_the_primary(cast: Cast) -> None:
    ticket = new_ticket(cast.dispatcher)
    router = ReplicaRouter()
    with CaptureQueriesContext(connections[REPLICA]) as read_only:
        # Outside the figures, the ticket list and a ticket read the primary.
        assert ApiClient(cast.dispatcher).get(f"/tickets/{ticket.number}").status_code == 200
        with reading_from_replica():
            assert router.db_for_read(Ticket) == REPLICA
            with transaction.atomic():
                assert router.db_for_read(Ticket) == DEFAULT
            assert router.db_for_write(Ticket) == DEFAULT
    assert not touching(sql_of(read_only), "tickets_ticket")


def test_the_replica_refuses_writes() -> None:
    with pytest.raises(InternalError, match="read-only"), connections[REPLICA].cursor() as cursor:
        cursor.execute("DELETE FROM stats_dailyrollup")


def test_a_replica_that_does_not_answer_leaves_the_figures_to_the_primary(
    cast: Cast, caplog: pytest.LogCaptureFixture
) -> None:
    # Nothing listens on port 9 of this machine.
    connections[REPLICA].settings_dict.update(HOST="127.0.0.1", PORT=9)
    connections[REPLICA].close()
    new_ticket(cast.dispatcher)
    today = timezone.localdate()
    with caplog.at_level(logging.WARNING, logger="jieban.databases"):
        rows = figures(cast.leader, start=today, end=today + dt.timedelta(days=1))
    assert rows[0].total == 1
    assert "replica not reachable" in caplog.text
