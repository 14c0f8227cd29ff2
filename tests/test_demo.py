"""`jieban demo`: a whole fictional bureau, tickets in every state, consistent and reproducible."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from jieban.org.demo import DEMO_PASSWORD, PEOPLE
from jieban.org.models import ApiToken, Role, Unit, User
from jieban.tickets.models import Status, Ticket, TicketEvent, TicketSequence, TicketUnit
from jieban.workcalendar.workdays import compute_deadline

# A fixed "now" (a Tuesday afternoon) so that every run sees the same calendar.
ANCHOR = dt.datetime(2026, 6, 16, 15, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
TICKETS = 300


@pytest.fixture(autouse=True)
def fast_passwords(settings: Any) -> None:
    # The demo creates fifteen people through the real action; hashing need not be slow here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def run_demo(*args: str, now: dt.datetime | None = ANCHOR) -> str:
    out = StringIO()
    extra = ["--now", now.isoformat()] if now is not None else []
    call_command("demo", *args, *extra, stdout=out, stderr=StringIO())
    return out.getvalue()


def wipe() -> None:
    """Empty what the demo fills, as a fresh database would be (categories stay)."""
    TicketEvent.objects.all().delete()
    TicketUnit.objects.all().delete()
    Ticket.objects.update(merged_into=None)
    Ticket.objects.all().delete()
    TicketSequence.objects.all().delete()
    ApiToken.objects.all().delete()
    User.objects.all().delete()
    for kind in ("grid", "community", "station", "centre", "bureau"):
        Unit.objects.filter(kind=kind).delete()


def snapshot(anchor: dt.datetime) -> list[tuple[Any, ...]]:
    """Every ticket and its timeline, with times relative to `anchor`."""

    def rel(value: dt.datetime | None) -> dt.timedelta | None:
        return None if value is None else value - anchor

    events: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for event in TicketEvent.objects.select_related("actor").order_by("at", "id"):
        events[event.ticket_id].append(
            (event.kind, rel(event.at), event.actor.username if event.actor else None,
             event.from_status, event.to_status, event.payload)
        )  # fmt: skip
    rows = []
    tickets = Ticket.objects.select_related(
        "category", "unit", "grid", "registered_by", "merged_into"
    ).order_by("registered_at", "number")
    for ticket in tickets:
        rows.append(
            (
                ticket.number, ticket.status, ticket.channel, ticket.external_id,
                ticket.category.code, ticket.unit.code if ticket.unit else None,
                ticket.grid.code if ticket.grid else None, ticket.title, ticket.content,
                ticket.address, ticket.resident_name, ticket.resident_phone,
                rel(ticket.received_at), rel(ticket.registered_at), rel(ticket.dispatched_at),
                rel(ticket.due_at), ticket.due_basis, rel(ticket.accepted_at),
                rel(ticket.resolved_at), rel(ticket.closed_at), ticket.result, ticket.close_note,
                ticket.merged_into.number if ticket.merged_into else None,
                ticket.registered_by.username if ticket.registered_by else None,
                ticket.version, events[ticket.pk],
                sorted(holding.unit.code for holding in ticket.holdings.select_related("unit")),
            )
        )  # fmt: skip
    return rows


def test_demo_builds_the_bureau_and_tickets_in_every_state(db: Any) -> None:
    output = run_demo("--tickets", str(TICKETS), "--seed", "7")

    kinds = Counter(Unit.objects.values_list("kind", flat=True))
    assert kinds["bureau"] == 1 and kinds["centre"] == 1 and kinds["station"] == 6
    assert kinds["grid"] == 20
    for station in Unit.objects.filter(kind="station"):
        assert 2 <= station.children.filter(kind="community").count() <= 3
    assert Unit.objects.filter(code="QC", kind="bureau").exists()
    assert all(unit.name and unit.name_en for unit in Unit.objects.all())

    assert set(User.objects.values_list("role", flat=True)) == set(Role.values)
    for username, role, unit, _name in PEOPLE:
        person = User.objects.get(username=username)
        assert person.role == role and person.unit is not None and person.unit.code == unit
        assert person.check_password(DEMO_PASSWORD)
        assert username in output
    assert DEMO_PASSWORD in output

    assert Ticket.objects.count() == TICKETS
    statuses = Counter(Ticket.objects.values_list("status", flat=True))
    assert set(statuses) == set(Status.values), statuses
    assert set(Ticket.objects.values_list("channel", flat=True)) == {
        "hotline_12345", "online_platform", "building_head", "walk_in", "phone", "open311",
        "other",
    }  # fmt: skip
    used = set(Ticket.objects.values_list("category__code", flat=True))
    assert {"noise", "neighbour_dispute", "consultation_id_card", "fraud_check"} <= used
    # A consultation answered on the phone, returns, and late resolutions are all there.
    assert Ticket.objects.filter(status="closed", unit__isnull=True).exists()
    assert TicketEvent.objects.filter(kind="return").exists()
    late = [
        t
        for t in Ticket.objects.exclude(resolved_at=None)
        if t.resolved_at > (t.due_at or t.resolved_at)
    ]
    assert late
    assert any(
        t.is_overdue for t in Ticket.objects.filter(status__in=["dispatched", "in_progress"])
    )


def test_every_timeline_is_consistent(db: Any) -> None:
    run_demo("--tickets", str(TICKETS))
    now = ANCHOR
    timelines: dict[int, list[TicketEvent]] = defaultdict(list)
    for event in TicketEvent.objects.order_by("at", "id"):
        timelines[event.ticket_id].append(event)
    for ticket in Ticket.objects.all():
        events = timelines[ticket.pk]
        assert events[0].kind == "intake" and events[0].to_status == Status.NEW, ticket.number
        assert events[-1].to_status == ticket.status, ticket.number
        status = ""
        for event in events:
            assert event.at <= now
            if event.kind == "merged_in":
                assert event.from_status == event.to_status == status
                continue
            assert event.from_status == status, (ticket.number, event.kind)
            status = event.to_status
        assert ticket.received_at <= ticket.registered_at == events[0].at
        assert ticket.version == len([e for e in events if e.kind != "merged_in"])
        assert len(ticket.resident_phone) == 11 and ticket.resident_phone[0] == "1"
        assert ticket.resident_phone[1] in "3456789"
        assert (
            ticket.number
            == f"JB{ticket.registered_at.astimezone(now.tzinfo):%Y%m%d}" + (ticket.number[10:])
        )
        if ticket.status in (Status.DISPATCHED, Status.IN_PROGRESS):
            assert ticket.unit is not None and ticket.due_at is not None
        if ticket.unit_id is not None:
            assert ticket.holdings.filter(unit_id=ticket.unit_id).exists()
        if ticket.status == Status.MERGED:
            assert ticket.merged_into is not None
            assert ticket.merged_into.events.filter(
                kind="merged_in", payload__from=ticket.number
            ).exists()
    # The day's sequence continues after the demo's numbers: no collision with the next intake.
    for sequence in TicketSequence.objects.all():
        numbers = Ticket.objects.filter(number__startswith=f"JB{sequence.day:%Y%m%d}-")
        assert numbers.count() == sequence.last


def test_deadlines_follow_the_working_day_calendar(db: Any) -> None:
    run_demo("--tickets", str(TICKETS))
    checked = 0
    for ticket in Ticket.objects.exclude(dispatched_at=None).select_related("category"):
        if ticket.due_basis == "channel":
            continue  # the 12345 platform sent its own deadline
        deadline = compute_deadline(ticket.dispatched_at, ticket.category.deadline_days)
        assert ticket.due_at == deadline.due_at, ticket.number
        assert ticket.due_basis == deadline.basis
        last_dispatch = ticket.events.filter(kind="dispatch").order_by("at", "id").last()
        assert last_dispatch is not None
        assert last_dispatch.payload["due_at"] == deadline.due_at.isoformat()
        checked += 1
    assert checked > TICKETS // 2


def test_same_seed_same_tickets(db: Any) -> None:
    run_demo("--tickets", "200", "--seed", "11")
    first = snapshot(ANCHOR)
    wipe()
    run_demo("--tickets", "200", "--seed", "11")
    assert snapshot(ANCHOR) == first
    wipe()
    run_demo("--tickets", "200", "--seed", "12")
    assert snapshot(ANCHOR) != first


def test_same_seed_same_tickets_relative_to_now(db: Any) -> None:
    """A week later the same seed gives the same tickets, as far back from "now" as before."""
    fields = slice(1, 3)  # status, channel

    def relative(anchor: dt.datetime) -> list[tuple[Any, ...]]:
        return [
            (*row[fields], row[4], row[7], row[8], row[10], row[11], row[12], row[13])
            for row in snapshot(anchor)
        ]

    run_demo("--tickets", "200", "--seed", "5")
    first = relative(ANCHOR)
    wipe()
    later = ANCHOR + dt.timedelta(days=7)
    run_demo("--tickets", "200", "--seed", "5", now=later)
    assert relative(later) == first


def test_if_empty_does_nothing_the_second_time(db: Any) -> None:
    run_demo("--tickets", "50", "--if-empty")
    counts = (Unit.objects.count(), User.objects.count(), Ticket.objects.count())
    output = run_demo("--tickets", "50", "--if-empty")
    assert "not loaded" in output
    assert "dispatcher" in output and DEMO_PASSWORD in output
    assert (Unit.objects.count(), User.objects.count(), Ticket.objects.count()) == counts
    with pytest.raises(CommandError):
        run_demo("--tickets", "50")


def test_demo_default_now_and_later_intake_do_not_collide(db: Any) -> None:
    from jieban.intake.actions import TicketDraft, register_ticket

    run_demo("--tickets", "60", now=None)
    dispatcher = User.objects.get(username="dispatcher")
    ticket, created = register_ticket(
        TicketDraft(channel="phone", content="演示之后新登记的工单"), by=dispatcher
    )
    assert created and Ticket.objects.filter(number=ticket.number).count() == 1
