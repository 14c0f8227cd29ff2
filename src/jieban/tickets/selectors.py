"""Reads shared by the pages and the API; every one starts from the access rule."""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from django.db import connection, transaction
from django.db.models import BooleanField, F, Lookup, Q, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jieban.errors import InvalidInput
from jieban.inputs import aware_moment, check_day, check_text, is_id, moment_in_range
from jieban.org.actors import Viewer
from jieban.org.models import Unit, UnitKind, User
from jieban.org.permissions import can_see_full_phone, has_inbox
from jieban.tickets.access import openable_numbers, visible_tickets
from jieban.tickets.events import OTHER_TICKET_KEYS
from jieban.tickets.models import (
    CLOCK_RUNNING,
    Category,
    Channel,
    Status,
    Ticket,
    TicketEvent,
    accept_late,
    clock_running,
    dispatch_late,
    status_is,
)
from jieban.workcalendar.workdays import BASIS_WEEKENDS_ONLY, due_soon_horizon, missing_data_warning

MAX_PAGE = 200


@dataclass
class TicketFilters:
    status: str | None = None
    unit: str | None = None
    category: str | None = None
    channel: str | None = None
    # A grid's code: the tickets of that grid (its unit, whichever boundary it had then).
    grid: str | None = None
    overdue: bool = False
    due_soon: bool = False
    dispatch_late: bool = False
    accept_late: bool = False
    escalated: bool = False
    received_from: str | None = None
    received_to: str | None = None
    q: str | None = None


def _bound(value: str, *, field: str, end: bool) -> dt.datetime:
    """A date means its whole local day; a datetime is taken as given. Either between
    FIRST_DAY and LAST_DAY (`jieban.inputs`)."""
    value = value.strip()
    parsed: dt.date | None = None
    try:
        if len(value) == 10:
            parsed = parse_date(value)
        else:
            parsed_dt = parse_datetime(value)
            if parsed_dt is not None:
                return aware_moment(parsed_dt, field=field)
    except ValueError:
        parsed = None
    if parsed is None:
        raise InvalidInput(
            _("%(value)s is not a date (YYYY-MM-DD) or a date and time.") % {"value": value},
            field=field,
        )
    check_day(parsed, field=field)
    if end:
        parsed += dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(parsed, dt.time()))


# The filters given as text: codes and dates, each refused whole when it holds a character no
# text may (`check_text`). The search drops them instead (`search_text`).
TEXT_FILTERS = ("status", "unit", "category", "channel", "grid", "received_from", "received_to")


def filter_tickets(user: Viewer, filters: TicketFilters) -> QuerySet[Ticket]:
    """Visible tickets narrowed by `filters`; unknown references are InvalidInput, not empty."""
    for name in TEXT_FILTERS:
        check_text(getattr(filters, name) or "", field=name)
    unit_id = None
    if filters.unit:
        unit_id = _unit_id(user, filters.unit)
        if unit_id is None:
            raise InvalidInput(_("Unknown unit %(code)s.") % {"code": filters.unit}, field="unit")
    tickets = visible_tickets(user, unit_id=unit_id)
    if filters.status:
        statuses = [item.strip() for item in filters.status.split(",") if item.strip()]
        unknown = [item for item in statuses if item not in Status.values]
        if unknown:
            raise InvalidInput(
                _("Unknown status %(status)s.") % {"status": ", ".join(unknown)}, field="status"
            )
        # One status as `=`: SQLite uses a partial index on `status = …` only for that.
        if len(statuses) == 1:
            tickets = tickets.filter(status=statuses[0])
        else:
            tickets = tickets.filter(status__in=statuses)
    if filters.category:
        category_id = (
            Category.objects.filter(code=filters.category).values_list("pk", flat=True).first()
        )
        if category_id is None:
            raise InvalidInput(
                _("Unknown category %(code)s.") % {"code": filters.category}, field="category"
            )
        tickets = tickets.filter(category_id=category_id)
    if filters.channel:
        if filters.channel not in Channel.values:
            raise InvalidInput(
                _("Unknown channel %(channel)s.") % {"channel": filters.channel}, field="channel"
            )
        tickets = tickets.filter(channel=filters.channel)
    if filters.grid:
        grid_id = (
            Unit.objects.filter(code=filters.grid, kind=UnitKind.GRID)
            .values_list("pk", flat=True)
            .first()
        )
        if grid_id is None:
            raise InvalidInput(_("Unknown grid %(code)s.") % {"code": filters.grid}, field="grid")
        tickets = tickets.filter(grid_id=grid_id)
    if filters.overdue:
        tickets = tickets.filter(clock_running(), due_at__lt=timezone.now())
    if filters.dispatch_late:
        tickets = tickets.filter(status_is(Status.NEW), dispatch_late(timezone.now()))
    if filters.accept_late:
        tickets = tickets.filter(status_is(Status.DISPATCHED), accept_late(timezone.now()))
    if filters.escalated:
        # Reached the leaders after level 3 and still not resolved.
        tickets = tickets.filter(clock_running(), escalated_at__isnull=False)
    if filters.due_soon:
        now = timezone.now()
        tickets = tickets.filter(
            clock_running(), due_at__gte=now, due_at__lte=due_soon_horizon(now)
        )
    if filters.received_from:
        start = _bound(filters.received_from, field="received_from", end=False)
        tickets = tickets.filter(received_at__gte=start)
    if filters.received_to:
        stop = _bound(filters.received_to, field="received_to", end=True)
        tickets = tickets.filter(received_at__lt=stop)
    if filters.q:
        tickets = search_tickets(tickets, filters.q)
    return tickets


