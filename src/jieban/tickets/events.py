"""What each event records: one function per event kind builds its payload.

The actions write these payloads into `TicketEvent` rows, and the demo's bulk loader builds
its events with the same functions, so that a change to what an event records changes both.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from jieban.workcalendar.workdays import Deadline

# The deadline basis of a ticket whose channel (a 12345 platform) set the unit and deadline.
CHANNEL_BASIS = "channel"
# Payload keys whose value is another ticket's number: merged into (`into`), merged from or
# reported again as (`from`), a repeat of (`of`).
OTHER_TICKET_KEYS = ("into", "from", "of")


def intake_payload(*, channel: str, external_id: str | None) -> dict[str, Any]:
    return {"channel": channel, "external_id": external_id}


@dataclass(frozen=True)
class DispatchRuleRef:
    """The dispatch rule that dispatched a ticket by itself, as its event names it."""

    pk: int
    name: str


def dispatch_payload(
    *,
    unit: str,
    deadline: Deadline,
    previous_unit: str | None = None,
    ended_orders: Sequence[str] = (),
    rule: DispatchRuleRef | None = None,
) -> dict[str, Any]:
    """Dispatched to `unit` (a code) with the deadline computed for it; a reassignment ends
    the orders addressed to the previous unit; a dispatch rule names itself (`rule`)."""
    payload: dict[str, Any] = {
        "unit": unit,
        "due_at": deadline.due_at.isoformat(),
        "basis": deadline.basis,
    }
    if rule is not None:
        payload["rule"], payload["rule_id"] = rule.name, rule.pk
    if previous_unit:
        payload["previous_unit"] = previous_unit
    if ended_orders:
        payload["ended_orders"] = list(ended_orders)
    if deadline.warning:
        payload["warning"] = deadline.warning
    return payload


def channel_dispatch_payload(*, unit: str, due_at: dt.datetime) -> dict[str, Any]:
    """Taken in already dispatched: the channel chose the unit and the deadline."""
    return {"unit": unit, "due_at": due_at.isoformat(), "basis": CHANNEL_BASIS}


def return_payload(*, reason: str, unit: str | None) -> dict[str, Any]:
    return {"reason": reason, "unit": unit}


def resolve_payload(
    *, result: str, on_time: bool, fulfilled_orders: Sequence[str], outcome: str = "resolved"
) -> dict[str, Any]:
    payload: dict[str, Any] = {"result": result, "on_time": on_time, "outcome": outcome}
    if fulfilled_orders:
        payload["fulfilled_orders"] = list(fulfilled_orders)
    return payload


def close_payload(*, note: str) -> dict[str, Any]:
    return {"note": note}


def invalidate_payload(*, reason: str) -> dict[str, Any]:
    return {"reason": reason}


def merge_payload(*, into: str) -> dict[str, Any]:
    return {"into": into}


def merged_in_payload(*, merged: str) -> dict[str, Any]:
    """On the ticket another was merged into: which one."""
    return {"from": merged}


def supervise_payload(
    *,
    order: str,
    reason: str,
    level: int,
    due_at: dt.datetime,
    ticket_due_at: dt.datetime | None,
    note: str,
) -> dict[str, Any]:
    """An order with its own deadline (`due_at`); the ticket's deadline, which the order does
    not move, is recorded beside it."""
    return {
        "order": order,
        "reason": reason,
        "level": level,
        "due_at": due_at.isoformat(),
        "ticket_due_at": _utc(ticket_due_at),
        "note": note,
    }


def _utc(moment: dt.datetime | None) -> str | None:
    """As the database gives it back: in UTC."""
    return moment.astimezone(dt.UTC).isoformat() if moment else None


def escalate_payload(*, order: str, order_due_at: dt.datetime) -> dict[str, Any]:
    """Escalated to the leaders: the level-3 order that ran out."""
    return {"order": order, "order_due_at": _utc(order_due_at)}


def extension_request_payload(*, days: int, reason: str, due_at: dt.datetime) -> dict[str, Any]:
    """The unit asks for `days` more working days on the deadline `due_at`."""
    return {"days": days, "reason": reason, "due_at": _utc(due_at)}


def extension_decision_payload(
    *, days: int, note: str, due_at: dt.datetime | None, previous_due_at: dt.datetime
) -> dict[str, Any]:
    """Approved (`due_at`: the new deadline) or rejected (`due_at` None: it stays)."""
    return {
        "days": days,
        "note": note,
        "due_at": _utc(due_at),
        "previous_due_at": _utc(previous_due_at),
    }


def visit_payload(*, outcome: str, note: str, channel: str) -> dict[str, Any]:
    return {"outcome": outcome, "note": note, "channel": channel or None}


def visit_close_payload(*, outcome: str) -> dict[str, Any]:
    """Closed by a follow-up call: satisfied, or unreachable too often."""
    return {"visit": outcome}


def reopen_payload(*, outcome: str, note: str) -> dict[str, Any]:
    """Reopened by a dissatisfied follow-up call."""
    return {"visit": outcome, "note": note}


def repeat_payload(*, repeated_by: str, repeat_count: int) -> dict[str, Any]:
    """On the earlier ticket: reported again as `repeated_by`, now `repeat_count` times."""
    return {"from": repeated_by, "repeat_count": repeat_count}


def repeat_of_payload(*, of: str) -> dict[str, Any]:
    """On the new ticket: it repeats `of`."""
    return {"of": of}


def attachment_payload(*, name: str, size: int) -> dict[str, Any]:
    return {"name": name, "size": size}
