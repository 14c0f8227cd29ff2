"""Ticket imports from Excel and CSV sheets (issue 12, part 3).

A **source** (`ImportSource`) names where sheets come from and maps its column headers to
ticket fields once. A file from it is **checked** first (`check_file`): every wrong cell is
listed with its row, its column's header and what is wrong, and nothing is written. Its rows
are then written only once a person (the page) or the operator (the command) **confirms**
(`confirm_import`), through the one intake (`register_tickets`, a chunk a batch), each as a
ticket of the source's channel whose `external_id` is the source's name and the row's order
number.

Nothing is imported twice: the same file again (its SHA-256, per source) is the import it was,
and a row whose order number the source already sent (in this file or another) is skipped
and counted as already there. Rows are written in chunks, each in one transaction with the
import's progress (`next_row`), so an import stopped or failed in the middle resumes where it
stopped and never holds half a row. A long one runs in the worker (`jobs.py`), a few seconds'
worth of chunks at a time, so the page shows its progress and the browser may close.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from jieban.errors import Conflict, DomainError, InvalidInput, NotFound
from jieban.exchange.models import (
    IMPORT_CHANNELS,
    ImportField,
    ImportSource,
    ImportState,
    TicketImport,
)
from jieban.inputs import FIRST_DAY, LAST_DAY, clean_text, is_id, unstorable_character
from jieban.intake.actions import PHONE_PATTERN, TicketDraft, register_tickets
from jieban.org.actors import SYSTEM, Actor, person_of
from jieban.org.models import Unit
from jieban.org.permissions import can_import_tickets, require
from jieban.sheets import NotAMoment, RowError, is_blank, listed, sheet_moment, sheet_values
from jieban.tickets.models import Category, Ticket

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 20 * 1024 * 1024
# What an .xlsx file's parts may take once unpacked (50,000 rows of text fit well within).
MAX_UNPACKED_BYTES = 300 * 1024 * 1024
MAX_ROWS = 50_000
# An import this small is written at once, in the request or the command that confirms it;
# a longer one by the worker.
RUN_AT_ONCE_ROWS = 500
# The rows written in one transaction, and how long the worker writes before it lets its
# other jobs run (the import goes on at its next turn, a couple of seconds later).
CHUNK_ROWS = 200
WORKER_TURN_SECONDS = 20.0
# A running import whose last chunk is older than this lost its worker: another takes it on.
STALE_AFTER = dt.timedelta(minutes=5)
# The wrong cells an import keeps to show (it counts them all).
MAX_LISTED_ERRORS = 1000
MAX_HEADER = 100
SOURCE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
# The external id is "<source>:<order number>": at most 100 characters (register_ticket's).
EXTERNAL_ID_SEPARATOR = ":"
MAX_ORDER_NUMBER = 100 - 40 - len(EXTERNAL_ID_SEPARATOR)

# Each field: its limit in characters (register_ticket's), whether a row must fill it.
TEXT_LIMITS = {
    ImportField.ORDER_NUMBER: MAX_ORDER_NUMBER,
    ImportField.RESIDENT_NAME: 60,
    ImportField.RESIDENT_PHONE: 20,
    ImportField.TITLE: 200,
    ImportField.CONTENT: 4000,
    ImportField.ADDRESS: 300,
    ImportField.CATEGORY: 40,
    ImportField.UNIT: 40,
}
REQUIRED = (ImportField.ORDER_NUMBER, ImportField.CONTENT)
MOMENTS = (ImportField.RECEIVED_AT, ImportField.DUE_AT)
# The headers a source's form starts from (as 12345 platforms' exports name their columns),
# and the other names a sheet's header is recognised by when a source is made from a file.
HEADERS: dict[str, tuple[str, ...]] = {
    ImportField.ORDER_NUMBER: ("工单编号", "工单号", "order number", "order_number"),
    ImportField.RECEIVED_AT: ("受理时间", "来电时间", "received at", "received_at"),
    ImportField.RESIDENT_NAME: ("来电人", "诉求人", "caller's name", "resident_name"),
    ImportField.RESIDENT_PHONE: ("来电号码", "联系电话", "caller's phone", "resident_phone"),
    ImportField.TITLE: ("标题", "title"),
    ImportField.CONTENT: ("诉求内容", "工单内容", "content"),
    ImportField.ADDRESS: ("地址", "事发地址", "address"),
    ImportField.CATEGORY: ("类别编码", "分类编码", "category code", "category"),
    ImportField.UNIT: ("承办单位编码", "单位编码", "unit code", "unit"),
    ImportField.DUE_AT: ("办理时限", "截止时间", "deadline", "due_at"),
}


def default_mapping() -> dict[str, str]:
    """Every field mapped to the header 12345 platforms' exports usually give it."""
    return {name: headers[0] for name, headers in HEADERS.items()}