def _unit_id(user: Viewer, code: str) -> int | None:
    """The id of the unit `code`: the user's own unit, once loaded, costs no query."""
    if isinstance(user, User) and User.unit.is_cached(user):
        own = user.unit
        if own is not None and own.code == code:
            return own.pk
    return Unit.objects.filter(code=code).values_list("pk", flat=True).first()


# What a search reads. The resident's phone is not among them: phones are looked up by their
# exact number, by those who may see them (`recent_tickets_of_caller`), never searched.
SEARCHED_TEXT = ("title", "content", "address", "resident_name")
# The trigram index finds substrings of at least this many characters.
TRIGRAM = 3
MAX_QUERY = 100
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


class ILike(Lookup):  # type: ignore[type-arg]
    """`column ILIKE %pattern%` on PostgreSQL: what a pg_trgm GIN index serves.

    Django's `icontains` writes `UPPER(column::text) LIKE UPPER(…)`, which the index does not.
    A text without a letter that has a case (Chinese, digits) is matched with LIKE, the same
    answer three times as fast where the rows are read (ILIKE folds the case of every row's
    text first: at ten million tickets, 140 ms against 50 ms for the newest 50,000)."""

    lookup_name = "trigram_ilike"

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        column, column_params = self.process_lhs(compiler, connection)
        # Used as an expression, the lookup receives its text wrapped in a Value.
        text = self.rhs.value if isinstance(self.rhs, Value) else self.rhs
        pattern = f"%{connection.ops.prep_for_like_query(text)}%"
        operator = "LIKE" if uncased(text) else "ILIKE"
        return f"{column} {operator} %s", [*column_params, pattern]


def uncased(text: str) -> bool:
    """Whether no character of `text` has a case: then any case-insensitive comparison with it
    is the case-sensitive one."""
    return all(
        character.lower() == character == character.upper() == character.casefold()
        for character in text
    )


def fts5_phrase(text: str) -> str:
    """`text` as one FTS5 phrase: quoted, inner quotes doubled, so no input is query syntax."""
    return '"' + text.replace('"', '""') + '"'


