"""`jieban demo`: a whole fictional bureau, tickets in every state, consistent and reproducible."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections import Counter, defaultdict
from io import StringIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, F, Q
from django.test import Client
from django.utils import timezone

from jieban.community.boundaries import check_boundary
from jieban.community.models import (
    Appointment,
    Building,
    CommunityVersion,
    GridVersion,
    PhoneReport,
    Town,
)
from jieban.demo.data import COMPOUNDS, DEMO_PASSWORD, PEOPLE
from jieban.exchange.models import (
    ImportSource,
    MessageAttempt,
    Open311Key,
    Open311Request,
    Platform,
    PlatformEvent,
    PlatformMessage,
    PlatformOrder,
    TicketImport,
)
from jieban.mediation.models import (
    Agreement,
    AgreementTerm,
    AgreementVisit,
    CaseEvent,
    CaseStatus,
    Handover,
    MediationCase,
    MediationSession,
    MediatorKind,
    Studio,
    StudioMediator,
    fell_due_by,
    fully_performed,
)
from jieban.org.models import CENTRE_ROLES, ApiToken, Role, Unit, User
from jieban.org.permissions import can_work_unit_tickets
from jieban.stats.figures import figures
from jieban.stats.models import DirtyDay
from jieban.suggestions.models import DispatchRule, Suggestion, SuggestionKind
from jieban.suggestions.places import match_address
from jieban.tickets.access import visible_tickets
from jieban.tickets.campaign import take_snapshot
from jieban.tickets.events import extension_decision_payload, extension_request_payload
from jieban.tickets.models import (
    CLOCK_RUNNING,
    OPEN,
    ORDER_OPEN,
    DailySequence,
    Extension,
    Status,
    SupervisionOrder,
    Ticket,
    TicketEvent,
    TicketUnit,
    Visit,
)
from jieban.tickets.selectors import TicketFilters, filter_tickets
from jieban.tickets.supervision import watch_from
from jieban.workcalendar.workdays import compute_deadline

# A fixed "now" (a Tuesday afternoon) so that every run sees the same calendar.
# The demo's own rules (its calendar, its seeds, its stories) are the same whatever the
# database: they run in the SQLite run only. Building the demo, its timelines and the first
# sweep after it run on PostgreSQL too (`jieban demo` into a PostgreSQL database).
ONE_RUN = pytest.mark.sqlite_only
ANCHOR = dt.datetime(2026, 6, 16, 15, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
TICKETS = 300
NUMBER = re.compile(r"JB(\d{4})(\d{2})(\d{2})-(\d{4})")
# Events that record something about a ticket without changing its status.
SAME_STATUS = frozenset(
    {
        "merged_in", "repeat", "repeat_of", "visit", "supervise", "escalate",
        "extension_request", "extension_approve", "extension_reject",
    }
)  # fmt: skip
UNVERSIONED = frozenset({"intake", "merged_in", "repeat", "repeat_of", "visit"})


@pytest.fixture(autouse=True)
def own_data_dir(settings: Any, tmp_path: Path) -> None:
    """The demo trains the classifier into the data directory: each test its own, so that no
    other test meets a model it did not train."""
    settings.DATA_DIR = tmp_path / "data"


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
    for exchanged in (MessageAttempt, PlatformMessage, PlatformEvent, Suggestion):
        exchanged.objects.all().delete()
    PlatformOrder.objects.update(root=None)
    for exchanged in (PlatformOrder, Platform, Open311Request, Open311Key, TicketImport):
        exchanged.objects.all().delete()
    ImportSource.objects.all().delete()
    PhoneReport.objects.all().delete()
    Handover.objects.all().delete()
    MediationCase.objects.filter(ticket__isnull=False).delete()
    TicketEvent.objects.all().delete()
    TicketUnit.objects.all().delete()
    Extension.objects.all().delete()
    Visit.objects.all().delete()
    SupervisionOrder.objects.all().delete()
    Ticket.objects.update(merged_into=None, repeat_of=None)
    Ticket.objects.all().delete()
    DailySequence.objects.all().delete()
    ApiToken.objects.all().delete()
    for model in (CaseEvent, MediationSession, MediationCase, StudioMediator, Studio):
        model.objects.all().delete()
    Appointment.objects.update(renewal_of=None)
    DispatchRule.objects.all().delete()
    for model in (Appointment, Building, GridVersion, CommunityVersion, Town):
        model.objects.all().delete()
    User.objects.all().delete()
    Unit.objects.filter(kind="committee").update(parent=None)
    for kind in ("committee", "grid", "community", "station", "centre", "bureau"):
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
    orders: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for order in SupervisionOrder.objects.select_related("unit", "superseded_by").order_by(
        "issued_at", "id"
    ):
        orders[order.ticket_id].append(
            (order.number, order.unit.code, order.reason, order.level, rel(order.issued_at),
             order.issued_by_id is not None, rel(order.due_at), rel(order.breached_due_at),
             rel(order.fulfilled_at), order.superseded_by and order.superseded_by.number,
             order.note)
        )  # fmt: skip
    visits: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for visit in Visit.objects.select_related("called_by").order_by("at", "id"):
        visits[visit.ticket_id].append(
            (visit.outcome, visit.note, visit.called_by.username if visit.called_by else None,
             visit.reported_by_channel, rel(visit.at))
        )  # fmt: skip
    rows = []
    tickets = Ticket.objects.select_related(
        "category", "unit", "grid", "registered_by", "merged_into", "repeat_of"
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
                ticket.supervision_level, rel(ticket.breached_at), ticket.visit_outcome,
                ticket.repeat_count, ticket.repeat_of.number if ticket.repeat_of else None,
                orders[ticket.pk], visits[ticket.pk],
            )
        )  # fmt: skip
    return rows


def test_demo_builds_the_bureau_and_tickets_in_every_state(db: Any) -> None:
    # (A seed whose 300 tickets happen to include a new one and a dispatched one, waiting for
    # the centre and for the unit to sign: few tickets are, as in a bureau that keeps its
    # clocks.)
    output = run_demo("--tickets", str(TICKETS), "--seed", "13")

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
        "other", "grid",
    }  # fmt: skip
    used = set(Ticket.objects.values_list("category__code", flat=True))
    assert {"noise", "neighbour_dispute", "consultation_id_card", "fraud_check"} <= used
    # A consultation answered on the phone, returns, and late resolutions are all there.
    assert Ticket.objects.filter(status="closed", unit__isnull=True).exists()
    assert TicketEvent.objects.filter(kind="return").exists()
    assert Ticket.objects.filter(status__in=["resolved", "closed"], breached_at__isnull=False)
    with time_machine.travel(ANCHOR, tick=False):
        assert any(
            t.is_overdue for t in Ticket.objects.filter(status__in=["dispatched", "in_progress"])
        )
    # And what the supervision loop adds: orders of every reason, calls of every outcome,
    # repeats, and the daily rollups built already.
    assert set(SupervisionOrder.objects.values_list("reason", flat=True)) == {
        "overdue", "dissatisfied", "manual"
    }  # fmt: skip
    assert set(SupervisionOrder.objects.values_list("level", flat=True)) == {1, 2, 3}
    assert set(Visit.objects.values_list("outcome", flat=True)) == {
        "satisfied", "basically_satisfied", "dissatisfied", "unreachable"
    }  # fmt: skip
    assert Ticket.objects.filter(repeat_of__isnull=False).exists()
    assert "supervision orders" in output and "follow-up calls" in output
    assert "requests for more time" in output
    assert not DirtyDay.objects.exists()
    # The centre's dispatch rules, one automatic, and buildings the tickets' addresses match.
    rules = list(DispatchRule.objects.all())
    assert len(rules) == 4 and sum(rule.automatic for rule in rules) == 1
    assert "4 dispatch rules" in output
    addressed = Ticket.objects.exclude(address="").values_list("address", flat=True)[:200]
    assert any(match_address(address) is not None for address in addressed)
    # What the intake would have suggested these last weeks, recorded as at registration:
    # each suggestion at its ticket's registration, an earlier report received before it.
    suggested = Suggestion.objects.select_related("ticket")
    kinds = Counter(suggested.values_list("kind", flat=True))
    assert kinds[SuggestionKind.UNIT] > 0 and kinds[SuggestionKind.REPEAT] > 0
    assert all(row.at == row.ticket.registered_at for row in suggested)
    received = dict(Ticket.objects.values_list("number", "received_at"))
    for row in suggested.filter(kind=SuggestionKind.REPEAT):
        assert received[row.value] < row.ticket.received_at
    assert "suggestions at intake" in output
    # Full-text search finds the demo's tickets (on SQLite its index is built after the load).
    dispatcher = User.objects.get(username="dispatcher")
    words = Q(title__contains="噪音扰民") | Q(content__contains="噪音扰民")
    assert filter_tickets(dispatcher, TicketFilters(q="噪音扰民")).count() == (
        Ticket.objects.filter(words).count()
    )
    assert Ticket.objects.filter(words).exists()


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
            if event.kind in SAME_STATUS:
                assert event.from_status == event.to_status == status, (ticket.number, event.kind)
                continue
            assert event.from_status == status, (ticket.number, event.kind)
            status = event.to_status
        assert ticket.received_at <= ticket.registered_at == events[0].at
        # A transition or a supervision order bumps the version; calls and repeats do not.
        assert ticket.version == 1 + len([e for e in events if e.kind not in UNVERSIONED])
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
    sequences = DailySequence.objects.filter(prefix="JB")
    assert sequences.count() == len({ticket.number[:10] for ticket in Ticket.objects.all()})
    for sequence in sequences:
        numbers = Ticket.objects.filter(number__startswith=f"JB{sequence.day:%Y%m%d}-")
        assert numbers.count() == sequence.last


@ONE_RUN
def test_deadlines_follow_the_working_day_calendar(db: Any) -> None:
    run_demo("--tickets", str(TICKETS))
    checked = extended = 0
    supervised = set(SupervisionOrder.objects.values_list("ticket_id", flat=True))
    approved: dict[int, list[Extension]] = defaultdict(list)
    for extension in Extension.objects.filter(status="approved").order_by("decided_at", "pk"):
        approved[extension.ticket_id].append(extension)
    for ticket in Ticket.objects.exclude(dispatched_at=None).select_related("category"):
        if ticket.pk in supervised:
            continue  # a dissatisfied call's order set a new one
        assert ticket.dispatched_at is not None
        last_dispatch = ticket.events.filter(kind="dispatch").order_by("at", "id").last()
        assert last_dispatch is not None
        due = dt.datetime.fromisoformat(last_dispatch.payload["due_at"])
        basis = "channel"  # the 12345 platform sent its own deadline
        if last_dispatch.payload.get("basis") != "channel":
            deadline = compute_deadline(ticket.dispatched_at, ticket.category.deadline_days)
            assert due == deadline.due_at, ticket.number
            basis = deadline.basis
        # Each approved request for more time moved it on by the working days asked.
        for extension in approved[ticket.pk]:
            assert extension.due_at_before == due, ticket.number
            moved = compute_deadline(due, extension.days)
            assert extension.due_at_after == moved.due_at, ticket.number
            due, basis = moved.due_at, moved.basis
            extended += 1
        assert ticket.due_at == due, ticket.number
        assert ticket.due_basis == basis, ticket.number
        checked += 1
    assert checked > TICKETS // 2
    assert extended > 0


@ONE_RUN
def test_same_seed_same_tickets(db: Any) -> None:
    run_demo("--tickets", "200", "--seed", "11")
    first = snapshot(ANCHOR)
    wipe()
    run_demo("--tickets", "200", "--seed", "11")
    assert snapshot(ANCHOR) == first
    wipe()
    run_demo("--tickets", "200", "--seed", "12")
    assert snapshot(ANCHOR) != first


@ONE_RUN
def test_same_seed_same_tickets_relative_to_now(db: Any) -> None:
    """A week later the same seed gives the same tickets, as far back from "now" as before."""
    fields = slice(1, 3)  # status, channel

    def relative(anchor: dt.datetime) -> list[tuple[Any, ...]]:
        def number(found: re.Match[str]) -> str:
            # A repeat report names the earlier ticket, whose number carries its date.
            day = dt.date(int(found[1]), int(found[2]), int(found[3]))
            return f"JB{(day - anchor.date()).days}-{found[4]}"

        return [
            (*row[fields], row[4], row[7], NUMBER.sub(number, row[8]), row[10], row[11],
             row[12], row[13], row[-3] is not None)
            for row in snapshot(anchor)
        ]  # fmt: skip

    run_demo("--tickets", "200", "--seed", "5")
    first = relative(ANCHOR)
    wipe()
    later = ANCHOR + dt.timedelta(days=7)
    run_demo("--tickets", "200", "--seed", "5", now=later)
    assert relative(later) == first


@ONE_RUN
def test_if_empty_does_nothing_the_second_time(db: Any) -> None:
    run_demo("--tickets", "50", "--if-empty")
    counts = (Unit.objects.count(), User.objects.count(), Ticket.objects.count())
    output = run_demo("--tickets", "50", "--if-empty")
    assert "not loaded" in output
    assert "dispatcher" in output and DEMO_PASSWORD in output
    assert (Unit.objects.count(), User.objects.count(), Ticket.objects.count()) == counts
    with pytest.raises(CommandError):
        run_demo("--tickets", "50")


@ONE_RUN
def test_demo_default_now_and_later_intake_do_not_collide(db: Any) -> None:
    from jieban.intake.actions import TicketDraft, register_ticket

    run_demo("--tickets", "60", now=None)
    dispatcher = User.objects.get(username="dispatcher")
    today = f"JB{timezone.localdate():%Y%m%d}-"
    before = Ticket.objects.filter(number__startswith=today).count()
    ticket, created = register_ticket(
        TicketDraft(channel="phone", content="演示之后新登记的工单"), by=dispatcher
    )
    assert created and Ticket.objects.filter(number=ticket.number).count() == 1
    # Numbering goes on after the demo's last ticket of the day.
    assert ticket.number == f"{today}{before + 1:04d}"
    # A ticket registered after the demo is found by full-text search like any other.
    found = filter_tickets(dispatcher, TicketFilters(q="新登记的工单"))
    assert list(found.values_list("number", flat=True)) == [ticket.number]


def timelines() -> dict[int, list[TicketEvent]]:
    found: dict[int, list[TicketEvent]] = defaultdict(list)
    for event in TicketEvent.objects.order_by("at", "id"):
        found[event.ticket_id].append(event)
    return found


@ONE_RUN
def test_follow_up_calls_are_what_record_visit_writes(db: Any) -> None:
    # (A seed whose 600 tickets include a resolved one waiting for its next call after an
    # unanswered one.)
    run_demo("--tickets", "600", "--seed", "11")
    events = timelines()
    calls: dict[int, list[Visit]] = defaultdict(list)
    for visit in Visit.objects.order_by("at", "id"):
        calls[visit.ticket_id].append(visit)
    closed_after_resolve = 0
    for ticket in Ticket.objects.all():
        visits, timeline = calls[ticket.pk], events[ticket.pk]
        # The ticket keeps the outcome of its latest call; the rates read it.
        assert ticket.visit_outcome == (visits[-1].outcome if visits else ""), ticket.number
        # Each call is one "visit" event on a resolved ticket, with record_visit's payload.
        visit_events = [event for event in timeline if event.kind == "visit"]
        assert len(visit_events) == len(visits), ticket.number
        for visit, event in zip(visits, visit_events, strict=True):
            assert (event.at, event.actor_id) == (visit.at, visit.called_by_id)
            assert event.from_status == event.to_status == Status.RESOLVED
            assert event.payload == {
                "outcome": visit.outcome,
                "note": visit.note,
                "channel": visit.reported_by_channel or None,
            }
            assert visit.note
        unanswered = 0
        for index, event in enumerate(timeline):
            if event.kind == "resolve":
                unanswered = 0
            if event.kind != "visit":
                continue
            outcome = event.payload["outcome"]
            unanswered += outcome == "unreachable"
            after = timeline[index + 1 : index + 3]
            if outcome in ("satisfied", "basically_satisfied") or unanswered == 3:
                # Closed by the call, at the same moment.
                assert after[0].kind == "close" and after[0].at == event.at, ticket.number
                assert after[0].payload == {"visit": outcome}
            elif outcome == "dissatisfied":
                # Reopened, with a supervision order, at the same moment.
                assert [e.kind for e in after] == ["reopen", "supervise"], ticket.number
                assert after[0].payload == {"visit": "dissatisfied", "note": event.payload["note"]}
                assert (after[0].from_status, after[0].to_status) == ("resolved", "in_progress")
                assert after[1].payload["reason"] == "dissatisfied"
                assert all(e.at == event.at for e in after)
            else:
                assert unanswered < 3
        closes = [e for e in timeline if e.kind == "close" and e.from_status == Status.RESOLVED]
        if closes:
            closed_after_resolve += 1
            assert visits, ticket.number  # closed after a resolution: the resident was called
        if ticket.status == Status.RESOLVED:
            since = [v for v in visits if ticket.resolved_at and v.at >= ticket.resolved_at]
            assert len(since) <= 2 and all(v.outcome == "unreachable" for v in since)
        if ticket.status == Status.CLOSED and ticket.visit_outcome == "unreachable":
            assert [v.outcome for v in visits[-3:]] == ["unreachable"] * 3
    assert closed_after_resolve > 100
    outcomes = Counter(Visit.objects.values_list("outcome", flat=True))
    assert outcomes["satisfied"] > outcomes["basically_satisfied"] > outcomes["dissatisfied"] > 0
    assert outcomes["unreachable"] > 0
    assert Ticket.objects.filter(status="closed", visit_outcome="unreachable").exists()
    assert Ticket.objects.filter(status="resolved", visits__outcome="unreachable").exists()
    # The bureau's figures: a satisfaction rate (read from the rollups the demo built).
    leader = User.objects.get(username="leader")
    start = (ANCHOR - dt.timedelta(days=89)).date()
    (overall,) = figures(leader, start=start, end=ANCHOR.date() + dt.timedelta(days=1), now=ANCHOR)
    assert overall.satisfaction_rate is not None and 0.9 < overall.satisfaction_rate < 1
    assert overall.on_time_rate is not None and 0.6 < overall.on_time_rate < 1
    assert overall.repeats > 0
    assert not DirtyDay.objects.exists()


def deadlines(moves: list[TicketEvent]) -> set[dt.datetime]:
    """The deadlines the ticket had: each dispatch's, each reopening's, each approved
    extension's."""
    return {dt.datetime.fromisoformat(event.payload["due_at"]) for event in moves}