def guess_mapping(headers: list[str]) -> dict[str, str]:
    """The fields a sheet's `headers` name by their usual names (Chinese or English)."""
    found = {header.strip().casefold(): header.strip() for header in headers}
    mapping = {}
    for name, known in HEADERS.items():
        header = next((found[item.casefold()] for item in known if item.casefold() in found), "")
        if header:
            mapping[name] = header
    return mapping


def _field_label(name: str) -> str:
    return str(ImportField(name).label)


# --- Sources ---------------------------------------------------------------------------------


def save_source(
    *, name: str, channel: str, mapping: dict[str, str], by: Actor
) -> tuple[ImportSource, bool]:
    """Make or change the source `name`: its channel and its mapping (field → the sheet's
    header; a field left empty is not imported). Returns (source, created). The order number
    and the content must be mapped, and no header twice."""
    require(can_import_tickets(by), _("Only the command centre's dispatchers import tickets."))
    name = (name or "").strip()
    if not SOURCE_NAME.match(name):
        raise InvalidInput(
            _("A source's name is 1 to 40 small letters, digits, '-' or '_', e.g. city-12345."),
            field="name",
        )
    if channel not in IMPORT_CHANNELS:
        raise InvalidInput(
            _("Unknown channel %(channel)s.") % {"channel": channel}, field="channel"
        )
    cleaned: dict[str, str] = {}
    seen: dict[str, str] = {}
    for item in ImportField:
        header = clean_text(
            mapping.get(item.value),
            field=f"column_{item.value}",
            label=str(item.label),
            limit=MAX_HEADER,
        )
        if not header:
            if item in REQUIRED:
                raise InvalidInput(
                    _("Give the column that holds %(field)s.") % {"field": item.label},
                    field=f"column_{item.value}",
                )
            continue
        if header.casefold() in seen:
            raise InvalidInput(
                _("The column %(header)s is already mapped to %(field)s.")
                % {"header": header, "field": _field_label(seen[header.casefold()])},
                field=f"column_{item.value}",
            )
        seen[header.casefold()] = item.value
        cleaned[item.value] = header
    now = timezone.now()
    with transaction.atomic():
        source, created = ImportSource.objects.select_for_update().get_or_create(
            name=name,
            defaults={"channel": channel, "mapping": cleaned, "created_at": now, "updated_at": now},
        )
        if not created:
            source.channel, source.mapping, source.updated_at = channel, cleaned, now
            source.save(update_fields=["channel", "mapping", "updated_at"])
    return source, created


def import_sources(by: Actor) -> QuerySet[ImportSource]:
    """Every source, for who may import."""
    require(can_import_tickets(by), _("Only the command centre's dispatchers import tickets."))
    return ImportSource.objects.all()


def access_source(by: Actor, name: str) -> ImportSource:
    """The source `name`, or NotFound."""
    require(can_import_tickets(by), _("Only the command centre's dispatchers import tickets."))
    source = ImportSource.objects.filter(name=name).first()
    if source is None:
        raise NotFound(_("No import source %(name)s.") % {"name": name})
    return source


# --- Checking a file -------------------------------------------------------------------------