# The trigram index (migration 0006), for three characters or more.
TRIGRAM_MATCHES = "SELECT rowid FROM tickets_ticket_search WHERE tickets_ticket_search MATCH %s"
# The index of single characters and pairs (migration 0010), for one or two characters, plus a
# number given whole. The index holds each word as the hex of its UTF-8 bytes after SQLite's
# lower(): the same expression makes the query's word, so the two cannot disagree.
SHORT_INDEX_MATCHES = (
    "SELECT rowid FROM tickets_ticket_short_search"
    " WHERE tickets_ticket_short_search MATCH '\"' || hex(lower(%s)) || '\"'"
)
NUMBER_MATCHES = "SELECT id FROM tickets_ticket WHERE number = %s"
SHORT_MATCHES = f"{SHORT_INDEX_MATCHES} UNION ALL {NUMBER_MATCHES}"
# Fewer matches than this are fetched and sorted; more are found by walking the tickets newest
# first, which meets a page of them soon when they are that common.
FEW_MATCHES = 1000
# From this many on, a walk that reads the text of each ticket meets a page of matches sooner
# than the walk above can collect the matches (at a million tickets: 25-45 ms either way at
# 15,000-20,000 matches; 40 ms against 115 ms at 135,000). Only where reading the text gives
# the same answers as the index (one or two characters: `icontains`); the trigram index folds
# case beyond ASCII, LIKE does not.
MANY_MATCHES = 20_000


def _fts5_search(
    tickets: QuerySet[Ticket], matches: str, params: list[str], *, scan: Q | None = None
) -> QuerySet[Ticket]:
    """The tickets whose ids `matches` (SQL) selects from an FTS5 index, in a plan that suits
    how many there are; `scan`, if given, is a condition on the ticket's row that finds the
    same tickets.

    SQLite's planner cannot tell a rare phrase from a common one. Given `id IN (matches)` it
    always fetches every match and sorts them: 1 ms for 24 matches, 1.8 s when a place name
    matches all of 200,000 tickets. Written `+id IN (…)` (the `+` hides the term from the
    planner's index choice) it walks the newest-first index and stops after a page: 12 ms for
    426 matches, 0.1 s for all of them, but it reads every ticket when there are only a few
    matches. So count the matches first, up to FEW_MATCHES (under a millisecond), and choose.
    That walk collects every match before it starts, which grows with their number; when
    `scan` exists, the matches are counted up to MANY_MATCHES (a few milliseconds) and, from
    there on, the walk tests `scan` on each ticket instead.
    """
    most = FEW_MATCHES if scan is None else MANY_MATCHES
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM ({matches} LIMIT %s)", [*params, most])
        (found,) = cursor.fetchone()
    if found < FEW_MATCHES:
        return tickets.filter(pk__in=RawSQL(matches, params))
    if scan is not None and found >= MANY_MATCHES:
        return tickets.filter(scan)
    walk = RawSQL(f'+"tickets_ticket"."id" IN ({matches})', params, output_field=BooleanField())
    return tickets.filter(walk)


# PostgreSQL's index of characters and pairs (migration 0024): a ticket holds the word.
SHORT_WORDS_HELD = (
    "jieban_short_words(tickets_ticket.title, tickets_ticket.content,"
    " tickets_ticket.address, tickets_ticket.resident_name) @> ARRAY[jieban_short_word(%s)]"
)
# From this many matches on, a page of them is met sooner by walking the newest tickets and
# reading their text than by fetching every match from the index and sorting them (measured
# at ten million tickets: bench/RESULTS.md).
PG_MANY_MATCHES = 10_000
# The memory a read of the index may take for its bitmap of matching tickets. Past work_mem
# (4 MB by default) the bitmap keeps pages instead of tickets, and PostgreSQL then works out
# again the words of every ticket on such a page (50 µs each): seconds for a common word at
# ten million tickets. 256 MB holds the pages of fifty million tickets.
BITMAP_MEMORY = "256MB"


@contextlib.contextmanager
def _through_the_index() -> Iterator[None]:
    """On PostgreSQL, the block's queries read the index of characters and pairs through a
    whole bitmap (BITMAP_MEMORY), in this process (starting parallel workers costs more than
    such a read), and never by a scan that works out each ticket's words (50 µs a ticket: the
    planner, which cannot tell how many tickets hold a word it has no statistics of, chose
    that for a word no ticket holds, 18 s at a million tickets)."""
    with _planner_settings(
        work_mem=BITMAP_MEMORY, max_parallel_workers_per_gather="0", enable_seqscan="off"
    ):
        yield