def moves_deadline(event: TicketEvent) -> bool:
    """A dispatch, a dissatisfied call's order (a new round) or an approved extension."""
    return event.kind in ("dispatch", "extension_approve") or (
        event.kind == "supervise" and event.payload["reason"] == "dissatisfied"
    )


def automatic_orders_by_round(
    timeline: list[TicketEvent], orders: list[SupervisionOrder]
) -> list[int]:
    """How many overdue orders the sweep issued in each handling round of a ticket (from a
    dispatch or a reopening to the next)."""
    starts = [event.at for event in timeline if event.kind in ("dispatch", "reopen")]
    counts = [0] * len(starts)
    for order in orders:
        if order.reason == "overdue":
            counts[max(i for i, start in enumerate(starts) if start <= order.issued_at)] += 1
    return counts


def check_extensions(events: dict[int, list[TicketEvent]]) -> Counter[str]:
    """Every request for more time is what `request_extension` wrote, and its decision what
    `approve_extension` or `reject_extension` wrote; returns the requests by status."""
    requests: dict[int, list[Extension]] = defaultdict(list)
    extensions = Extension.objects.select_related("ticket", "requested_by", "decided_by")
    for extension in extensions.order_by("requested_at", "pk"):
        requests[extension.ticket_id].append(extension)
    for pk, timeline in events.items():
        asked = [e for e in timeline if e.kind == "extension_request"]
        decided = [e for e in timeline if e.kind in ("extension_approve", "extension_reject")]
        rows = requests[pk]
        assert [e.at for e in asked] == [x.requested_at for x in rows]
        assert [e.at for e in decided] == [x.decided_at for x in rows if x.decided_at]
        # The deadlines in force, as each dispatch, reopening and approval set them.
        moves = [e for e in timeline if moves_deadline(e)]
        for extension, event in zip(rows, asked, strict=True):
            ticket = extension.ticket
            number = ticket.number
            # Asked by a person of the unit holding the ticket, before its deadline passed.
            assert event.actor_id == extension.requested_by_id, number
            assert extension.requested_by is not None
            assert can_work_unit_tickets(extension.requested_by, extension.unit_id), number
            assert ticket.holdings.filter(unit_id=extension.unit_id).exists(), number
            assert event.from_status == event.to_status and event.to_status in CLOCK_RUNNING
            in_force = [m for m in moves if m.at <= extension.requested_at][-1]
            assert extension.due_at_before == dt.datetime.fromisoformat(
                in_force.payload["due_at"]
            ), number
            assert extension.requested_at <= extension.due_at_before, number
            assert 1 <= extension.days <= 10 and extension.reason
            assert event.payload == extension_request_payload(
                days=extension.days, reason=extension.reason, due_at=extension.due_at_before
            )
            if extension.status == "pending":
                # Waiting for the command centre: the ticket is still with the unit.
                assert extension.decided_at is None and extension.decided_by_id is None
                assert ticket.status in CLOCK_RUNNING and ticket.unit_id == extension.unit_id
                assert extension == rows[-1], number
                continue
            (decision,) = [e for e in decided if e.at == extension.decided_at]
            assert extension.decided_by is not None
            assert extension.decided_by.role in CENTRE_ROLES, number
            assert decision.actor_id == extension.decided_by_id
            assert decision.from_status == decision.to_status == event.to_status
            assert extension.requested_at < extension.decided_at <= extension.due_at_before
            if extension.status == "approved":
                assert decision.kind == "extension_approve", number
                moved = compute_deadline(extension.due_at_before, extension.days).due_at
                assert extension.due_at_after == moved, number
            else:
                assert extension.status == "rejected" and decision.kind == "extension_reject"
                assert extension.due_at_after is None and extension.note, number
            assert decision.payload == extension_decision_payload(
                days=extension.days,
                note=extension.note,
                due_at=extension.due_at_after,
                previous_due_at=extension.due_at_before,
            )
    return Counter(Extension.objects.values_list("status", flat=True))