@dataclass
class ImportCheck:
    """A file checked against its source: the rows ready to write (as `register_ticket` takes
    them), every wrong cell, how many rows the source already sent, and the import of the same
    file, if there was one."""

    source: ImportSource
    file_name: str
    sha256: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    rows_total: int = 0
    existing: int = 0
    previous: TicketImport | None = None

    @property
    def already_imported(self) -> bool:
        """The same file was confirmed before: importing it again changes nothing."""
        return self.previous is not None and self.previous.state != ImportState.CHECKED


class _Codes:
    """The category and unit codes a row may name, read once per file."""

    def __init__(self) -> None:
        self.categories = set(
            Category.objects.filter(is_active=True).values_list("code", flat=True)
        )
        self.units = {unit.code: unit for unit in Unit.objects.filter(is_active=True)}


# What can be wrong with a row, by code: kept with its parameters on the import, and put in
# words in the language of whoever reads it (`row_error_text`).
ROW_ERRORS = {
    "required": gettext_noop("%(label)s is required."),
    "too_long": gettext_noop("%(label)s is longer than %(max)d characters (%(length)d given)."),
    "character": gettext_noop("%(label)s contains a character that is not accepted (%(code)s)."),
    "phone": gettext_noop("%(phone)s is not a phone number."),
    "category": gettext_noop("Unknown category code %(code)s."),
    "unit": gettext_noop("Unknown unit code %(code)s."),
    "unit_handles_none": gettext_noop("Unit %(code)s cannot handle tickets."),
    "date_too_long": gettext_noop("The cell is too long for a date."),
    "not_a_date": gettext_noop(
        "%(value)s is not a date or time (write it e.g. 2026/7/14 9:05 or 2026年7月14日)."
    ),
    "date_out_of_range": gettext_noop("Give a date between %(first)s and %(last)s."),
    "future": gettext_noop("The time received is in the future."),
    "deadline_before_received": gettext_noop("The deadline is before the time received."),
    "unit_without_deadline": gettext_noop("A row that names a unit must give its deadline."),
    "deadline_without_unit": gettext_noop("A deadline comes with the unit that must meet it."),
    "same_order": gettext_noop("The same order number as row %(row)d."),
}


def row_error(number: int, column: str, kind: str, /, **params: Any) -> RowError:
    """The error `kind` (`ROW_ERRORS`) on a cell, worded now and kept as code and parameters."""
    return RowError(number, column, _(ROW_ERRORS[kind]) % params, code=kind, params=params)


def stored_error(error: RowError) -> dict[str, Any]:
    """How an import keeps a row's error: by code and parameters; an error of the intake's
    (a row refused while importing) by its words."""
    kept: dict[str, Any] = {"row": error.row, "column": error.column}
    if error.code:
        kept.update(code=error.code, params=error.params)
    else:
        kept["message"] = error.message
    return kept


def row_error_text(kept: dict[str, Any]) -> str:
    """A kept error (`stored_error`) in the active language."""
    template = ROW_ERRORS.get(str(kept.get("code") or ""))
    if template is None:
        return str(kept.get("message") or "")
    try:
        return _(template) % kept.get("params", {})
    except (KeyError, TypeError, ValueError):
        return str(kept.get("message") or template)


