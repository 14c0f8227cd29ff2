"""Mediation's job for the worker: the due-soon warnings of the cases' 30-day clocks and of
the agreements' 15-day follow-up calls."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.conf import settings

from jieban.mediation.clocks import sweep_due_soon, sweep_visits_due_soon
from jieban.worker.registry import Job, Line, Outcome


def warn_mediation_due_soon(now: dt.datetime, should_stop: Callable[[], bool]) -> Outcome:
    """One warning per case and deadline, to the people of its studio or committee."""
    warned = sweep_due_soon(now, batch=settings.JIEBAN_SWEEP_BATCH, should_stop=should_stop)
    visits = sweep_visits_due_soon(now, batch=settings.JIEBAN_SWEEP_BATCH, should_stop=should_stop)
    return Outcome(
        counts={"mediation_warned": warned, "mediation_visits_warned": visits},
        lines=[
            Line(11, f"mediation due-soon warnings: {len(warned)}", headline=True),
            Line(12, f"mediation follow-up warnings: {len(visits)}", headline=True),
        ],
        notable=bool(warned or visits),
    )


JOBS = [Job("mediation", warn_mediation_due_soon, order=25)]