@ONE_RUN
def test_supervision_orders_are_what_the_sweep_and_issue_order_write(db: Any) -> None:
    run_demo("--tickets", "600", "--seed", "3")
    events = timelines()
    second = dt.timedelta(seconds=1)
    orders_of: dict[int, list[SupervisionOrder]] = defaultdict(list)
    for order in SupervisionOrder.objects.order_by("issued_at", "id"):
        orders_of[order.ticket_id].append(order)
    by_day: dict[str, list[SupervisionOrder]] = defaultdict(list)
    for ticket in Ticket.objects.all():
        orders, timeline = orders_of[ticket.pk], events[ticket.pk]
        supervise = [event for event in timeline if event.kind == "supervise"]
        assert [event.payload["order"] for event in supervise] == [o.number for o in orders]
        assert ticket.supervision_level == (orders[-1].level if orders else 0), ticket.number
        # The ticket's deadline is its last dispatch's, the last dissatisfied call's order's
        # (a new round) or the last approved extension's: no other order moves it.
        moves = [event for event in timeline if moves_deadline(event)]
        if ticket.dispatched_at is not None and moves:
            assert ticket.due_at == dt.datetime.fromisoformat(moves[-1].payload["due_at"])
        # Late: the first order issued for missing the ticket's own deadline.
        own = [o for o in orders if o.reason == "overdue" and o.breached_due_at in deadlines(moves)]
        assert ticket.breached_at == (own[0].issued_at if own else None), ticket.number
        # At most three automatic orders in a handling round, then the leaders.
        assert all(count <= 3 for count in automatic_orders_by_round(timeline, orders)), (
            ticket.number
        )
        escalations = [event for event in timeline if event.kind == "escalate"]
        assert len(escalations) <= 1
        assert ticket.escalated_at == (escalations[0].at if escalations else None)
        for event in escalations:
            ran_out = next(o for o in orders if o.number == event.payload["order"])
            assert ran_out.level == 3 and event.at == ran_out.due_at + second
        for index, (order, event) in enumerate(zip(orders, supervise, strict=True)):
            # 1 + the orders before it, at most 3.
            assert order.level == min(3, index + 1), ticket.number
            assert order.unit_id is not None and ticket.holdings.filter(unit=order.unit).exists()
            assert order.due_at == compute_deadline(order.issued_at, 2).due_at
            assert (event.at, event.actor_id) == (order.issued_at, order.issued_by_id)
            assert event.from_status == event.to_status
            assert event.from_status in ("dispatched", "in_progress")
            assert event.payload["level"] == order.level
            assert event.payload["reason"] == order.reason
            assert dt.datetime.fromisoformat(event.payload["due_at"]) == order.due_at
            assert event.payload["note"] == order.note
            if order.reason == "overdue":
                # Issued by the sweep the second after the deadline it missed: the ticket's,
                # or the order's before it.
                assert order.breached_due_at is not None and order.issued_by_id is None
                assert order.issued_at == order.breached_due_at + second
                missed = {dt.datetime.fromisoformat(event.payload["ticket_due_at"])}
                if index:
                    missed.add(orders[index - 1].due_at)
                assert order.breached_due_at in missed, order.number
            else:
                assert order.breached_due_at is None and order.issued_by_id is not None
            # Closed by what comes first after it: the ticket's next order supersedes it, the
            # next resolution (or a reassignment) ends it, a resolution names it.
            following = orders[index + 1] if index + 1 < len(orders) else None
            later = [
                e
                for e in timeline
                if e.at >= order.issued_at
                and (e.kind == "resolve" or (e.kind == "dispatch" and "previous_unit" in e.payload))
            ]
            if following is not None and not (later and later[0].at < following.issued_at):
                assert order.superseded_by_id == following.pk, order.number
                assert order.fulfilled_at is None, order.number
                assert not any(order.number in e.payload.get("fulfilled_orders", []) for e in later)
            elif later:
                assert order.superseded_by_id is None, order.number
                assert order.fulfilled_at == later[0].at, order.number
                names = later[0].payload.get("fulfilled_orders") or later[0].payload.get(
                    "ended_orders", []
                )
                assert order.number in names
            else:
                assert order.is_open, order.number
                assert ticket.status in ("dispatched", "in_progress")
            by_day[order.number[2:10]].append(order)
        # A resolution is on time only before any breach and by the deadline then in force.
        for event in timeline:
            if event.kind == "resolve":
                late = ticket.breached_at is not None and ticket.breached_at <= event.at
                assert event.payload["on_time"] is not late, ticket.number
        # A running ticket is watched by the sweep until it reached the leaders after level 3;
        # the next step is ahead, or left to the worker's first sweep.
        if ticket.status in ("dispatched", "in_progress"):
            assert ticket.due_at is not None
            assert (ticket.watch_at is None) == (ticket.escalated_at is not None), ticket.number
            # As `rewatch` sets it, after every order and every approved extension.
            open_order = next((o for o in reversed(orders) if o.is_open), None)
            assert ticket.watch_at == watch_from(
                due_at=ticket.due_at,
                due_ordered=any(
                    o.reason == "overdue" and o.breached_due_at == ticket.due_at for o in orders
                ),
                order_due_at=open_order.due_at if open_order else None,
                order_level=open_order.level if open_order else None,
                escalated=ticket.escalated_at is not None,
            ), ticket.number
        else:
            assert ticket.watch_at is None, ticket.number
    assert Ticket.objects.filter(supervision_level=3).exists()
    # Requests for more time, as the actions write them: approved ones and rejected ones.
    statuses = check_extensions(events)
    assert statuses["approved"] > 0 and statuses["rejected"] > 0
    # A ticket has at most one open order, its latest; some orders were superseded.
    open_per_ticket = (
        SupervisionOrder.objects.filter(ORDER_OPEN).values("ticket").annotate(open=Count("pk"))
    )
    assert open_per_ticket.exists()
    assert not open_per_ticket.filter(open__gt=1).exists()
    assert SupervisionOrder.objects.filter(superseded_by__isnull=False).count() > 0
    # Numbers per day of issue, in order of issue; the day's sequence continues after them.
    sequences = dict(DailySequence.objects.filter(prefix="DB").values_list("day", "last"))
    assert len(sequences) == len(by_day)
    for day, orders in by_day.items():
        issued = sorted(orders, key=lambda order: order.number)
        assert [order.number for order in issued] == [
            f"DB{day}-{index:04d}" for index in range(1, len(issued) + 1)
        ]
        assert [o.issued_at for o in issued] == sorted(o.issued_at for o in issued)
        assert all(o.issued_at.astimezone(ANCHOR.tzinfo).strftime("%Y%m%d") == day for o in issued)
        assert sequences[dt.date(int(day[:4]), int(day[4:6]), int(day[6:]))] == len(issued)


