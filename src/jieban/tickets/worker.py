"""The background worker: deadline sweeps, campaign snapshots, notification delivery."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from jieban.notify.outbox import deliver_due
from jieban.stats import rollups
from jieban.stats.reports import publish_ended_periods
from jieban.tickets.campaign import month_of, take_snapshot
from jieban.tickets.supervision import SweepReport, sweep_due_soon, sweep_overdue
from jieban.workcalendar.workdays import due_soon_horizon

log = logging.getLogger("jieban.worker")
# Notifications go out sooner than the sweep comes round.
DELIVERY_SECONDS = 2.0


def run_sweep(*, should_stop: Callable[[], bool] | None = None) -> SweepReport:
    """One sweep: orders for missed deadlines, due-soon warnings, the month's campaign, then
    delivery of what is queued. Running it twice in a row does nothing more the second time."""
    now = timezone.now()
    report = SweepReport()
    clock = time.perf_counter()

    def lap(part: str) -> None:
        nonlocal clock
        report.seconds[part] = round(time.perf_counter() - clock, 3)
        clock = time.perf_counter()

    report.orders = sweep_overdue(now, batch=settings.JIEBAN_SWEEP_BATCH, should_stop=should_stop)
    lap("orders")
    if should_stop and should_stop():
        return report
    report.warned = sweep_due_soon(
        now,
        horizon=due_soon_horizon(now),
        batch=settings.JIEBAN_SWEEP_BATCH,
        should_stop=should_stop,
    )
    if timezone.localtime(now).day == 1:
        campaign, created = take_snapshot(month_of(now), now=now)
        if created:
            report.campaign = campaign.month
    lap("warnings")
    # Keep the statistics' daily rollups current, so reports rarely rebuild a day themselves;
    # a bounded number of dates per sweep, so a sweep stays short whatever went before (a
    # reader rebuilds what it reads that is still dirty, so figures are never stale).
    report.rollups = rollups.refresh(limit=settings.JIEBAN_SWEEP_ROLLUP_DATES)
    lap("rollups")
    if settings.JIEBAN_AUTO_PUBLISH:
        report.published = publish_ended_periods(timezone.localdate(now))
    lap("publishing")
    delivery = deliver_due(should_stop=should_stop)
    report.delivered, report.delivery_failures = delivery.delivered, delivery.failed
    lap("delivery")
    return report


class Worker:
    """Sweeps every `interval` seconds and delivers notifications in between; stops cleanly
    on SIGTERM or SIGINT after the batch in hand is committed."""

    def __init__(self, *, interval: float | None = None, write: Callable[[str], Any] = print):
        self.interval = float(interval or settings.JIEBAN_SWEEP_SECONDS)
        self.stopping = threading.Event()
        self.write = write

    def stop(self, *_args: Any) -> None:
        self.stopping.set()

    def run(self) -> None:
        previous = {
            signum: signal.signal(signum, self.stop) for signum in (signal.SIGTERM, signal.SIGINT)
        }
        try:
            self._loop()
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def _loop(self) -> None:
        self.write(f"worker: sweeping every {self.interval:g} s")
        next_sweep = time.monotonic()
        while not self.stopping.is_set():
            close_old_connections()
            try:
                if time.monotonic() >= next_sweep:
                    next_sweep = time.monotonic() + self.interval
                    report = run_sweep(should_stop=self.stopping.is_set)
                    if report.orders or report.warned or report.campaign or report.delivered:
                        self.write("; ".join(report.lines()[:2]))
                else:
                    deliver_due(should_stop=self.stopping.is_set)
            except Exception:  # a bad moment (database restarting) must not kill the worker
                log.exception("worker: sweep failed; trying again")
            self.stopping.wait(DELIVERY_SECONDS)
        self.write("worker: stopped")
