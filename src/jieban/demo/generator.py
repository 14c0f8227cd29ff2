"""`jieban demo`'s tickets: a few months of a fictional bureau's work, written in bulk.

Tickets are generated day by day over the 90 days before "now", each with the timeline the
transition functions and the worker would have written (events with consistent from/to
statuses and the same payloads, holdings, numbers per registration day, working-day deadlines;
supervision orders for missed deadlines, dissatisfied residents and by a supervisor's hand,
and the escalation to the leaders after level 3; requests for more time (延期) and their
decisions; follow-up calls; repeat reports), and written with bulk inserts in batches, so
that a million tickets take minutes and little memory. The same seed and the same "now"
give the same data. Open tickets whose current deadline has passed are left for the worker's
first sweep (see `TicketGenerator`). The daily rollups are rebuilt by the command once the
tickets are in.

The rules are the domain's own, not copies: the allowed transitions (`ALLOWED`), the deadlines
(`deadline_with`), an order's level, breach and deadline (`jieban.tickets.supervision`), what
a follow-up call leads to (`jieban.tickets.visits.consequence`), the on-time rule, the numbers
and every event's payload (`jieban.tickets.events`). What is the demo's own is the story: who
does what when, drawn at random from the tables in `jieban.demo.data`, in the proportions of
a bureau that keeps its clocks: most tickets resolved on time, a few per cent of the open ones
overdue at any moment, a few per cent of first calls dissatisfied, a few tickets with the
leaders, and the police stations' tickets shared with a community and a grid.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from jieban.demo.bulk import bulk_load
from jieban.demo.data import (
    ANSWERS,
    CATEGORY_WEIGHTS,
    CHANNEL_WEIGHTS,
    COMMUNITY_RESULTS,
    COMMUNITY_SHARES,
    COMPOUNDS,
    EXTENSION_APPROVE_NOTES,
    EXTENSION_REASONS,
    EXTENSION_REJECT_NOTES,
    GENERIC_REPORTS,
    GENERIC_RESULTS,
    GIVEN,
    GRID_RESULTS,
    GRID_SHARES,
    INVALID_REASONS,
    MANUAL_NOTES,
    PLACE_WEIGHTS,
    REDO_RESULTS,
    REPORTS,
    RESULTS,
    RETURN_REASONS,
    REVIEW_CLOSE_NOTES,
    SEAT_STATION,
    STREETS,
    SURNAMES,
    VISIT_NOTES,
)
from jieban.demo.drafts import (
    Batch,
    Draft,
    ExtensionDraft,
    OrderDraft,
    Payload,
    Step,
    TicketRow,
)
from jieban.demo.organisation import Place, places
from jieban.demo.variations import opening, varied_address, varied_words
from jieban.org.models import CENTRE_ROLES, Role, Unit, UnitKind, User
from jieban.org.permissions import can_dispatch, can_mark_repeat
from jieban.rows import BulkWriter
from jieban.tickets.events import (
    CHANNEL_BASIS,
    channel_dispatch_payload,
    close_payload,
    dispatch_payload,
    escalate_payload,
    extension_decision_payload,
    extension_request_payload,
    intake_payload,
    invalidate_payload,
    merge_payload,
    merged_in_payload,
    reopen_payload,
    repeat_of_payload,
    repeat_payload,
    resolve_payload,
    return_payload,
    visit_close_payload,
    visit_payload,
)
from jieban.tickets.models import (
    CLOCK_RUNNING,
    NOT_COUNTED,
    OPEN,
    Category,
    Channel,
    DailySequence,
    EventKind,
    Extension,
    ExtensionStatus,
    Status,
    SupervisionOrder,
    SupervisionReason,
    Ticket,
    TicketEvent,
    TicketUnit,
    Visit,
    VisitOutcome,
    resolved_on_time,
)
from jieban.tickets.numbering import ORDER_PREFIX, TICKET_PREFIX, format_number, local_day_of
from jieban.tickets.supervision import (
    ISSUE,
    breach_of,
    due_step,
    first_breach,
    next_level,
    order_days,
    watch_from,
)
from jieban.tickets.visits import CLOSES, MAX_UNREACHABLE, REOPENS, consequence
from jieban.workcalendar.workdays import Deadline, WorkdayOracle, deadline_with, local_zone

# How many tickets come in at each hour of the day, relatively.
HOUR_WEIGHTS = [
    0.4, 0.25, 0.15, 0.1, 0.1, 0.2, 0.5, 1.2, 2.6, 3.4, 3.5, 3.0,
    2.2, 2.4, 3.0, 3.2, 3.0, 2.6, 2.3, 2.6, 2.7, 2.2, 1.4, 0.8,
]  # fmt: skip

# Where a ticket sent to a unit stands now. In its first day, by its age in hours (the upper
# bound of each band); then by how far it is through the time its deadline gives it, and once
# that has passed, by the hours since. That time is counted by the days of the week alone, not
# the calendar's holidays, so that the same seed gives the same statuses a week later (only the
# deadlines move). A ticket still with its unit past its deadline is overdue, unless the unit
# was given more time: as few are as the late resolutions (`_resolution_time`) leave open, so
# that 1-3 % of the open tickets are overdue at any moment, whatever the day of the week.
STATUS_BY_AGE: list[tuple[float, dict[str, float]]] = [
    (2, {Status.NEW: 50, Status.DISPATCHED: 35, Status.IN_PROGRESS: 15}),
    (24, {Status.NEW: 2.5, Status.DISPATCHED: 30, Status.IN_PROGRESS: 50.5, Status.RESOLVED: 17}),
]  # fmt: skip
STATUS_BY_PROGRESS: list[tuple[float, dict[str, float]]] = [
    (0.35, {Status.NEW: 0.5, Status.DISPATCHED: 2.5, Status.IN_PROGRESS: 62, Status.RESOLVED: 20,
            Status.CLOSED: 15}),
    (0.7, {Status.NEW: 0.2, Status.DISPATCHED: 0.8, Status.IN_PROGRESS: 44, Status.RESOLVED: 24,
           Status.CLOSED: 31}),
    (1.0, {Status.NEW: 0.1, Status.DISPATCHED: 0.3, Status.IN_PROGRESS: 18, Status.RESOLVED: 18,
           Status.CLOSED: 63.6}),
]  # fmt: skip
STATUS_PAST_DUE: list[tuple[float, dict[str, float]]] = [
    (72, {Status.NEW: 0.05, Status.DISPATCHED: 0.2, Status.IN_PROGRESS: 2, Status.RESOLVED: 8,
          Status.CLOSED: 89.75}),
    (240, {Status.NEW: 0.02, Status.DISPATCHED: 0.05, Status.IN_PROGRESS: 0.8,
           Status.RESOLVED: 3, Status.CLOSED: 96.13}),
    (1e12, {Status.NEW: 0.01, Status.DISPATCHED: 0.005, Status.IN_PROGRESS: 0.06,
            Status.RESOLVED: 0.4, Status.CLOSED: 99.525}),
]  # fmt: skip
# Channels that send their own reference and time received (the others are registered live).
REFERENCED_CHANNELS = (Channel.HOTLINE_12345, Channel.ONLINE_PLATFORM, Channel.OPEN311)

# Follow-up calls. Each round of calls after a resolution ends with the resident reached, or
# with the third unanswered call; a dissatisfied resident sends the ticket back (a new round
# follows its second resolution). Unanswered calls before the resident is reached, per round:
UNANSWERED_WEIGHTS = {0: 84, 1: 10, 2: 4, 3: 2}  # 3: closed as unreachable
# Dissatisfied rounds before the last one, for a ticket that ends closed.
DISSATISFIED_ROUNDS = {0: 955, 1: 40, 2: 5}
# Of those, the ones the command centre closes after reviewing the redo, the resident still
# dissatisfied (its latest call): the satisfaction rate stays short of 100 %.
REVIEW_CLOSE_SHARE = 0.65
# Of the residents reached at last: satisfied or basically satisfied.
REACHED_WEIGHTS = {VisitOutcome.SATISFIED: 80, VisitOutcome.BASICALLY_SATISFIED: 20}
# A 12345 ticket's call is sometimes made by the platform, which reports the outcome itself.
CHANNEL_CALLS = (Channel.HOTLINE_12345,)

# Repeat reports (重复反映): a share of the tickets sent to a unit are matters the resident
# will report again; a share of new tickets are such repeats, of a matter from the last 30 days.
REPEAT_PRONE = 0.05
REPEAT_RATE = 0.025
REPEAT_WINDOW = dt.timedelta(days=30)
# Supervision orders issued by a supervisor's hand, on this share of tickets a unit handles.
MANUAL_ORDER_RATE = 0.02

# Resolutions after the deadline: this share of tickets, late by hours to days (a day and a
# half on average), a few of them by days to weeks (level 2, 3, the leaders).
LATE_RATE = 0.1
LONG_LATE_SHARE = 0.1
# Signing for a ticket (签收) after the end of the next working day; dispatching it more than
# the dispatch clock's hours after it came in (first, or again after a return).
ACCEPT_LATE_RATE = 0.03
DISPATCH_LATE_RATE = 0.002
REDISPATCH_LATE_RATE = 0.08

# Requests for more time (延期): by a unit that will miss its deadline, on this share of the
# tickets it resolves late, of those it still holds past the deadline now, and of those whose
# deadline is within two days now; approved that often, for so many working days.
EXTENSION_WHEN_LATE = 0.35
EXTENSION_WHEN_OPEN_LATE = 0.6
EXTENSION_WHEN_DUE_SOON = 0.2
EXTENSION_APPROVED = 0.78
EXTENSION_DAYS = {2: 20, 3: 30, 5: 30, 7: 10, 10: 10}
# A unit that still holds a ticket long past its deadline had asked for more.
EXTENSION_DAYS_LONG = {5: 30, 7: 30, 10: 40}

SECOND = dt.timedelta(seconds=1)
MINUTE = dt.timedelta(minutes=1)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


def _seconds(rng: random.Random, low: float, high: float) -> dt.timedelta:
    return dt.timedelta(seconds=rng.randint(int(low), int(high)))


T = TypeVar("T")


class Weighted(Generic[T]):
    """Things and their weights, added up once: `rng.choices` given the running totals draws
    exactly what it draws given the weights, without adding them up again at every draw."""

    def __init__(self, weights: Mapping[T, float]) -> None:
        self.things = list(weights)
        self.cum_weights = list(itertools.accumulate(weights.values()))

    def pick(self, rng: random.Random) -> T:
        return rng.choices(self.things, cum_weights=self.cum_weights)[0]


HOURS = Weighted(dict(enumerate(HOUR_WEIGHTS)))
STATUS_DRAWS = {
    "age": [(limit, Weighted(weights)) for limit, weights in STATUS_BY_AGE],
    "progress": [(limit, Weighted(weights)) for limit, weights in STATUS_BY_PROGRESS],
    "past": [(limit, Weighted(weights)) for limit, weights in STATUS_PAST_DUE],
}
UNANSWERED = Weighted(UNANSWERED_WEIGHTS)
EXTENSION_DAYS_DRAW = Weighted(EXTENSION_DAYS)
EXTENSION_DAYS_LONG_DRAW = Weighted(EXTENSION_DAYS_LONG)
DISSATISFIED = Weighted(DISSATISFIED_ROUNDS)
REACHED = Weighted(REACHED_WEIGHTS)


def split_evenly(total: int, weights: list[float]) -> list[int]:
    """`total` split in proportion to `weights` by largest remainders: the same every time."""
    whole = sum(weights)
    if whole <= 0:
        return [0] * len(weights)
    shares = [total * weight / whole for weight in weights]
    counts = [int(share) for share in shares]
    order = sorted(range(len(weights)), key=lambda i: (-(shares[i] - counts[i]), i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


@dataclass
class Recent:
    """A ticket generated a little earlier, that a later duplicate may be merged into."""

    pk: int
    number: str
    registered_at: dt.datetime
    changes: list[tuple[dt.datetime, str]]

    def status_at(self, moment: dt.datetime) -> str:
        status = ""
        for at, to_status in self.changes:
            if at <= moment:
                status = to_status
        return status

    def counted_at(self, moment: dt.datetime) -> bool:
        """Registered by `moment` and not invalid or merged then: a ticket that may be merged
        into or reported again, as `merge_ticket` and `mark_repeat` check."""
        status = self.status_at(moment)
        return status != "" and status not in NOT_COUNTED

    def clear_of(self, moment: dt.datetime) -> dt.datetime:
        """`moment`, or the first second after it when none of this ticket's own events
        happen: an event written on it by another ticket then falls clearly between them."""
        taken = {at for at, _status in self.changes}
        while moment in taken:
            moment += SECOND
        return moment


@dataclass
class Matter:
    """A ticket whose resident may report the same matter again (重复反映)."""

    recent: Recent
    place: Place
    category: Category
    grid_id: int | None
    title: str
    content: str
    address: str
    resident_name: str
    resident_phone: str
    # Its planned state: a matter still open is the likelier to be reported again.
    open_end: bool
    repeats: int = 0


@dataclass
class Request:
    """When a unit asks for more time and the command centre decides (None: not yet)."""

    asked_at: dt.datetime
    decided_at: dt.datetime | None
    days: int
    approve: bool


class TicketGenerator:
    """Makes N tickets over the `days` days up to `now`, the same for the same seed and `now`.

    Tickets are made day by day in order of registration and numbered per registration day as
    the intake numbers them, then written with bulk inserts every `batch_size` tickets.

    Each timeline is what the domain functions and the worker would have written: every
    deadline a ticket missed while a unit held it has its overdue supervision order, issued the
    second after it (as the sweep does), each order with its own deadline and the next level
    when that passes, the leaders after level 3; the ticket's deadline moves only on a
    dispatch, an approved request for more time or a reopening; resolving fulfils the open
    orders; a resolved ticket is called back (record_visit) until it closes, and a
    dissatisfied call reopens it with an order. One exception: when the deadline an open
    ticket runs on now has passed, that breach is left to the worker's first sweep, so the
    sweep has work to do.
    """

    def __init__(
        self,
        *,
        seed: int,
        now: dt.datetime,
        people: dict[str, User],
        batch_size: int = 5000,
        days: int = 90,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self.rng = random.Random(seed)
        self.seed = seed
        self.zone = local_zone()
        # The zone the numbers' days are local to (`local_day_of`), looked up once for the run:
        # Django's lookup of the current time zone costs more than the rest of a number.
        self.numbering_zone = timezone.get_current_timezone()
        self.now = now.astimezone(self.zone)
        self.latest = self.now - MINUTE  # every event happens at least a minute before now
        self.days = days
        self.batch_size = batch_size
        self.progress = progress
        self.first_day = self.now.date() - dt.timedelta(days=days - 1)
        self.window_start = dt.datetime.combine(self.first_day, dt.time(0), tzinfo=self.zone)

        # The people by key, to ask the permissions what each may do.
        self.people = {user.pk: user for user in people.values()}
        by_role: dict[str, list[User]] = {}
        for user in people.values():
            by_role.setdefault(user.role, []).append(user)
        self.dispatchers = [user.pk for user in by_role.get(Role.DISPATCHER, [])]
        if not self.dispatchers:
            raise ValueError("the demo needs a dispatcher")
        # Who works each unit's tickets: its first handler (a station's), mediator (a
        # community's) or grid officer (a grid's). Only those units are sent tickets.
        self.handlers: dict[int, int] = {}
        for user in people.values():
            if user.works_unit_tickets and user.unit_id is not None:
                self.handlers.setdefault(user.unit_id, user.pk)
        self.building_head = next((u.pk for u in by_role.get(Role.BUILDING_HEAD, [])), None)
        self.grid_officer = next((u.pk for u in by_role.get(Role.GRID_OFFICER, [])), None)
        self.supervisor = next((u.pk for u in by_role.get(Role.SUPERVISOR, [])), None)
        # Who decides a request for more time: the command centre's dispatchers and supervisor.
        self.deciders = [
            user.pk
            for user in people.values()
            if user.role in CENTRE_ROLES and user.role != Role.ADMIN
        ]

        self.places = places()
        self.place_draw = Weighted(
            {index: PLACE_WEIGHTS[self._place_kind(place)] for index, place in
             enumerate(self.places)}
        )  # fmt: skip
        stations = sorted({p.station.pk: p.station for p in self.places}.values(),
                          key=lambda unit: unit.code)  # fmt: skip
        # Where a ticket may go first by mistake: the stations but its own, in code order.
        self.other_stations = {
            home.pk: [station for station in stations if station.pk != home.pk] for home in stations
        }
        self.categories = list(Category.objects.filter(is_active=True).order_by("code"))
        if not self.categories:
            raise ValueError("there are no active categories")
        self.category_draw = Weighted({c: CATEGORY_WEIGHTS.get(c.code, 3) for c in self.categories})
        self.channel_draw = Weighted(CHANNEL_WEIGHTS)
        self.order_days = {reason: order_days(reason) for reason in SupervisionReason.values}
        self.dispatch_within = dt.timedelta(hours=settings.JIEBAN_DISPATCH_WITHIN_HOURS)
        self.visit_days = settings.JIEBAN_VISIT_WITHIN_DAYS

        # One calendar for every deadline of the run: no query per ticket.
        self.oracle = WorkdayOracle(self.first_day - DAY, self.now.date() + dt.timedelta(days=60))
        self.next_pk = (Ticket.objects.aggregate(top=Max("pk"))["top"] or 0) + 1
        self.sequences: dict[dt.date, int] = dict(
            DailySequence.objects.filter(prefix=TICKET_PREFIX, day__gte=self.first_day)
            .values_list("day", "last")
        )  # fmt: skip
        self.touched_days: set[dt.date] = set()
        self.order_sequences: dict[dt.date, int] = dict(
            DailySequence.objects.filter(prefix=ORDER_PREFIX, day__gte=self.first_day)
            .values_list("day", "last")
        )  # fmt: skip
        self.touched_order_days: set[dt.date] = set()
        # Orders waiting for their numbers, by day of issue; the events of their tickets, by
        # the day of each ticket's last order.
        self.unnumbered: dict[dt.date, list[OrderDraft]] = {}
        self.held_events: dict[dt.date, list[tuple[int, list[Step]]]] = {}
        self.recent: dict[int, deque[Recent]] = {c.pk: deque(maxlen=12) for c in self.categories}
        self.matters: list[Matter] = []
        self.matters_start = 0
        self.batch = Batch()
        # The rows of the batch not written yet, by pk (a repeat may still change its count).
        self.unwritten: dict[int, dict[str, Any]] = {}
        self.writers = {
            "tickets": BulkWriter(Ticket, with_pk=True),
            "events": BulkWriter(TicketEvent, with_pk=False),
            "holdings": BulkWriter(TicketUnit, with_pk=False),
            "visits": BulkWriter(Visit, with_pk=False),
            "orders": BulkWriter(SupervisionOrder, with_pk=False),
            "extensions": BulkWriter(Extension, with_pk=False),
        }
        self.created = 0
        self.serial = 0
        self.counts: dict[str, int] = dict.fromkeys(
            ("orders", "visits", "repeats", "escalated", "extensions"), 0
        )

    # -- when ---------------------------------------------------------------------------------

    def day_counts(self, total: int) -> list[tuple[dt.date, int]]:
        """How many tickets are registered on each day: fewer at weekends, today so far."""
        today = self.now.date()
        days = [self.first_day + dt.timedelta(days=k) for k in range(self.days)]
        weights = []
        for day in days:
            weight = (1.0 if day.weekday() < 5 else 0.75) * self.rng.uniform(0.85, 1.15)
            if day == today:
                midnight = dt.datetime.combine(day, dt.time(0), tzinfo=self.zone)
                hours = (self.now - midnight).total_seconds() / 3600
                whole = int(hours)
                mass = sum(HOUR_WEIGHTS[:whole]) + HOUR_WEIGHTS[min(whole, 23)] * (hours - whole)
                weight *= mass / sum(HOUR_WEIGHTS)
            weights.append(weight)
        return list(zip(days, split_evenly(total, weights), strict=True))

    def registration_times(self, day: dt.date, count: int, rng: random.Random) -> list[dt.datetime]:
        midnight = dt.datetime.combine(day, dt.time(0), tzinfo=self.zone)
        limit = min(self.latest - midnight, DAY)
        times = []
        for _ in range(count):
            offset = None
            for _attempt in range(20):
                hour = HOURS.pick(rng)
                candidate = dt.timedelta(hours=hour, seconds=rng.randrange(3600))
                if candidate < limit:
                    offset = candidate
                    break
            if offset is None:
                offset = dt.timedelta(seconds=rng.randrange(max(int(limit.total_seconds()), 1)))
            times.append(midnight + offset)
        times.sort()
        return times

    # -- the run ------------------------------------------------------------------------------

    def run(self, total: int) -> int:
        """Generate and write `total` tickets; returns how many were written."""
        with bulk_load():
            return self._run(total)

    def _run(self, total: int) -> int:
        for day, count in self.day_counts(total):
            day_rng = random.Random(self.rng.getrandbits(64))
            for registered_at in self.registration_times(day, count, day_rng):
                # A generator of its own per ticket: what one ticket draws never shifts the next.
                self._ticket(registered_at, random.Random(day_rng.getrandbits(64)))
                if len(self.batch.tickets) >= self.batch_size:
                    self.flush()
            # Every order issued on this day or before is known now: number them.
            self._number_orders(through=day)
        self._number_orders(through=None)
        self.flush()
        return self.created

    def flush(self) -> None:
        batch, self.batch = self.batch, Batch()
        self.unwritten = {}
        if not (batch.tickets or batch.events or batch.orders):
            return
        with transaction.atomic():
            self.writers["tickets"].write(batch.tickets)
            if batch.repeats:
                table = connection.ops.quote_name(Ticket._meta.db_table)
                with connection.cursor() as cursor:
                    cursor.executemany(
                        f"UPDATE {table} SET repeat_count = repeat_count + %s WHERE id = %s",
                        [(count, pk) for pk, count in sorted(batch.repeats.items())],
                    )
            self.writers["events"].write(batch.events)
            self.writers["holdings"].write(batch.holdings)
            self.writers["visits"].write(batch.visits)
            self.writers["orders"].write(batch.orders)
            self.writers["extensions"].write(batch.extensions)
            if batch.supersessions:
                # The earlier order may have been written in an earlier batch, and the later
                # one's id is the database's: link them by number, once both rows are in.
                table = connection.ops.quote_name(SupervisionOrder._meta.db_table)
                with connection.cursor() as cursor:
                    cursor.executemany(
                        f"UPDATE {table} SET superseded_by_id = "
                        f"(SELECT later.id FROM {table} later WHERE later.number = %s) "
                        "WHERE number = %s",
                        [(later, earlier) for earlier, later in batch.supersessions],
                    )
            # Where the intake and the sweep go on numbering tickets and orders after the demo.
            DailySequence.objects.bulk_create(
                [
                    *(
                        DailySequence(prefix=TICKET_PREFIX, day=day, last=self.sequences[day])
                        for day in sorted(self.touched_days)
                    ),
                    *(
                        DailySequence(prefix=ORDER_PREFIX, day=day, last=self.order_sequences[day])
                        for day in sorted(self.touched_order_days)
                    ),
                ],
                update_conflicts=True,
                unique_fields=["prefix", "day"],
                update_fields=["last"],
            )
            self.touched_days.clear()
            self.touched_order_days.clear()
            # Explicit keys leave PostgreSQL's sequences behind: move them past what we wrote.
            if connection.vendor != "sqlite" and batch.tickets:
                with connection.cursor() as cursor:
                    for sql in connection.ops.sequence_reset_sql(no_style(), [Ticket]):
                        cursor.execute(sql)
        self.created += len(batch.tickets)
        self.counts["visits"] += len(batch.visits)
        self.counts["orders"] += len(batch.orders)
        self.counts["extensions"] += len(batch.extensions)
        if self.progress is not None and batch.tickets:
            self.progress(self.created)

    def _number_orders(self, *, through: dt.date | None) -> None:
        """Number the orders issued on days up to `through` (all: None) in order of issue, as
        the sweep and record_visit would have (the sweep takes a day's breaches by ticket),
        then release the events of the tickets whose orders all have their numbers."""
        for day in sorted(self.unnumbered):
            if through is not None and day > through:
                break
            orders = self.unnumbered.pop(day)
            orders.sort(key=lambda order: (order.issued_at, order.ticket_pk))
            last = self.order_sequences.get(day, 0)
            for order in orders:
                last += 1
                order.number = format_number(ORDER_PREFIX, day, last)
                self.batch.orders.append(order.columns())
                # The orders it superseded were issued before it: numbered already.
                self.batch.supersessions += [
                    (earlier.number, order.number) for earlier in order.supersedes
                ]
            self.order_sequences[day] = last
            self.touched_order_days.add(day)
        for day in sorted(self.held_events):
            if through is not None and day > through:
                break
            for pk, steps in self.held_events.pop(day):
                self._write_events(pk, steps)

    # -- one ticket ---------------------------------------------------------------------------

    def _number(self, registered_at: dt.datetime) -> str:
        """The next number of the registration day, as the intake allocates it."""
        day = local_day_of(registered_at, self.numbering_zone)
        last = self.sequences.get(day, 0) + 1
        self.sequences[day] = last
        self.touched_days.add(day)
        return format_number(TICKET_PREFIX, day, last)

    def _external_id(self, channel: str, registered_at: dt.datetime) -> str | None:
        self.serial += 1
        if channel == Channel.HOTLINE_12345:
            return f"12345-{registered_at:%Y%m%d}-{self.serial:07d}"
        if channel == Channel.ONLINE_PLATFORM:
            return f"SLB{registered_at:%y%m%d}{self.serial:07d}"
        if channel == Channel.OPEN311:
            return f"311-{self.serial:08d}"
        return None

    @staticmethod
    def _resident(rng: random.Random) -> tuple[str, str]:
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        phone = "1" + rng.choice("3456789") + "".join(rng.choice("0123456789") for _ in range(9))
        return name, phone

    @staticmethod
    def _address(place: Place, rng: random.Random) -> tuple[str, str]:
        """A full address in `place`, and a short name of the spot for the content."""
        county = "青川县" + place.town
        if place.village:
            return f"{county}{place.unit.name}{rng.randint(1, 9)}组{rng.randint(1, 80)}号", (
                place.unit.name
            )
        if rng.random() < 0.2:
            street = rng.choice(STREETS)
            return f"{county}{street}{rng.randint(1, 300)}号", street
        compound = rng.choice(COMPOUNDS)
        building, entrance, floor = rng.randint(1, 18), rng.randint(1, 4), rng.randint(1, 18)
        room = f"{floor}0{rng.randint(1, 4)}"
        return f"{county}{place.unit.name}{compound}{building}栋{entrance}单元{room}室", compound

    def _ticket(self, registered_at: dt.datetime, rng: random.Random) -> None:
        category = self.category_draw.pick(rng)
        channel = self.channel_draw.pick(rng)
        place = self.places[self.place_draw.pick(rng)]
        address, spot = self._address(place, rng)
        resident_name, phone = self._resident(rng)
        title, content = rng.choice(REPORTS.get(category.code) or GENERIC_REPORTS)
        content = content.format(addr=address, place=spot, hour=rng.choice((22, 23, 0, 1)))
        grid = rng.choice(place.grids) if place.grids and rng.random() < 0.85 else None
        grid_id = grid.pk if grid is not None else None
        # Drawn before the timeline, whose length depends on the calendar: the same tickets
        # come out a week later, only the deadlines move.
        prone = rng.random() < REPEAT_PRONE
        repeated = self._repeated_matter(registered_at, rng) if rng.random() < REPEAT_RATE else None
        if repeated is not None:
            # The same matter at the same place, told again another way, mostly by the same
            # resident. Its own generator: the bureau's other draws stay as they were.
            told = random.Random(self.seed * 1_000_003 + self.next_pk)
            category, place, grid_id = repeated.category, repeated.place, repeated.grid_id
            title = repeated.title
            address = varied_address(repeated.address, told)
            content = opening(repeated.recent.number, told) + varied_words(
                repeated.content, repeated.address, address, told
            )
            if told.random() < 0.25:  # a neighbour calls
                resident_name, phone = self._resident(told)
            else:
                resident_name, phone = repeated.resident_name, repeated.resident_phone
        # A platform's own time received comes up to 90 minutes before our intake; a call or a
        # visit, minutes before the form is saved.
        referenced = channel in REFERENCED_CHANNELS
        delay = _seconds(rng, 60, 5400) if referenced else _seconds(rng, 0, 300)
        received_at = max(registered_at - delay, self.window_start)
        if channel == Channel.BUILDING_HEAD and self.building_head is not None:
            registrar = self.building_head
        elif channel == Channel.OTHER and self.grid_officer is not None and rng.random() < 0.5:
            registrar = self.grid_officer
        else:
            registrar = rng.choice(self.dispatchers)
        ticket = TicketRow(
            pk=self.next_pk,
            number=self._number(registered_at),
            status=Status.NEW,
            channel=channel,
            external_id=self._external_id(channel, registered_at),
            category=category,
            grid_id=grid_id,
            title=title,
            content=content,
            address=address,
            resident_name=resident_name,
            resident_phone=phone,
            received_at=received_at,
            registered_at=registered_at,
            registered_by_id=registrar,
            # 首问负责: as the intake has it, the registrar if of the command centre.
            first_handler_id=registrar if can_dispatch(self.people[registrar]) else None,
            dispatch_due_at=registered_at + self.dispatch_within,
        )
        self.next_pk += 1
        draft = Draft(ticket, place, rng)
        draft.add(
            EventKind.INTAKE,
            registered_at,
            registrar,
            intake_payload(channel=channel, external_id=ticket.external_id),
        )
        if repeated is not None:
            self._mark_repeat(draft, repeated, registrar)
        self._lifecycle(draft, repeat=repeated is not None)
        self._emit(draft)
        if prone and repeated is None and ticket.dispatched_at is not None:
            self.matters.append(
                Matter(
                    recent=Recent(ticket.pk, ticket.number, registered_at,
                                  [(step.at, step.to_status) for step in draft.steps]),
                    place=place, category=category, grid_id=grid_id, title=title,
                    content=content, address=address, resident_name=resident_name,
                    resident_phone=phone, open_end=ticket.status in OPEN,
                )
            )  # fmt: skip

    # -- repeats ------------------------------------------------------------------------------

    def _repeated_matter(self, at: dt.datetime, rng: random.Random) -> Matter | None:
        """An earlier matter of the last 30 days that this call reports again, if any: one
        still open, or already reported again, is the likelier."""
        matters = self.matters
        start = self.matters_start
        while start < len(matters) and matters[start].recent.registered_at < at - REPEAT_WINDOW:
            start += 1
        if start > 4096 and start * 2 > len(matters):
            del matters[:start]
            start = 0
        self.matters_start = start
        size = len(matters) - start
        if size <= 0:
            return None
        drawn = [matters[start + rng.randrange(size)] for _ in range(6)]
        eligible = [
            matter
            for matter in drawn
            if matter.recent.registered_at <= at - 2 * HOUR
            # Invalid and merged tickets cannot be repeated; those times do not depend on
            # the calendar, so a later run picks the same matters.
            and matter.recent.counted_at(at)
            # Its own events never share the second of the repeat event written on it.
            and matter.recent.clear_of(at) == at
        ]
        if not eligible:
            return None
        weights = [(3 if item.open_end else 1) * (1 + min(item.repeats, 2)) for item in eligible]
        return rng.choices(eligible, weights=weights)[0]

    def _mark_repeat(self, draft: Draft, matter: Matter, registrar: int) -> None:
        """As `mark_repeat` does (kept open and linked), while the call is registered."""
        ticket = draft.ticket
        earlier = matter.recent
        at = ticket.registered_at
        if can_mark_repeat(self.people[registrar]):
            marker = registrar
        else:
            marker = draft.rng.choice(self.dispatchers)
        matter.repeats += 1
        ticket.repeat_of_id = earlier.pk
        row = self.unwritten.get(earlier.pk)
        if row is not None:
            row["repeat_count"] = matter.repeats
        else:
            self.batch.repeats[earlier.pk] = self.batch.repeats.get(earlier.pk, 0) + 1
        status = earlier.status_at(at)
        self.batch.events.append(
            {
                "ticket_id": earlier.pk,
                "kind": EventKind.REPEAT,
                "actor_id": marker,
                "at": at,
                "from_status": status,
                "to_status": status,
                "payload": repeat_payload(repeated_by=ticket.number, repeat_count=matter.repeats),
            }
        )
        draft.add(EventKind.REPEAT_OF, at, marker, repeat_of_payload(of=earlier.number))
        self.counts["repeats"] += 1

    # -- the timeline -------------------------------------------------------------------------

    def _lifecycle(self, draft: Draft, *, repeat: bool = False) -> None:
        ticket, rng = draft.ticket, draft.rng
        room = self.latest - ticket.registered_at
        code = ticket.category.code
        dispatcher = rng.choice(self.dispatchers)
        roll = rng.random()
        # A matter reported again goes to a unit, whatever it is: it is never answered on the
        # spot, invalidated or merged here.
        if repeat:
            roll = 1.0
        if code in ANSWERS and roll < (0.6 if code.startswith("consultation") else 0.25):
            # Answered on the phone: closed straight from new, resolved at the same moment.
            at = ticket.registered_at + min(_seconds(rng, 60, 1800), room * 0.8)
            if at - ticket.registered_at >= SECOND:
                note = rng.choice(ANSWERS[code])
                ticket.resolved_at = ticket.closed_at = at
                ticket.result = ticket.close_note = note
                draft.add(EventKind.CLOSE, at, dispatcher, close_payload(note=note))
            return
        elif roll < 0.03:
            at = ticket.registered_at + min(_seconds(rng, 300, 7200), room * 0.8)
            if at - ticket.registered_at >= SECOND:
                reason = rng.choice(INVALID_REASONS)
                ticket.closed_at, ticket.close_note = at, reason
                draft.add(EventKind.INVALIDATE, at, dispatcher, invalidate_payload(reason=reason))
            return
        elif roll < 0.06 and self._merge(draft, dispatcher, room):
            return
        if room < 10 * MINUTE:
            return  # just registered: waiting for the dispatcher
        self._handled(draft, dispatcher, room)

    def _merge(self, draft: Draft, dispatcher: int, room: dt.timedelta) -> bool:
        """Merge a duplicate into an earlier ticket of the same category from the last week."""
        ticket, rng = draft.ticket, draft.rng
        at = ticket.registered_at + min(_seconds(rng, 300, 7200), room * 0.8)
        candidates = [
            item
            for item in self.recent[ticket.category.pk]
            if ticket.registered_at - item.registered_at < 7 * DAY and item.counted_at(at)
        ]
        if not candidates or at - ticket.registered_at < SECOND:
            return False
        target = rng.choice(candidates)
        at = target.clear_of(at)
        if at > self.latest:
            return False
        ticket.closed_at, ticket.merged_into_id = at, target.pk
        draft.add(EventKind.MERGE, at, dispatcher, merge_payload(into=target.number))
        status = target.status_at(at)
        self.batch.events.append(
            {
                "ticket_id": target.pk,
                "kind": EventKind.MERGED_IN,
                "actor_id": dispatcher,
                "at": at,
                "from_status": status,
                "to_status": status,
                "payload": merged_in_payload(merged=ticket.number),
            }
        )
        return True

    def _handled(self, draft: Draft, dispatcher: int, room: dt.timedelta) -> None:
        """Sent to a station: now and then first to the wrong one (which returns it, or the
        centre reassigns it), accepted, resolved (late now and then, under supervision
        orders), called back until closed; the timeline stops where the ticket's age says it
        stands now."""
        ticket, rng = draft.ticket, draft.rng
        age_hours = (self.now - ticket.registered_at).total_seconds() / 3600
        target = self._status_draw(ticket, age_hours).pick(rng)
        preassigned = ticket.channel == Channel.HOTLINE_12345 and rng.random() < 0.3
        # The 12345 platform sends its tickets to the police station; the command centre sends
        # some matters to the community or grid that settles them.
        station = draft.place.station
        home = station if preassigned else self._holder(draft)
        # Only a station sends back a ticket of another station's area.
        wrong = rng.random() < 0.1 and not preassigned and home == station
        returned = wrong and rng.random() < 0.7
        others = self.other_stations[station.pk]
        first_unit = rng.choice(others) if others else station
        gaps = {
            "dispatch": _seconds(rng, 120, 7200),
            "return": _seconds(rng, 3600, 36000),
            "redispatch": _seconds(rng, 600, 6600),
            "accept": dt.timedelta(seconds=min(int(rng.expovariate(1 / 7200)) + 300, 86400)),
        }
        # Now and then past the dispatch clock, first or after a return; signed for late.
        if rng.random() < DISPATCH_LATE_RATE:
            gaps["dispatch"] = self.dispatch_within + _seconds(rng, 600, 4 * 3600)
        if rng.random() < REDISPATCH_LATE_RATE:
            gaps["redispatch"] = self.dispatch_within + _seconds(rng, 600, 4 * 3600)
        accept_late = rng.random() < ACCEPT_LATE_RATE
        accept_late_by = _seconds(rng, 1800, 20 * 3600)
        reason = rng.choice(RETURN_REASONS).format(station=station.name)
        # An in-progress ticket of some days may be one a dissatisfied resident sent back.
        reopened = target == Status.IN_PROGRESS and age_hours > 96 and rng.random() < 0.08

        if target == Status.NEW:
            if age_hours < 4:
                return  # still waiting for the dispatcher
            plan = ["dispatch", "return"]  # returned by the wrong station, to be sent again
            wrong = returned = True
            home = station
        else:
            plan = ["dispatch"]
            if wrong:
                plan += ["return", "redispatch"] if returned else ["redispatch"]
            if target != Status.DISPATCHED:
                plan.append("accept")
        if preassigned:
            gaps["dispatch"] = dt.timedelta(0)
        tail = target in (Status.RESOLVED, Status.CLOSED) or reopened
        # Squeeze the steps into the time the ticket's age leaves, if it is young.
        needed = sum((gaps[step] for step in plan), dt.timedelta(0))
        budget = room * (0.5 if tail else 0.9)
        scale = min(1.0, budget / needed) if needed else 1.0
        at = ticket.registered_at
        unit: Unit | None = None
        for step in plan:
            if step == "dispatch" and preassigned:
                unit = home
                deadline = self.deadline(ticket.received_at, ticket.category.deadline_days)
                self._dispatch(draft, home, at, ticket.registered_by_id, channel_due=deadline)
                continue
            at = at + max(gaps[step] * scale, SECOND)
            if step == "accept" and accept_late and scale == 1 and ticket.accept_due_at:
                # Signed for after its clock ran out, if that still leaves the time needed.
                late = ticket.accept_due_at + accept_late_by
                if late <= ticket.registered_at + budget:
                    at = max(at, late)
            self._sweep(draft, at)
            if step == "dispatch":
                unit = first_unit if wrong else home
                self._dispatch(draft, unit, at, dispatcher)
            elif step == "return":
                assert unit is not None
                draft.add(EventKind.RETURN, at, self.handlers.get(unit.pk),
                          return_payload(reason=reason, unit=unit.code))  # fmt: skip
                self._end_orders(draft, at)
                ticket.unit = None
                ticket.dispatched_at = ticket.due_at = ticket.accepted_at = None
                ticket.accept_due_at = ticket.accept_late_at = ticket.watch_at = None
                ticket.due_basis = ""
                ticket.dispatch_due_at = at + self.dispatch_within
                unit = None
            elif step == "redispatch":
                unit = home
                self._dispatch(draft, home, at, dispatcher)
            else:
                assert unit is not None
                draft.add(EventKind.ACCEPT, at, self.handlers.get(unit.pk), {})
                ticket.accepted_at = at
                self._late_for_signing(ticket, at)
        if unit is None:
            return  # returned: no unit's clock runs
        manual = self._manual_order_time(draft, at)
        if not tail:
            accepted = at if ticket.status == Status.IN_PROGRESS else None
            self._open_tail(draft, manual, accepted=accepted)
            return
        saved = draft.checkpoint()
        if self._natural_tail(draft, unit, at, target, dispatcher, manual, reopened):
            return
        # Too young for the natural pace: the rest happens in the time left.
        draft.restore(saved)
        if reopened:
            self._open_tail(draft, None)
        else:
            self._squeezed_tail(draft, unit, at, target, dispatcher)

    def _status_draw(self, ticket: TicketRow, age_hours: float) -> Weighted[str]:
        """Where the ticket is likely to stand now: by its age in its first day, then by how
        far it is through its deadline's time, counted by the days of the week (`STATUS_BY_AGE`
        and the tables after it)."""
        if age_hours < STATUS_BY_AGE[-1][0]:
            return next(draw for limit, draw in STATUS_DRAWS["age"] if age_hours < limit)
        registered = ticket.registered_at
        due = self._weekday_deadline(registered, ticket.category.deadline_days)
        if due > self.now:
            progress = (self.now - registered) / (due - registered)
            return next(draw for limit, draw in STATUS_DRAWS["progress"] if progress < limit)
        past = (self.now - due).total_seconds() / 3600
        return next(draw for limit, draw in STATUS_DRAWS["past"] if past < limit)

    def _weekday_deadline(self, moment: dt.datetime, days: int) -> dt.datetime:
        """The end of the `days`th weekday after `moment`'s day: the deadline as the days of
        the week alone would set it, without the calendar's holidays and make-up days."""
        day = moment.astimezone(self.zone).date()
        while days > 0:
            day += DAY
            if day.weekday() < 5:
                days -= 1
        return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=self.zone)

    @staticmethod
    def _place_kind(place: Place) -> str:
        if place.village:
            return "village"
        return "seat" if place.station.code == SEAT_STATION else "town"

    def _holder(self, draft: Draft) -> Unit:
        """The unit a matter goes to: the community or grid for the matters they settle
        themselves, now and then (where the demo has someone to work them), else the police
        station."""
        ticket, place = draft.ticket, draft.place
        roll = draft.rng.random()
        code = ticket.category.code
        if roll < COMMUNITY_SHARES.get(code, 0) and place.unit.pk in self.handlers:
            return place.unit
        if roll < GRID_SHARES.get(code, 0) and ticket.grid_id in self.handlers:
            return next(grid for grid in place.grids if grid.pk == ticket.grid_id)
        return place.station

    def _manual_order_time(self, draft: Draft, at: dt.datetime) -> dt.datetime | None:
        """When a supervisor orders the unit by hand to hurry, for a few tickets."""
        rng = draft.rng
        if self.supervisor is None or rng.random() >= MANUAL_ORDER_RATE:
            return None
        return self._daytime(at + _seconds(rng, 6 * 3600, 4 * 86400), rng)

    def _open_tail(
        self, draft: Draft, manual: dt.datetime | None, *, accepted: dt.datetime | None = None
    ) -> None:
        """Still with the unit: the orders of the deadlines missed so far, but the last. A
        unit that signed for it (at `accepted`) asked for more time before its deadline, for
        many of the tickets it still holds past it and a few whose deadline is near."""
        ticket, rng = draft.ticket, draft.rng
        request = None
        if accepted is not None and ticket.due_at is not None:
            if ticket.due_at < self.now:
                if rng.random() < EXTENSION_WHEN_OPEN_LATE:
                    request = self._request(
                        draft, accepted, earliest=ticket.due_at - 3 * DAY, until=self.latest,
                        days=EXTENSION_DAYS_LONG_DRAW,
                    )  # fmt: skip
            elif ticket.due_at - self.now < 2 * DAY and rng.random() < EXTENSION_WHEN_DUE_SOON:
                request = self._request(
                    draft, accepted, earliest=self.latest - 8 * HOUR, until=self.latest,
                    pending=True,
                )  # fmt: skip
        if manual is not None and manual > self.latest:
            manual = None
        self._meanwhile(draft, manual, request, until=self.now)
        self._sweep(draft, self.now, leave_last=True)

    def _request(
        self,
        draft: Draft,
        since: dt.datetime,
        *,
        earliest: dt.datetime,
        until: dt.datetime,
        pending: bool = False,
        days: Weighted[int] = EXTENSION_DAYS_DRAW,
    ) -> Request | None:
        """When the unit holding the ticket since `since` asks for more time: from `earliest`,
        before `until` and hours before its deadline; the command centre decides within hours,
        before the deadline, or has not yet by now (only when `pending`). None: no such time."""
        ticket, rng = draft.ticket, draft.rng
        assert ticket.due_at is not None
        due = ticket.due_at
        asked_days = days.pick(rng)
        approve = rng.random() < EXTENSION_APPROVED
        share = rng.random()
        wait = _seconds(rng, 3600, 8 * 3600)
        low = max(since + HOUR, earliest)
        high = min(due - 4 * HOUR, until)
        if high <= low:
            return None
        asked = low + (high - low) * share
        decided = min(asked + wait, asked + (due - asked) / 2)
        if decided > self.latest:
            return Request(asked, None, asked_days, approve) if pending else None
        return Request(asked, decided, asked_days, approve)

    def _meanwhile(
        self,
        draft: Draft,
        manual: dt.datetime | None,
        request: Request | None,
        *,
        until: dt.datetime,
    ) -> None:
        """What happens while the unit works on the ticket, in the order it happens: a
        supervisor's order by hand, a request for more time and its decision (an order falls
        after the decision, not between), before `until`."""
        if manual is not None and request is not None:
            decided = request.decided_at or request.asked_at
            if request.asked_at <= manual <= decided:
                manual = decided + MINUTE
            if manual >= until:
                manual = None
        happenings: list[tuple[dt.datetime, Callable[[], None]]] = []
        if manual is not None:
            at = manual

            def order() -> None:
                self._sweep(draft, at)
                self._manual_order(draft, at)

            happenings.append((at, order))
        if request is not None:
            happenings.append((request.asked_at, lambda: self._extension(draft, request)))
        for _at, happen in sorted(happenings, key=lambda item: item[0]):
            happen()

    def _natural_tail(
        self,
        draft: Draft,
        unit: Unit,
        at: dt.datetime,
        target: str,
        dispatcher: int,
        manual: dt.datetime | None,
        reopened: bool,
    ) -> bool:
        """Resolved at the unit's pace (late now and then), then called back round after round
        until the target state; False when that does not fit before now."""
        ticket, rng = draft.ticket, draft.rng
        assert ticket.due_at is not None
        handler = self.handlers.get(unit.pk)
        channel = ticket.channel if ticket.channel in CHANNEL_CALLS and rng.random() < 0.4 else ""
        if reopened:
            rounds = 1
        elif target == Status.CLOSED:
            rounds = DISSATISFIED.pick(rng)
        else:
            rounds = 1 if rng.random() < 0.05 else 0
        # Still dissatisfied after the redo: the command centre closes it after review.
        review = target == Status.CLOSED and rounds > 0 and rng.random() < REVIEW_CLOSE_SHARE
        resolve_at = self._resolution_time(draft, at, ticket.due_at)
        request = None
        if resolve_at > ticket.due_at and rng.random() < EXTENSION_WHEN_LATE:
            # The unit sees it will not make it and asks for more time.
            request = self._request(
                draft, at, earliest=ticket.due_at - 3 * DAY, until=min(resolve_at, self.latest)
            )
        if manual is not None and manual >= resolve_at:
            manual = None
        self._meanwhile(draft, manual, request, until=resolve_at)
        if resolve_at > self.latest:
            return False
        self._resolve(draft, resolve_at, handler, rng.choice(self._results(ticket)))
        moment = resolve_at
        for round_number in range(rounds + 1):
            last_round = round_number == rounds
            if last_round and reopened:
                self._open_tail(draft, None)
                return True
            if last_round and review:
                moment = self._daytime(moment + _seconds(rng, 2 * 3600, 2 * 86400), rng)
                if moment > self.latest:
                    return False
                note = rng.choice(REVIEW_CLOSE_NOTES)
                ticket.closed_at, ticket.close_note = moment, note
                draft.add(EventKind.CLOSE, moment, dispatcher, close_payload(note=note))
                return True
            unanswered = UNANSWERED.pick(rng)
            if not last_round:
                outcomes = [VisitOutcome.UNREACHABLE] * min(unanswered, 2)
                outcomes.append(VisitOutcome.DISSATISFIED)
            elif target == Status.CLOSED:
                outcomes = [VisitOutcome.UNREACHABLE] * unanswered
                if unanswered < MAX_UNREACHABLE:
                    outcomes.append(REACHED.pick(rng))
            else:  # resolved, waiting for the call: 0-2 unanswered so far
                outcomes = [VisitOutcome.UNREACHABLE] * min(unanswered, 2)
            for index, outcome in enumerate(outcomes):
                gap = (
                    _seconds(rng, 3 * 3600, 3 * 86400)
                    if index == 0
                    else _seconds(rng, 2 * 3600, 26 * 3600)
                )
                moment = self._daytime(moment + gap, rng)
                if moment > self.latest:
                    # A resolved ticket simply waits for its next call; others do not fit.
                    return target == Status.RESOLVED and last_round
                caller = self.supervisor if channel == "" and rng.random() < 0.1 else None
                self._visit(draft, moment, outcome, caller or dispatcher,
                            channel if outcome != VisitOutcome.UNREACHABLE else "")  # fmt: skip
            if not last_round:
                # Sent back: the unit works to the order's deadline (late now and then).
                assert ticket.due_at is not None
                redo = self._resolution_time(draft, moment, ticket.due_at, least=HOUR)
                if redo > self.latest:
                    return False
                self._resolve(draft, redo, handler, rng.choice(REDO_RESULTS))
                moment = redo
        return True

    def _squeezed_tail(
        self, draft: Draft, unit: Unit, at: dt.datetime, target: str, dispatcher: int
    ) -> None:
        """A young ticket: resolved, and for a closed one called back once, in the time left."""
        ticket, rng = draft.ticket, draft.rng
        share = rng.uniform(0.1, 0.85)
        left = self.latest - at
        resolved_at = at + max(left * (share * 0.5 if target == Status.CLOSED else share), SECOND)
        self._resolve(draft, resolved_at, self.handlers.get(unit.pk),
                      rng.choice(self._results(ticket)))  # fmt: skip
        if target == Status.CLOSED:
            called_at = resolved_at + max((self.latest - resolved_at) * 0.5, SECOND)
            self._visit(draft, called_at, REACHED.pick(rng), dispatcher, "")

    def _resolution_time(
        self, draft: Draft, start: dt.datetime, due: dt.datetime, *, least: dt.timedelta = HOUR
    ) -> dt.datetime:
        """When the unit reports: before the deadline mostly, after it one time in ten."""
        rng = draft.rng
        share = rng.uniform(0.1, 0.85)
        if rng.random() < LATE_RATE:
            if rng.random() < LONG_LATE_SHARE:
                # Late by days to weeks: the orders reach level 3, and some the leaders.
                late_by = _seconds(rng, 3 * 86400, 14 * 86400)
            else:
                # Late by hours to days (a day and a half on average, at most twelve).
                late_by = min(dt.timedelta(seconds=int(rng.expovariate(1 / 129600))), 12 * DAY)
            return due + 2 * HOUR + late_by
        return start + max((due - start) * share, least / 2)

    @staticmethod
    def _results(ticket: TicketRow) -> list[str]:
        kind = ticket.unit.kind if ticket.unit is not None else None
        if kind == UnitKind.COMMUNITY:
            return COMMUNITY_RESULTS
        if kind == UnitKind.GRID:
            return GRID_RESULTS
        return RESULTS.get(ticket.category.code) or GENERIC_RESULTS

    def _daytime(self, moment: dt.datetime, rng: random.Random) -> dt.datetime:
        """Calls and supervisors' orders happen between 8:30 and 21:00."""
        local = moment.astimezone(self.zone)
        if 9 <= local.hour < 21:
            return moment
        day = local.date() if local.hour < 9 else local.date() + DAY
        return dt.datetime.combine(day, dt.time(8, 30), tzinfo=self.zone) + _seconds(
            rng, 0, 3 * 3600
        )

    # -- what the domain functions and the worker write ---------------------------------------

    def deadline(self, moment: dt.datetime, days: int) -> Deadline:
        """The deadline rule, from the run's one calendar."""
        return deadline_with(self.oracle, moment, days)

    def _dispatch(
        self,
        draft: Draft,
        unit: Unit,
        at: dt.datetime,
        actor: int | None,
        *,
        channel_due: Deadline | None = None,
    ) -> None:
        """As `dispatch_ticket` does it, or as the intake takes a channel's own dispatch."""
        ticket = draft.ticket
        previous = ticket.unit.code if ticket.unit is not None else None
        # A fresh clock for the new unit: the orders addressed to the previous one end.
        ended = self._end_orders(draft, at) if previous else []
        if ticket.status == Status.NEW:
            self._late_for_dispatch(ticket, at)
        payload: Payload
        if channel_due is not None:
            due_at, basis = channel_due.due_at, CHANNEL_BASIS
            ticket.dispatched_at = ticket.received_at
            payload = channel_dispatch_payload(unit=unit.code, due_at=due_at)
        else:
            deadline = self.deadline(at, ticket.category.deadline_days)
            due_at, basis = deadline.due_at, deadline.basis
            ticket.dispatched_at = at
            payload = self._dispatch_payload(unit, deadline, previous, ended)
        ticket.unit, ticket.due_at, ticket.due_basis, ticket.accepted_at = unit, due_at, basis, None
        ticket.accept_due_at = self.deadline(ticket.dispatched_at, 1).due_at
        ticket.accept_late_at = None
        ticket.watch_at = due_at
        draft.add(EventKind.DISPATCH, at, actor, payload)
        # The units that held it, each once (`get_or_create` in the action).
        if all(holding["unit_id"] != unit.pk for holding in draft.holdings):
            draft.holdings.append({"ticket_id": ticket.pk, "unit_id": unit.pk, "first_held_at": at})

    @staticmethod
    def _dispatch_payload(
        unit: Unit, deadline: Deadline, previous: str | None, ended: list[OrderDraft]
    ) -> Payload:
        if not ended:
            return dispatch_payload(unit=unit.code, deadline=deadline, previous_unit=previous)

        def payload() -> dict[str, Any]:
            # It names the orders it ended: built when the event is written, once numbered.
            return dispatch_payload(
                unit=unit.code,
                deadline=deadline,
                previous_unit=previous,
                ended_orders=[order.number for order in ended],
            )

        return payload

    def _sweep(self, draft: Draft, until: dt.datetime, *, leave_last: bool = False) -> None:
        """The worker's overdue sweep up to `until`, by its own rule (`due_step`): an order the
        second after the deadline is missed, the next level the second after an order runs
        out, and after level 3 the escalation to the leaders. `leave_last`: not the last order
        due before now (the first sweep after the demo issues that one)."""
        ticket = draft.ticket
        days = self.order_days[SupervisionReason.OVERDUE]
        while ticket.status in CLOCK_RUNNING and ticket.watch_at is not None:
            at = ticket.watch_at + SECOND
            if at > until or at > self.latest:
                return
            order = draft.open_order()
            step = due_step(
                now=at,
                due_at=ticket.due_at,
                due_ordered=draft.due_ordered(),
                order_due_at=order.due_at if order else None,
                order_level=order.level if order else None,
                escalated=ticket.escalated_at is not None,
            )
            if step is None:
                self._rewatch(draft)
                if ticket.watch_at is not None and ticket.watch_at + SECOND <= at:
                    return  # nothing the rule would do: stop rather than loop
                continue
            kind, missed = step
            if kind == ISSUE:
                if leave_last and self.deadline(at, days).due_at >= self.now:
                    return
                self._order(draft, at, SupervisionReason.OVERDUE, None, "", missed=missed)
            else:
                assert order is not None
                self._escalate(draft, at, order)

    def _rewatch(self, draft: Draft) -> None:
        """As `rewatch` does it."""
        ticket = draft.ticket
        if ticket.status not in CLOCK_RUNNING:
            ticket.watch_at = None
            return
        order = draft.open_order()
        ticket.watch_at = watch_from(
            due_at=ticket.due_at,
            due_ordered=draft.due_ordered(),
            order_due_at=order.due_at if order else None,
            order_level=order.level if order else None,
            escalated=ticket.escalated_at is not None,
        )

    def _escalate(self, draft: Draft, at: dt.datetime, order: OrderDraft) -> None:
        """As `escalate` does it (its notification is not recreated)."""
        ticket = draft.ticket
        ticket.escalated_at = at
        ticket.watch_at = None
        draft.add(
            EventKind.ESCALATE,
            at,
            None,
            lambda: escalate_payload(order=order.number, order_due_at=order.due_at),
        )
        self.counts["escalated"] += 1

    def _extension(self, draft: Draft, request: Request) -> None:
        """As `request_extension` does it, then `approve_extension` (the deadline moves) or
        `reject_extension` (it stays), unless still pending (their notifications are not
        recreated)."""
        ticket, rng = draft.ticket, draft.rng
        asked_at = request.asked_at
        self._sweep(draft, asked_at)
        unit, due = ticket.unit, ticket.due_at
        assert unit is not None and due is not None and ticket.status in CLOCK_RUNNING
        assert asked_at <= due  # asked before the deadline passes, as the action checks
        requester = self.handlers.get(unit.pk)
        reason = rng.choice(EXTENSION_REASONS)
        extension = ExtensionDraft(
            ticket_pk=ticket.pk,
            unit_id=unit.pk,
            days=request.days,
            reason=reason,
            requested_by_id=requester,
            requested_at=asked_at,
            due_at_before=due,
        )
        draft.extensions.append(extension)
        draft.add(
            EventKind.EXTENSION_REQUEST,
            asked_at,
            requester,
            extension_request_payload(days=request.days, reason=reason, due_at=due),
        )
        decided_at = request.decided_at
        if decided_at is None:
            return  # waiting for the command centre
        self._sweep(draft, decided_at)
        decider = rng.choice(self.deciders)
        if request.approve:
            deadline = self.deadline(due, request.days)
            note = rng.choice(EXTENSION_APPROVE_NOTES)
            extension.status = ExtensionStatus.APPROVED
            extension.due_at_after = deadline.due_at
            ticket.due_at, ticket.due_basis = deadline.due_at, deadline.basis
            self._rewatch(draft)
            kind = EventKind.EXTENSION_APPROVE
        else:
            note = rng.choice(EXTENSION_REJECT_NOTES)
            extension.status = ExtensionStatus.REJECTED
            kind = EventKind.EXTENSION_REJECT
        extension.decided_by_id, extension.decided_at, extension.note = decider, decided_at, note
        draft.add(
            kind,
            decided_at,
            decider,
            extension_decision_payload(
                days=request.days, note=note, due_at=extension.due_at_after, previous_due_at=due
            ),
        )

    def _end_orders(self, draft: Draft, at: dt.datetime) -> list[OrderDraft]:
        """As `end_open_orders` does it: resolved, or the ticket left the unit."""
        ended = [order for order in draft.orders if order.is_open]
        for order in ended:
            order.fulfilled_at = at
        return ended

    def _late_for_dispatch(self, ticket: TicketRow, at: dt.datetime) -> None:
        """The sweep noticed the ticket waiting past its dispatch clock (the second after)."""
        due = ticket.dispatch_due_at
        if ticket.dispatch_late_at is None and due is not None and due + SECOND <= at:
            ticket.dispatch_late_at = due + SECOND

    def _late_for_signing(self, ticket: TicketRow, at: dt.datetime) -> None:
        """The sweep noticed the ticket not signed for past its clock (the second after)."""
        due = ticket.accept_due_at
        if ticket.accept_late_at is None and due is not None and due + SECOND <= at:
            ticket.accept_late_at = due + SECOND

    def _manual_order(self, draft: Draft, at: dt.datetime) -> None:
        if draft.ticket.status in CLOCK_RUNNING:
            self._order(draft, at, SupervisionReason.MANUAL, self.supervisor,
                        draft.rng.choice(MANUAL_NOTES))  # fmt: skip

    def _order(
        self,
        draft: Draft,
        at: dt.datetime,
        reason: str,
        by: int | None,
        note: str,
        *,
        missed: dt.datetime | None = None,
    ) -> OrderDraft:
        """As `issue_order` does it (the notifications it sends are not recreated): its own
        deadline; the ticket's stays."""
        ticket = draft.ticket
        assert ticket.unit is not None
        level = next_level(ticket.supervision_level)
        deadline = self.deadline(at, self.order_days[reason])
        order = OrderDraft(
            ticket_pk=ticket.pk,
            unit_id=ticket.unit.pk,
            reason=reason,
            level=level,
            issued_at=at,
            issued_by_id=by,
            due_at=deadline.due_at,
            breached_due_at=breach_of(missed or ticket.due_at, reason),
            ticket_due_at=ticket.due_at,
            note=note,
            day=local_day_of(at, self.numbering_zone),
        )
        ticket.supervision_level = level
        ticket.breached_at = first_breach(
            ticket.breached_at, order.breached_due_at, ticket.due_at, at
        )
        # It supersedes the ticket's earlier open order (`supersede_earlier_orders`).
        for earlier in draft.orders:
            if earlier.is_open:
                earlier.superseded_by = order
        draft.orders.append(order)
        self._rewatch(draft)
        # The payload names the order: built when the event is written, once it is numbered.
        draft.add(EventKind.SUPERVISE, at, by, order.event_payload)
        return order

    def _resolve(self, draft: Draft, at: dt.datetime, actor: int | None, result: str) -> None:
        """As `resolve_ticket` does it: the open orders are fulfilled."""
        self._sweep(draft, at)
        ticket = draft.ticket
        ticket.resolved_at, ticket.result = at, result
        on_time = ticket.due_at is not None and resolved_on_time(
            at, ticket.due_at, ticket.breached_at
        )
        fulfilled = self._end_orders(draft, at)
        ticket.watch_at = None
        ticket.visit_due_at = self.deadline(at, self.visit_days).due_at
        draft.unanswered = 0

        def payload() -> dict[str, Any]:
            # Built when the event is written: the orders it fulfilled have their numbers.
            numbers = [order.number for order in fulfilled]
            return resolve_payload(result=result, on_time=on_time, fulfilled_orders=numbers)

        draft.add(EventKind.RESOLVE, at, actor, payload)

    def _visit(self, draft: Draft, at: dt.datetime, outcome: str, by: int, channel: str) -> None:
        """As `record_visit` does it: the call, then the close or the reopening it causes."""
        ticket, rng = draft.ticket, draft.rng
        note = rng.choice(VISIT_NOTES[outcome])
        draft.visits.append(
            {
                "ticket_id": ticket.pk,
                "outcome": outcome,
                "note": note,
                "called_by_id": by,
                "reported_by_channel": channel,
                "at": at,
            }
        )
        ticket.visit_outcome = outcome
        draft.add(
            EventKind.VISIT, at, by, visit_payload(outcome=outcome, note=note, channel=channel)
        )
        if outcome == VisitOutcome.UNREACHABLE:
            draft.unanswered += 1
        then = consequence(outcome, draft.unanswered)
        if then == CLOSES:
            ticket.closed_at = at
            draft.add(EventKind.CLOSE, at, by, visit_close_payload(outcome=outcome))
        elif then == REOPENS:
            ticket.resolved_at = ticket.visit_due_at = None
            draft.add(EventKind.REOPEN, at, by, reopen_payload(outcome=outcome, note=note))
            order = self._order(draft, at, SupervisionReason.DISSATISFIED, by, note)
            # A new handling round: its deadline is the order's.
            ticket.due_at = order.due_at
            self._rewatch(draft)

    # -- writing ------------------------------------------------------------------------------

    def _emit(self, draft: Draft) -> None:
        ticket = draft.ticket
        # Clocks that ran out by now and the sweep has noticed.
        if ticket.status == Status.NEW:
            self._late_for_dispatch(ticket, self.latest)
        elif ticket.status == Status.DISPATCHED:
            self._late_for_signing(ticket, self.latest)
        ticket.version = draft.version()
        row = ticket.columns()
        self.batch.tickets.append(row)
        self.unwritten[ticket.pk] = row
        self.batch.holdings.extend(draft.holdings)
        self.batch.visits.extend(draft.visits)
        self.batch.extensions.extend(extension.columns() for extension in draft.extensions)
        if draft.orders:
            # The events name the orders: they wait until the last order has its number.
            for order in draft.orders:
                self.unnumbered.setdefault(order.day, []).append(order)
                if order.superseded_by is not None:
                    order.superseded_by.supersedes.append(order)
            last_day = max(order.day for order in draft.orders)
            self.held_events.setdefault(last_day, []).append((ticket.pk, draft.steps))
        else:
            self._write_events(ticket.pk, draft.steps)
        self.recent[ticket.category.pk].append(
            Recent(
                ticket.pk,
                ticket.number,
                ticket.registered_at,
                [(step.at, step.to_status) for step in draft.steps],
            )
        )

    def _write_events(self, pk: int, steps: list[Step]) -> None:
        from_status = ""
        events = self.batch.events
        for step in steps:
            payload = step.payload if isinstance(step.payload, dict) else step.payload()
            events.append(
                {
                    "ticket_id": pk,
                    "kind": step.kind,
                    "actor_id": step.actor,
                    "at": step.at,
                    "from_status": from_status,
                    "to_status": step.to_status,
                    "payload": payload,
                }
            )
            from_status = step.to_status
