"""The ops app's part in the worker: each finished sweep recorded as the worker's heartbeat
(`AFTER_SWEEP`), and the tickets counted by status for /metrics at most once a
`JIEBAN_METRICS_TICKETS_SECONDS` (the last job of a sweep)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from jieban.ops.heartbeat import record_sweep
from jieban.ops.tally import tally_tickets
from jieban.worker.registry import Job, Line, Outcome, Sweep


def tally(now: dt.datetime, should_stop: Callable[[], bool]) -> Outcome:
    counted = tally_tickets(now)
    return Outcome(lines=[Line(90, f"tickets by status counted: {'yes' if counted else 'no'}")])


def record(sweep: Sweep) -> None:
    record_sweep(
        worker=sweep.worker,
        started_at=sweep.started_at,
        finished_at=sweep.finished_at,
        seconds=sweep.seconds,
        job_seconds=sweep.job_seconds,
    )


JOBS = [Job("ticket-tally", tally, order=90)]
AFTER_SWEEP = [record]
