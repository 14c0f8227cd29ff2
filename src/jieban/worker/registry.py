"""The jobs the worker runs, and how an app contributes one.

The contract: an installed app that has background work writes a `jobs.py` module with a list
`JOBS` of `Job`s. The worker finds every such module through the installed apps; it knows
nothing else of any app. Each sweep runs every job in `order`; a job with `between_sweeps`
also runs every couple of seconds between sweeps. A job's function takes the sweep's moment
(`now`) and `should_stop` (true once the worker was asked to stop: finish the batch in hand,
then return), and returns an `Outcome`: named counts, read on the sweep's report as attributes
(`report.orders`), and lines for `jieban sweep --once`, each at its place (lower first). The
lines marked `headline` make the worker's log line, written when some job's outcome is
`notable`.

Today's jobs (order, name, app) and where their lines go (place):

    10 orders      tickets  supervision orders for missed deadlines   place 20 (headline);
                            tickets escalated after level 3            place 21 (headline)
    15 clocks      tickets  late for dispatch, late for signing        places 15, 16 (headline)
    20 warnings    tickets  due-soon warnings (10, headline); the month's campaign, taken by
                            the month's first sweep whatever the day (30)
    25 mediation   mediation  mediation cases due soon                 place 11 (headline)
    30 rollups     stats    the statistics' daily rollups              place 60
    40 publishing  stats    the reports of the periods that ended, the
                            missed ones oldest first, a few a sweep    place 40 (headline)
    45 platform-pull  exchange  orders pulled from the 12345 platforms
                            that do not push, a minute apart; orders
                            whose mapping was added since              place 52
    50 delivery    notify   the outbox's due notifications             place 50, between sweeps
    55 platform-delivery  exchange  messages to the 12345 platforms    place 51, between sweeps
    56 imports     exchange the confirmed ticket imports, a turn of
                            about 20 s at a time                       place 56, between sweeps
    90 ticket-tally  ops    tickets by status for /metrics, counted at
                            most once a JIEBAN_METRICS_TICKETS_SECONDS  place 90
    95 backup      ops      the daily backup, the oldest beyond
                            JIEBAN_BACKUP_KEEP removed                 place 95 (headline)

A `jobs.py` may also list in `AFTER_SWEEP` functions that take a `Sweep`: each finished sweep
(not one stopped half-way) is told to them, with the worker's name and the seconds each job
took. The `ops` app records it (the worker's heartbeat, read by /healthz and /metrics).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from operator import attrgetter
from typing import Any, NamedTuple

from django.apps import apps
from django.utils.module_loading import module_has_submodule


class Line(NamedTuple):
    place: int
    text: str
    headline: bool = False


@dataclass
class Outcome:
    """What one job did. Count names are shared by every job: choose them distinct."""

    counts: dict[str, Any] = field(default_factory=dict)
    lines: list[Line] = field(default_factory=list)
    notable: bool = False


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[dt.datetime, Callable[[], bool]], Outcome]
    order: int
    between_sweeps: bool = False


@dataclass(frozen=True)
class Sweep:
    """One finished sweep: which worker ran it (`host:pid`), when, and each job's seconds."""

    worker: str
    started_at: dt.datetime
    finished_at: dt.datetime
    seconds: float
    job_seconds: dict[str, float]


def _jobs_modules() -> list[Any]:
    return [
        import_module(f"{app.name}.jobs")
        for app in apps.get_app_configs()
        if module_has_submodule(app.module, "jobs")
    ]


@functools.cache
def after_sweep() -> tuple[Callable[[Sweep], None], ...]:
    """Every installed app's functions told of each finished sweep."""
    return tuple(hook for module in _jobs_modules() for hook in getattr(module, "AFTER_SWEEP", ()))


@functools.cache
def registered_jobs() -> tuple[Job, ...]:
    """Every installed app's jobs, in the order a sweep runs them."""
    jobs: list[Job] = [job for module in _jobs_modules() for job in module.JOBS]
    return tuple(sorted(jobs, key=attrgetter("order")))
