"""Turns a ticket's events into lines a person reads: labels, local times, unit names."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from jieban.mediation.models import CaseStatus, FailureRoute
from jieban.org.models import Unit
from jieban.tickets.models import (
    Channel,
    EventKind,
    Outcome,
    Status,
    SupervisionLevel,
    SupervisionReason,
    TicketEvent,
    VisitOutcome,
)
from jieban.web.forms import localized_name

# Payload keys shown on the timeline, in this order; the rest (ids, sizes) stays in the API.
PAYLOAD_LABELS: dict[str, str | Promise] = {
    "channel": _("Channel"),
    "unit": _("Unit"),
    "previous_unit": _("Previous unit"),
    "due_at": _("Due"),
    "days": _("Working days"),
    "ticket_due_at": _("The ticket's deadline"),
    "previous_due_at": _("Previous deadline"),
    "order_due_at": _("The order's deadline"),
    "ended_orders": _("Supervision orders ended"),
    "reason": _("Reason"),
    "result": _("Result"),
    "on_time": _("On time"),
    "note": _("Note"),
    "into": _("Merged into"),
    "from": _("Merged from"),
    "of": _("Repeat of"),
    "order": _("Supervision order"),
    "level": _("Level"),
    "outcome": _("Outcome"),
    "visit": _("Follow-up call"),
    "fulfilled_orders": _("Supervision orders fulfilled"),
    "name": _("File"),
    "warning": _("Warning"),
    "committee": _("Mediation committee"),
    "case": _("Mediation case"),
    "mediation": _("Mediation outcome"),
    "route": _("Route advised"),
    "category": _("Category"),
    "not_applied": _("Not applied"),
    "rule": _("Dispatch rule"),
}

# The same payload key means something else on some events.
KIND_LABELS: dict[tuple[str, str], str | Promise] = {
    (EventKind.REPEAT, "from"): _("Reported again as"),
    (EventKind.SUPERVISE, "due_at"): _("The order's deadline"),
    (EventKind.EXTENSION_APPROVE, "due_at"): _("New deadline"),
    (EventKind.EXTENSION_REQUEST, "due_at"): _("Deadline when asked"),
}
# Moments stored in payloads, shown in local time.
MOMENTS = ("due_at", "ticket_due_at", "previous_due_at", "order_due_at")

UNIT_KEYS = ("unit", "previous_unit", "committee")
# Codes stored in payloads, shown by their labels.
CODED: dict[str, Any] = {
    "level": SupervisionLevel,
    "outcome": VisitOutcome,
    "visit": VisitOutcome,
    "mediation": CaseStatus,
    "route": FailureRoute,
}

# The same coded key, coded otherwise on some events.
KIND_CODED: dict[tuple[str, str], Any] = {
    (EventKind.SUPERVISE, "reason"): SupervisionReason,
    (EventKind.RESOLVE, "outcome"): Outcome,
}


@dataclass
class TimelineEntry:
    at: dt.datetime
    label: str | Promise
    actor: str
    from_status: str | Promise
    to_status: str | Promise
    details: list[tuple[str | Promise, str | Promise]] = field(default_factory=list)


def _status_label(value: str) -> str | Promise:
    return Status(value).label if value in Status.values else value


def _event_label(kind: str) -> str | Promise:
    return EventKind(kind).label if kind in EventKind.values else kind


def _detail_value(kind: str, key: str, value: object, units: dict[str, Unit]) -> str | Promise:
    coded = KIND_CODED.get((kind, key), CODED.get(key))
    if coded is not None and value in coded.values:
        return coded(value).label
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if key in UNIT_KEYS and isinstance(value, str):
        unit = units.get(value)
        return localized_name(unit) if unit else value
    if key in MOMENTS and isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        return date_format(timezone.localtime(moment), "Y-m-d H:i")
    if key == "channel" and value in Channel.values:
        return Channel(str(value)).label
    if key == "on_time":
        return _("yes") if value else _("no")
    return str(value)


def timeline_entries(events: Sequence[TicketEvent]) -> list[TimelineEntry]:
    """One entry per event; unit codes in payloads become names with one query."""
    codes = {
        str(event.payload[key])
        for event in events
        for key in UNIT_KEYS
        if isinstance(event.payload, dict) and event.payload.get(key)
    }
    units = {unit.code: unit for unit in Unit.objects.filter(code__in=codes)} if codes else {}
    entries = []
    for event in events:
        payload = event.payload if isinstance(event.payload, dict) else {}
        details = [
            (
                KIND_LABELS.get((event.kind, key), label),
                _detail_value(event.kind, key, payload[key], units),
            )
            for key, label in PAYLOAD_LABELS.items()
            if payload.get(key) not in (None, "", [])
        ]
        entries.append(
            TimelineEntry(
                at=event.at,
                label=_event_label(event.kind),
                actor=str(event.actor) if event.actor else "",
                from_status=_status_label(event.from_status) if event.from_status else "",
                to_status=_status_label(event.to_status) if event.to_status else "",
                details=details,
            )
        )
    return entries
