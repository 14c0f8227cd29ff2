"""Earlier reports of the same matter (重复反映): for a new call, the open or recent tickets
most likely about the same thing, each with the reasons it was found.

A ticket is a candidate when it was received in the last `WINDOW` (60 days) or is still
open (received in the last year), is not invalid or merged, and the viewer may see it
(`visible_tickets`; looking tickets up by a phone only among those whose full phone the
viewer may see, as the caller's recent tickets do). Candidates are read bounded: the latest
`CANDIDATES` with the same phone, with the same building key, and in the same grid (three
indexed queries); their likeness is then computed in Python: the same phone, the same home,
the same building, and the character-bigram cosine of title and content. Each reason weighs
in, and the score is their noisy-or (1 - Π(1 - weight)), so that two reasons together rank
above either alone.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol, TypeVar

from django.db import connection
from django.db.models import Field, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jieban.addresses import read_address
from jieban.errors import InvalidInput
from jieban.inputs import printable
from jieban.intake.actions import TicketDraft
from jieban.org.actors import Viewer
from jieban.org.models import Unit, UnitKind
from jieban.org.permissions import can_see_full_phone, sees_whole_bureau
from jieban.rows import column
from jieban.suggestions.models import Suggestion, SuggestionKind
from jieban.tickets.access import visible_tickets
from jieban.tickets.models import NOT_COUNTED, OPEN, Status, Ticket
from jieban.tickets.selectors import MIN_CALLER_PHONE, tickets_with_full_phone

C = TypeVar("C", bound="_Compared")

# A closed ticket is still the same matter when it was received this recently.
WINDOW = dt.timedelta(days=60)
# An open one, when received in the last year: the bound keeps each lookup a short range of
# its index (a ticket open for longer is a case for the leaders, not a suggestion).
OPEN_WINDOW = dt.timedelta(days=365)
# The latest tickets read for each way of being alike (phone, building, grid).
CANDIDATES = 50
# How many are shown (the caller may ask for MIN_SHOWN to MAX_SHOWN), and recorded.
SHOWN, MIN_SHOWN, MAX_SHOWN = 5, 3, 10
RECORDED = 3
# Content alike from this cosine on is a reason; below it, noise of common words.
CONTENT_SIMILAR = 0.3
# The characters of title and content compared: the start says what the matter is.
COMPARED_CHARACTERS = 400
# How much each reason says that it is the same matter (content: its similarity).
WEIGHTS = {"phone": 0.6, "home": 0.6, "building": 0.3}
# Only the columns the comparison and the answer read.
READ = (
    "number", "status", "title", "content", "received_at", "resident_phone", "address_key",
    "building_key", "grid_id",
    # The status badge says when a return waits for the 12345 platform.
    "return_requested_at",
)  # fmt: skip

LABELS = {
    "phone": gettext_lazy("Same caller's phone"),
    "home": gettext_lazy("Same address"),
    "building": gettext_lazy("Same building"),
}

_NOT_TEXT = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class Reason:
    """Why a ticket may be the same matter: `kind` (phone, home, building, content) and, for
    content, how alike (0 to 1)."""

    kind: str
    similarity: float | None = None

    @property
    def label(self) -> str:
        if self.kind == "content":
            return _("Similar content %(similarity).2f") % {"similarity": self.similarity or 0}
        return str(LABELS[self.kind])

    @property
    def weight(self) -> float:
        if self.kind == "content":
            return self.similarity or 0.0
        return WEIGHTS[self.kind]

    def as_record(self) -> dict[str, Any]:
        """As kept on a Suggestion: its kind, and the similarity; never a translated label."""
        record: dict[str, Any] = {"kind": self.kind}
        if self.similarity is not None:
            record["similarity"] = self.similarity
        return record

    def as_dict(self) -> dict[str, Any]:
        return {**self.as_record(), "label": self.label}


@dataclass(frozen=True)
class Matter:
    """What a call says that earlier reports are compared by."""

    phone: str
    home_key: str
    building_key: str
    grid_id: int | None
    text: str
    ticket_id: int | None = None

    @classmethod
    def of_ticket(cls, ticket: Ticket) -> Matter:
        return cls(
            phone=ticket.resident_phone.strip(),
            home_key=ticket.address_key,
            building_key=ticket.building_key,
            grid_id=ticket.grid_id,
            text=f"{ticket.title} {ticket.content}",
            ticket_id=ticket.pk,
        )

    @classmethod
    def of_draft(cls, draft: TicketDraft) -> Matter:
        """A call being typed: nothing checked, nothing refused (a grid code that names no
        grid is no grid; characters no text may hold are left out)."""
        place = read_address(printable(draft.address or ""))
        content = printable(draft.content or "").strip()
        # Without a title, the intake takes the content's first line as one (`_prepared`).
        title = printable(draft.title or "").strip() or (content.splitlines() or [""])[0][:40]
        grid_code = printable(draft.grid or "")
        grid_id = None
        if grid_code:
            grid_id = (
                Unit.objects.filter(code=grid_code, kind=UnitKind.GRID)
                .values_list("pk", flat=True)
                .first()
            )
        return cls(
            phone=printable(draft.resident_phone or "").strip(),
            home_key=place.home_key,
            building_key=place.building_key,
            grid_id=grid_id,
            text=f"{title} {content}",
        )


@dataclass(frozen=True)
class SimilarTicket:
    """An earlier ticket that may report the same matter, its score (0 to 1) and reasons."""

    ticket: Ticket
    score: float
    reasons: list[Reason]


# The candidates' bigrams kept by their text, per process: the same busy building's or grid's
# latest tickets are compared with every new call about it.
KEPT_BIGRAMS = 2048


@functools.lru_cache(maxsize=KEPT_BIGRAMS)
def bigrams(text: str) -> frozenset[str]:
    """The character bigrams of a text, without spaces and punctuation (Chinese needs no
    word segmenter for this)."""
    flat = _NOT_TEXT.sub("", unicodedata.normalize("NFKC", text).lower())[:COMPARED_CHARACTERS]
    return frozenset(flat[index : index + 2] for index in range(len(flat) - 1))


def content_similarity(first: frozenset[str], second: frozenset[str]) -> float:
    """The cosine of two bigram sets: 1 for the same words, 0 for nothing in common."""
    if not first or not second:
        return 0.0
    return len(first & second) / math.sqrt(len(first) * len(second))


def checked_limit(limit: int | None) -> int:
    """How many to show: SHOWN by default, else MIN_SHOWN to MAX_SHOWN."""
    if limit is None:
        return SHOWN
    if not MIN_SHOWN <= limit <= MAX_SHOWN:
        raise InvalidInput(
            _("Ask for %(low)d to %(high)d similar tickets.")
            % {"low": MIN_SHOWN, "high": MAX_SHOWN},
            field="limit",
        )
    return limit


def similar_tickets(
    subject: Ticket | TicketDraft,
    *,
    by: Viewer,
    limit: int | None = None,
    as_of: dt.datetime | None = None,
) -> list[SimilarTicket]:
    """The open or recent tickets `by` may see most likely about the same matter as
    `subject` (a ticket, or a call being typed), best first, at most `limit`. `as_of` asks
    as at an earlier moment (the demo's history): only tickets received in the WINDOW
    before it count, since which were still open then is not known now."""
    limit = checked_limit(limit)
    matter = Matter.of_ticket(subject) if isinstance(subject, Ticket) else Matter.of_draft(subject)
    now = as_of or timezone.now()
    since, open_since = now - WINDOW, now - OPEN_WINDOW
    if as_of is not None:
        open_since = since
    window = _Window(since, open_since, until=as_of)
    if sees_whole_bureau(by):
        rows, by_phone = _candidates_in_one_statement(
            matter, window, by_phone=can_see_full_phone(by, unit_id=None)
        )
        ranked = _ranked(matter, rows.values(), by_phone=by_phone)[:limit]
        # Only the tickets shown become model instances.
        return [SimilarTicket(row.as_ticket(), score, reasons) for row, score, reasons in ranked]
    candidates, by_phone = _candidates_by_querysets(matter, window, by=by)
    shown = _ranked(matter, candidates.values(), by_phone=by_phone)[:limit]
    return [SimilarTicket(ticket, score, reasons) for ticket, score, reasons in shown]


class _Compared(Protocol):
    """What the likeness is computed from: a ticket, or a candidate's row."""

    @property
    def pk(self) -> Any: ...
    @property
    def title(self) -> str: ...
    @property
    def content(self) -> str: ...
    @property
    def address_key(self) -> str: ...
    @property
    def building_key(self) -> str: ...
    @property
    def received_at(self) -> dt.datetime: ...


class _Row(NamedTuple):
    """A candidate as `_candidates_in_one_statement` reads it: the ticket's id, then READ
    in its order."""

    pk: int
    number: str
    status: str
    title: str
    content: str
    received_at: dt.datetime
    resident_phone: str
    address_key: str
    building_key: str
    grid_id: int | None
    return_requested_at: dt.datetime | None

    def as_ticket(self) -> Ticket:
        """The ticket, as the ORM would have read it with `only(*READ)`."""
        names = _read_in_model_order()
        values = self._asdict()
        return Ticket.from_db(
            connection.alias, names, [values["pk" if name == "id" else name] for name in names]
        )


@functools.cache
def _read_in_model_order() -> list[str]:
    """The columns a `_Row` holds, in the model's order: `Model.from_db` takes them so."""
    read = {"id", *READ}
    return [item.attname for item in Ticket._meta.concrete_fields if item.attname in read]


@dataclass(frozen=True)
class _Window:
    """The tickets that count: received since `since`, or still open and received since
    `open_since`; before `until` when asked as at an earlier moment."""

    since: dt.datetime
    open_since: dt.datetime
    until: dt.datetime | None = None


def _candidates_by_querysets(
    matter: Matter, window: _Window, *, by: Viewer
) -> tuple[dict[int, Ticket], set[int]]:
    """The candidates `by` may see, by id, and those found by the phone: a query for each
    way of being alike, each narrowed to what `by` may see."""
    since, open_since, as_of = window.since, window.open_since, window.until
    candidates: dict[int, Ticket] = {}
    # The same phone is said only of tickets found by it: those whose full phone `by` may
    # see. Of another (found by its building, say) it would tell whose number it is.
    by_phone: set[int] = set()
    if MIN_CALLER_PHONE <= len(matter.phone) <= 20:
        phone_source = tickets_with_full_phone(by).filter(resident_phone=matter.phone)
        for ticket in _latest(
            phone_source,
            since=since,
            open_since=open_since,
            leaving_out=matter.ticket_id,
            until=as_of,
        ):
            candidates[ticket.pk] = ticket
            by_phone.add(ticket.pk)
    sources: list[QuerySet[Ticket]] = []
    if matter.building_key:
        # `<> ''` said, so that SQLite may use the partial index (it proves nothing itself).
        sources.append(
            visible_tickets(by).filter(building_key=matter.building_key).exclude(building_key="")
        )
    if matter.grid_id is not None:
        sources.append(visible_tickets(by).filter(grid_id=matter.grid_id))
    for source in sources:
        for ticket in _latest(
            source, since=since, open_since=open_since, leaving_out=matter.ticket_id, until=as_of
        ):
            candidates.setdefault(ticket.pk, ticket)
    return candidates, by_phone


def _candidates_in_one_statement(
    matter: Matter, window: _Window, *, by_phone: bool
) -> tuple[dict[int, _Row], set[int]]:
    """For a viewer who sees every ticket, as `_candidates_by_querysets` finds them, in one
    statement written once per process (`_candidates_sql`): the intake asks this on every
    registration, and compiling the three querysets cost more than running them. Looking
    up by the phone only `by_phone` (the viewer may see every full phone)."""
    ways: list[tuple[str, object]] = []
    if by_phone and MIN_CALLER_PHONE <= len(matter.phone) <= 20:
        ways.append(("phone", matter.phone))
    if matter.building_key:
        ways.append(("building", matter.building_key))
    if matter.grid_id is not None:
        ways.append(("grid", matter.grid_id))
    if not ways:
        return {}, set()
    moment = connection.ops.adapt_datetimefield_value
    common: list[Any] = [moment(window.open_since), moment(window.since)]
    if window.until is not None:
        common.append(moment(window.until))
    if matter.ticket_id is not None:
        common.append(matter.ticket_id)
    sql = _candidates_sql(
        tuple(way for way, _value in ways),
        until=window.until is not None,
        leaving_out=matter.ticket_id is not None,
    )
    params = [item for _way, value in ways for item in (value, *common)]
    candidates: dict[int, _Row] = {}
    found_by_phone: set[int] = set()
    moment_of = _moment_converter(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for way, *values in cursor.fetchall():
            row = _Row(*values)
            # Read as the ORM reads them: an aware datetime, whatever the database gives.
            row = row._replace(
                received_at=moment_of(row.received_at),
                return_requested_at=moment_of(row.return_requested_at),
            )
            candidates.setdefault(row.pk, row)
            if way == "phone":
                found_by_phone.add(row.pk)
    return candidates, found_by_phone


@functools.cache
def _moment_converter(vendor: str) -> Callable[[Any], Any]:
    """A ticket's datetime column's value as the ORM converts it (SQLite's text to an aware
    datetime; PostgreSQL's driver gives one already)."""
    field = Ticket._meta.get_field("received_at")
    assert isinstance(field, Field)
    expression = field.get_col(Ticket._meta.db_table)
    converters = connection.ops.get_db_converters(expression) + expression.get_db_converters(
        connection
    )

    def convert(value: Any) -> Any:
        for converter in converters:
            value = converter(value, expression, connection)
        return value

    return convert


@functools.cache
def _candidates_sql(ways: tuple[str, ...], *, until: bool, leaving_out: bool) -> str:
    """The latest CANDIDATES tickets for each way of being alike (`phone`, `building`,
    `grid`: one parameter each, then the window's), UNION ALL, each row saying its way:
    the conditions of `_latest`, as its querysets write them (the same indexes serve)."""
    quote = connection.ops.quote_name
    meta = Ticket._meta

    def of_ticket(name: str) -> str:
        return column(Ticket, name)

    def statuses(values: Iterable[str]) -> str:
        # The code's own status names (letters and underscores), written as literals.
        return ", ".join(f"'{Status(value).value}'" for value in values)

    received, status, pk = of_ticket("received_at"), of_ticket("status"), of_ticket("id")
    window = (
        f"{received} >= %s AND ({received} >= %s OR {status} IN ({statuses(OPEN)}))"
        f" AND NOT ({status} IN ({statuses(NOT_COUNTED)}))"
    )
    if until:
        window += f" AND {received} < %s"
    if leaving_out:
        window += f" AND NOT ({pk} = %s)"
    alike = {
        "phone": f"{of_ticket('resident_phone')} = %s",
        # `NOT (… = '')` said, so that SQLite may use the partial index, as the queryset.
        "building": f"{of_ticket('building_key')} = %s AND NOT ({of_ticket('building_key')} = '')",
        "grid": f"{of_ticket('grid_id')} = %s",
    }
    read = ", ".join(of_ticket(name) for name in ("id", *READ))
    return " UNION ALL ".join(
        f"SELECT * FROM (SELECT '{way}' AS way, {read} FROM {quote(meta.db_table)}"
        f" WHERE {alike[way]} AND {window} ORDER BY {received} DESC, {pk} DESC"
        f" LIMIT {CANDIDATES}) AS {way}_alike"
        for way in ways
    )


def _latest(
    tickets: QuerySet[Ticket],
    *,
    since: dt.datetime,
    open_since: dt.datetime,
    leaving_out: int | None,
    until: dt.datetime | None = None,
) -> Any:
    tickets = (
        tickets.filter(received_at__gte=open_since)
        .filter(Q(received_at__gte=since) | Q(status__in=OPEN))
        .exclude(status__in=NOT_COUNTED)
    )
    if until is not None:
        tickets = tickets.filter(received_at__lt=until)
    if leaving_out is not None:
        tickets = tickets.exclude(pk=leaving_out)
    return tickets.only(*READ).order_by("-received_at", "-pk")[:CANDIDATES]


def _ranked(
    matter: Matter, candidates: Iterable[C], *, by_phone: set[int]
) -> list[tuple[C, float, list[Reason]]]:
    """The candidates alike for a reason, with their score and reasons, best first."""
    text = bigrams(matter.text)
    found = []
    for ticket in candidates:
        reasons = []
        if ticket.pk in by_phone:
            reasons.append(Reason("phone"))
        if matter.home_key and ticket.address_key == matter.home_key:
            reasons.append(Reason("home"))
        elif matter.building_key and ticket.building_key == matter.building_key:
            reasons.append(Reason("building"))
        similarity = content_similarity(text, bigrams(f"{ticket.title} {ticket.content}"))
        if similarity >= CONTENT_SIMILAR:
            reasons.append(Reason("content", round(similarity, 2)))
        if not reasons:
            continue
        unlikely = math.prod(1 - reason.weight for reason in reasons)
        found.append((ticket, round(1 - unlikely, 4), reasons))
    found.sort(key=lambda item: (item[1], item[0].received_at, item[0].pk), reverse=True)
    return found


def repeat_suggestions(ticket: Ticket, found: list[SimilarTicket]) -> list[Suggestion]:
    """The first RECORDED earlier reports as Suggestion rows of `ticket` (not saved)."""
    return [
        Suggestion(
            ticket=ticket,
            kind=SuggestionKind.REPEAT,
            rank=rank,
            value=item.ticket.number,
            score=item.score,
            reasons=[reason.as_record() for reason in item.reasons],
        )
        for rank, item in enumerate(found[:RECORDED], start=1)
    ]
