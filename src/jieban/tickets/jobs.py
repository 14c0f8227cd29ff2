"""The tickets' jobs for the worker: supervision orders and escalation for missed deadlines,
notices for tickets late for dispatch or signing, due-soon warnings, and the month's
clear-to-zero campaign by the month's first sweep."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.conf import settings
from django.utils import timezone

from jieban.tickets.campaign import take_month_snapshot, was_taken_late
from jieban.tickets.clocks import sweep_accept_late, sweep_dispatch_late
from jieban.tickets.supervision import sweep_due_soon, sweep_overdue
from jieban.workcalendar.workdays import due_soon_horizon
from jieban.worker.registry import Job, Line, Outcome

# The printout names at most this many orders.
LISTED_ORDERS = 50


def issue_orders(now: dt.datetime, should_stop: Callable[[], bool]) -> Outcome:
    """An order on every ticket whose deadline or open order ran out; after level 3, the
    leaders."""
    orders, escalated = sweep_overdue(
        now, batch=settings.JIEBAN_SWEEP_BATCH, should_stop=should_stop
    )
    lines = [Line(20, f"supervision orders: {len(orders)}", headline=True)]
    lines += [Line(20, f"  {number}") for number in orders[:LISTED_ORDERS]]
    if len(orders) > LISTED_ORDERS:
        lines.append(Line(20, f"  … and {len(orders) - LISTED_ORDERS} more"))
    lines.append(Line(21, f"escalated to the leaders: {len(escalated)}", headline=True))
    return Outcome(
        counts={"orders": orders, "escalated": escalated},
        lines=lines,
        notable=bool(orders or escalated),
    )


def late_clocks(now: dt.datetime, should_stop: Callable[[], bool]) -> Outcome:
    """One notice per ticket left too long before dispatch, or before being signed for."""
    batch = settings.JIEBAN_SWEEP_BATCH
    waiting = sweep_dispatch_late(now, batch=batch, should_stop=should_stop)
    unsigned = sweep_accept_late(now, batch=batch, should_stop=should_stop)
    lines = [
        Line(15, f"late for dispatch: {len(waiting)}", headline=True),
        Line(16, f"late for signing: {len(unsigned)}", headline=True),
    ]
    return Outcome(
        counts={"dispatch_late": waiting, "accept_late": unsigned},
        lines=lines,
        notable=bool(waiting or unsigned),
    )


def warn_and_snapshot(now: dt.datetime, should_stop: Callable[[], bool]) -> Outcome:
    """Due-soon warnings, and the month's campaign snapshot if nobody took it yet: on the 1st,
    or later in the month when the worker was not running then."""
    warned = sweep_due_soon(
        now,
        horizon=due_soon_horizon(now),
        batch=settings.JIEBAN_SWEEP_BATCH,
        should_stop=should_stop,
    )
    lines = [Line(10, f"due-soon warnings: {len(warned)}", headline=True)]
    month = None
    campaign = None if should_stop() else take_month_snapshot(now)
    if campaign is not None:
        month = campaign.month
        late = f", late (on {timezone.localdate(campaign.taken_at)})"
        lines.append(
            Line(30, f"campaign snapshot: {month}{late if was_taken_late(campaign) else ''}")
        )
    return Outcome(
        counts={"warned": warned, "campaign": month}, lines=lines, notable=bool(warned or month)
    )


JOBS = [
    Job("orders", issue_orders, order=10),
    Job("clocks", late_clocks, order=15),
    # The campaign's seconds count with the warnings', as they always have.
    Job("warnings", warn_and_snapshot, order=20),
]
