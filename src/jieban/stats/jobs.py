"""The statistics' jobs for the worker: keep the daily rollups current, freeze the reports of
the periods that ended (catching up, a few a sweep, on those missed while it was down)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.conf import settings
from django.utils import timezone

from jieban.stats import mediation_rollups, rollups
from jieban.stats.reports import publish_ended_periods
from jieban.worker.registry import Job, Line, Outcome


def refresh_rollups(now: dt.datetime, should_stop: Callable[[], bool]) -> Outcome:
    """Rebuild a bounded number of dirty days."""
    # Keep the statistics' daily rollups current, so reports rarely rebuild a day themselves;
    # a bounded number of dates per sweep, so a sweep stays short whatever went before (a
    # reader rebuilds what it reads that is still dirty, so figures are never stale).
    dates = rollups.refresh(limit=settings.JIEBAN_SWEEP_ROLLUP_DATES)
    mediation = mediation_rollups.refresh(limit=settings.JIEBAN_SWEEP_ROLLUP_DATES)
    return Outcome(
        counts={"rollups": dates, "mediation_rollups": mediation},
        lines=[
            Line(60, f"rollups rebuilt: {dates} dates"),
            Line(60, f"mediation rollups rebuilt: {mediation} dates"),
        ],
    )


def publish_reports(now: dt.datetime, should_stop: Callable[[], bool]) -> Outcome:
    """Freeze the reports of the periods that ended (`JIEBAN_AUTO_PUBLISH`), oldest first, at
    most `JIEBAN_PUBLISH_PER_SWEEP` a sweep: after downtime the next sweeps catch up."""
    published: list[str] = []
    left = 0
    if settings.JIEBAN_AUTO_PUBLISH:
        published, left = publish_ended_periods(
            timezone.localdate(now),
            limit=settings.JIEBAN_PUBLISH_PER_SWEEP,
            horizon_days=settings.JIEBAN_PUBLISH_CATCH_UP_DAYS,
            should_stop=should_stop,
        )
    lines = []
    if published or left:
        still = f", {left} more to catch up" if left else ""
        lines.append(Line(40, f"reports published: {len(published)}{still}", headline=True))
        lines += [Line(40, f"  {name}") for name in published]
    return Outcome(
        counts={"published": published, "reports_left": left},
        lines=lines,
        notable=bool(published),
    )


JOBS = [
    Job("rollups", refresh_rollups, order=30),
    Job("publishing", publish_reports, order=40),
]