@ONE_RUN
def test_repeat_reports_are_linked_and_counted(db: Any) -> None:
    run_demo("--tickets", "1500", "--seed", "3")
    repeats = Ticket.objects.filter(repeat_of__isnull=False).select_related("repeat_of")
    assert repeats.count() > 10
    counted = Counter(repeats.values_list("repeat_of_id", flat=True))
    for ticket in Ticket.objects.filter(repeat_count__gt=0):
        assert ticket.repeat_count == counted[ticket.pk]
        marks = ticket.events.filter(kind="repeat").order_by("at", "id")
        assert [event.payload["repeat_count"] for event in marks] == list(
            range(1, ticket.repeat_count + 1)
        )
    assert sum(counted.values()) == repeats.count()
    for ticket in repeats:
        earlier = ticket.repeat_of
        assert earlier is not None and earlier.registered_at < ticket.registered_at
        # The same matter at the same place, said another way (demo/variations.py).
        assert ticket.category_id == earlier.category_id
        assert ticket.building_key == earlier.building_key != ""
        (mark,) = ticket.events.filter(kind="repeat_of")
        assert mark.payload == {"of": earlier.number} and mark.at == ticket.registered_at
        assert earlier.events.filter(kind="repeat", payload__from=ticket.number).exists()
    told = [(ticket.address, ticket.content, ticket.resident_phone) for ticket in repeats]
    earlier_told = [
        (ticket.repeat_of.address, ticket.repeat_of.content, ticket.repeat_of.resident_phone)
        for ticket in repeats
        if ticket.repeat_of is not None
    ]
    for part in range(3):  # addresses, words and callers vary
        assert any(now[part] != then[part] for now, then in zip(told, earlier_told, strict=True))
    assert Ticket.objects.filter(repeat_count__gte=2).exists()
    # The month's campaign lists long-pending tickets (and repeated ones, when still open).
    with time_machine.travel(ANCHOR, tick=False):
        campaign = take_snapshot(f"{ANCHOR:%Y-%m}", now=ANCHOR)
    assert campaign.items.filter(long_pending=True).exists()