def _text_error(number: int, column: str, value: str, *, limit: int, required: bool) -> RowError:
    """Why `clean_text` refused a cell's `value`, as a code (`ROW_ERRORS`)."""
    text = value.strip()
    if required and not text:
        return row_error(number, column, "required", label=column)
    if len(text) > limit:
        return row_error(number, column, "too_long", label=column, max=limit, length=len(text))
    character = unstorable_character(text) or "\0"
    return row_error(number, column, "character", label=column, code=f"U+{ord(character[0]):04X}")


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # an order number or a phone typed as a number
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def _check_row(
    number: int,
    cells: dict[str, Any],
    *,
    source: ImportSource,
    codes: _Codes,
    now: dt.datetime,
    errors: list[RowError],
) -> dict[str, Any] | None:
    """One row as `register_ticket` will take it, or None with its errors added."""
    before = len(errors)

    def column(name: str) -> str:
        return source.mapping.get(name, _field_label(name))

    def wrong(name: str, kind: str, /, **params: Any) -> None:
        errors.append(row_error(number, column(name), kind, **params))

    row: dict[str, Any] = {"row": number}
    for name, limit in TEXT_LIMITS.items():
        if name not in source.mapping:
            continue
        text = _cell_text(cells.get(name))
        required = name in REQUIRED
        try:
            row[name] = clean_text(
                text, field=name, label=source.mapping[name], limit=limit, required=required
            )
        except InvalidInput:
            errors.append(_text_error(number, column(name), text, limit=limit, required=required))
    phone = row.get(ImportField.RESIDENT_PHONE, "")
    if phone and not PHONE_PATTERN.match(phone):
        wrong(ImportField.RESIDENT_PHONE, "phone", phone=phone)
    category = row.get(ImportField.CATEGORY, "")
    if category and category not in codes.categories:
        wrong(ImportField.CATEGORY, "category", code=category)
    code = row.get(ImportField.UNIT, "")
    unit = codes.units.get(code) if code else None
    if code and unit is None:
        wrong(ImportField.UNIT, "unit", code=code)
    elif unit is not None and not unit.can_handle_tickets:
        wrong(ImportField.UNIT, "unit_handles_none", code=code)
    moments: dict[str, dt.datetime] = {}
    unreadable: set[str] = set()
    for name in MOMENTS:
        value = cells.get(name)
        if name not in source.mapping or is_blank(value):
            continue
        if len(str(value)) > TEXT_LIMITS[ImportField.TITLE]:
            wrong(name, "date_too_long")
            unreadable.add(name)
            continue
        try:
            moments[name] = sheet_moment(value, field=name, end_of_day=name == ImportField.DUE_AT)
        except NotAMoment:
            wrong(name, "not_a_date", value=str(value)[:40])
            unreadable.add(name)
        except InvalidInput:
            wrong(name, "date_out_of_range", first=FIRST_DAY.isoformat(), last=LAST_DAY.isoformat())
            unreadable.add(name)
    received_at = moments.get(ImportField.RECEIVED_AT)
    due_at = moments.get(ImportField.DUE_AT)
    if received_at is not None and received_at > now + dt.timedelta(minutes=5):
        wrong(ImportField.RECEIVED_AT, "future")
    # Without a time received, the ticket is received now (`register_ticket`).
    if due_at is not None and due_at < (received_at or now):
        wrong(ImportField.DUE_AT, "deadline_before_received")
    if code and due_at is None and ImportField.DUE_AT not in unreadable:
        wrong(ImportField.DUE_AT, "unit_without_deadline")
    if due_at is not None and not code:
        wrong(ImportField.UNIT, "deadline_without_unit")
    if len(errors) > before:
        return None
    row.update({name: moment.isoformat() for name, moment in moments.items()})
    row["external_id"] = f"{source.name}{EXTERNAL_ID_SEPARATOR}{row.pop(ImportField.ORDER_NUMBER)}"
    return row


def _data_rows(
    values: Iterator[tuple[Any, ...]], source: ImportSource
) -> Iterator[tuple[int, dict[str, Any]]]:
    """The sheet's data rows, numbered as the sheet numbers them, cells by field; InvalidInput
    on `file` when a mapped column is missing or the sheet is too long."""
    header = next(values, None)
    headers = [str(value).strip() if value is not None else "" for value in header or ()]
    missing = [title for title in source.mapping.values() if title not in headers]
    if missing:
        raise InvalidInput(
            _(
                "The sheet has no column %(missing)s, which the source %(source)s maps; its "
                "columns are %(headers)s."
            )
            % {
                "missing": listed(missing),
                "source": source.name,
                "headers": listed([title for title in headers if title]) or "-",
            },
            field="file",
        )
    places = {name: headers.index(title) for name, title in source.mapping.items()}
    count = 0
    for number, row in enumerate(values, start=2):
        cells = {name: row[place] if place < len(row) else None for name, place in places.items()}
        if all(is_blank(value) for value in cells.values()):
            continue
        count += 1
        if count > MAX_ROWS:
            raise InvalidInput(
                _("The sheet has more than %(max)d rows: split it into several files.")
                % {"max": MAX_ROWS},
                field="file",
            )
        yield number, cells


