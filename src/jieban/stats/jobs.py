"""The statistics' jobs for the worker: keep the daily rollups current, freeze the reports of
the periods that ended."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.conf import settings
from django.utils import timezone

from jieban.stats import rollups
from jieban.stats.reports import publish_ended_periods
from jieban.worker.registry import Job, Line, Outcome


def refresh_rollups(now: dt.datetime, should_stop: Callable[[], bool]) -> Outcome:
    """Rebuild a bounded number of dirty days."""
    # Keep the statistics' daily rollups current, so reports rarely rebuild a day themselves;
    # a bounded number of dates per sweep, so a sweep stays short whatever went before (a
    # reader rebuilds what it reads that is still dirty, so figures are never stale).
    dates = rollups.refresh(limit=settings.JIEBAN_SWEEP_ROLLUP_DATES)
    return Outcome(counts={"rollups": dates}, lines=[Line(60, f"rollups rebuilt: {dates} dates")])


def publish_reports(now: dt.datetime, should_stop: Callable[[], bool]) -> Outcome:
    """Freeze the reports of the day, week and month that ended (`JIEBAN_AUTO_PUBLISH`)."""
    published = []
    if settings.JIEBAN_AUTO_PUBLISH:
        published = publish_ended_periods(timezone.localdate(now))
    lines = [Line(40, f"report published: {name}") for name in published]
    return Outcome(counts={"published": published}, lines=lines)


JOBS = [
    Job("rollups", refresh_rollups, order=30),
    Job("publishing", publish_reports, order=40),
]