@contextlib.contextmanager
def _planner_settings(**settings: str) -> Iterator[None]:
    """PostgreSQL's `settings` for the block's queries, in a transaction (a savepoint in one
    already open), and as they were after it: SET LOCAL alone would last until the end of an
    enclosing transaction, and hold for its later queries too. One query to set them, one to
    set them back."""
    names = list(settings)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT " + ", ".join("current_setting(%s), set_config(%s, %s, true)" for _ in names),
            [item for name in names for item in (name, name, settings[name])],
        )
        row = cursor.fetchone()
        before = [row[2 * index] for index in range(len(names))]
        yield
        cursor.execute(
            "SELECT " + ", ".join("set_config(%s, %s, true)" for _ in names),
            [item for name, value in zip(names, before, strict=True) for item in (name, value)],
        )


def _short_words(text: str) -> Q:
    """PostgreSQL: the tickets whose text holds `text` (one or two characters), through the
    index, or whose number it is. Read it inside `_through_the_index`."""
    return _held_in_index(text) | Q(number=text)


# A word the statistics say this many tickets hold (and at least COMMON_SHARE of them) is
# walked to at once, without counting its matches in the index: at ten million tickets the
# index's list of the tickets holding 物业 (1.3 million) takes half a second to read, 区
# (6.4 million) nearly one. Without statistics (a table never analysed) PostgreSQL guesses
# 0.5 % of the tickets, below COMMON_SHARE: the matches are counted then.
PG_COMMON_ESTIMATE = 100_000
COMMON_SHARE = 0.01
# A common word's list is counted among this many newest tickets.
COUNTED_NEWEST = 50_000


def _common_on_postgresql(held: Q) -> bool:
    """Whether PostgreSQL's statistics say that so many tickets are `held` (a word's
    condition) that the newest tickets meet a page of them at once: for one or two characters,
    the statistics of the index of characters and pairs (ANALYZE keeps its most common ones
    with their shares); for three or more, those of the columns' values."""
    sql, params = Ticket.objects.filter(held).order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        (plan,) = cursor.fetchone()
        if isinstance(plan, str):
            plan = json.loads(plan)
        estimate = float(plan[0]["Plan"]["Plan Rows"])
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'tickets_ticket'")
        (tickets,) = cursor.fetchone()
    return estimate >= max(PG_COMMON_ESTIMATE, COMMON_SHARE * float(tickets))


def _held_in_index(text: str) -> Q:
    """PostgreSQL: the tickets whose text holds `text` (one or two characters), as the index
    of characters and pairs tells."""
    return Q(RawSQL(SHORT_WORDS_HELD, [text], output_field=BooleanField()))


def _count_common_on_postgresql(others: QuerySet[Ticket], held: Q, limit: int) -> Total:
    """How many of `others` are `held` (a common word's condition, read from the text),
    counted among the COUNTED_NEWEST newest tickets: exact when they are all the tickets there
    are; else more than `limit` when so many were met, or at least as many as were.

    A word in one ticket in ten is met 10,000 times in the newest 100,000: at ten million
    tickets, counting up to 10,000 read 94,000 of them in 0.24 s (three characters, five columns);
    the newest 50,000 are read in 50 ms (as LIKE; 140 ms as ILIKE), and the list's own page of
    them is met in a millisecond."""
    bound = (
        Ticket.objects.order_by("-received_at", "-pk")
        .values_list("received_at", flat=True)[COUNTED_NEWEST : COUNTED_NEWEST + 1]
        .first()
    )
    if bound is None:
        return count_up_to(others.filter(held), limit)
    # The newest tickets are read in turn, not through a bitmap of the word's index: a common
    # word's is a large part of the table (噪音扰's, a million entries at ten million tickets,
    # took 110 ms to read, twice the time of reading the newest tickets' text).
    with _planner_settings(enable_bitmapscan="off"):
        kept = count_up_to(others.filter(received_at__gt=bound).filter(held), limit)
    if not kept.exact:
        return kept
    return Total(kept.count, exact=False, at_least=True)