def file_digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def check_file(content: bytes, *, file_name: str, source: str, by: Actor) -> ImportCheck:
    """Read and check a sheet (.xlsx or CSV) from the source named `source`, writing nothing:
    every wrong cell in `errors`; InvalidInput on `file` when the file itself is wrong."""
    origin = access_source(by, source)
    check = ImportCheck(origin, file_name=file_name[:200], sha256=file_digest(content))
    check.previous = TicketImport.objects.filter(source=origin, sha256=check.sha256).first()
    if check.already_imported:
        return check
    values = sheet_values(content, max_bytes=MAX_FILE_BYTES, max_unpacked=MAX_UNPACKED_BYTES)
    try:
        _check_rows(check, _data_rows(values, origin), now=timezone.now())
    finally:
        values.close()
    if check.rows_total == 0:
        raise InvalidInput(_("The sheet has no rows under its headers."), field="file")
    check.existing = _already_there(origin, [row["external_id"] for row in check.rows])
    return check


def _check_rows(
    check: ImportCheck, rows: Iterator[tuple[int, dict[str, Any]]], *, now: dt.datetime
) -> None:
    origin = check.source
    codes = _Codes()
    order_rows: dict[str, int] = {}
    for number, cells in rows:
        check.rows_total += 1
        row = _check_row(number, cells, source=origin, codes=codes, now=now, errors=check.errors)
        if row is None:
            continue
        first = order_rows.setdefault(row["external_id"], number)
        if first != number:
            check.errors.append(
                row_error(number, origin.mapping[ImportField.ORDER_NUMBER], "same_order", row=first)
            )
            continue
        check.rows.append(row)


def _already_there(source: ImportSource, external_ids: list[str]) -> int:
    count = 0
    for start in range(0, len(external_ids), 500):
        count += Ticket.objects.filter(
            channel=source.channel, external_id__in=external_ids[start : start + 500]
        ).count()
    return count


def record_check(check: ImportCheck, *, by: Actor) -> TicketImport:
    """Keep a check to be confirmed: a new import, or the same file's import checked again
    (a code may have been added since). An import of the same file confirmed before is
    returned unchanged."""
    require(can_import_tickets(by), _("Only the command centre's dispatchers import tickets."))
    if check.already_imported:
        assert check.previous is not None
        return check.previous
    values = {
        "file_name": check.file_name,
        "state": ImportState.CHECKED,
        "rows": [] if check.errors else check.rows,
        "errors": [stored_error(error) for error in check.errors[:MAX_LISTED_ERRORS]],
        "error_count": len(check.errors),
        "rows_total": check.rows_total,
        "next_row": 0,
        "existing_count": check.existing,
        "checked_by": person_of(by),
        "checked_at": timezone.now(),
    }
    try:
        with transaction.atomic():
            record, created = TicketImport.objects.select_for_update().get_or_create(
                source=check.source, sha256=check.sha256, defaults=values
            )
            if not created:
                if record.state != ImportState.CHECKED:
                    return record  # confirmed meanwhile, from another page or the command
                for name, value in values.items():
                    setattr(record, name, value)
                record.save()
    except IntegrityError:
        # Another request recorded the same file first.
        return TicketImport.objects.get(source=check.source, sha256=check.sha256)
    return record


# --- Confirming and writing ------------------------------------------------------------------


def imports_of(by: Actor) -> QuerySet[TicketImport]:
    """The imports, newest first, without their rows."""
    require(can_import_tickets(by), _("Only the command centre's dispatchers import tickets."))
    return TicketImport.objects.select_related("source", "confirmed_by").defer("rows")


