"""The clocks before and after handling: a new ticket waiting for dispatch, a dispatched one
waiting to be signed for (DESIGN.md, "Clocks"). The handling deadline and its orders are in
`supervision.py`.

When a clock runs out the sweep records it once on the ticket (`dispatch_late_at`,
`accept_late_at`) and sends one notice: to the dispatchers, or to the unit. The record stays
when the ticket moves on; the badges and filters read the clock itself (`is_dispatch_late`,
`is_accept_late`, and the filters `dispatch_late`, `accept_late` in the models).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from jieban.notify.outbox import notify
from jieban.org.models import DISPATCH_ROLES, User
from jieban.tickets.models import Status, Ticket, accept_late, dispatch_late, status_is
from jieban.tickets.supervision import Recipients


def _late_batch(tickets: QuerySet[Ticket], *, batch: int, seen: set[int]) -> list[int]:
    return list(tickets.exclude(pk__in=seen).order_by("pk").values_list("pk", flat=True)[:batch])


def sweep_dispatch_late(
    now: dt.datetime, *, batch: int = 200, should_stop: Callable[[], bool] | None = None
) -> list[str]:
    """Tell the dispatchers once per ticket that a new ticket waits past its dispatch clock."""
    late = Ticket.objects.filter(
        status_is(Status.NEW), dispatch_late(now), dispatch_late_at__isnull=True
    )
    dispatchers: list[User] | None = None
    found: list[str] = []
    seen: set[int] = set()
    while not (should_stop and should_stop()):
        candidates = _late_batch(late, batch=batch, seen=seen)
        if not candidates:
            break
        seen.update(candidates)
        with transaction.atomic():
            for ticket in late.filter(pk__in=candidates).select_for_update():
                ticket.dispatch_late_at = now
                ticket.save(update_fields=["dispatch_late_at"])
                if dispatchers is None:
                    dispatchers = list(User.objects.filter(role__in=DISPATCH_ROLES, is_active=True))
                with override(settings.LANGUAGE_CODE):
                    title = _("Waiting for dispatch since %(since)s: %(ticket)s") % {
                        "since": timezone.localtime(ticket.registered_at).strftime(
                            "%Y-%m-%d %H:%M"
                        ),
                        "ticket": ticket.number,
                    }
                notify(
                    "dispatch_late",
                    recipients=dispatchers,
                    title=title,
                    body=ticket.title,
                    ticket_id=ticket.pk,
                    payload={"ticket": ticket.number},
                )
                found.append(ticket.number)
    return found


def sweep_accept_late(
    now: dt.datetime, *, batch: int = 200, should_stop: Callable[[], bool] | None = None
) -> list[str]:
    """Tell the unit once per dispatch that a ticket waits to be signed for past its clock."""
    late = Ticket.objects.filter(
        status_is(Status.DISPATCHED), accept_late(now), accept_late_at__isnull=True
    )
    recipients = Recipients()
    found: list[str] = []
    seen: set[int] = set()
    while not (should_stop and should_stop()):
        candidates = _late_batch(late, batch=batch, seen=seen)
        if not candidates:
            break
        seen.update(candidates)
        with transaction.atomic():
            for ticket in late.filter(pk__in=candidates).select_for_update():
                ticket.accept_late_at = now
                ticket.save(update_fields=["accept_late_at"])
                with override(settings.LANGUAGE_CODE):
                    title = _("Not yet signed for: %(ticket)s, dispatched %(since)s") % {
                        "ticket": ticket.number,
                        "since": timezone.localtime(ticket.dispatched_at).strftime("%Y-%m-%d %H:%M")
                        if ticket.dispatched_at
                        else "",
                    }
                notify(
                    "accept_late",
                    recipients=recipients.of_unit(ticket.unit_id),
                    title=title,
                    body=ticket.title,
                    ticket_id=ticket.pk,
                    payload={"ticket": ticket.number},
                )
                found.append(ticket.number)
    return found
