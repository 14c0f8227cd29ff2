"""The tickets by status for /metrics, counted by a worker at most once every
`JIEBAN_METRICS_TICKETS_SECONDS` and read from one row.

Counting by status is a full pass over the ticket table's status index: about a second at ten
million tickets on PostgreSQL. Done at every scrape by every web process, that is a second of
database time each scrape; done here, it is one count a minute for the whole installation,
whichever worker claims it first (a conditional UPDATE, so several workers never count at
once). The figures are as fresh as the last count, whose moment /metrics exposes too. The
statistics' daily rollups do not help: they count tickets by the day received, not by status
now, and `ops` does not read `stats`.
"""

from __future__ import annotations

import datetime as dt
import time

from django.conf import settings
from django.db.models import Count, Q

from jieban.ops.models import TicketTally
from jieban.tickets.models import Status, Ticket


def tally_tickets(now: dt.datetime) -> bool:
    """Count the tickets by status if the last count is older than the setting; whether this
    call counted."""
    TicketTally.objects.bulk_create([TicketTally(pk=TicketTally.ONE)], ignore_conflicts=True)
    every = dt.timedelta(seconds=settings.JIEBAN_METRICS_TICKETS_SECONDS)
    stale = Q(counted_at__isnull=True) | Q(counted_at__lte=now - every)
    if not TicketTally.objects.filter(stale, pk=TicketTally.ONE).update(counted_at=now):
        return False  # counted lately, by this worker or another
    started = time.perf_counter()
    counted = dict(
        Ticket.objects.order_by()
        .values_list("status")
        .annotate(tickets=Count("pk"))
        .values_list("status", "tickets")
    )
    counts = {status: counted.get(status, 0) for status in Status.values}
    seconds = round(time.perf_counter() - started, 3)
    TicketTally.objects.filter(pk=TicketTally.ONE).update(counts=counts, seconds=seconds)
    return True


def ticket_counts() -> TicketTally | None:
    """The last count, or None before any worker counted."""
    return TicketTally.objects.filter(pk=TicketTally.ONE, counted_at__isnull=False).first()