def _short_search(tickets: QuerySet[Ticket], text: str) -> QuerySet[Ticket]:
    """One or two characters on PostgreSQL: when fewer than PG_MANY_MATCHES tickets hold them
    (counted through the index), the page fetches those from the index and sorts them; else
    the newest tickets are walked, reading their text, which meets a page of matches within a
    few hundred tickets (the `_fts5_search` choice, on SQLite).

    The matches are read as `id = ANY(ARRAY(…))`: a list made once, before the tickets are
    read. Given the same condition any other way, the planner, which cannot tell how many
    tickets hold a word it has no statistics of, may walk the newest tickets working out each
    one's words (for a word no ticket held: 18 s at a million tickets)."""
    if _common_on_postgresql(_held_in_index(text)):
        return tickets.filter(_short_text(text))
    with _through_the_index(), connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM tickets_ticket WHERE {SHORT_WORDS_HELD}"
            " LIMIT %s) AS matches",
            [text, PG_MANY_MATCHES],
        )
        (found,) = cursor.fetchone()
    if found >= PG_MANY_MATCHES:
        return tickets.filter(_short_text(text))
    listed = RawSQL(
        f'"tickets_ticket"."id" = ANY(ARRAY(SELECT id FROM tickets_ticket'
        f" WHERE {SHORT_WORDS_HELD}))",
        [text],
        output_field=BooleanField(),
    )
    return tickets.filter(Q(listed) | Q(number=text))


def _short_text(text: str) -> Q:
    """What one or two characters find: the whole number, or any part of a text column."""
    condition = Q(number=text)
    for name in SEARCHED_TEXT:
        condition |= Q(**{f"{name}__icontains": text})
    return condition


def search_text(query: str | None) -> str:
    """What a search looks for: `query` without control characters, trimmed, at most
    MAX_QUERY characters; empty for no search."""
    return CONTROL_CHARACTERS.sub("", query or "").strip()[:MAX_QUERY]


def search_tickets(tickets: QuerySet[Ticket], query: str) -> QuerySet[Ticket]:
    """Tickets whose number or text contains `query`, case-insensitively.

    Three characters or more: any substring of the number, title, content, address or
    resident's name, through the trigram index (SQLite FTS5, PostgreSQL pg_trgm). Fewer (a
    Chinese word of two characters, or one): the exact number, or any substring of the text
    columns as `icontains` finds it, through the index of characters and pairs (SQLite's
    FTS5 one, PostgreSQL's GIN one), or for a word that common, by walking the newest tickets.
    """
    text = search_text(query)
    if not text:
        return tickets
    if connection.vendor == "sqlite":
        if len(text) < TRIGRAM:
            return _fts5_search(tickets, SHORT_MATCHES, [text, text], scan=_short_text(text))
        return _fts5_search(tickets, TRIGRAM_MATCHES, [fts5_phrase(text)])
    if len(text) < TRIGRAM:
        return _short_search(tickets, text)
    return tickets.filter(_trigram_text(text))


def _trigram_text(text: str) -> Q:
    """PostgreSQL: three characters or more in the number or a text column, through pg_trgm's
    indexes (one a column, combined by a BitmapOr)."""
    condition = Q(ILike(F("number"), text))
    for name in SEARCHED_TEXT:
        condition |= Q(ILike(F(name), text))
    return condition


# A caller's number is looked up once it is this long; fewer digits are still being typed.
MIN_CALLER_PHONE = 5
RECENT_FOR_CALLER = 5


def tickets_with_full_phone(user: Viewer) -> QuerySet[Ticket]:
    """The visible tickets whose resident's full phone `user` may see: `may_see_full_phone`
    as a query. Looking tickets up by a phone tells whose number it is, so only these may be."""
    tickets = visible_tickets(user)
    if can_see_full_phone(user, unit_id=None):  # on every ticket, whoever holds it
        return tickets
    if isinstance(user, User) and has_inbox(user) and user.unit_id is not None:
        return tickets.filter(unit_id=user.unit_id)
    return tickets.none()


def recent_tickets_of_caller(
    user: Viewer, phone: str, *, limit: int = RECENT_FOR_CALLER
) -> list[Ticket]:
    """The latest tickets with exactly this resident's phone that `user` may see it on."""
    phone = (phone or "").strip()
    if len(phone) < MIN_CALLER_PHONE or len(phone) > 20:
        return []
    return list(
        tickets_with_full_phone(user)
        .filter(resident_phone=phone)
        .select_related("category", "unit")
        .order_by("-received_at", "-pk")[:limit]
    )


