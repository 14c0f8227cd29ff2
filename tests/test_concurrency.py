"""Races that row locks and unique constraints must settle, on a real PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from jieban.errors import Conflict
from jieban.intake.actions import TicketDraft, register_ticket
from jieban.org.actions import create_person, create_unit
from jieban.org.models import Unit, User
from jieban.stats.models import PublishedReport
from jieban.stats.reports import publish_ended_periods
from jieban.tickets import transitions
from jieban.tickets.campaign import take_month_snapshot
from jieban.tickets.defaults import create_default_categories
from jieban.tickets.models import (
    Campaign,
    CampaignItem,
    Category,
    DailySequence,
    Ticket,
    TicketEvent,
)
from jieban.tickets.numbering import allocate_numbers
from tests.conftest import local
from tests.races import race

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people() -> tuple[User, User]:
    # A transactional test starts from flushed tables: the migration's categories are gone.
    create_default_categories(Category)
    create_unit(code="BUR", kind="bureau", name="局")
    create_unit(code="CC", kind="centre", name="指挥中心", parent="BUR")
    create_unit(code="PS-A", kind="station", name="甲所", parent="BUR")
    first = create_person(username="d1", role="dispatcher", unit="CC", password="test-pass-123")
    second = create_person(username="d2", role="dispatcher", unit="CC", password="test-pass-123")
    return first, second


def test_two_concurrent_dispatches_exactly_one_wins(people: tuple[User, User]) -> None:
    ticket, _created = register_ticket(TicketDraft(channel="phone", content="噪音"), by=people[0])
    unit = Unit.objects.get(code="PS-A")
    for _round in range(5):
        results = race(
            2, lambda index: transitions.dispatch_ticket(ticket.number, unit=unit, by=people[index])
        )
        wins = [result for result in results if isinstance(result, Ticket)]
        conflicts = [result for result in results if isinstance(result, Conflict)]
        assert (len(wins), len(conflicts)) == (1, 1), results
        assert TicketEvent.objects.filter(ticket=ticket, kind="dispatch").count() == 1
        # Back to new for the next round.
        handler = User.objects.filter(username="h").first() or create_person(
            username="h", role="unit_handler", unit="PS-A", password="test-pass-123"
        )
        transitions.return_ticket(ticket.number, reason="再来一次", by=handler)
        TicketEvent.objects.filter(ticket=ticket, kind="dispatch").delete()


def test_concurrent_replays_of_one_external_id_create_one_ticket(
    people: tuple[User, User],
) -> None:
    draft = TicketDraft(channel="hotline_12345", external_id="H-1", content="噪音")
    results = race(4, lambda index: register_ticket(draft, by=people[index % 2]))
    assert not [result for result in results if isinstance(result, Exception)], results
    assert sorted(created for _ticket, created in results) == [False, False, False, True]
    assert len({ticket.number for ticket, _created in results}) == 1
    assert Ticket.objects.count() == 1


def test_concurrent_intake_hands_out_distinct_numbers(people: tuple[User, User]) -> None:
    results = race(
        6,
        lambda index: register_ticket(
            TicketDraft(channel="phone", content=f"来电 {index}"), by=people[index % 2]
        ),
    )
    numbers = [ticket.number for ticket, _created in results]
    # The first number of the day raced too: one row, and no number lost or given twice.
    assert sorted(number[-4:] for number in numbers) == [f"{seq:04d}" for seq in range(1, 7)]
    assert DailySequence.objects.get(prefix="JB").last == 6


def test_concurrent_batches_of_numbers_never_overlap(transactional_db: Any) -> None:
    day = dt.date(2026, 7, 14)
    results = race(6, lambda index: allocate_numbers("DB", day, index + 1))
    assert not [result for result in results if isinstance(result, Exception)], results
    numbers = sorted(number for batch in results for number in batch)
    assert numbers == [f"DB20260714-{seq:04d}" for seq in range(1, 22)]
    for batch in results:
        sequences = [int(number[-4:]) for number in batch]
        assert sequences == list(range(sequences[0], sequences[0] + len(batch)))


def test_two_workers_sweeping_at_once_issue_each_order_once(people: tuple[User, User]) -> None:
    import time_machine

    from jieban.notify.models import Notification
    from jieban.tickets.models import ORDER_OPEN, SupervisionOrder
    from jieban.worker.runner import run_sweep
    from tests.conftest import local

    create_person(username="h1", role="unit_handler", unit="PS-A", password="test-pass-123")
    create_person(username="h2", role="unit_leader", unit="PS-A", password="test-pass-123")
    unit = Unit.objects.get(code="PS-A")
    with time_machine.travel(local(2026, 3, 2), tick=False):
        for index in range(60):
            ticket, _created = register_ticket(
                TicketDraft(channel="phone", content=f"噪音 {index}"), by=people[0]
            )
            transitions.dispatch_ticket(ticket.number, unit=unit, by=people[0])
    with time_machine.travel(local(2026, 3, 10, 9) + dt.timedelta(seconds=1), tick=False):
        reports = race(2, lambda index: run_sweep())
    assert not [report for report in reports if isinstance(report, Exception)], reports
    issued = [number for report in reports for number in report.orders]
    assert len(issued) == len(set(issued)) == 60
    assert SupervisionOrder.objects.count() == 60
    assert SupervisionOrder.objects.values("ticket").distinct().count() == 60
    # Each order told the unit's two people once: no double notification.
    assert Notification.objects.filter(kind="supervision_order").count() == 120
    # The tickets were signed for by nobody: each unit is told once that they wait.
    assert Notification.objects.filter(kind="accept_late").count() == 120
    # The second breach, swept by two workers: each ticket's level-2 order supersedes its
    # level-1 order, and each ticket has one open order.
    with time_machine.travel(local(2026, 3, 13, 9), tick=False):
        reports = race(2, lambda index: run_sweep())
    assert not [report for report in reports if isinstance(report, Exception)], reports
    assert sum(len(report.orders) for report in reports) == 60
    open_orders = SupervisionOrder.objects.filter(ORDER_OPEN)
    assert open_orders.count() == open_orders.values("ticket").distinct().count() == 60
    assert set(open_orders.values_list("level", flat=True)) == {2}
    for order in SupervisionOrder.objects.filter(level=1).select_related("superseded_by"):
        assert order.superseded_by is not None and order.fulfilled_at is None
        assert (order.superseded_by.ticket_id, order.superseded_by.level) == (order.ticket_id, 2)
    # Level 3 on Wednesday 18 March, and when it runs out (Friday 20 March) the tickets go to
    # the leaders: once each, whichever worker sees it first, and no fourth order.
    create_person(username="boss", role="leader", unit="BUR", password="test-pass-123")
    with time_machine.travel(local(2026, 3, 18, 9), tick=False):
        race(2, lambda index: run_sweep())
    with time_machine.travel(local(2026, 3, 21, 9), tick=False):
        reports = race(2, lambda index: run_sweep())
    assert not [report for report in reports if isinstance(report, Exception)], reports
    escalated = [number for report in reports for number in report.escalated]
    assert len(escalated) == len(set(escalated)) == 60
    assert sum(len(report.orders) for report in reports) == 0
    assert SupervisionOrder.objects.count() == 180
    assert Notification.objects.filter(kind="escalated").count() == 60


def test_two_workers_first_sweeping_a_month_take_one_snapshot(people: tuple[User, User]) -> None:
    unit = Unit.objects.get(code="PS-A")
    with time_machine.travel(local(2026, 2, 2), tick=False):
        for index in range(20):
            ticket, _created = register_ticket(
                TicketDraft(channel="phone", content=f"噪音 {index}"), by=people[0]
            )
            transitions.dispatch_ticket(ticket.number, unit=unit, by=people[0])
    # Both first run on the 4th: each may find no snapshot, one takes it.
    with time_machine.travel(local(2026, 4, 4, 9), tick=False):
        results = race(2, lambda index: take_month_snapshot(timezone.now()))
    assert not [result for result in results if isinstance(result, Exception)], results
    taken = [result for result in results if result is not None]
    assert len(taken) == 1 and taken[0].month == "2026-04"
    assert Campaign.objects.count() == 1
    assert CampaignItem.objects.count() == 20


def test_two_workers_catching_up_freeze_each_report_once(people: tuple[User, User]) -> None:
    with time_machine.travel(local(2026, 3, 2), tick=False):
        register_ticket(TicketDraft(channel="phone", content="噪音"), by=people[0])
    with time_machine.travel(local(2026, 3, 19, 0, 5), tick=False):
        results = race(
            2,
            lambda index: publish_ended_periods(timezone.localdate(), limit=100, horizon_days=400),
        )
    assert not [result for result in results if isinstance(result, Exception)], results
    published = [name for names, _left in results for name in names]
    # 2-18 March, weeks 10 and 11: each frozen by one of them.
    assert len(published) == len(set(published)) == 19
    assert PublishedReport.objects.count() == 19
    assert [left for _names, left in results] == [0, 0]
