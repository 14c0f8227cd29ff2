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

from jieban.notify.outbox import Message, notify_all
from jieban.org.models import DISPATCH_ROLES, User
from jieban.tickets.models import Status, Ticket, accept_late, dispatch_late, status_is
from jieban.tickets.supervision import Recipients


def _notice_once(
    late: QuerySet[Ticket],
    *,
    mark: str,
    now: dt.datetime,
    tell: Callable[[Ticket], Message],
    batch: int,
    should_stop: Callable[[], bool] | None,
) -> list[str]:
    """Record `mark` = `now` on each ticket of `late` (re-checked under its row lock, so two
    workers tell once) and queue what `tell` says of it; returns the tickets' numbers."""
    found: list[str] = []
    seen: set[int] = set()
    while not (should_stop and should_stop()):
        candidates = list(
            late.exclude(pk__in=seen).order_by("pk").values_list("pk", flat=True)[:batch]
        )
        if not candidates:
            break
        seen.update(candidates)
        with transaction.atomic():
            tickets = list(late.filter(pk__in=candidates).select_for_update())
            for ticket in tickets:
                setattr(ticket, mark, now)
            Ticket.objects.bulk_update(tickets, [mark], batch_size=batch)
            notify_all(tell(ticket) for ticket in tickets)
            found += [ticket.number for ticket in tickets]
    return found


def _local(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def sweep_dispatch_late(
    now: dt.datetime, *, batch: int = 200, should_stop: Callable[[], bool] | None = None
) -> list[str]:
    """Tell the dispatchers once per ticket that a new ticket waits past its dispatch clock."""
    late = Ticket.objects.filter(
        status_is(Status.NEW), dispatch_late(now), dispatch_late_at__isnull=True
    )
    dispatchers: list[User] = []

    def tell(ticket: Ticket) -> Message:
        if not dispatchers:
            dispatchers.extend(User.objects.filter(role__in=DISPATCH_ROLES, is_active=True))
        with override(settings.LANGUAGE_CODE):
            title = _("Waiting for dispatch since %(since)s: %(ticket)s") % {
                "since": _local(ticket.registered_at),
                "ticket": ticket.number,
            }
        return Message(
            "dispatch_late",
            recipients=dispatchers,
            title=title,
            body=ticket.title,
            ticket_id=ticket.pk,
            payload={"ticket": ticket.number},
        )

    return _notice_once(
        late, mark="dispatch_late_at", now=now, tell=tell, batch=batch, should_stop=should_stop
    )


def sweep_accept_late(
    now: dt.datetime, *, batch: int = 200, should_stop: Callable[[], bool] | None = None
) -> list[str]:
    """Tell the unit once per dispatch that a ticket waits to be signed for past its clock."""
    late = Ticket.objects.filter(
        status_is(Status.DISPATCHED), accept_late(now), accept_late_at__isnull=True
    )
    recipients = Recipients()

    def tell(ticket: Ticket) -> Message:
        with override(settings.LANGUAGE_CODE):
            title = _("Not yet signed for: %(ticket)s, dispatched %(since)s") % {
                "ticket": ticket.number,
                "since": _local(ticket.dispatched_at),
            }
        return Message(
            "accept_late",
            recipients=recipients.of_unit(ticket.unit_id),
            title=title,
            body=ticket.title,
            ticket_id=ticket.pk,
            payload={"ticket": ticket.number},
        )

    return _notice_once(
        late, mark="accept_late_at", now=now, tell=tell, batch=batch, should_stop=should_stop
    )