def encode_cursor(moment: dt.datetime, pk: int) -> str:
    """An opaque cursor for keyset pagination on (a datetime, id), newest first."""
    raw = f"{moment.isoformat()}|{pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = base64.urlsafe_b64decode(padded.encode()).decode()
        stamp, pk_text = raw.split("|")
        received, pk = dt.datetime.fromisoformat(stamp), int(pk_text)
        # Only cursors this server wrote: an aware moment, in range, and an id.
        if timezone.is_naive(received) or not moment_in_range(received) or not is_id(pk):
            raise ValueError(raw)
        return received, pk
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput(
            _("The cursor is not one this server gave out."), field="cursor"
        ) from None


@dataclass
class TicketPage:
    """One page of a list, newest first, with the cursors of the pages on either side."""

    rows: list[Ticket]
    # `cursor=` for the next (older) page, `before=` for the previous (newer) one.
    next: str | None
    previous: str | None


def ticket_page(
    tickets: QuerySet[Ticket], *, cursor: str | None, limit: int, before: str | None = None
) -> TicketPage:
    """Newest received first, keyset-paginated both ways: `cursor` asks for the page after
    a ticket, `before` for the page before one (a person going back)."""
    if limit < 1 or limit > MAX_PAGE:
        raise InvalidInput(
            _("The limit must be between 1 and %(max)d.") % {"max": MAX_PAGE}, field="limit"
        )
    if before:
        received, pk = decode_cursor(before)
        newer = tickets.filter(Q(received_at__gt=received) | Q(received_at=received, pk__gt=pk))
        # The nearest newer ones: read oldest first, from the same index walked backwards.
        ids = list(newer.order_by("received_at", "pk").values_list("pk", flat=True)[: limit + 1])
        if not ids:
            # Nothing newer is left (the tickets moved out of the filter): the first page.
            return ticket_page(tickets, cursor=None, limit=limit)
        more_before = len(ids) > limit
        ids = ids[:limit]
    else:
        if cursor:
            received, pk = decode_cursor(cursor)
            tickets = tickets.filter(
                Q(received_at__lt=received) | Q(received_at=received, pk__lt=pk)
            )
        # The page's ids first, then their rows. When the filter's index is not in received
        # order (overdue, a search), SQLite sorts what it selects: ids alone can come from
        # the index, whole rows with their joins cannot (18,000 overdue: 95 ms against 10).
        ids = list(
            tickets.order_by("-received_at", "-pk").values_list("pk", flat=True)[: limit + 1]
        )
        more_before = bool(cursor)
    rows = list(
        Ticket.objects.filter(pk__in=ids)
        .select_related("category", "unit", "grid", "merged_into", "first_handler", "repeat_of")
        .order_by("-received_at", "-pk")
    )
    if before:
        # Going back, the page after this one is the one the person came from.
        more_after = True
    else:
        more_after = len(rows) > limit
        rows = rows[:limit]
    next_cursor = encode_cursor(rows[-1].received_at, rows[-1].pk) if more_after and rows else None
    previous = None
    if more_before:
        # With no row left on this page, the way back starts from where it began.
        previous = encode_cursor(rows[0].received_at, rows[0].pk) if rows else cursor
    return TicketPage(rows, next_cursor, previous)


def page_of_tickets(
    tickets: QuerySet[Ticket], *, cursor: str | None, limit: int
) -> tuple[list[Ticket], str | None]:
    """Newest received first, keyset-paginated: the next page starts after the cursor."""
    page = ticket_page(tickets, cursor=cursor, limit=limit)
    return page.rows, page.next


# A list counts its rows exactly up to this many and says "more than" this many beyond, so
# that a list of a million tickets is not counted row by row on every page.
EXACT_COUNT_UP_TO = 10_000


@dataclass(frozen=True)
class Total:
    """How many rows a list holds: `count` exactly; when not `exact`, more than `count`, or
    (`at_least`) at least `count`."""

    count: int
    exact: bool = True
    at_least: bool = False


