"""Daily rollups of the figures, rebuilt from the tickets for every dirty day.

Triggers on the ticket table mark the UTC date of each changed ticket's `received_at` dirty in
the same transaction as the change. Before figures are read, the dirty days in range are
rebuilt (the worker also rebuilds them every sweep, so reads rarely wait). A rebuilt day is
computed from the tickets with the same definitions as `figures` (`jieban.stats.definitions`),
so the rollups and a direct count can never disagree.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import Count, Sum

from jieban.stats.definitions import (
    COUNTS,
    DIMENSIONS,
    HAPPENING_CODES,
    HAPPENINGS,
    ROLLED_UP,
    counted_between,
)
from jieban.stats.models import DailyRollup, DirtyDay, MediationDirtyDay
from jieban.tickets.models import Ticket
from jieban.workcalendar.workdays import local_zone


def rebuild_day(day: dt.date) -> None:
    """Recompute the rollup rows of one local day from its tickets (inside a transaction)."""
    aggregates = {name: Count("pk", filter=condition) for name, condition in COUNTS.items()}
    counted = counted_between(Ticket.objects.all(), day, day + dt.timedelta(days=1))
    combinations = (
        counted.order_by()
        .values(*(dimension.code for dimension in DIMENSIONS.values()))
        .annotate(**aggregates)
    )
    sums: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: dict.fromkeys(ROLLED_UP, 0))
    for row in combinations:
        keys = [("all", "")] + [
            (name, row[dimension.code] or "") for name, dimension in DIMENSIONS.items()
        ]
        for key in keys:
            target = sums[key]
            for name in COUNTS:
                target[name] += row[name]
    # Returns and extensions: by their ticket's category, channel and grid, by their own unit.
    for name, happenings in HAPPENINGS.items():
        for row in (
            happenings(counted, None).values(*HAPPENING_CODES.values()).annotate(count=Count("pk"))
        ):
            keys = [("all", "")] + [
                (dimension, row[code] or "") for dimension, code in HAPPENING_CODES.items()
            ]
            for key in keys:
                sums[key][name] += row["count"]
    DailyRollup.objects.filter(day=day).delete()
    DailyRollup.objects.bulk_create(
        DailyRollup(day=day, dimension=dimension, key=key, **counts)
        for (dimension, key), counts in sums.items()
    )


def refresh(start: dt.date | None = None, end: dt.date | None = None, *, limit: int = 400) -> int:
    """Rebuild the dirty days that touch local days [start, end) (all, without bounds);
    returns how many UTC dates were cleaned."""
    return refresh_dirty(DirtyDay, rebuild_day, start, end, limit=limit)


def refresh_dirty(
    dirty_days: type[DirtyDay] | type[MediationDirtyDay],
    rebuild: Callable[[dt.date], None],
    start: dt.date | None = None,
    end: dt.date | None = None,
    *,
    limit: int = 400,
) -> int:
    """Rebuild (`rebuild`) the local days of the dirty dates in `dirty_days` that touch local
    days [start, end) (all, without bounds), at most `limit` dates; returns how many."""
    with transaction.atomic():
        # Newest first: the days the home pages read.
        dirty = dirty_days.objects.order_by("-day")
        if start is not None and end is not None:
            # A UTC date holds moments of the local days around it, whatever the offset.
            dirty = dirty.filter(
                day__gte=start - dt.timedelta(days=1), day__lte=end + dt.timedelta(days=1)
            )
        # Two refreshers of one day queue here; the second finds the work done.
        taken = list(dirty.select_for_update()[:limit].values_list("pk", "day"))
        if not taken:
            return 0
        local_days: set[dt.date] = set()
        for _pk, day in taken:
            local_days |= local_days_of(day)
        dirty_days.objects.filter(pk__in=[pk for pk, _day in taken]).delete()
        for day in sorted(local_days):
            rebuild(day)
    return len(taken)


def local_days_of(utc_date: dt.date) -> set[dt.date]:
    """The local days that tickets received on `utc_date` (UTC) fall on: the local days of its
    first and last moments (two for any zone but UTC itself, where one)."""
    zone = local_zone()
    first = dt.datetime.combine(utc_date, dt.time(), tzinfo=dt.UTC)
    last = first + dt.timedelta(days=1, microseconds=-1)
    return {first.astimezone(zone).date(), last.astimezone(zone).date()}


def refresh_range(start: dt.date, end: dt.date) -> None:
    """Rebuild every dirty day touching [start, end), however many."""
    while refresh(start, end):
        pass


def summed(
    start: dt.date,
    end: dt.date,
    *,
    dimension: str,
    by_day: bool,
    keys: list[str] | None = None,
    refresh: bool = True,
) -> list[dict[str, Any]]:
    """Rollup sums over local days [start, end): per key (and per day when `by_day`), of
    every key of the dimension or only of `keys`; the dirty days are rebuilt first unless
    the caller has just done it (`refresh=False`)."""
    if refresh:
        refresh_range(start, end)
    fields = ["key"] + (["day"] if by_day else [])
    rows = DailyRollup.objects.filter(dimension=dimension, day__gte=start, day__lt=end)
    if keys is not None:
        rows = rows.filter(key__in=keys)
    return list(rows.order_by().values(*fields).annotate(**{name: Sum(name) for name in ROLLED_UP}))
