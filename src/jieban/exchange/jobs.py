"""The exchange's jobs for the worker: the 12345 platform link's (deliver the messages due,
every sweep and between sweeps; pull orders from the platforms that do not push, a minute apart
at most, and take in the orders whose mapping was added since) and the confirmed ticket
imports, a turn of about twenty seconds' writing at a time, every sweep and between sweeps (a
long import goes on at the next turn, where it stopped)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from jieban.exchange.actions import apply_waiting_orders
from jieban.exchange.imports import run_due_imports
from jieban.exchange.outbox import deliver_due, pull_due
from jieban.org.actors import SYSTEM
from jieban.worker.registry import Job, Line, Outcome


def deliver(now: dt.datetime, should_stop: Callable[[], bool]) -> Outcome:
    """Deliver what is due; each attempt reads the clock itself."""
    delivery = deliver_due(should_stop=should_stop)
    line = f"platform messages delivered: {delivery.delivered}, failed attempts: {delivery.failed}"
    return Outcome(
        counts={
            "platform_delivered": delivery.delivered,
            "platform_delivery_failures": delivery.failed,
        },
        lines=[Line(51, line)],
        notable=bool(delivery.delivered),
    )


def pull(now: dt.datetime, should_stop: Callable[[], bool]) -> Outcome:
    """Pull orders from the pull-mode platforms, then take in the orders mapped since."""
    pulled = pull_due(now, should_stop)
    applied = apply_waiting_orders(by=SYSTEM)
    line = (
        f"platform orders pulled: {pulled.orders} from {pulled.platforms} platforms"
        f" ({pulled.failed} failed), waiting orders applied: {applied}"
    )
    return Outcome(
        counts={"platform_pulled": pulled.orders, "platform_pull_failures": pulled.failed,
                "platform_waiting_applied": applied},
        lines=[Line(52, line)],
        notable=bool(pulled.orders or applied),
    )  # fmt: skip


def run_imports(now: dt.datetime, should_stop: Callable[[], bool]) -> Outcome:
    """Write the confirmed imports' rows, oldest import first."""
    turn = run_due_imports(now, should_stop=should_stop)
    return Outcome(
        counts={"imports_worked": turn.worked, "imports_finished": turn.finished},
        lines=[Line(56, f"ticket imports worked on: {turn.worked}, finished: {turn.finished}")],
        notable=bool(turn.worked),
    )


JOBS = [
    Job("platform-pull", pull, order=45),
    Job("platform-delivery", deliver, order=55, between_sweeps=True),
    Job("imports", run_imports, order=56, between_sweeps=True),
]