def test_the_first_sweep_after_the_demo_issues_only_the_breaches_left_to_it(db: Any) -> None:
    with time_machine.travel(ANCHOR, tick=False):
        # (A seed whose 300 tickets include one past its deadline: a few per cent of the open
        # tickets are.)
        run_demo("--tickets", str(TICKETS), "--seed", "9")
        running = Ticket.objects.filter(status__in=["dispatched", "in_progress"])
        # Tickets the sweep must look at: their deadline or their open order's has passed.
        due = {t.pk: t for t in running if t.watch_at is not None and t.watch_at < ANCHOR}
        assert due
        before = set(SupervisionOrder.objects.values_list("pk", flat=True))
        out = StringIO()
        call_command("sweep", "--once", stdout=out)
        issued = SupervisionOrder.objects.exclude(pk__in=before)
        escalated = Ticket.objects.filter(escalated_at=ANCHOR)
        assert f"supervision orders: {issued.count()}" in out.getvalue()
        assert f"escalated to the leaders: {escalated.count()}" in out.getvalue()
        assert {order.ticket_id for order in issued} | {t.pk for t in escalated} == set(due)
        for order in issued:
            ticket = due[order.ticket_id]
            assert order.reason == "overdue"
            assert order.breached_due_at is not None and order.breached_due_at < ANCHOR
            assert order.level == min(3, ticket.supervision_level + 1)
        # The sweep found no breach the demo had recorded (one order per breach, enforced by
        # a unique constraint), and a second sweep finds nothing.
        call_command("sweep", "--once", stdout=StringIO())
        overdue = issued
        assert SupervisionOrder.objects.count() == len(before) + len(overdue)


