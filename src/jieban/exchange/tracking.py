"""Residents follow their own case (/track/, `GET /api/v1/track`): the ticket's number and the
last four digits of the phone they called from show where the case stands, in plain words.

What a resident sees is `CaseView` and nothing more: the stage, the dates (received,
dispatched, deadline, resolved), the handling unit's name and, once resolved, the result. No
person's name, no note, no timeline, no phone. A wrong pair, a ticket without a phone and an
unknown number are the same "not found", so the answer tells nothing about which part was
wrong. Every look-up is a try, `JIEBAN_TRACK_TRIES_PER_HOUR` (10) an hour per client address,
counted in Django's database cache (`take_a_try`; every web process shares it), so that
numbers cannot be enumerated.

After resolution the resident may say once whether they are satisfied: a follow-up (visit) of
channel `online` recorded by the system through `record_visit`, with its consequences (a
satisfied answer closes the ticket, a dissatisfied one reopens it with a supervision order).
"""

from __future__ import annotations

import datetime as dt
import hmac
import math
import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from jieban.errors import Conflict, InvalidInput, NotFound, Throttled
from jieban.inputs import clean_text
from jieban.org.actors import SYSTEM
from jieban.tickets.models import Status, Ticket, Visit, VisitOutcome
from jieban.tickets.visits import ONLINE, record_visit

# The window the tries are counted in, in seconds.
WINDOW = 3600
# What a resident may answer: a resident who answers was reached.
ANSWERS = (
    VisitOutcome.SATISFIED,
    VisitOutcome.BASICALLY_SATISFIED,
    VisitOutcome.DISSATISFIED,
)
COMMENT_LIMIT = 1000
# The longest number a ticket has (`Ticket.number`).
NUMBER_LIMIT = 24
PHONE_LAST4 = re.compile(r"[0-9]{4}")
# A unit's name is shown once the ticket went to one; the result once it was resolved.
WITH_UNIT = (Status.DISPATCHED, Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED)
WITH_RESULT = (Status.RESOLVED, Status.CLOSED)


class AnswerRefused(Conflict):
    """An answer the case does not take (already answered, not waiting for one); the pair
    matched, so `case` is what the resident may see beside the refusal."""

    def __init__(self, message: str, *, case: CaseView) -> None:
        super().__init__(message)
        self.case = case


@dataclass(frozen=True)
class CaseView:
    """What a resident sees of their case: nothing else leaves this module."""

    number: str
    status: str
    received_at: dt.datetime
    dispatched_at: dt.datetime | None
    due_at: dt.datetime | None
    resolved_at: dt.datetime | None
    unit: str
    result: str
    # Whether the resident may say now whether they are satisfied.
    may_answer: bool
    # Their own answer on this result ("" when none).
    answered: str

    @property
    def stage(self) -> str:
        """Where the case stands, in plain words."""
        return stage_of(self.status)


def stage_of(status: str) -> str:
    """A status as a resident reads it."""
    stages = {
        Status.NEW: _("Received: it is being sent to the unit that will handle it."),
        Status.DISPATCHED: _("Sent to the handling unit."),
        Status.IN_PROGRESS: _("The handling unit is working on it."),
        Status.RESOLVED: _("Handled: the unit reported its result."),
        Status.CLOSED: _("Concluded."),
        Status.INVALID: _("Concluded: not a matter for the bureau."),
        Status.MERGED: _("Handled together with another report of the same matter."),
    }
    return stages.get(Status(status), "")


def _slots(kind: str, address: str, limit: int) -> list[str]:
    return [f"jieban:{kind}:{address}:{slot}" for slot in range(limit)]


def _seconds_left(keys: list[str], window: int, now: float) -> int:
    """How long until the oldest of the slots `keys` runs out, in seconds (at least 1)."""
    ends = [float(until) for until in caches["tries"].get_many(keys).values()]
    return max(1, math.ceil(min(ends, default=now + window) - now))


def take_slot(kind: str, address: str, *, limit: int, window: int) -> int | None:
    """Take one of the `limit` slots of `kind` for `address`, each held `window` seconds: None
    when one was free, else in how many seconds the oldest runs out (nothing is taken).

    The slots live in the `tries` cache, each taken with an `add` that expires `window` later:
    the database's key refuses a second holder, so two requests at once never take the same
    slot. A refused try takes none, so hammering does not push the end further away."""
    tries = caches["tries"]
    now = time.time()
    keys = _slots(kind, address, limit)
    for key in keys:
        if tries.add(key, now + window, timeout=window):
            return None
    return _seconds_left(keys, window, now)


def slots_left(kind: str, address: str, *, limit: int, window: int) -> int | None:
    """None while `address` holds fewer than `limit` live slots of `kind`, else in how many
    seconds the oldest runs out (nothing is taken)."""
    keys = _slots(kind, address, limit)
    held = caches["tries"].get_many(keys)
    if len(held) < limit:
        return None
    return _seconds_left(keys, window, time.time())


