"""The output builders several routers share: times in local time, and the API's view of a ticket.

A builder only one router needs lives in that router's module.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from jieban.org.models import User
from jieban.suggestions.repeats import SimilarTicket
from jieban.tickets.access import access_ticket, mask_phone, openable_numbers, shown_phone
from jieban.tickets.extensions import latest_extensions
from jieban.tickets.models import Extension, Ticket
from jieban.tickets.selectors import (
    closing_note,
    deadline_warning,
    is_due_soon,
    linked_numbers,
    shown_number,
)
from jieban.workcalendar import workdays


def local(value: dt.datetime | None) -> dt.datetime | None:
    """A moment in the bureau's local time, as every time in the API is given."""
    return timezone.localtime(value) if value is not None else None


def due_soon_clock() -> tuple[dt.datetime, dt.datetime]:
    """(now, due-soon horizon): computed once for a whole list of tickets."""
    now = timezone.now()
    return now, workdays.due_soon_horizon(now)


def extension_out(extension: Extension | None) -> dict[str, Any] | None:
    if extension is None:
        return None
    return {
        "days": extension.days,
        "reason": extension.reason,
        "status": extension.status,
        "requested_at": local(extension.requested_at),
        "decided_at": local(extension.decided_at),
        "note": extension.note,
        "due_at_before": local(extension.due_at_before),
        "due_at_after": local(extension.due_at_after),
    }


def ticket_out(
    ticket: Ticket,
    viewer: User,
    *,
    full_phone: bool = False,
    clock: tuple[dt.datetime, dt.datetime] | None = None,
    extensions: dict[int, Extension] | None = None,
    openable: set[str] | None = None,
) -> dict[str, Any]:
    """The API's view of a ticket; the phone is masked unless the viewer handles the ticket.

    Lists pass `full_phone=False`: they always mask the phone. `clock` is (now, due-soon
    horizon), `extensions` each ticket's request for more time (`latest_extensions`), and
    `openable` which of the tickets they are merged into or repeat the viewer may open
    (`openable_numbers`; another is "another ticket"), all looked up once for a whole list."""
    now, horizon = clock or due_soon_clock()
    if extensions is None:
        extensions = latest_extensions([ticket.pk])
    if openable is None:
        openable = openable_numbers(viewer, linked_numbers([ticket]))
    phone = shown_phone(viewer, ticket) if full_phone else mask_phone(ticket.resident_phone)
    warning = deadline_warning(ticket)
    return {
        "number": ticket.number,
        "status": ticket.status,
        "channel": ticket.channel,
        "external_id": ticket.external_id,
        "category": ticket.category.code,
        "unit": ticket.unit.code if ticket.unit else None,
        "grid": ticket.grid.code if ticket.grid else None,
        "title": ticket.title,
        "content": ticket.content,
        "address": ticket.address,
        "resident_name": ticket.resident_name,
        "resident_phone": phone,
        "received_at": local(ticket.received_at),
        "dispatched_at": local(ticket.dispatched_at),
        "due_at": local(ticket.due_at),
        "due_basis": ticket.due_basis,
        "accepted_at": local(ticket.accepted_at),
        "resolved_at": local(ticket.resolved_at),
        "closed_at": local(ticket.closed_at),
        "is_overdue": ticket.is_overdue,
        "is_due_soon": is_due_soon(ticket, now=now, horizon=horizon),
        "is_dispatch_late": ticket.is_dispatch_late,
        "is_accept_late": ticket.is_accept_late,
        "dispatch_due_at": local(ticket.dispatch_due_at),
        "accept_due_at": local(ticket.accept_due_at),
        "visit_due_at": local(ticket.visit_due_at),
        "escalated_at": local(ticket.escalated_at),
        "return_requested_at": local(ticket.return_requested_at),
        "extension": extension_out(extensions.get(ticket.pk)),
        "repeat_count": ticket.repeat_count,
        "repeat_of": shown_number(ticket.repeat_of.number if ticket.repeat_of else None, openable),
        "supervision_level": ticket.supervision_level,
        "result": ticket.result,
        "result_outcome": ticket.result_outcome,
        "close_note": closing_note(ticket),
        "merged_into": shown_number(
            ticket.merged_into.number if ticket.merged_into else None, openable
        ),
        "first_handler": ticket.first_handler.username if ticket.first_handler else None,
        "version": ticket.version,
        "warnings": [warning] if warning is not None else [],
    }


def ticket_detail_out(viewer: User, number: str) -> dict[str, Any]:
    """The ticket `number` as `viewer` sees it on its own (the phone whole where they may),
    read afresh: what an action answers with."""
    return ticket_out(access_ticket(viewer, number), viewer, full_phone=True)


def similar_out(item: SimilarTicket) -> dict[str, Any]:
    """An earlier report of the same matter, with its score and reasons."""
    return {
        "number": item.ticket.number,
        "title": item.ticket.title,
        "status": item.ticket.status,
        "received_at": local(item.ticket.received_at),
        "score": item.score,
        "reasons": [reason.as_dict() for reason in item.reasons],
    }
