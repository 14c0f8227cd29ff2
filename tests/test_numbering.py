"""Readable numbers: one daily sequence per prefix (JB for tickets, DB for supervision orders),
carried over from the old ticket-only table by migration 0010."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from jieban.tickets.models import DailySequence
from jieban.tickets.numbering import allocate_numbers
from tests.conftest import Cast, local, new_ticket

BEFORE = [("tickets", "0009_page_indexes")]
AFTER = [("tickets", "0010_ticket_numbers_daily_sequence")]


class TestAllocateNumbers:
    def test_it_counts_tickets_and_orders_apart_on_one_day(self, cast: Cast) -> None:
        day = dt.date(2026, 7, 14)
        with time_machine.travel(local(2026, 7, 14, 9), tick=False):
            first = new_ticket(cast.dispatcher)
            orders = allocate_numbers("DB", day, 3)
            second = new_ticket(cast.dispatcher)
        assert (first.number, second.number) == ("JB20260714-0001", "JB20260714-0002")
        assert orders == ["DB20260714-0001", "DB20260714-0002", "DB20260714-0003"]
        assert allocate_numbers("DB", day) == ["DB20260714-0004"]
        assert dict(DailySequence.objects.filter(day=day).values_list("prefix", "last")) == {
            "JB": 2,
            "DB": 4,
        }

    def test_it_goes_on_after_the_last_number_of_a_day(self, cast: Cast) -> None:
        # A day that already has tickets, from an import or the demo: intake continues after.
        DailySequence.objects.create(prefix="JB", day=dt.date(2026, 7, 14), last=41)
        with time_machine.travel(local(2026, 7, 14, 9), tick=False):
            ticket = new_ticket(cast.dispatcher)
        assert ticket.number == "JB20260714-0042"
        with time_machine.travel(local(2026, 7, 15, 9), tick=False):
            assert new_ticket(cast.dispatcher).number == "JB20260715-0001"

    def test_a_new_day_starts_at_one_and_a_batch_is_consecutive(self, db: Any) -> None:
        assert allocate_numbers("DB", dt.date(2026, 7, 14), 2) == [
            "DB20260714-0001",
            "DB20260714-0002",
        ]
        assert allocate_numbers("DB", dt.date(2026, 7, 14), 3) == [
            "DB20260714-0003",
            "DB20260714-0004",
            "DB20260714-0005",
        ]
        assert allocate_numbers("DB", dt.date(2026, 7, 15), 2) == [
            "DB20260715-0001",
            "DB20260715-0002",
        ]


@pytest.fixture
def executor(transactional_db: Any) -> Iterator[MigrationExecutor]:
    """Migrations run for real; whatever the test leaves, the schema is the latest again."""
    executor = MigrationExecutor(connection)
    try:
        yield executor
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


def migrate(executor: MigrationExecutor, targets: list[tuple[str, str]]) -> Any:
    """Migrate to `targets`; the historical models (`apps`) at that state."""
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_the_migration_moves_every_ticket_sequence(executor: MigrationExecutor) -> None:
    old = migrate(executor, BEFORE)
    ticket_sequence = old.get_model("tickets", "TicketSequence")
    ticket_sequence.objects.bulk_create(
        [
            ticket_sequence(day=dt.date(2026, 7, 13), last=7),
            ticket_sequence(day=dt.date(2026, 7, 14), last=41),
        ]
    )
    old.get_model("tickets", "DailySequence").objects.create(
        prefix="DB", day=dt.date(2026, 7, 14), last=3
    )

    new = migrate(executor, AFTER)
    sequences = new.get_model("tickets", "DailySequence").objects
    assert set(sequences.values_list("prefix", "day", "last")) == {
        ("JB", dt.date(2026, 7, 13), 7),
        ("JB", dt.date(2026, 7, 14), 41),
        ("DB", dt.date(2026, 7, 14), 3),
    }
    assert ticket_sequence._meta.db_table not in connection.introspection.table_names()
    # The next ticket of that day takes the number after the last one the old table gave.
    assert allocate_numbers("JB", dt.date(2026, 7, 14)) == ["JB20260714-0042"]

    back = migrate(executor, BEFORE)
    assert set(back.get_model("tickets", "TicketSequence").objects.values_list("day", "last")) == {
        (dt.date(2026, 7, 13), 7),
        (dt.date(2026, 7, 14), 42),
    }
    assert list(
        back.get_model("tickets", "DailySequence").objects.values_list("prefix", "day", "last")
    ) == [("DB", dt.date(2026, 7, 14), 3)]
