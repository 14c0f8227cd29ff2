"""Daily rollups of the mediation counts, rebuilt from the cases for every dirty day, as the
tickets' figures have (`jieban.stats.rollups`).

Triggers on the cases, their mediators and their agreements mark dirty the dates a change
touches (the case's acceptance and conclusion, the agreement's last term) in the same
transaction as the change. Before the bureau's figures are read the dirty days in range are
rebuilt (the worker also rebuilds them every sweep). A day is rebuilt with `count_rows`, the
same queries that count a studio's figures directly.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db.models import Q, Sum

from jieban.mediation.models import Agreement, MediationCase
from jieban.stats.mediation_counts import COUNT_NAMES, DIMENSIONS, Counts, count_rows
from jieban.stats.models import MediationDirtyDay, MediationRollup
from jieban.stats.rollups import refresh_dirty

OVERALL = "all"
# The dimensions counted from one query (each case has one of each) and the mediators apart
# (a case may have two).
ONE_PER_CASE = ("studio", "committee", "dispute_type")
# The counts a rollup row keeps as they are (the amount it keeps in fen).
WHOLE_COUNTS = tuple(name for name in COUNT_NAMES if name != "amount_settled")


def rebuild_day(day: dt.date) -> None:
    """Recompute the mediation rollup rows of one local day (inside a transaction)."""
    sums: dict[tuple[str, str], Counts] = defaultdict(Counts)
    window: dict[str, Any] = {
        "start": day,
        "end": day + dt.timedelta(days=1),
        "passed": day + dt.timedelta(days=1),
    }
    cases, agreements = MediationCase.objects.all(), Agreement.objects.all()
    lookups = tuple(DIMENSIONS[name] for name in ONE_PER_CASE)
    for _label, keys, counts in count_rows(cases, agreements, split_by=lookups, **window):
        sums[(OVERALL, "")].add(counts)
        for name, key in zip(ONE_PER_CASE, keys, strict=True):
            sums[(name, _stored(key))].add(counts)
    by_mediator = (DIMENSIONS["mediator"],)
    for _label, (key,), counts in count_rows(cases, agreements, split_by=by_mediator, **window):
        sums[("mediator", _stored(key))].add(counts)
    MediationRollup.objects.filter(day=day).delete()
    MediationRollup.objects.bulk_create(
        MediationRollup(
            day=day,
            dimension=dimension,
            key=key,
            amount_settled_fen=int(counts.amount_settled.scaleb(2)),
            **{name: getattr(counts, name) for name in WHOLE_COUNTS},
        )
        for (dimension, key), counts in sums.items()
    )


def _stored(key: Any) -> str:
    return "" if key is None else str(key)


def refresh(start: dt.date | None = None, end: dt.date | None = None, *, limit: int = 400) -> int:
    """Rebuild the dirty days that touch local days [start, end) (all, without bounds);
    returns how many dates were cleaned."""
    return refresh_dirty(MediationDirtyDay, rebuild_day, start, end, limit=limit)


def refresh_range(start: dt.date, end: dt.date) -> None:
    """Rebuild every dirty day touching [start, end), however many."""
    while refresh(start, end):
        pass


def summed(
    start: dt.date,
    end: dt.date,
    *,
    passed: dt.date,
    dimension: str,
    label_of: Callable[[dt.date], str] | None = None,
) -> list[tuple[str, str, Counts]]:
    """The counts over local days [start, end) (the agreements only of days before `passed`),
    per key of `dimension` ("all" for the overall row), and per period when `label_of` names
    a day's period: rows of (period label or "", key, counts), none empty. The dirty days are
    rebuilt first."""
    refresh_range(start, end)
    names = (*WHOLE_COUNTS, "amount_settled_fen")
    sums = {
        name: Sum(name, filter=Q(day__lt=passed)) if name.startswith("agreements") else Sum(name)
        for name in names
    }
    # Grouped by key, and by day when the rows go to periods (the day then comes second).
    grouped_by = ("key", "day") if label_of is not None else ("key",)
    rows = (
        MediationRollup.objects.filter(dimension=dimension, day__gte=start, day__lt=end)
        .order_by()
        .values(*grouped_by)
        .annotate(**sums)
        .values_list(*grouped_by, *names)
    )
    # Summed in plain lists, per period and key: a year by day is thousands of rows.
    found: dict[tuple[str, str], list[int]] = {}
    labels: dict[dt.date, str] = {}
    for key, *values in rows:
        label = ""
        if label_of is not None:
            day = values.pop(0)
            label = labels.get(day) or labels.setdefault(day, label_of(day))
        into = found.setdefault((label, key), [0] * len(names))
        for index, value in enumerate(values):
            into[index] += value or 0
    result = []
    for (label, key), values in found.items():
        *whole, fen = values
        counts = Counts(
            amount_settled=Decimal(fen).scaleb(-2), **dict(zip(WHOLE_COUNTS, whole, strict=True))
        )
        if not counts.is_empty():
            result.append((label, key, counts))
    return result
