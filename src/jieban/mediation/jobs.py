"""Mediation's jobs for the worker: the due-soon warnings of the cases' 30-day clocks and of
the agreements' 15-day follow-up calls, and the hand-overs a committee did not answer within
their working day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.conf import settings

from jieban.mediation.clocks import sweep_due_soon, sweep_visits_due_soon
from jieban.mediation.handovers import flag_overdue_handovers
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


def flag_handovers_overdue(now: dt.datetime, should_stop: Callable[[], bool]) -> Outcome:
    """Once per hand-over not answered in time: its committee and its station are told."""
    flagged = flag_overdue_handovers(now, batch=settings.JIEBAN_SWEEP_BATCH)
    return Outcome(
        counts={"handovers_overdue": flagged},
        lines=[Line(13, f"hand-overs not answered in time: {len(flagged)}", headline=True)],
        notable=bool(flagged),
    )


JOBS = [
    Job("mediation", warn_mediation_due_soon, order=25),
    Job("handovers", flag_handovers_overdue, order=26),
]
