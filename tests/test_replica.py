"""The replica's configuration (`JIEBAN_REPLICA_DATABASE_URL`, `jieban.settings.replica_config`)
and the router without one: on either engine, with no replica, every read, every write and every
migration is the primary's. The reads from a replica are in `test_replica_reads.py`."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connections

from jieban.conf import ConfigurationError
from jieban.databases import DEFAULT, REPLICA, ReplicaRouter, reading_from_replica
from jieban.settings import replica_config
from jieban.tickets.models import Ticket

POSTGRES = {"ENGINE": "django.db.backends.postgresql"}
SQLITE = {"ENGINE": "django.db.backends.sqlite3"}


def test_without_a_replica_everything_is_the_primarys(db: Any) -> None:
    router = ReplicaRouter()
    assert REPLICA not in connections.settings
    with reading_from_replica():
        assert router.db_for_read(Ticket) == DEFAULT
        assert router.db_for_write(Ticket) == DEFAULT
    assert router.db_for_read(Ticket) == DEFAULT


def test_migrations_run_on_the_primary_only() -> None:
    router = ReplicaRouter()
    assert router.allow_migrate(DEFAULT, "tickets")
    assert not router.allow_migrate(REPLICA, "tickets")


def test_the_replica_is_read_only_and_mirrored_in_tests() -> None:
    config = replica_config("postgres://reader@db-replica:5432/jieban", POSTGRES)
    assert config["HOST"] == "db-replica"
    assert config["OPTIONS"]["options"] == "-c default_transaction_read_only=on"
    assert config["TEST"] == {"MIRROR": "default"}
    # What the address itself asks for (TLS) is kept.
    tls = replica_config("postgres://reader@db-replica/jieban?sslmode=require", POSTGRES)
    assert tls["OPTIONS"]["sslmode"] == "require"
    tuned = replica_config(
        "postgres://reader@db-replica/jieban?options=-c%20work_mem%3D64MB", POSTGRES
    )
    assert tuned["OPTIONS"]["options"] == "-c work_mem=64MB -c default_transaction_read_only=on"


@pytest.mark.parametrize(
    ("url", "primary", "says"),
    [
        ("postgres://reader@db-replica/jieban", SQLITE, "SQLite has no replica"),
        ("sqlite:///copy.sqlite3", POSTGRES, "must be a postgres:// address"),
    ],
    ids=["sqlite-primary", "sqlite-replica"],
)
def test_a_replica_that_cannot_be_one_stops_the_start(
    url: str, primary: dict[str, str], says: str
) -> None:
    with pytest.raises(ConfigurationError, match=says):
        replica_config(url, primary)
