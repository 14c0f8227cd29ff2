"""Typed shapes of what the API takes and returns."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import BeforeValidator, Strict
from pydantic_core import PydanticCustomError

from jieban.inputs import MAX_ID

# In a JSON body a number is a JSON number and a yes or no a JSON boolean, as the OpenAPI
# document says: pydantic's lax mode would take `true` as 1 and `"3"` as 3 (a supervision order
# with `"days": true` was issued for one working day). Query parameters, which are text, stay lax.
BodyInt = Annotated[int, Strict()]
BodyBool = Annotated[bool, Strict()]
# A coordinate in a body is a JSON number (an integer too), never `true` or text.
BodyFloat = Annotated[float, Strict()]
# A moment in a body is text in RFC 3339, its offset optional (without one, the bureau's
# time): pydantic's lax mode would also take a number, or digits in text, as seconds since
# 1970, and a bare date as its midnight.
DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def _date_time_text(value: object) -> object:
    if value is not None and not (isinstance(value, str) and DATE_TIME.match(value)):
        raise PydanticCustomError(
            "date_time_text", _("Give a date and time like 2026-07-14T09:30:00+08:00.")
        )
    return value


BodyDateTime = Annotated[dt.datetime, BeforeValidator(_date_time_text)]
# A database id, and a ticket's version (in a body): whole numbers a 64-bit column holds.
Id = Annotated[int, Strict(), Field(ge=1, le=MAX_ID)]
Version = Annotated[int, Strict(), Field(ge=0, le=MAX_ID)]
# An id in the address: digits, so not strict (a path is text), in the same range.
PathId = Annotated[int, Field(ge=1, le=MAX_ID)]


class ErrorOut(Schema):
    detail: str
    field: str | None = None


# The error statuses every operation documents; the API maps the domain errors to them once.
ERRORS: dict[int | tuple[int, ...], Any] = {(400, 401, 403, 404, 409, 413): ErrorOut}


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
    received_at: BodyDateTime | None = None
    unit: str | None = None
    due_at: BodyDateTime | None = None


class TicketFilterIn(Schema):
    status: str | None = None
    unit: str | None = None
    category: str | None = None
    channel: str | None = None
    grid: str | None = None
    overdue: bool = False
    due_soon: bool = False
    dispatch_late: bool = False
    accept_late: bool = False
    escalated: bool = False
    received_from: str | None = None
    received_to: str | None = None
    q: str | None = None
    cursor: str | None = None
    limit: int = 50


class ExtensionOut(Schema):
    """A ticket's pending request for more time, or else its last one."""

    days: int
    reason: str
    status: str
    requested_at: dt.datetime
    decided_at: dt.datetime | None
    note: str
    due_at_before: dt.datetime
    due_at_after: dt.datetime | None


class ExtensionIn(Schema):
    days: BodyInt
    reason: str


class DecisionIn(Schema):
    note: str = ""


class RejectionIn(Schema):
    # Saying why is what a rejection is.
    note: str


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
    is_due_soon: bool
    is_dispatch_late: bool
    is_accept_late: bool
    dispatch_due_at: dt.datetime | None
    accept_due_at: dt.datetime | None
    visit_due_at: dt.datetime | None
    escalated_at: dt.datetime | None
    return_requested_at: dt.datetime | None
    extension: ExtensionOut | None
    repeat_count: int
    repeat_of: str | None
    supervision_level: int
    result: str
    result_outcome: str | None
    close_note: str
    merged_into: str | None
    first_handler: str | None
    version: int
    warnings: list[str] = Field(default_factory=list)


class SuggestedCategoryOut(Schema):
    """A category the classifier suggests for a text, with its confidence (0 to 1)."""

    code: str
    name: str
    confidence: float


class ClassifyIn(Schema):
    text: str


class ClassifyOut(Schema):
    suggested_categories: list[SuggestedCategoryOut]


class ReasonOut(Schema):
    """Why a ticket may report the same matter: phone, home, building or content."""

    kind: str
    label: str
    similarity: float | None = None


class SimilarTicketOut(Schema):
    """An open or recent ticket likely about the same matter (重复反映), with its reasons."""

    number: str
    title: str
    status: str
    received_at: dt.datetime
    score: float
    reasons: list[ReasonOut]


class SuggestedOut(Schema):
    """A grid or unit suggested at registration, and why, as a person reads it."""

    code: str
    name: str
    reason: str


