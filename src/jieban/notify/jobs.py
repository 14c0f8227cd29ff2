"""The notifications' job for the worker: deliver the outbox's due notifications, every sweep
and between sweeps."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from jieban.notify.outbox import deliver_due
from jieban.worker.registry import Job, Line, Outcome


def deliver(now: dt.datetime, should_stop: Callable[[], bool]) -> Outcome:
    """Deliver what is due; the outbox reads the clock itself, attempt by attempt."""
    delivery = deliver_due(should_stop=should_stop)
    line = f"notifications delivered: {delivery.delivered}, failed attempts: {delivery.failed}"
    return Outcome(
        counts={"delivered": delivery.delivered, "delivery_failures": delivery.failed},
        lines=[Line(50, line)],
        notable=bool(delivery.delivered),
    )


JOBS = [Job("delivery", deliver, order=50, between_sweeps=True)]