@ONE_RUN
def test_the_demo_looks_like_a_bureau_that_keeps_its_clocks(db: Any, client: Client) -> None:
    """What a real bureau's pages show: a few per cent of first calls dissatisfied and a
    satisfaction rate short of 100 %, a few open tickets overdue, most resolved on time, orders
    up to level 3 and a few tickets with the leaders, requests for more time, a few tickets
    dispatched or signed for late, and tickets held by a community and a grid."""
    run_demo("--tickets", "1500", "--seed", "3")
    events = timelines()
    tickets = Ticket.objects.count()
    with time_machine.travel(ANCHOR, tick=False):
        open_tickets = list(Ticket.objects.filter(status__in=OPEN))
        overdue = [ticket for ticket in open_tickets if ticket.is_overdue]
    # One to three per cent of the open tickets are overdue.
    assert 0.01 <= len(overdue) / len(open_tickets) <= 0.03, (len(overdue), len(open_tickets))

    # The first call that reached the resident: a few per cent dissatisfied; by the latest
    # call, 95-98 % satisfied (some stay dissatisfied after the redo), never all.
    first: dict[int, str] = {}
    for ticket_id, outcome in (
        Visit.objects.exclude(outcome="unreachable")
        .order_by("at", "id")
        .values_list("ticket_id", "outcome")
    ):
        first.setdefault(ticket_id, outcome)
    dissatisfied = sum(outcome == "dissatisfied" for outcome in first.values()) / len(first)
    assert 0.03 <= dissatisfied <= 0.06, dissatisfied
    leader = User.objects.get(username="leader")
    start = (ANCHOR - dt.timedelta(days=89)).date()
    (overall,) = figures(leader, start=start, end=ANCHOR.date() + dt.timedelta(days=1), now=ANCHOR)
    assert overall.satisfaction_rate is not None
    assert 0.95 <= overall.satisfaction_rate <= 0.98, overall.satisfaction_rate
    assert Ticket.objects.filter(status="closed", visit_outcome="dissatisfied").exists()
    assert overall.on_time_rate is not None and 0.85 <= overall.on_time_rate <= 0.95

    # Orders of every level, a few tickets with the leaders, never more than three automatic
    # orders in a handling round.
    levels = Counter(SupervisionOrder.objects.values_list("level", flat=True))
    assert levels[1] > levels[2] > levels[3] > 0, levels
    escalated = Ticket.objects.filter(escalated_at__isnull=False).count()
    assert 0 < escalated <= 0.01 * tickets, escalated
    orders_of: dict[int, list[SupervisionOrder]] = defaultdict(list)
    for order in SupervisionOrder.objects.order_by("issued_at", "id"):
        orders_of[order.ticket_id].append(order)
    for pk, orders in orders_of.items():
        assert max(automatic_orders_by_round(events[pk], orders)) <= 3

    # Requests for more time: approved, rejected and one waiting, as the actions write them.
    statuses = check_extensions(events)
    assert statuses["approved"] > statuses["rejected"] > 0 and statuses["pending"] > 0
    assert sum(statuses.values()) < 0.05 * tickets

    # Very few dispatched late, a few per cent signed for late.
    counted = Ticket.objects.exclude(status__in=["invalid", "merged"])
    dispatched = counted.exclude(dispatched_at=None).count()
    dispatch_late = counted.filter(dispatch_late_at__isnull=False).count() / counted.count()
    accept_late = counted.filter(accept_late_at__isnull=False).count() / dispatched
    assert 0 < dispatch_late < 0.01, dispatch_late
    assert 0.01 < accept_late < 0.06, accept_late

    # A community and a grid hold tickets: their mediator's, grid officer's and building
    # head's home pages show them.
    with time_machine.travel(ANCHOR, tick=False):
        for username, kind in (("mediator", "community"), ("grid_officer", "grid")):
            person = User.objects.get(username=username)
            assert person.unit is not None and person.unit.kind == kind
            held = Ticket.objects.filter(unit=person.unit)
            assert held.filter(status__in=OPEN).exists(), username
            client.force_login(person)
            response = client.get("/")
            assert response.status_code == 200
            # The inbox counts what the unit holds now; this month's figures, what it held.
            inbox = {tile.key: tile.count for tile in response.context["tiles"]}
            running = held.filter(status__in=CLOCK_RUNNING)
            assert inbox["in_progress"] + inbox["to_accept"] == running.count(), username
            month = {cell.field: cell for cell in response.context["month"].cells}
            this_month = held.filter(received_at__date__gte=ANCHOR.date().replace(day=1))
            assert month["total"].value == this_month.count() > 0, username
        head = User.objects.get(username="building_head")
        assert head.unit is not None and head.unit.kind == "grid"
        # Besides the calls they reported, the tickets their grid holds.
        held = visible_tickets(head).filter(unit=head.unit)
        assert held.exists() and held.exclude(registered_by=head).exists()
        client.force_login(head)
        response = client.get("/")
        assert response.status_code == 200
        assert response.context["total"] == visible_tickets(head).count() > held.count()


