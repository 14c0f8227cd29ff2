"""Unified intake (统一扎口): every channel's ticket enters through `register_ticket`."""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import functools
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jieban.errors import Conflict, InvalidInput, NotFound
from jieban.files import open_private
from jieban.inputs import aware_moment, check_text, clean_text, printable
from jieban.org.actors import Actor, Viewer, person_of
from jieban.org.models import Unit, UnitKind
from jieban.org.permissions import (
    can_attach,
    can_dispatch,
    can_mark_repeat,
    can_register,
    require,
)
from jieban.rows import BulkWriter, column
from jieban.tickets.access import access_ticket, visible_tickets
from jieban.tickets.events import (
    attachment_payload,
    channel_dispatch_payload,
    intake_payload,
    merge_payload,
    repeat_of_payload,
    repeat_payload,
)
from jieban.tickets.models import (
    MAX_SUFFIX,
    NOT_COUNTED,
    TERMINAL,
    Attachment,
    Category,
    Channel,
    EventKind,
    Status,
    Ticket,
    TicketEvent,
    TicketUnit,
)
from jieban.tickets.numbering import TICKET_PREFIX, allocate_numbers, local_day_of
from jieban.tickets.search_words import words_written_here
from jieban.tickets.transitions import (
    Action,
    apply_transition,
    dispatch_deadline,
    start_handling_clock,
)
from jieban.workcalendar.workdays import WorkdayOracle

PHONE_PATTERN = re.compile(r"^\+?[0-9][0-9 \-]{2,18}[0-9]$")
DEFAULT_CATEGORY = "other"
# Channels only machines send (through the API): a person registering a call never picks one.
MACHINE_CHANNELS = frozenset({Channel.OPEN311})
CHANNELS = frozenset(Channel.values)
# The fields' names for people, translated only when an error names one (a batch checks
# six fields of each of its 500 tickets).
_CONTENT_LABEL = gettext_lazy("The content")
_TITLE_LABEL = gettext_lazy("The title")
_RESIDENT_NAME_LABEL = gettext_lazy("The resident's name")
_PHONE_LABEL = gettext_lazy("The phone")
_ADDRESS_LABEL = gettext_lazy("The address")
_EXTERNAL_ID_LABEL = gettext_lazy("The external id")


@dataclass
class TicketDraft:
    """What a channel sends; `register_ticket` checks every field."""

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
    attachments: list[UploadedFile] = field(default_factory=list)
    # A 12345 platform's order: the platform, not the centre, decides its returns and
    # extensions.
    platform_decides: bool = False


def _aware(value: dt.datetime, *, field: str) -> dt.datetime:
    # A channel that sends local wall-clock time means the bureau's time zone.
    value = aware_moment(value, field=field)
    if value > timezone.now() + dt.timedelta(minutes=5) and field == "received_at":
        raise InvalidInput(_("The time received is in the future."), field=field)
    return value


