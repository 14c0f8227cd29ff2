"""Typed shapes of what the API takes and returns."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema


class ErrorOut(Schema):
    detail: str
    field: str | None = None


class TicketIn(Schema):
    channel: str
    content: str
    title: str = ""
    external_id: str | None = None
    category: str | None = None
    resident_name: str = ""
    resident_phone: str = ""
    address: str = ""
    grid: str | None = None
    received_at: dt.datetime | None = None
    unit: str | None = None
    due_at: dt.datetime | None = None


class TicketFilterIn(Schema):
    status: str | None = None
    unit: str | None = None
    category: str | None = None
    channel: str | None = None
    overdue: bool = False
    received_from: str | None = None
    received_to: str | None = None
    q: str | None = None
    cursor: str | None = None
    limit: int = 50


class TicketOut(Schema):
    number: str
    status: str
    channel: str
    external_id: str | None
    category: str
    unit: str | None
    grid: str | None
    title: str
    content: str
    address: str
    resident_name: str
    resident_phone: str
    received_at: dt.datetime
    dispatched_at: dt.datetime | None
    due_at: dt.datetime | None
    due_basis: str
    accepted_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    is_overdue: bool
    result: str
    close_note: str
    merged_into: str | None
    first_handler: str | None
    version: int
    warnings: list[str] = Field(default_factory=list)


class TicketPageOut(Schema):
    items: list[TicketOut]
    next: str | None


class EventOut(Schema):
    kind: str
    at: dt.datetime
    actor: str | None
    from_status: str
    to_status: str
    payload: dict[str, Any]


class AttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    uploaded_at: dt.datetime
    url: str


class VersionIn(Schema):
    version: int | None = None


class DispatchIn(VersionIn):
    unit: str


class ReasonIn(VersionIn):
    reason: str


class ResultIn(VersionIn):
    result: str


class NoteIn(VersionIn):
    note: str = ""


class MergeIn(VersionIn):
    into: str


class UnitOut(Schema):
    code: str
    kind: str
    name: str
    name_en: str
    parent: str | None


class CategoryOut(Schema):
    code: str
    name: str
    name_en: str
    parent: str | None
    deadline_days: int
    practical: bool


class CalendarDayOut(Schema):
    date: dt.date
    kind: str
    source: str
    note: str


class CalendarYearOut(Schema):
    year: int
    official_data: bool
    warning: str | None
    days: list[CalendarDayOut]


class CalendarOverrideIn(Schema):
    kind: str
    source: str


class CalendarOverrideOut(Schema):
    date: dt.date
    kind: str
    source: str