@ONE_RUN
def test_demo_draws_the_network_and_appoints_its_people(db: Any) -> None:
    run_demo("--tickets", "0")
    today = ANCHOR.date()

    assert Town.objects.count() == 6
    assert (
        CommunityVersion.objects.filter(valid_to=None).count()
        == Unit.objects.filter(kind="community").count()
    )
    # Every grid stands today with a boundary the import would accept; one was redrawn.
    current = GridVersion.objects.filter(valid_to=None)
    assert sorted(current.values_list("grid__code", flat=True)) == sorted(
        Unit.objects.filter(kind="grid").values_list("code", flat=True)
    )
    for version in GridVersion.objects.all():
        assert check_boundary(version.boundary) == version.boundary
        ring = version.boundary["coordinates"][0]
        assert ring[0] == ring[-1] and len(ring) >= 4
        assert all(104 < lon < 106.5 and 32 < lat < 33.2 for lon, lat in ring)
    redrawn = list(GridVersion.objects.filter(grid__code="QC-G01").order_by("valid_from"))
    assert len(redrawn) == 2 and redrawn[0].valid_to == redrawn[1].valid_from < today
    assert redrawn[0].boundary != redrawn[1].boundary
    # Neighbouring grids of a town share their edges: a community's grids touch.
    g01 = {tuple(p) for p in redrawn[1].boundary["coordinates"][0]}
    g02 = GridVersion.objects.get(grid__code="QC-G02", valid_to=None)
    assert len(g01 & {tuple(p) for p in g02.boundary["coordinates"][0]}) >= 2

    assert all(
        Building.objects.filter(grid_id=grid).exists()
        for grid in current.values_list("grid", flat=True)
    )
    letters = Appointment.objects.all()
    for letter in letters:
        assert (
            letter.person.role
            in {
                "building_head": {"building_head"},
                "grid_officer": {"grid_officer"},
                "grid_chief": {"unit_handler", "unit_leader"},
            }[letter.post]
        )
        places = (
            letter.buildings.count() if letter.post == "building_head" else letter.grids.count()
        )
        assert places >= 1 and letter.starts_on <= letter.ends_on
    assert set(letters.values_list("post", flat=True)) == {
        "building_head", "grid_officer", "grid_chief"
    }  # fmt: skip
    assert set(letters.values_list("status", flat=True)) == {"active", "renewed", "revoked"}
    expiring = letters.filter(
        status="active", ends_on__gte=today, ends_on__lte=today + dt.timedelta(days=30)
    )
    assert 1 <= expiring.count() < letters.count() // 4
    renewed = letters.get(number=letters.filter(renewal_of__isnull=False)[0].renewal_of.number)
    assert renewed.status == "renewed" and renewed.ends_on < today
    # The demo's own building head and grid officer have their letters for their grid.
    head = User.objects.get(username="building_head")
    assert letters.filter(person=head, post="building_head").exists()
    assert letters.filter(person__username="grid_officer", grids__code="QC-G01").exists()
    numbers = list(letters.values_list("number", flat=True))
    assert len(numbers) == len(set(numbers))


@ONE_RUN
def test_demo_mediation_cases_read_like_a_county_s(db: Any) -> None:
    run_demo("--tickets", "0", "--cases", "1500")
    now = ANCHOR

    levels = Counter(Unit.objects.filter(kind="committee").values_list("level", flat=True))
    assert set(levels) == {"town", "village", "group"} and levels["town"] == 6
    for committee in Unit.objects.filter(kind="committee"):
        assert User.objects.filter(unit=committee, role="mediator").exists()
    assert Studio.objects.count() == 10
    for studio in Studio.objects.all():
        kinds = set(studio.memberships.values_list("kind", flat=True))
        assert kinds and kinds <= set(MediatorKind.values)
        assert all(m.person.role == "mediator" for m in studio.memberships.all())
    assert StudioMediator.objects.filter(person__username="mediator").exists()

    cases = MediationCase.objects.all()
    assert cases.count() == 1500
    assert set(cases.values_list("status", flat=True)) == set(CaseStatus.values)
    # A case closed after its agreement was performed and followed up succeeded too.
    succeeded = cases.filter(status__in=["succeeded", "closed"]).count()
    concluded = succeeded + cases.filter(status="failed").count()
    assert 0.9 < succeeded / concluded < 0.99
    open_cases = cases.filter(status__in=["accepted", "mediating"])
    assert open_cases.filter(due_at__lt=now).exists()
    assert open_cases.filter(due_at__gte=now, due_at__lte=now + dt.timedelta(days=3)).exists()
    assert cases.filter(extended_at__isnull=False).exists()
    assert cases.filter(status="succeeded", concluded_at__gt=F("due_at")).exists()
    levels_used = cases.filter(committee__isnull=False).values_list("committee__level", flat=True)
    assert set(levels_used) == {"town", "village", "group"}

    # Agreements: a closed case's terms are all recorded and its follow-up done; a succeeded
    # case's not yet; a few of the last days' succeeded cases still wait for theirs.
    for agreement in Agreement.objects.select_related("case").prefetch_related("terms"):
        recorded = all(term.performance for term in agreement.terms.all())
        closed = agreement.case.status == "closed"
        assert closed == (recorded and agreement.visited_at is not None), agreement.case.number
        assert agreement.last_due_on == max(term.due_on for term in agreement.terms.all())
        assert agreement.fully_performed == all(
            term.performance == "performed" for term in agreement.terms.all()
        )
    assert cases.filter(status="succeeded", agreement__isnull=False).exists()
    assert not cases.filter(status="closed", agreement__isnull=True).exists()
    assert cases.filter(status="succeeded", agreement__isnull=True).count() < succeeded / 20
    terms = AgreementTerm.objects.all()
    assert {"performed", "partly", "not_performed"} <= set(
        terms.values_list("performance", flat=True)
    )
    due = Agreement.objects.filter(fell_due_by(now.date()))
    assert 0.8 < due.filter(fully_performed()).count() / due.count() < 0.99
    assert AgreementVisit.objects.filter(satisfied=False).exists()

    sequences = {s.day: s.last for s in DailySequence.objects.filter(prefix="TJ")}
    per_day = Counter(case.number[2:10] for case in cases)
    assert {day.strftime("%Y%m%d"): last for day, last in sequences.items()} == per_day
    for case in cases.prefetch_related("events", "sessions", "mediators"):
        events = list(case.events.all())
        assert events[0].kind == "open" and events[0].at == case.accepted_at, case.number
        assert events[-1].to_status == case.status and case.version == len(events)
        assert all(event.at <= now for event in events)
        for before, after in itertools.pairwise(events):
            assert before.to_status == after.from_status and before.at <= after.at, case.number
        sessions = [e for e in events if e.kind == "session"]
        assert [e.payload["session"] for e in sessions] == [s.pk for s in case.sessions.all()]
        people = (
            set(case.studio.memberships.values_list("person_id", flat=True))
            if case.studio
            else set(User.objects.filter(unit=case.committee).values_list("pk", flat=True))
        )
        assert {m.pk for m in case.mediators.all()} <= people and case.mediators.exists()
        if case.status in ("succeeded", "failed", "closed"):
            [conclusion] = [e for e in events if e.kind in ("succeed", "fail")]
            assert sessions and conclusion.payload["in_time"] == (case.concluded_at <= case.due_at)
        assert (case.concluded_at is None) == (case.status in ("accepted", "mediating"))
        extensions = [e for e in events if e.kind == "extend"]
        assert len(extensions) == (1 if case.extended_at else 0)
        if extensions:
            assert extensions[0].at <= dt.datetime.fromisoformat(
                extensions[0].payload["previous_due_at"]
            )


