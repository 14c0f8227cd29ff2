"""The background worker: a sweep runs every app's jobs (see `jieban.worker.registry`) in order,
and the jobs that run between sweeps (notification delivery) go round every couple of seconds."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from jieban.request_log import WORKER
from jieban.worker.registry import Job, Line, Outcome, Sweep, after_sweep, registered_jobs

log = logging.getLogger("jieban.worker")
# The jobs between sweeps (notifications) come round sooner than the sweep.
BETWEEN_SWEEPS_SECONDS = 2.0


@dataclass
class SweepReport:
    """What one sweep did: the jobs' counts (read as attributes, `report.orders`), their lines,
    whether any did something worth logging, and the seconds each job took."""

    counts: dict[str, Any] = field(default_factory=dict)
    entries: list[Line] = field(default_factory=list)
    notable: bool = False
    seconds: dict[str, float] = field(default_factory=dict)

    def add(self, job: Job, outcome: Outcome, seconds: float) -> None:
        self.counts.update(outcome.counts)
        self.entries += outcome.lines
        self.notable = self.notable or outcome.notable
        self.seconds[job.name] = round(seconds, 3)

    def __getattr__(self, name: str) -> Any:
        # Only called for names that are not fields; `__dict__` directly, for copy and pickle.
        try:
            return self.__dict__["counts"][name]
        except KeyError:
            raise AttributeError(name) from None

    def lines(self) -> list[str]:
        lines = [line.text for line in sorted(self.entries, key=attrgetter("place"))]
        if self.seconds:
            parts = ", ".join(f"{part} {seconds:.2f}" for part, seconds in self.seconds.items())
            lines.append(f"seconds: {parts}")
        return lines

    def headline(self) -> str:
        """The worker's log line for this sweep."""
        entries = sorted(self.entries, key=attrgetter("place"))
        return "; ".join(line.text for line in entries if line.headline)


def _never() -> bool:
    return False


def worker_name() -> str:
    """This process as the heartbeat and the logs name it: `host:pid`, apart from the workers
    of other hosts and from a restarted worker."""
    return f"{socket.gethostname()}:{os.getpid()}"


def run_sweep(*, should_stop: Callable[[], bool] = _never) -> SweepReport:
    """One sweep: every job in order, until asked to stop; a sweep that ran to its end is told
    to the apps that record sweeps (`AFTER_SWEEP`). Running it twice in a row does nothing
    more the second time."""
    now = timezone.now()
    sweep_started = time.perf_counter()
    report = SweepReport()
    for job in registered_jobs():
        if should_stop():
            return report
        started = time.perf_counter()
        outcome = job.run(now, should_stop)
        report.add(job, outcome, time.perf_counter() - started)
    if should_stop():  # the last job may have stopped before its end
        return report
    sweep = Sweep(
        worker=WORKER.get() or worker_name(),
        started_at=now,
        finished_at=timezone.now(),
        seconds=time.perf_counter() - sweep_started,
        job_seconds=dict(report.seconds),
    )
    for record in after_sweep():
        record(sweep)
    return report


class Worker:
    """Sweeps every `interval` seconds and runs the between-sweeps jobs in between; stops
    cleanly on SIGTERM or SIGINT after the batch in hand is committed."""

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
        # Every log record of this worker names it (`jieban.request_log`).
        named = WORKER.set(worker_name())
        try:
            self._loop()
        finally:
            WORKER.reset(named)
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def _loop(self) -> None:
        self.write(f"worker: sweeping every {self.interval:g} s")
        between_sweeps = [job for job in registered_jobs() if job.between_sweeps]
        next_sweep = time.monotonic()
        while not self.stopping.is_set():
            close_old_connections()
            try:
                if time.monotonic() >= next_sweep:
                    next_sweep = time.monotonic() + self.interval
                    report = run_sweep(should_stop=self.stopping.is_set)
                    if report.notable:
                        self.write(report.headline())
                else:
                    for job in between_sweeps:
                        job.run(timezone.now(), self.stopping.is_set)
            except Exception:  # a bad moment (database restarting) must not kill the worker
                log.exception("worker: sweep failed; trying again")
            self.stopping.wait(BETWEEN_SWEEPS_SECONDS)
        self.write("worker: stopped")