def take_a_try(address: str) -> None:
    """Count one look-up from `address` (`take_slot`), or Throttled when it used its tries of
    the last hour (saying when the oldest of them runs out)."""
    seconds = take_slot("track", address, limit=settings.JIEBAN_TRACK_TRIES_PER_HOUR, window=WINDOW)
    if seconds is None:
        return
    minutes = max(1, math.ceil(seconds / 60))
    raise Throttled(
        ngettext(
            "Too many look-ups from your network address: try again in %(minutes)d minute.",
            "Too many look-ups from your network address: try again in %(minutes)d minutes.",
            minutes,
        )
        % {"minutes": minutes},
        retry_after=seconds,
    )


def look_up_case(number: str, phone_last4: str, *, address: str) -> CaseView:
    """The case `number` as its resident sees it, if `phone_last4` are the last four digits
    of the phone it was registered with; else NotFound. One try from `address`."""
    number, phone_last4 = _checked(number, phone_last4)
    take_a_try(address)
    ticket = Ticket.objects.select_related("unit").filter(number=number).first()
    ticket = _matching(ticket, phone_last4)
    return _view(ticket, _latest_visit(ticket))


def answer_satisfaction(
    number: str, phone_last4: str, *, outcome: str, comment: str, address: str
) -> CaseView:
    """The resident's answer on a resolved case (satisfied, basically satisfied,
    dissatisfied, with an optional comment), recorded as a follow-up of channel `online` with
    what it leads to; once per resolution (then Conflict). One try from `address`."""
    number, phone_last4 = _checked(number, phone_last4)
    if outcome not in ANSWERS:
        raise InvalidInput(
            _("Say whether you are satisfied, basically satisfied or dissatisfied."),
            field="outcome",
        )
    comment = clean_text(comment, field="comment", label=_("Your comment"), limit=COMMENT_LIMIT)
    take_a_try(address)
    with transaction.atomic():
        ticket = _matching(
            Ticket.objects.select_for_update().filter(number=number).first(), phone_last4
        )
        latest = _latest_visit(ticket)
        if _answered(ticket, latest):
            raise AnswerRefused(
                _("Your answer on this result is already recorded. Thank you."),
                case=_view(ticket, latest),
            )
        if not _awaits_answer(ticket):
            raise AnswerRefused(
                _("This case is not waiting for your answer."), case=_view(ticket, latest)
            )
        record_visit(number, outcome=outcome, note=comment, by=SYSTEM, channel=ONLINE)
    ticket = Ticket.objects.select_related("unit").get(pk=ticket.pk)
    return _view(ticket, _latest_visit(ticket))


def _checked(number: str, phone_last4: str) -> tuple[str, str]:
    number = clean_text(
        number, field="number", label=_("The ticket number"), limit=NUMBER_LIMIT, required=True
    ).upper()
    phone_last4 = (phone_last4 or "").strip()
    if not PHONE_LAST4.fullmatch(phone_last4):
        raise InvalidInput(
            _("Enter the last four digits of the phone you called from."), field="phone_last4"
        )
    return number, phone_last4


def _matching(ticket: Ticket | None, phone_last4: str) -> Ticket:
    """`ticket` if it was registered with a phone ending in `phone_last4`; else the one
    answer an unknown number gets."""
    digits = re.sub(r"[^0-9]", "", ticket.resident_phone) if ticket is not None else ""
    if ticket is None or len(digits) < 4 or not hmac.compare_digest(digits[-4:], phone_last4):
        raise NotFound(_("No case with this number and phone."))
    return ticket


def _latest_visit(ticket: Ticket) -> Visit | None:
    return Visit.objects.filter(ticket=ticket).order_by("-at", "-id").first()


def _answered(ticket: Ticket, latest: Visit | None) -> bool:
    """Whether the resident answered online on the ticket's latest result (after a
    dissatisfied answer reopened it, until it is resolved again)."""
    if latest is None or latest.reported_by_channel != ONLINE:
        return False
    return ticket.resolved_at is None or latest.at >= ticket.resolved_at


def _awaits_answer(ticket: Ticket) -> bool:
    # A ticket handed over to people's mediation is called back when the case concludes.
    return ticket.status == Status.RESOLVED and ticket.visit_held_at is None


def _view(ticket: Ticket, latest: Visit | None) -> CaseView:
    answered = _answered(ticket, latest)
    return CaseView(
        number=ticket.number,
        status=ticket.status,
        received_at=ticket.received_at,
        dispatched_at=ticket.dispatched_at,
        due_at=ticket.due_at,
        resolved_at=ticket.resolved_at,
        unit=_unit_name(ticket),
        result=ticket.result if ticket.status in WITH_RESULT else "",
        may_answer=_awaits_answer(ticket) and not answered,
        answered=latest.outcome if answered and latest is not None else "",
    )


def _unit_name(ticket: Ticket) -> str:
    """The handling unit's name once the ticket went to one: in English on English pages
    when it has one."""
    unit = ticket.unit
    if unit is None or ticket.status not in WITH_UNIT:
        return ""
    if (get_language() or "").startswith("en") and unit.name_en:
        return unit.name_en
    return unit.name