@ONE_RUN
def test_demo_network_tickets_are_phone_reports(db: Any) -> None:
    run_demo("--tickets", str(TICKETS), "--cases", "0")
    reports = PhoneReport.objects.select_related("ticket", "appointment", "building", "reporter")
    assert {r.ticket.channel for r in reports} == {"building_head", "grid"}
    for report in reports:
        ticket, letter = report.ticket, report.appointment
        day = timezone.localdate(ticket.registered_at)
        assert report.sent_at == ticket.registered_at and report.grid_id == ticket.grid_id
        assert ticket.registered_by == report.reporter == letter.person
        assert letter.starts_on <= day <= letter.ends_on
        assert letter.revoked_on is None or letter.revoked_on > day
        intake = ticket.events.get(kind="intake")
        assert intake.actor == report.reporter
        assert intake.payload == {"channel": ticket.channel, "external_id": ticket.external_id}
        if ticket.channel == "building_head":
            assert letter.post == "building_head" and report.building is not None
            assert report.building in letter.buildings.all()
            assert ticket.address == report.building.address
            # Its words name the building's compound, never another one.
            named = {name for name in COMPOUNDS if name in ticket.content}
            assert named <= {name for name in COMPOUNDS if report.building.name.startswith(name)}
        else:
            assert letter.post == "grid_officer" and report.building is None
            assert letter.grids.filter(pk=ticket.grid_id).exists()
        assert (report.latitude is None) == (report.longitude is None)
    assert reports.filter(latitude__isnull=False).exists()
    assert reports.filter(latitude__isnull=True).exists()
    # Every building head's ticket in a grid is a report, unless no head had a letter in force
    # there that day; those without a grid stay as they were.
    for ticket in Ticket.objects.filter(
        channel="building_head", grid__isnull=False, phone_report__isnull=True
    ):
        day = timezone.localdate(ticket.registered_at)
        in_force = Appointment.objects.filter(
            post="building_head", buildings__grid=ticket.grid, starts_on__lte=day, ends_on__gte=day
        ).exclude(revoked_on__lte=day)
        assert not in_force.exists(), ticket.number


@ONE_RUN
def test_demo_hands_disputes_over_at_the_real_time_only(db: Any) -> None:
    run_demo("--tickets", "1500", "--cases", "0", now=None)
    handovers = Handover.objects.select_related("ticket", "committee", "case")
    assert handovers.count() == 6
    assert Counter(handovers.values_list("status", flat=True)) == {
        "accepted": 3, "declined": 1, "pending": 2
    }  # fmt: skip
    for handover in handovers:
        assert handover.committee.level == "village"
        assert handover.ticket.grid.parent.name in handover.committee.name
        if handover.status == "accepted":
            assert handover.case.source == "ticket" and handover.case.ticket == handover.ticket
    wipe()
    run_demo("--tickets", "600", "--cases", "0")  # dated at ANCHOR: none
    assert not Handover.objects.exists()


@ONE_RUN
def test_demo_exchanges_with_a_platform_open311_and_an_import_at_the_real_time_only(
    db: Any, client: Client
) -> None:
    run_demo("--tickets", "600", "--cases", "0", now=None)
    platform = Platform.objects.get()
    assert platform.categories.exists() and platform.departments.exists()
    assert platform.codes.filter(kind="result", theirs="2", ours="partly_resolved").exists()
    orders = PlatformOrder.objects.filter(platform=platform)
    waiting = orders.get(state="needs_mapping")
    assert waiting.unmapped == ["category:C0999"]
    assert orders.filter(state="applied").count() == 7
    messages = PlatformMessage.objects.filter(platform=platform)
    assert set(messages.values_list("kind", flat=True)) >= {
        "accepted", "progress", "result", "extension_request", "return_request"
    }  # fmt: skip
    assert messages.get(kind="result").payload["result_code"] == "2"
    undelivered = messages.filter(delivered_at__isnull=True)
    assert undelivered.count() == 4 and all(message.last_error for message in undelivered)
    # Each delivery outcome as the worker records it: no message or try before its ticket.
    for message in messages.select_related("order__ticket"):
        tries = MessageAttempt.objects.filter(message=message).values_list("at", flat=True)
        assert message.created_at >= message.order.ticket.registered_at  # type: ignore[union-attr]
        assert all(message.created_at <= at <= timezone.now() for at in tries)
    assert messages.filter(delivered_at__isnull=False).exists()
    assert PlatformEvent.objects.filter(platform=platform, state="applied").exists()
    assert Ticket.objects.filter(return_requested_at__isnull=False).count() == 1
    assert Open311Request.objects.count() >= 4
    imported = TicketImport.objects.get()
    assert (imported.state, imported.created_count) == ("done", 12)
    client.force_login(User.objects.get(username="dispatcher"))
    for path in ("/exchange/", "/imports/", f"/imports/{imported.pk}/"):
        assert client.get(path).status_code == 200
    assert "C0999" in client.get("/exchange/").content.decode()
    listed = client.get("/open311/v2/requests.json").json()
    assert len(listed) >= 4
    wipe()
    run_demo("--tickets", "600", "--cases", "0")  # dated at ANCHOR: none
    assert not Platform.objects.exists() and not TicketImport.objects.exists()


@ONE_RUN
def test_a_large_demo_samples_its_suggestion_history_and_trains_on_the_newest(
    db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A million-ticket demo registers 620,000 tickets in the history's weeks: their
    suggestions are recorded for a sample spread evenly over the weeks, and the classifier
    learns from the newest closed tickets only. Here with limits a small demo passes."""
    from jieban.demo import suggestions as history

    monkeypatch.setattr(history, "HISTORY_MAX_TICKETS", 12)
    learnt: list[int] = []
    real_train = history.train_model

    def counting_train(examples: Any, **kwargs: Any) -> Any:
        learnt.append(len(examples.texts))
        return real_train(examples, **kwargs)

    monkeypatch.setattr(history, "train_model", counting_train)
    monkeypatch.setattr(history, "TRAIN_MAX_TICKETS", 40)
    run_demo("--tickets", str(TICKETS))
    start = ANCHOR - dt.timedelta(days=history.HISTORY_DAYS)
    window = Ticket.objects.filter(registered_at__gte=start, registered_at__lte=ANCHOR)
    assert window.count() > 24
    sampled = Ticket.objects.filter(suggestions__isnull=False).distinct()
    assert 6 < sampled.count() <= 12
    assert set(sampled.values_list("pk", flat=True)) <= set(window.values_list("pk", flat=True))
    # Spread over the weeks, not the first or last dozen.
    days = sorted(sampled.values_list("registered_at", flat=True))
    assert days[-1] - days[0] > dt.timedelta(days=history.HISTORY_DAYS * 2 // 3)
    closed = Ticket.objects.filter(status=Status.CLOSED, closed_at__lt=start).count()
    assert closed > 80
    assert learnt and 0 < learnt[0] <= 40
