"""The mediation figures' counts, defined once (docs/statistics.md, "Mediation"): what each
count counts and the three grouped queries that count it. The figures read for a studio or a
committee (`jieban.stats.mediation`) and the daily rollups (`jieban.stats.mediation_rollups`)
both count with `count_rows`, so a rollup and a direct count can never disagree.

For a period [start, end) of local days:
- accepted = cases accepted (`accepted_at`) in the period;
- concluded = cases concluded (`concluded_at`) in the period that succeeded or failed; withdrawn
  cases are in no count but `accepted`: the parties took the dispute away, nobody mediated it
  to an end;
- succeeded, failed = of those, by their outcome; amount settled = the sum of the amounts in
  dispute of the succeeded ones;
- concluded in time = concluded ones whose `concluded_at` is by their `due_at` (the second
  itself included; an extension moved `due_at`, so an extended case is judged by its new date);
- agreements due / performed = agreements whose terms all fell due in the period (the last
  term's date, once that day has passed) / of those, the ones whose every term is performed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek

from jieban.mediation.models import SUCCEEDED_STATUSES, Agreement, CaseStatus, MediationCase
from jieban.stats.definitions import local_bounds
from jieban.stats.figures import bucket_label
from jieban.workcalendar.workdays import local_zone

PERIODS = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}

# A concluded case: mediated to an agreement (then closed, once the agreement was performed
# and the parties called back) or to a failure. Withdrawn is neither.
CONCLUDED = Q(status__in=(*SUCCEEDED_STATUSES, CaseStatus.FAILED))
SUCCEEDED = Q(status__in=SUCCEEDED_STATUSES)
FAILED = Q(status=CaseStatus.FAILED)
IN_TIME = CONCLUDED & Q(concluded_at__lte=F("due_at"))
# An agreement every term of which is recorded performed (`Agreement.performed_at`).
FULLY_PERFORMED = Q(performed_at__isnull=False)

# What a case's counts are split by (a rollup's dimensions): its studio, committee and
# mediators by their ids, its dispute type. A grouping people read is made of one of these
# (the committee level from the committee's current level).
DIMENSIONS = {
    "studio": "studio",
    "committee": "committee",
    "mediator": "mediators",
    "dispute_type": "dispute_type",
}


@dataclass
class Counts:
    """The counts of one period bucket (or day) and one key of a dimension."""

    accepted: int = 0
    concluded: int = 0
    succeeded: int = 0
    failed: int = 0
    concluded_in_time: int = 0
    agreements_due: int = 0
    agreements_performed: int = 0
    amount_settled: Decimal = field(default_factory=lambda: Decimal("0.00"))

    def add(self, other: Counts) -> None:
        # Field by field, not in a loop over the names: a year's rollups add thousands of rows.
        self.accepted += other.accepted
        self.concluded += other.concluded
        self.succeeded += other.succeeded
        self.failed += other.failed
        self.concluded_in_time += other.concluded_in_time
        self.agreements_due += other.agreements_due
        self.agreements_performed += other.agreements_performed
        self.amount_settled += other.amount_settled

    def is_empty(self) -> bool:
        return not any(getattr(self, name) for name in COUNT_NAMES)


# The counts' names (a subclass's own fields, such as a row's key, are not counts).
COUNT_NAMES = tuple(item.name for item in fields(Counts))

CONCLUSIONS = {
    "concluded": Count("pk"),
    "succeeded": Count("pk", filter=SUCCEEDED),
    "failed": Count("pk", filter=FAILED),
    "amount_settled": Sum("amount", filter=SUCCEEDED),
    "concluded_in_time": Count("pk", filter=IN_TIME),
}
PERFORMANCE = {
    "agreements_due": Count("pk"),
    "agreements_performed": Count("pk", filter=FULLY_PERFORMED),
}


def count_rows(
    cases: QuerySet[MediationCase],
    agreements: QuerySet[Agreement],
    *,
    start: dt.date,
    end: dt.date,
    passed: dt.date,
    split_by: tuple[str, ...] = (),
    period: str | None = None,
) -> Iterator[tuple[str, tuple[Any, ...], Counts]]:
    """The counts of `cases` (and `agreements`, those due before `passed`) over local days
    [start, end): rows of (period label or "", the values of the `split_by` lookups, counts),
    one per bucket and combination that has any. Three queries grouped in the database."""
    first, stop = local_bounds(start, end)
    accepted = cases.filter(accepted_at__gte=first, accepted_at__lt=stop)
    concluded = cases.filter(CONCLUDED, concluded_at__gte=first, concluded_at__lt=stop)
    due = agreements.filter(last_due_on__gte=start, last_due_on__lt=min(end, passed))
    yield from _grouped(accepted, "accepted_at", {"accepted": Count("pk")}, split_by, period)
    yield from _grouped(concluded, "concluded_at", CONCLUSIONS, split_by, period)
    on_case = tuple(f"case__{lookup}" for lookup in split_by)
    yield from _grouped(due, "last_due_on", PERFORMANCE, on_case, period)


def _grouped(
    rows: QuerySet[Any],
    moment: str,
    aggregates: dict[str, Any],
    split_by: tuple[str, ...],
    period: str | None,
) -> Iterator[tuple[str, tuple[Any, ...], Counts]]:
    """`aggregates` over `rows` grouped in the database by the period bucket of `moment` (a
    local time, or a day) and the `split_by` lookups."""
    names = list(split_by)
    if period is not None:
        # A day (the agreements' `last_due_on`) has no time zone; a moment is bucketed locally.
        zone = None if moment == "last_due_on" else local_zone()
        rows = rows.annotate(bucket=PERIODS[period](moment, tzinfo=zone))
        names.append("bucket")
    if not names:
        yield "", (), _counts(rows.aggregate(**aggregates))
        return
    for row in rows.order_by().values(*names).annotate(**aggregates):
        label = bucket_label(row["bucket"], period) if period is not None else ""
        yield label, tuple(row[name] for name in split_by), _counts(row)


def _counts(row: dict[str, Any]) -> Counts:
    values = {name: row[name] for name in COUNT_NAMES if row.get(name) is not None}
    return Counts(**values)
