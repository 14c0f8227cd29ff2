"""How the suggestions did in use (issue 13, item 5): per month of registration, the share of
tickets whose suggestion was taken, and the time from registration to dispatch.

- Category: of the tickets with a category suggestion, those whose first suggestion's value
  is the category chosen at registration (`chosen`).
- Repeat: of the tickets with earlier reports suggested, those marked a repeat of one of them.
- Unit: of the tickets with a unit suggestion, those first dispatched to the first unit
  suggested (a platform's order, dispatched by the platform, has none).

Each share comes with the count of tickets that had such a suggestion, so that 2 of 3 is not
read as a rate over thousands; the pages round it by the one rule (`jieban.stats.rates`).
The time to dispatch is from registration to the first dispatch, in minutes, median and 90th
percentile (nearest rank), for tickets a rule dispatched and tickets a person dispatched, by
month, and over the whole period before and after the first rule was switched on. A platform's
order, dispatched as it arrives, is not counted.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field
from statistics import median

from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext as _

from jieban.org.actors import Viewer
from jieban.org.permissions import can_read_reports, require
from jieban.suggestions.models import DispatchRule, Suggestion, SuggestionKind
from jieban.tickets.events import CHANNEL_BASIS
from jieban.tickets.models import EventKind, Ticket, TicketEvent
from jieban.workcalendar.workdays import local_zone

MAX_MONTHS = 36


@dataclass
class Taken:
    """Of `offered` tickets with such a suggestion, `taken` took it."""

    taken: int = 0
    offered: int = 0


@dataclass
class DispatchTimes:
    """Minutes from registration to the first dispatch: how many, the median and the p90."""

    minutes: list[float] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.minutes)

    @property
    def median(self) -> float | None:
        return round(median(self.minutes), 1) if self.minutes else None

    @property
    def p90(self) -> float | None:
        if not self.minutes:
            return None
        ordered = sorted(self.minutes)
        return round(ordered[math.ceil(0.9 * len(ordered)) - 1], 1)


@dataclass
class MonthMeasures:
    month: dt.date  # its first day
    category: Taken = field(default_factory=Taken)
    repeat: Taken = field(default_factory=Taken)
    unit: Taken = field(default_factory=Taken)
    by_rule: DispatchTimes = field(default_factory=DispatchTimes)
    by_person: DispatchTimes = field(default_factory=DispatchTimes)


@dataclass
class SuggestionMeasures:
    """The months, newest first, and the dispatch times before and after the first rule."""

    months: list[MonthMeasures]
    first_rule_on: dt.datetime | None
    before_rules: DispatchTimes = field(default_factory=DispatchTimes)
    after_by_rule: DispatchTimes = field(default_factory=DispatchTimes)
    after_by_person: DispatchTimes = field(default_factory=DispatchTimes)


def _month_starts(now: dt.datetime, months: int) -> list[dt.date]:
    local = now.astimezone(local_zone()).date().replace(day=1)
    starts = []
    for _step in range(months):
        starts.append(local)
        local = (local - dt.timedelta(days=1)).replace(day=1)
    return starts


def _moment(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=local_zone())


def measure_suggestions(
    actor: Viewer, *, months: int = 12, now: dt.datetime | None = None
) -> SuggestionMeasures:
    """The measures of the last `months` months (this one included), for who reads the
    bureau's reports. Four queries, whatever the number of tickets."""
    require(can_read_reports(actor), _("Only the bureau's leaders and the centre read these."))
    months = max(1, min(months, MAX_MONTHS))
    now = now or timezone.now()
    starts = _month_starts(now, months)
    since = _moment(starts[-1])
    by_month = {start: MonthMeasures(start) for start in starts}
    first_rule_on = DispatchRule.objects.aggregate(first=Min("first_enabled_at"))["first"]
    measures = SuggestionMeasures(list(by_month.values()), first_rule_on)

    tickets = {
        pk: (registered_at, category, repeat_of)
        for pk, registered_at, category, repeat_of in Ticket.objects.filter(
            registered_at__gte=since
        ).values_list("pk", "registered_at", "category__code", "repeat_of__number")
    }
    first_dispatch: dict[int, tuple[dt.datetime, str, bool]] = {}
    for ticket_id, at, payload in (
        TicketEvent.objects.filter(kind=EventKind.DISPATCH, ticket__registered_at__gte=since)
        .order_by("ticket_id", "at", "pk")
        .values_list("ticket_id", "at", "payload")
    ):
        if ticket_id in first_dispatch:
            continue
        payload = payload or {}
        # A platform's order comes dispatched: no unit of ours to compare, no time to measure.
        unit = "" if payload.get("basis") == CHANNEL_BASIS else str(payload.get("unit", ""))
        first_dispatch[ticket_id] = (at, unit, "rule_id" in payload)
    channel_dispatched = {
        ticket_id for ticket_id, (_at, unit, _rule) in first_dispatch.items() if not unit
    }

    suggested: dict[tuple[int, str], list[tuple[int, str, str]]] = defaultdict(list)
    for ticket_id, kind, rank, value, chosen in Suggestion.objects.filter(
        ticket__registered_at__gte=since
    ).values_list("ticket_id", "kind", "rank", "value", "chosen"):
        suggested[(ticket_id, kind)].append((rank, value, chosen))

    def month_of(moment: dt.datetime) -> MonthMeasures | None:
        return by_month.get(moment.astimezone(local_zone()).date().replace(day=1))

    for (ticket_id, kind), rows in suggested.items():
        if ticket_id not in tickets:
            continue
        month = month_of(tickets[ticket_id][0])
        if month is None:
            continue
        rows.sort()
        _registered, category, repeat_of = tickets[ticket_id]
        if kind == SuggestionKind.CATEGORY:
            month.category.offered += 1
            first_value, first_chosen = rows[0][1], rows[0][2] or category
            month.category.taken += first_value == first_chosen
        elif kind == SuggestionKind.REPEAT:
            month.repeat.offered += 1
            month.repeat.taken += repeat_of is not None and repeat_of in {v for _r, v, _c in rows}
        elif kind == SuggestionKind.UNIT and ticket_id not in channel_dispatched:
            month.unit.offered += 1
            dispatched = first_dispatch.get(ticket_id)
            month.unit.taken += dispatched is not None and dispatched[1] == rows[0][1]

    for ticket_id, (at, unit, by_rule) in first_dispatch.items():
        if not unit or ticket_id not in tickets:
            continue
        registered_at = tickets[ticket_id][0]
        month = month_of(registered_at)
        if month is None:
            continue
        minutes = max(0.0, (at - registered_at).total_seconds() / 60)
        (month.by_rule if by_rule else month.by_person).minutes.append(minutes)
        if first_rule_on is None or registered_at < first_rule_on:
            measures.before_rules.minutes.append(minutes)
        elif by_rule:
            measures.after_by_rule.minutes.append(minutes)
        else:
            measures.after_by_person.minutes.append(minutes)
    return measures
