"""The home pages' counts read the open tickets, not the closed history: at ten million
tickets a grid desk's counts went through the grid's index of every ticket it ever had, and
the follow-up queue's count through every resolved ticket's row (bench/RESULTS.md). Here in
small: a grid with thousands of closed tickets and a few open ones, each count's plan on the
database the tests run on."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jieban.community.network import my_grids
from jieban.stats.dashboards import follow_up_count
from jieban.tickets.models import Status, Ticket
from tests.conftest import Cast, dispatch, local, new_ticket, resolve
from tests.test_phone_reports import grid_letter

NOW = local(2026, 3, 11, 10)
CLOSED = 3_000


def plan_of(sql: str) -> str:
    explain = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE tickets_ticket")
        else:
            cursor.execute("ANALYZE")
        cursor.execute(explain + sql)
        return "\n".join(str(row) for row in cursor.fetchall())


@pytest.fixture
def history(cast: Cast) -> list[Ticket]:
    """In grid G-01: CLOSED closed tickets of the years before, and four open now (new,
    dispatched, resolved twice, one of them with its call held for a mediation)."""
    with time_machine.travel(NOW, tick=False):
        grid_letter(cast, "grid_officer", "grid_officer", ["G-01"])
        open_now = [new_ticket(cast.dispatcher, grid="G-01") for _ in range(4)]
        for ticket in open_now[1:]:
            dispatch(cast, ticket)
        for ticket in open_now[2:]:
            resolve(cast, ticket)
        Ticket.objects.filter(pk=open_now[3].pk).update(visit_held_at=NOW)
        model = Ticket.objects.get(pk=open_now[2].pk)
        old = []
        for index in range(CLOSED):
            copy = Ticket.objects.get(pk=model.pk)
            copy.pk = None
            copy.number = f"JB20200101-{index:05d}"
            copy.status = Status.CLOSED
            copy.received_at = copy.registered_at = NOW - dt.timedelta(days=400 + index % 900)
            old.append(copy)
        Ticket.objects.bulk_create(old, batch_size=1000)
    return open_now


def test_a_grid_desk_counts_its_open_tickets_from_their_own_index(
    cast: Cast, history: list[Ticket]
) -> None:
    with time_machine.travel(NOW, tick=False), CaptureQueriesContext(connection) as queries:
        [desk] = my_grids(cast.grid_officer)
    assert (desk.open, desk.overdue) == (4, 0)
    [counting] = [
        q["sql"] for q in queries if '"tickets_ticket"' in q["sql"] and "COUNT(" in q["sql"]
    ]
    plan = plan_of(counting)
    assert "ticket_grid_open_idx" in plan, plan


def test_the_follow_up_count_reads_only_the_calls_waiting(
    cast: Cast, history: list[Ticket]
) -> None:
    with time_machine.travel(NOW, tick=False), CaptureQueriesContext(connection) as queries:
        waiting = follow_up_count(cast.dispatcher)
    # Resolved twice; one call held for the mediation of the dispute.
    assert waiting.count == 1
    [counting] = [q["sql"] for q in queries if "COUNT(" in q["sql"]]
    plan = plan_of(counting)
    assert "ticket_follow_up_idx" in plan, (counting, plan)