class RegisteredTicketOut(TicketOut):
    """A ticket as registered, with what the intake suggested for it (issue 13): the
    categories from its text, the earlier reports it may repeat, the grid and the unit."""

    suggested_categories: list[SuggestedCategoryOut] = Field(default_factory=list)
    possible_repeats: list[SimilarTicketOut] = Field(default_factory=list)
    suggested_grid: SuggestedOut | None = Field(
        default=None, description="The grid the address is in, by the registered buildings"
    )
    suggested_unit: SuggestedOut | None = Field(
        default=None,
        description="The unit to dispatch to: a dispatch rule's, else the grid's station",
    )


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
    version: Version | None = None


class DispatchIn(VersionIn):
    unit: str


class ReasonIn(VersionIn):
    reason: str


class ResultIn(VersionIn):
    result: str
    # resolved (the default), unresolved, partly_resolved or not_handled.
    outcome: str = "resolved"


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


class SupervisionOrderOut(Schema):
    number: str
    ticket: str
    unit: str
    reason: str
    level: int
    issued_at: dt.datetime
    due_at: dt.datetime
    fulfilled_at: dt.datetime | None
    # The number of the later order that took this one's place, if one did.
    superseded_by: str | None
    note: str


class SupervisionOrderPageOut(Schema):
    items: list[SupervisionOrderOut]
    next: str | None


class SuperviseIn(Schema):
    note: str
    days: BodyInt | None = None


class VisitIn(Schema):
    outcome: str
    note: str = ""
    channel: str = ""


class VisitOut(Schema):
    outcome: str
    note: str
    called_by: str | None
    channel: str
    at: dt.datetime


class VisitResultOut(Schema):
    visit: VisitOut
    ticket: TicketOut


class RepeatOfIn(Schema):
    number: str
    merge: BodyBool = False


class CampaignUnitOut(Schema):
    unit: str | None
    name: str
    at_start: int
    cleared: int
    remaining: int


class CampaignItemOut(Schema):
    ticket: str
    unit: str | None
    status: str
    long_pending: bool
    repeated: bool
    cleared: bool


class CampaignOut(Schema):
    month: str
    taken_at: dt.datetime
    # Taken after the month's first day (the worker was not running on the 1st).
    taken_late: bool
    total: CampaignUnitOut
    units: list[CampaignUnitOut]
    items: list[CampaignItemOut]


class NotificationOut(Schema):
    id: int
    event_id: str
    kind: str
    title: str
    body: str
    ticket: str | None
    created_at: dt.datetime
    read: bool


class NotificationPageOut(Schema):
    unread: int
    items: list[NotificationOut]


class SupervisionOrderFilterIn(Schema):
    unit: str | None = None
    level: int | None = None
    open: bool = False
    # Open orders whose own deadline has passed.
    overdue: bool = False
    ticket: str | None = None
    cursor: str | None = None
    limit: int = 50


class ReadIn(Schema):
    ids: list[Id] | None = None


# What an operation whose fields are all optional takes when no body is sent (an empty body is
# no body; one that is not a JSON object is refused: `jieban.api.api.JsonObjects`).
NO_VERSION = VersionIn()
NO_NOTE = NoteIn()
NO_DECISION = DecisionIn()
ALL_NOTIFICATIONS = ReadIn()


class StatsIn(Schema):
    period: str | None = None
    start: dt.date
    end: dt.date
    group_by: str | None = None


class StatsRowOut(Schema):
    key: str
    name: str
    period: str
    total: int
    resolved: int
    closure_rate: float | None
    on_time: int
    on_time_rate: float | None
    visited: int
    satisfied: int
    satisfaction_rate: float | None
    overdue_open: int
    practical: int
    practical_share: float | None
    repeats: int
    basically_satisfied: int
    accepted: int
    accepted_on_time: int
    accept_late_open: int
    accept_clock_ended: int
    accepted_on_time_rate: float | None
    first_visited: int
    first_visit_satisfied: int
    first_visit_satisfaction_rate: float | None
    escalated: int
    returns: int
    extensions: int
    network: int
    network_share: float | None
    # With group_by=unit: the unit's score (0-100) by the scorecard and its rank.
    score: float | None = None
    rank: int | None = None


class ScorecardOut(Schema):
    name: str
    effective_from: dt.date
    response: float
    resolution: float
    satisfaction: float
    basic_satisfied_factor: float


class StatsOut(Schema):
    start: dt.date
    end: dt.date
    period: str | None
    group_by: str | None
    rows: list[StatsRowOut]
    # With group_by=unit: the scorecard the scores follow (null when none is in effect).
    scorecard: ScorecardOut | None = None


class ReportOut(Schema):
    kind: str
    period: str
    published_at: dt.datetime
    published_by: str | None
    data: dict[str, Any]