def access_import(by: Actor, pk: int) -> TicketImport:
    """The import `pk` (without its rows), or NotFound."""
    record = imports_of(by).filter(pk=pk).first() if is_id(pk) else None
    if record is None:
        raise NotFound(_("No such import."))
    return record


# Which state an import may be confirmed from: a clean check, or a failure to resume.
CONFIRMABLE = frozenset({ImportState.CHECKED, ImportState.FAILED})


def confirm_import(pk: int, *, by: Actor, at_once: bool | None = None) -> TicketImport:
    """Confirm a checked import (or resume a failed one): its rows are written as `by` (the
    confirming person; the command's SYSTEM). A short one (at most RUN_AT_ONCE_ROWS rows
    left) is written now, a longer one by the worker, unless `at_once` says otherwise.
    409 when it has wrong rows or is confirmed already."""
    with transaction.atomic():
        record = access_import(by, pk)
        record = TicketImport.objects.select_for_update().defer("rows").get(pk=record.pk)
        if record.state not in CONFIRMABLE:
            raise Conflict(
                _("This import is %(state)s: it cannot be confirmed again.")
                % {"state": ImportState(record.state).label}
            )
        if record.error_count and record.state == ImportState.CHECKED:
            raise Conflict(_("The file has wrong rows: correct them and upload it again."))
        if record.state == ImportState.CHECKED:
            # The check counted the rows already there; the writing counts them for good.
            record.existing_count = 0
        record.state = ImportState.CONFIRMED
        record.confirmed_by = person_of(by)
        record.confirmed_at = timezone.now()
        record.failure = ""
        record.save(
            update_fields=["state", "confirmed_by", "confirmed_at", "failure", "existing_count"]
        )
    left = record.rows_total - record.next_row
    if at_once if at_once is not None else left <= RUN_AT_ONCE_ROWS:
        if claim_import(record.pk, now=timezone.now()):
            run_import(record.pk)
        record.refresh_from_db()
    return record


def claim_import(pk: int, *, now: dt.datetime) -> bool:
    """Take a confirmed import (or a running one whose worker died) to run it: a conditional
    UPDATE, so two workers never run the same import."""
    stale = now - STALE_AFTER
    claimed = (
        TicketImport.objects.filter(pk=pk)
        .filter(
            Q(state=ImportState.CONFIRMED) | Q(state=ImportState.RUNNING, heartbeat_at__lt=stale)
        )
        .update(state=ImportState.RUNNING, heartbeat_at=now)
    )
    return claimed == 1


def _actor_of(record: TicketImport) -> Actor:
    return record.confirmed_by if record.confirmed_by is not None else SYSTEM


def _draft(row: dict[str, Any], channel: str) -> TicketDraft:
    def moment(name: str) -> dt.datetime | None:
        return dt.datetime.fromisoformat(row[name]) if row.get(name) else None

    return TicketDraft(
        channel=channel,
        external_id=row["external_id"],
        content=row.get(ImportField.CONTENT, ""),
        title=row.get(ImportField.TITLE, ""),
        category=row.get(ImportField.CATEGORY) or None,
        resident_name=row.get(ImportField.RESIDENT_NAME, ""),
        resident_phone=row.get(ImportField.RESIDENT_PHONE, ""),
        address=row.get(ImportField.ADDRESS, ""),
        unit=row.get(ImportField.UNIT) or None,
        received_at=moment(ImportField.RECEIVED_AT),
        due_at=moment(ImportField.DUE_AT),
    )


class _Overtaken(Exception):
    """Another run wrote this chunk first: this one's writes are undone."""


def _never() -> bool:
    return False