def count_up_to(rows: QuerySet[Any], limit: int) -> Total:
    """Count `rows`, stopping after `limit` + 1: exact up to `limit`, "more than" beyond."""
    found = rows.order_by()[: limit + 1].count()
    if found > limit:
        return Total(limit, exact=False)
    return Total(found)


def count_tickets(
    user: Viewer,
    filters: TicketFilters,
    *,
    limit: int,
    tickets: QuerySet[Ticket] | None = None,
) -> Total:
    """How many tickets `filters` select (`tickets`, when the caller has them already), as
    `count_up_to` counts them.

    Except a text search on SQLite, counted through its index: of its newest `limit` + 1
    matches, those the other filters keep. A count over the tickets would walk them until
    `limit` + 1 matched, which for a word in one ticket in thirty is a third of a million
    rows at a million tickets; this reads at most `limit` + 1 of the index's. When the index
    holds more matches than that and the filters keep `limit` or fewer of them, the older
    matches were not looked at, and the count is what it is at least.
    """
    text = search_text(filters.q)
    if text and connection.vendor == "postgresql":
        others = filter_tickets(user, replace(filters, q=None))
        if len(text) >= TRIGRAM:
            # A phrase the statistics call common is counted among the newest tickets.
            phrase = _trigram_text(text)
            if _common_on_postgresql(phrase):
                return _count_common_on_postgresql(others, phrase, limit)
            return count_up_to(others.filter(phrase), limit)
        # Through PostgreSQL's index of characters and pairs, beside the other filters'.
        if _common_on_postgresql(_held_in_index(text)):
            return _count_common_on_postgresql(others, _short_text(text), limit)
        with _through_the_index():
            return count_up_to(others.filter(_short_words(text)), limit)
    if not text or connection.vendor != "sqlite":
        return count_up_to(tickets if tickets is not None else filter_tickets(user, filters), limit)
    others = filter_tickets(user, replace(filters, q=None))
    if len(text) < TRIGRAM:
        index, params = SHORT_INDEX_MATCHES, [text]
    else:
        index, params = TRIGRAM_MATCHES, [fts5_phrase(text)]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM ({index} LIMIT %s)", [*params, limit + 1])
        (in_index,) = cursor.fetchone()
    # FTS5 reads its rowids newest first as cheaply as oldest first.
    newest = f"SELECT rowid FROM ({index} ORDER BY rowid DESC LIMIT %s)"
    matched = [*params, limit + 1]
    if len(text) < TRIGRAM:
        newest, matched = f"{newest} UNION ALL {NUMBER_MATCHES}", [*matched, text]
    kept = count_up_to(others.filter(pk__in=RawSQL(newest, matched)), limit)
    if not kept.exact or in_index <= limit:
        return kept
    return Total(kept.count, exact=False, at_least=True)


def closing_note(ticket: Ticket) -> str:
    """The closing note as the pages and the API show it: nothing when it only repeats the
    result. A ticket answered on the spot keeps its answer as both (`close_ticket`), and the
    answer is shown once, as the result."""
    return "" if ticket.close_note == ticket.result else ticket.close_note


# What a ticket's history and links say in place of a ticket the viewer may not open: its
# number would tell them it exists, when it came in, and that someone else handles it.
ANOTHER_TICKET = gettext_lazy("another ticket")


def shown_number(number: str | None, openable: set[str]) -> str | None:
    """`number` if it is among the `openable` ones (`openable_numbers`), else "another
    ticket"; None stays None."""
    if number is None:
        return None
    return number if number in openable else str(ANOTHER_TICKET)


def linked_numbers(tickets: Iterable[Ticket]) -> set[str]:
    """The numbers of the tickets these are merged into or repeats of (with them selected)."""
    return {
        linked.number
        for ticket in tickets
        for linked in (ticket.merged_into, ticket.repeat_of)
        if linked is not None
    }