def check_attachment(upload: UploadedFile) -> str:
    """The content type to store for `upload`, or InvalidInput saying what is wrong."""
    name = shown_file_name(upload.name or "")
    suffix = Path(name).suffix.lower()
    allowed = settings.JIEBAN_ATTACHMENT_TYPES
    if suffix not in allowed:
        raise InvalidInput(
            _("%(name)s: files of this type are not accepted (allowed: %(types)s).")
            % {"name": name, "types": " ".join(sorted(allowed))},
            field="attachments",
        )
    limit = settings.JIEBAN_ATTACHMENT_MAX_BYTES
    if upload.size is None or upload.size > limit:
        raise InvalidInput(
            _("%(name)s is larger than %(mb)d MB.") % {"name": name, "mb": limit // (1024 * 1024)},
            field="attachments",
        )
    if upload.size == 0:
        raise InvalidInput(_("%(name)s is empty.") % {"name": name}, field="attachments")
    return str(allowed[suffix])


# The intake runs on every ticket of every channel: its few fixed statements are written once
# per process instead of being compiled by the ORM on each call (SQLite and PostgreSQL alike).
# The ticket's number is one of them: `allocate_numbers` is a single upsert.


@functools.cache
def _category_sql() -> str:
    quote = connection.ops.quote_name
    meta = Category._meta
    columns = ", ".join(quote(item.column) for item in meta.concrete_fields)
    return (
        f"SELECT {columns} FROM {quote(meta.db_table)}"
        f" WHERE {quote(meta.get_field('code').column)} = %s"
        f" AND {quote(meta.get_field('is_active').column)} = %s"
    )


@functools.cache
def _external_id_sql() -> str:
    quote = connection.ops.quote_name
    meta = Ticket._meta
    return (
        f"SELECT 1 FROM {quote(meta.db_table)}"
        f" WHERE {quote(meta.get_field('channel').column)} = %s"
        f" AND {quote(meta.get_field('external_id').column)} = %s"
    )


_lock_files = threading.local()


@contextlib.contextmanager
def _one_writer_at_a_time() -> Iterator[None]:
    """On SQLite, queue intake writers on a file lock before they take the database's.

    SQLite lets one writer in at a time; the others poll with growing sleeps (busy_timeout)
    and miss the moment it is free, which caps throughput far below what the disk allows when
    several server processes register tickets at once. An exclusive `flock` on a file beside
    the database wakes the next writer as soon as the last one is done. Nothing changes inside
    an outer transaction (the lock is then already held), on PostgreSQL, or in memory.
    """
    name = str(connection.settings_dict.get("NAME") or "")
    if (
        connection.vendor != "sqlite"
        or connection.in_atomic_block
        or not name
        or name.startswith("file:")
        or name == ":memory:"
    ):
        yield
        return
    path = f"{name}.intake-lock"
    handle = getattr(_lock_files, "handle", None)
    if handle is None or getattr(_lock_files, "path", None) != path:
        if handle is not None:
            handle.close()
        # Kept open for this thread's later calls; 0600 like the database beside it.
        handle = open_private(path)
        _lock_files.handle, _lock_files.path = handle, path
    fcntl.flock(handle, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)


def _resolve_category(code: str | None) -> Category:
    code = check_text((code or "").strip(), field="category") or DEFAULT_CATEGORY
    category = next(iter(Category.objects.raw(_category_sql(), [code, True])), None)
    if category is None:
        raise InvalidInput(_("Unknown category %(code)s.") % {"code": code}, field="category")
    return category


def _resolve_unit(code: str, *, field: str, kind: str | None = None) -> Unit:
    check_text(code, field=field)
    unit = Unit.objects.filter(code=code, is_active=True).first()
    if unit is None:
        raise InvalidInput(_("Unknown unit %(code)s.") % {"code": code}, field=field)
    if kind is not None and unit.kind != kind:
        raise InvalidInput(_("%(code)s is not a grid.") % {"code": code}, field=field)
    if kind is None and not unit.can_handle_tickets:
        raise InvalidInput(_("Unit %(code)s cannot handle tickets.") % {"code": code}, field=field)
    return unit


class _Lookups:
    """Categories and units by code, each read once: a batch names the same few again and
    again. A code that names nothing is read again (and refused again) each time."""

    def __init__(self) -> None:
        self.categories: dict[str | None, Category] = {}
        self.units: dict[tuple[str, str, str | None], Unit] = {}

    def category(self, code: str | None) -> Category:
        if code not in self.categories:
            self.categories[code] = _resolve_category(code)
        return self.categories[code]

    def unit(self, code: str, *, field: str, kind: str | None = None) -> Unit:
        key = (code, field, kind)
        if key not in self.units:
            self.units[key] = _resolve_unit(code, field=field, kind=kind)
        return self.units[key]


@dataclass
class _Prepared:
    """A draft checked and built, not yet stored: the ticket (without its number), its
    intake event, and the unit and deadline of the dispatch its channel implies."""

    ticket: Ticket
    intake_event: TicketEvent
    unit: Unit | None
    due_at: dt.datetime | None
    attachment_types: list[str]


def _checked_key(draft: TicketDraft) -> str | None:
    """The draft's channel checked, and its external id as stored (None without one)."""
    if draft.channel not in CHANNELS:
        raise InvalidInput(
            _("Unknown channel %(channel)s (one of: %(choices)s).")
            % {"channel": draft.channel, "choices": ", ".join(Channel.values)},
            field="channel",
        )
    return (
        clean_text(
            draft.external_id,
            field="external_id",
            label=_EXTERNAL_ID_LABEL,
            limit=100,
            required=False,
        )
        or None
    )


def _prepared(
    draft: TicketDraft,
    *,
    external_id: str | None,
    by: Actor,
    now: dt.datetime,
    lookups: _Lookups,
) -> _Prepared:
    """Every other field of `draft` checked (InvalidInput naming the first wrong one), and
    the ticket built: the one rule of what a ticket taken in is, for one or a batch."""
    content = clean_text(
        draft.content, field="content", label=_CONTENT_LABEL, limit=4000, required=True
    )
    title = clean_text(draft.title, field="title", label=_TITLE_LABEL, limit=200, required=False)
    if not title:
        title = content.splitlines()[0][:40]
    resident_name = clean_text(
        draft.resident_name,
        field="resident_name",
        label=_RESIDENT_NAME_LABEL,
        limit=60,
        required=False,
    )
    phone = clean_text(
        draft.resident_phone, field="resident_phone", label=_PHONE_LABEL, limit=20, required=False
    )
    if phone and not PHONE_PATTERN.match(phone):
        raise InvalidInput(
            _("%(phone)s is not a phone number.") % {"phone": phone}, field="resident_phone"
        )
    address = clean_text(
        draft.address, field="address", label=_ADDRESS_LABEL, limit=300, required=False
    )
    category = lookups.category(draft.category)
    grid = lookups.unit(draft.grid, field="grid", kind=UnitKind.GRID) if draft.grid else None
    unit = lookups.unit(draft.unit, field="unit") if draft.unit else None
    if draft.due_at is not None and unit is None:
        raise InvalidInput(_("A deadline comes with the unit that must meet it."), field="unit")
    if unit is not None and draft.due_at is None:
        raise InvalidInput(
            _("A channel that assigns a unit must send its deadline."), field="due_at"
        )
    received_at = _aware(draft.received_at, field="received_at") if draft.received_at else now
    due_at = _aware(draft.due_at, field="due_at") if draft.due_at else None
    if due_at is not None and due_at < received_at:
        raise InvalidInput(_("The deadline is before the time received."), field="due_at")
    attachment_types = [check_attachment(upload) for upload in draft.attachments]

    ticket = Ticket(
        channel=draft.channel,
        external_id=external_id,
        category=category,
        grid=grid,
        title=title,
        content=content,
        address=address,
        resident_name=resident_name,
        resident_phone=phone,
        received_at=received_at,
        registered_at=now,
        registered_by=person_of(by),
        dispatch_due_at=dispatch_deadline(now),
        # 首问负责: the command centre's person who took it stays answerable for it.
        first_handler=person_of(by) if can_dispatch(by) else None,
        platform_decides=draft.platform_decides,
    )
    ticket.keep_address_keys()
    intake_event = TicketEvent(
        kind=EventKind.INTAKE,
        actor=person_of(by),
        at=now,
        from_status="",
        to_status=Status.NEW,
        payload=intake_payload(channel=draft.channel, external_id=external_id),
    )
    return _Prepared(ticket, intake_event, unit, due_at, attachment_types)


def register_ticket(
    draft: TicketDraft,
    *,
    by: Actor,
    before: Callable[[Ticket], None] | None = None,
    then: Callable[[Ticket], None] | None = None,
) -> tuple[Ticket, bool]:
    """Take a ticket in; returns (ticket, created). A replayed channel + external_id creates
    nothing and returns the ticket it created the first time. `before` reads the new ticket,
    checked but not yet stored, outside the write transaction (the suggestions worked out);
    `then` writes what goes with it (the suggestions recorded) in the ticket's own
    transaction, under the intake's lock: the less done there, the better."""
    require(can_register(by), _("Your role may not register tickets."))
    external_id = _checked_key(draft)
    if external_id is not None:
        existing = _replayed(draft.channel, external_id, by)
        if existing is not None:
            return existing, False
    now = timezone.now()
    # Built before the transaction: the less done while holding the write lock, the better.
    prepared = _prepared(draft, external_id=external_id, by=by, now=now, lookups=_Lookups())
    if before is not None:
        before(prepared.ticket)
    try:
        # Stored as a batch of one: the same statements, prepared once per process.
        _store_batch([draft], {0: prepared}, by=by, now=now, then=then)
    except IntegrityError:
        # Another request registered the same channel + external_id first.
        if external_id is None:
            raise
        existing = _replayed(draft.channel, external_id, by)
        if existing is None:
            raise
        return existing, False
    return prepared.ticket, True


# The most tickets one batch takes.
MAX_BATCH = 500
# A batch that met a concurrent one's external id starts again this many times, at most.
BATCH_ATTEMPTS = 3


@dataclass(frozen=True)
class BatchResult:
    """One draft's outcome in a batch: created (201), already there (200), or refused (400,
    or 409 for another's external id) with the error naming its field."""

    status: int
    ticket: Ticket | None = None
    error: InvalidInput | Conflict | None = None


def register_tickets(
    drafts: list[TicketDraft],
    *,
    by: Actor,
    before: Callable[[int, Ticket], None] | None = None,
    then: Callable[[dict[int, Ticket]], None] | None = None,
) -> list[BatchResult]:
    """Take up to MAX_BATCH tickets in at once: one result per draft, in order. Each draft is
    checked as `register_ticket` checks it; the valid ones are stored in one transaction
    (one number allocation, bulk inserts), each with its intake event and the dispatch its
    channel implies; a channel + external_id already there, or earlier in the batch, creates
    nothing (200). `before(index, ticket)` reads each new ticket, checked but not yet stored,
    outside the write transaction; `then` writes what goes with the new tickets (by their
    drafts' indexes) in their transaction, as `register_ticket`'s do."""
    require(can_register(by), _("Your role may not register tickets."))
    if len(drafts) > MAX_BATCH:
        raise InvalidInput(
            _("A batch holds at most %(max)d tickets (%(count)d given).")
            % {"max": MAX_BATCH, "count": len(drafts)},
            field="items",
        )
    for attempt in range(BATCH_ATTEMPTS):
        try:
            return _register_batch(drafts, by=by, before=before, then=then)
        except IntegrityError:
            # A concurrent batch or request stored one of these external ids first: the
            # next attempt finds it there.
            if attempt == BATCH_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _register_batch(
    drafts: list[TicketDraft],
    *,
    by: Actor,
    before: Callable[[int, Ticket], None] | None,
    then: Callable[[dict[int, Ticket]], None] | None,
) -> list[BatchResult]:
    results: list[BatchResult | None] = [None] * len(drafts)
    keys: dict[int, str | None] = {}
    for index, draft in enumerate(drafts):
        try:
            keys[index] = _checked_key(draft)
        except InvalidInput as exc:
            results[index] = BatchResult(400, error=exc)
    there = _replayed_many(
        {(drafts[index].channel, key) for index, key in keys.items() if key is not None}, by
    )
    now = timezone.now()
    lookups = _Lookups()
    # What this batch creates, by channel + external id, for a repeat later in the batch.
    first_of: dict[tuple[str, str], int] = {}
    repeats: dict[int, int] = {}
    prepared: dict[int, _Prepared] = {}
    for index, key in keys.items():
        draft = drafts[index]
        if key is not None:
            found = there.get((draft.channel, key))
            if isinstance(found, Conflict):
                results[index] = BatchResult(409, error=found)
                continue
            if found is not None:
                results[index] = BatchResult(200, ticket=found)
                continue
            if (draft.channel, key) in first_of:
                repeats[index] = first_of[(draft.channel, key)]
                continue
        try:
            prepared[index] = _prepared(draft, external_id=key, by=by, now=now, lookups=lookups)
        except InvalidInput as exc:
            results[index] = BatchResult(400, error=exc)
            continue
        if key is not None:
            first_of[(draft.channel, key)] = index
        if before is not None:
            before(index, prepared[index].ticket)
    if prepared:
        _store_batch(drafts, prepared, by=by, now=now, then_all=then)
    for index, item in prepared.items():
        results[index] = BatchResult(201, ticket=item.ticket)
    for index, first in repeats.items():
        results[index] = BatchResult(200, ticket=prepared[first].ticket)
    return [result for result in results if result is not None]


def _store_batch(
    drafts: list[TicketDraft],
    prepared: dict[int, _Prepared],
    *,
    by: Actor,
    now: dt.datetime,
    then: Callable[[Ticket], None] | None = None,
    then_all: Callable[[dict[int, Ticket]], None] | None = None,
) -> None:
    """The prepared tickets, their events and holdings stored in one transaction, with what
    `then` writes for each new ticket and `then_all` for all of them."""
    items = list(prepared.values())
    holdings: list[TicketUnit] = []
    dispatches: list[TicketEvent] = []
    received = [
        timezone.localdate(item.ticket.received_at) for item in items if item.unit is not None
    ]
    # The signing clocks of every dispatched ticket from one calendar: one query.
    calendar = WorkdayOracle(min(received), max(received)) if received else None
    with _one_writer_at_a_time(), transaction.atomic():
        numbers = allocate_numbers(TICKET_PREFIX, local_day_of(now), count=len(items))
        for item, number in zip(items, numbers, strict=True):
            item.ticket.number = number
            if item.unit is not None and item.due_at is not None:
                holding, event = _channel_dispatch(
                    item.ticket,
                    unit=item.unit,
                    due_at=item.due_at,
                    by=by,
                    now=now,
                    calendar=calendar,
                )
                holdings.append(holding)
                dispatches.append(event)
        tickets, events, units = _writers(connection.vendor)
        with words_written_here([item.ticket for item in items]):
            tickets.write_objects(item.ticket for item in items)
            with connection.cursor() as cursor:
                cursor.execute(_numbered_sql(len(numbers)), numbers)
                stored = dict(cursor.fetchall())
            for item in items:
                item.ticket.pk = stored[item.ticket.number]
                item.ticket._state.adding = False
                item.ticket._state.db = connection.alias
        for item in items:
            item.intake_event.ticket = item.ticket
        for event in dispatches:
            event.ticket_id = event.ticket.pk
        # The intake event first, then the dispatch: the timeline's order.
        events.write_objects([item.intake_event for item in items] + dispatches)
        for holding in holdings:
            holding.ticket_id = holding.ticket.pk
        units.write_objects(holdings)
        for index, item in prepared.items():
            uploads = drafts[index].attachments
            for upload, content_type in zip(uploads, item.attachment_types, strict=True):
                _store_attachment(item.ticket, upload, content_type, by=by, now=now)
            if then is not None:
                then(item.ticket)
        if then_all is not None:
            # What it writes may change a ticket (a rule's dispatch): it says so in the dict.
            created = {index: item.ticket for index, item in prepared.items()}
            then_all(created)
            for index, item in prepared.items():
                item.ticket = created[index]


def _numbered_sql(count: int) -> str:
    """The ids of `count` tickets by their numbers (the tickets a batch has just stored)."""
    table = connection.ops.quote_name(Ticket._meta.db_table)
    number, pk = column(Ticket, "number"), column(Ticket, "id")
    marks = ", ".join(["%s"] * count)
    return f"SELECT {number}, {pk} FROM {table} WHERE {number} IN ({marks})"


@functools.cache
def _writers(vendor: str) -> tuple[BulkWriter, BulkWriter, BulkWriter]:
    """The batch's INSERTs of tickets, events and holdings, made once per database kind."""
    return (
        BulkWriter(Ticket, with_pk=False),
        BulkWriter(TicketEvent, with_pk=False),
        BulkWriter(TicketUnit, with_pk=False),
    )


def _replayed_many(
    keys: set[tuple[str, str]], by: Viewer
) -> dict[tuple[str, str], Ticket | Conflict]:
    """The tickets already there for these channel + external id pairs (one query, and one
    for who may see them); a Conflict for those `by` may not see, as `_replayed` says."""
    if not keys:
        return {}
    found: dict[tuple[str, str], Ticket | Conflict] = {}
    external_ids = {external_id for _channel, external_id in keys}
    candidates = [
        ticket
        for ticket in Ticket.objects.filter(external_id__in=external_ids)
        if (ticket.channel, ticket.external_id) in keys
    ]
    visible = set(
        visible_tickets(by)
        .filter(pk__in=[ticket.pk for ticket in candidates])
        .values_list("pk", flat=True)
    )
    for ticket in candidates:
        key = (ticket.channel, str(ticket.external_id))
        if ticket.pk in visible:
            found[key] = ticket
        else:
            found[key] = Conflict(
                _("%(channel)s already sent %(external_id)s.")
                % {"channel": ticket.channel, "external_id": ticket.external_id}
            )
    return found


def _replayed(channel: str, external_id: str, by: Viewer) -> Ticket | None:
    with connection.cursor() as cursor:
        cursor.execute(_external_id_sql(), [channel, external_id])
        if cursor.fetchone() is None:
            return None  # the usual case, answered without the ORM
    ticket = Ticket.objects.filter(channel=channel, external_id=external_id).first()
    if ticket is None:
        return None
    if not visible_tickets(by).filter(pk=ticket.pk).exists():
        raise Conflict(
            _("%(channel)s already sent %(external_id)s.")
            % {"channel": channel, "external_id": external_id}
        )
    return ticket


def _channel_dispatch(
    ticket: Ticket,
    *,
    unit: Unit,
    due_at: dt.datetime,
    by: Actor,
    now: dt.datetime,
    calendar: WorkdayOracle | None = None,
) -> tuple[TicketUnit, TicketEvent]:
    """The dispatch a channel implies, on `ticket` (not saved), and the rows it adds: the
    unit's holding and the dispatch event."""
    ticket.status = Status.DISPATCHED
    start_handling_clock(ticket, unit=unit, now=ticket.received_at, due=due_at, calendar=calendar)
    ticket.version += 1
    holding = TicketUnit(ticket=ticket, unit=unit, first_held_at=now)
    event = TicketEvent(
        ticket=ticket,
        kind=EventKind.DISPATCH,
        actor=person_of(by),
        at=now,
        from_status=Status.NEW,
        to_status=Status.DISPATCHED,
        payload=channel_dispatch_payload(unit=unit.code, due_at=due_at),
    )
    return holding, event


# The name an attachment is shown by: the uploaded one, at most this many characters (the
# column holds 200), its suffix kept. The file itself is stored under a name made from it that
# any file system takes (`stored_file_name`).
SHOWN_NAME_CHARS = 150


def shown_file_name(name: str) -> str:
    """`name` (an upload's, or one stored earlier) as it is shown and offered for download:
    no folders, no control characters, at most SHOWN_NAME_CHARS characters."""
    shown = PurePath(printable(name).replace("\\", "/")).name.strip() or "file"
    if len(shown) <= SHOWN_NAME_CHARS:
        return shown
    suffix = PurePath(shown).suffix
    if len(suffix) > MAX_SUFFIX:
        suffix = ""
    return shown[: SHOWN_NAME_CHARS - len(suffix)] + suffix


def may_attach(actor: Viewer, ticket: Ticket) -> bool:
    """Whether `actor` may attach files to `ticket` now: `can_attach`, and the ticket is not
    finished. What the ticket page asks before it offers the upload form."""
    return ticket.status not in TERMINAL and can_attach(
        actor, ticket.unit_id, registered_by_id=ticket.registered_by_id
    )


def _store_attachment(
    ticket: Ticket, upload: UploadedFile, content_type: str, *, by: Actor, now: dt.datetime
) -> Attachment:
    name = shown_file_name(upload.name or "")
    attachment = Attachment(
        ticket=ticket,
        original_name=name,
        content_type=content_type,
        size=upload.size or 0,
        uploaded_by=person_of(by),
        uploaded_at=now,
    )
    # Files written before a rolled-back transaction are orphans, never half a ticket.
    attachment.file.save(name, upload, save=False)
    attachment.save()
    return attachment


def add_attachments(number: str, uploads: list[UploadedFile], *, by: Actor) -> list[Attachment]:
    """Attach photos or documents to a ticket, all or none: for who may, `can_attach` (403);
    a finished (closed, invalid, merged) ticket takes none (409)."""
    with transaction.atomic():
        ticket = access_ticket(by, number, for_update=True)
        require(
            can_attach(by, ticket.unit_id, registered_by_id=ticket.registered_by_id),
            _(
                "Files are attached by the command centre, the unit that holds the ticket and "
                "the person who registered it."
            ),
        )
        if ticket.status in TERMINAL:
            raise Conflict(
                _("Ticket %(number)s is %(status)s: it takes no more attachments.")
                % {"number": ticket.number, "status": Status(ticket.status).label}
            )
        # Every file checked before any is stored: a bad one leaves the ticket unchanged.
        content_types = [check_attachment(upload) for upload in uploads]
        now = timezone.now()
        attachments = []
        for upload, content_type in zip(uploads, content_types, strict=True):
            attachment = _store_attachment(ticket, upload, content_type, by=by, now=now)
            TicketEvent.objects.create(
                ticket=ticket,
                kind=EventKind.ATTACHMENT,
                actor=person_of(by),
                at=now,
                from_status=ticket.status,
                to_status=ticket.status,
                payload=attachment_payload(name=attachment.original_name, size=attachment.size),
            )
            attachments.append(attachment)
    return attachments


def add_attachment(number: str, upload: UploadedFile, *, by: Actor) -> Attachment:
    """Attach one photo or document (`add_attachments`)."""
    (attachment,) = add_attachments(number, [upload], by=by)
    return attachment


def mark_repeat(number: str, *, of: str, by: Actor, merge: bool = False) -> Ticket:
    """重复反映: `number` reports again what `of` reported. The earlier one's count goes up;
    the new one is merged into it, or kept open and linked."""
    of = (of or "").strip()
    with transaction.atomic():
        ticket = access_ticket(by, number, for_update=True)
        require(can_mark_repeat(by), _("Only the command centre marks repeat reports."))
        if not of:
            raise InvalidInput(_("Give the number of the earlier ticket."), field="number")
        if of == ticket.number:
            raise InvalidInput(_("A ticket cannot repeat itself."), field="number")
        try:
            earlier = access_ticket(by, of, for_update=True)
        except NotFound:
            raise InvalidInput(
                _("No ticket %(number)s.") % {"number": of}, field="number"
            ) from None
        if ticket.status in TERMINAL:
            raise Conflict(
                _("Ticket %(number)s is finished: it cannot be marked as a repeat.")
                % {"number": ticket.number}
            )
        if ticket.repeat_of_id is not None:
            raise Conflict(
                _("Ticket %(number)s is already marked as a repeat.") % {"number": ticket.number}
            )
        if earlier.status in NOT_COUNTED:
            raise Conflict(
                _("Ticket %(number)s is %(status)s: choose the ticket it became.")
                % {"number": earlier.number, "status": Status(earlier.status).label}
            )
        now = timezone.now()
        earlier.repeat_count += 1
        earlier.save(update_fields=["repeat_count"])
        TicketEvent.objects.create(
            ticket=earlier,
            kind=EventKind.REPEAT,
            actor=person_of(by),
            at=now,
            from_status=earlier.status,
            to_status=earlier.status,
            payload=repeat_payload(repeated_by=ticket.number, repeat_count=earlier.repeat_count),
        )
        ticket.repeat_of = earlier
        if merge:

            def apply(target: Ticket, at: dt.datetime) -> dict[str, Any]:
                target.merged_into = earlier
                target.closed_at = at
                return {**merge_payload(into=earlier.number), "repeat": True}

            apply_transition(ticket, by=by, action=Action.MERGE, apply=apply, now=now)
        else:
            ticket.save(update_fields=["repeat_of"])
            TicketEvent.objects.create(
                ticket=ticket,
                kind=EventKind.REPEAT_OF,
                actor=person_of(by),
                at=now,
                from_status=ticket.status,
                to_status=ticket.status,
                payload=repeat_of_payload(of=earlier.number),
            )
    return ticket
