"""The exchange's jobs for the worker: the confirmed ticket imports, a turn of about twenty
seconds' writing at a time, every sweep and between sweeps (a long import goes on at the next
turn, where it stopped)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from jieban.exchange.imports import run_due_imports
from jieban.worker.registry import Job, Line, Outcome


def run_imports(now: dt.datetime, should_stop: Callable[[], bool]) -> Outcome:
    """Write the confirmed imports' rows, oldest import first."""
    turn = run_due_imports(now, should_stop=should_stop)
    return Outcome(
        counts={"imports_worked": turn.worked, "imports_finished": turn.finished},
        lines=[Line(55, f"ticket imports worked on: {turn.worked}, finished: {turn.finished}")],
        notable=bool(turn.worked),
    )


JOBS = [Job("imports", run_imports, order=55, between_sweeps=True)]