def ticket_timeline(ticket: Ticket, viewer: Viewer) -> list[TicketEvent]:
    """The ticket's events, oldest first, as `viewer` may read them: another ticket named in
    one (merged into or from, a repeat of, reported again as) that `viewer` may not open is
    named "another ticket". The events are copies to show, never to save."""
    events = list(ticket.events.select_related("actor").order_by("at", "pk"))
    named = {
        str(event.payload[key])
        for event in events
        if isinstance(event.payload, dict)
        for key in OTHER_TICKET_KEYS
        if event.payload.get(key)
    }
    openable = openable_numbers(viewer, named)
    if named <= openable:
        return events
    for event in events:
        payload = event.payload
        if isinstance(payload, dict) and any(payload.get(key) for key in OTHER_TICKET_KEYS):
            event.payload = {
                key: shown_number(str(value), openable)
                if key in OTHER_TICKET_KEYS and value
                else value
                for key, value in payload.items()
            }
    return events


# How many tickets of each inbox section are listed; the count says how many there are in all
# and links to the ticket list of every one.
INBOX_SHOWN = 50


@dataclass
class InboxSection:
    key: str
    count: int
    tickets: list[Ticket]
    # The ticket-list filters of the whole section: its count is the length of that list.
    filters: TicketFilters


@dataclass
class Inbox:
    overdue: InboxSection
    due_soon: InboxSection
    to_accept: InboxSection
    accept_late: InboxSection
    in_progress: InboxSection

    @property
    def sections(self) -> list[InboxSection]:
        # The late ones are among those to accept: counted and listed apart, not shown twice.
        return [self.overdue, self.due_soon, self.to_accept, self.in_progress]


def inbox_filters(user: User) -> dict[str, TicketFilters]:
    """The four lists of a unit's inbox, as ticket-list filters on the unit's tickets."""
    assert user.unit is not None, "an inbox is a unit's"
    code = user.unit.code
    return {
        "overdue": TicketFilters(unit=code, overdue=True),
        "due_soon": TicketFilters(unit=code, due_soon=True),
        "to_accept": TicketFilters(unit=code, status=Status.DISPATCHED),
        "accept_late": TicketFilters(unit=code, accept_late=True),
        "in_progress": TicketFilters(unit=code, status=Status.IN_PROGRESS),
    }


def unit_inbox(user: User, *, shown: int | None = None) -> Inbox | None:
    """A unit's open tickets in four lists, each counted in full and its first `shown`
    (INBOX_SHOWN) listed, soonest deadline first; None for someone who belongs to no unit."""
    if user.unit_id is None:
        return None
    shown = shown or INBOX_SHOWN
    sections = {}
    for key, filters in inbox_filters(user).items():
        tickets = filter_tickets(user, filters)
        listed = list(tickets.select_related("category", "unit").order_by("due_at", "pk")[:shown])
        count = len(listed) if len(listed) < shown else tickets.count()
        sections[key] = InboxSection(key, count, listed, filters)
    return Inbox(**sections)


def inbox_counts(user: User) -> dict[str, InboxSection]:
    """How many tickets each inbox list holds, without listing them."""
    return {
        key: InboxSection(key, filter_tickets(user, filters).count(), [], filters)
        for key, filters in inbox_filters(user).items()
    }


def most_urgent(user: User, *, limit: int) -> list[Ticket]:
    """The unit's running tickets overdue or due soon, the soonest deadline first (so the
    overdue come first)."""
    if user.unit_id is None:
        return []
    horizon = due_soon_horizon(timezone.now())
    return list(
        visible_tickets(user, unit_id=user.unit_id)
        .filter(clock_running(), due_at__lte=horizon)
        .select_related("category", "unit")
        .order_by("due_at", "pk")[:limit]
    )


def is_due_soon(ticket: Ticket, *, now: dt.datetime, horizon: dt.datetime) -> bool:
    """The clock runs and the deadline falls before the end of the next working day."""
    return (
        ticket.status in CLOCK_RUNNING
        and ticket.due_at is not None
        and now <= ticket.due_at <= horizon
    )


def deadline_warning(ticket: Ticket) -> str | None:
    """The warning a ticket's deadline carries when its year had no official calendar (the
    deadline then counts weekends only): the pages and the API show the same words."""
    if ticket.due_basis != BASIS_WEEKENDS_ONLY or ticket.due_at is None:
        return None
    return missing_data_warning([timezone.localtime(ticket.due_at).year])