def run_import(
    pk: int, *, should_stop: Callable[[], bool] = _never, seconds: float | None = None
) -> TicketImport:
    """Write a claimed (running) import's rows from `next_row` on, chunk by chunk, each chunk
    one transaction with the progress; stops between chunks when `should_stop` says so or
    after `seconds` (then it is confirmed again, for the next turn). A chunk that fails
    leaves the import failed where it stood, to be resumed."""
    record = TicketImport.objects.select_related("source", "confirmed_by").get(pk=pk)
    rows: list[dict[str, Any]] = record.rows
    by = _actor_of(record)
    started = time.monotonic()
    while record.next_row < record.rows_total:
        if should_stop() or (seconds is not None and time.monotonic() - started > seconds):
            TicketImport.objects.filter(pk=pk, state=ImportState.RUNNING).update(
                state=ImportState.CONFIRMED
            )
            break
        start = record.next_row
        chunk = rows[start : start + CHUNK_ROWS]
        try:
            created, existing, refused = _write_chunk(record, chunk, start=start, by=by)
        except _Overtaken:
            break
        except Exception as exc:
            # Whatever stopped the chunk (a person deactivated, the database gone), its writes
            # were rolled back; the import waits, failed, to be resumed.
            if not isinstance(exc, DomainError):
                logger.exception("import %s failed at row %s", pk, start)
            message = exc.message if isinstance(exc, DomainError) else repr(exc)
            TicketImport.objects.filter(pk=pk, state=ImportState.RUNNING).update(
                state=ImportState.FAILED, failure=message[:2000]
            )
            break
        record.next_row = start + len(chunk)
        record.created_count += created
        record.existing_count += existing
        record.refused_count += len(refused)
    else:
        TicketImport.objects.filter(pk=pk, state=ImportState.RUNNING).update(
            state=ImportState.DONE, finished_at=timezone.now()
        )
    record.refresh_from_db()
    return record


def _write_chunk(
    record: TicketImport, chunk: list[dict[str, Any]], *, start: int, by: Actor
) -> tuple[int, int, list[RowError]]:
    created = existing = 0
    refused: list[RowError] = []
    channel = record.source.channel
    with transaction.atomic():
        # The chunk in one batch of the one intake (bulk inserts, one number allocation).
        results = register_tickets([_draft(row, channel) for row in chunk], by=by)
        for row, result in zip(chunk, results, strict=True):
            if result.error is not None:
                # A rule that changed since the check (a unit closed): the row is refused,
                # the others go on.
                field = result.error.field or ""
                column = record.source.mapping.get(field, field)
                refused.append(RowError(row["row"], column, result.error.message))
            elif result.status == 201:
                created += 1
            else:
                existing += 1
        values: dict[str, Any] = {
            "next_row": start + len(chunk),
            "created_count": F("created_count") + created,
            "existing_count": F("existing_count") + existing,
            "refused_count": F("refused_count") + len(refused),
            "heartbeat_at": timezone.now(),
        }
        if refused:
            kept = TicketImport.objects.values_list("errors", flat=True).get(pk=record.pk)
            values["errors"] = (kept + [stored_error(error) for error in refused])[
                :MAX_LISTED_ERRORS
            ]
        written = TicketImport.objects.filter(
            pk=record.pk, state=ImportState.RUNNING, next_row=start
        ).update(**values)
        if written != 1:
            raise _Overtaken
    return created, existing, refused


@dataclass
class ImportTurn:
    """What the worker's turn did: the imports it worked on and finished."""

    worked: int = 0
    finished: int = 0


def run_due_imports(
    now: dt.datetime,
    *,
    should_stop: Callable[[], bool] = _never,
    seconds: float = WORKER_TURN_SECONDS,
) -> ImportTurn:
    """The worker's turn: the confirmed imports (and those whose worker died), oldest first,
    for about `seconds`."""
    turn = ImportTurn()
    started = time.monotonic()
    due = (
        TicketImport.objects.filter(
            Q(state=ImportState.CONFIRMED)
            | Q(state=ImportState.RUNNING, heartbeat_at__lt=now - STALE_AFTER)
        )
        .order_by("confirmed_at", "pk")
        .values_list("pk", flat=True)
    )
    for pk in list(due[:20]):
        left = seconds - (time.monotonic() - started)
        if should_stop() or left <= 0:
            break
        if not claim_import(pk, now=now):
            continue
        turn.worked += 1
        record = run_import(pk, should_stop=should_stop, seconds=left)
        if record.state == ImportState.DONE:
            turn.finished += 1
    return turn
