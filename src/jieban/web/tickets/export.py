"""The ticket list, as filtered, in an Excel workbook. Phones are masked, always.

The workbook is written row by row (openpyxl's write-only mode) from a database cursor read in
chunks, into a temporary file that the response then streams: memory stays flat whatever the
number of rows. At most MAX_ROWS rows; a last row says so when there were more.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from typing import IO, Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from jieban.org.models import Unit
from jieban.tickets.access import mask_phone
from jieban.tickets.models import CLOCK_RUNNING, Category, Channel, Status, Ticket
from jieban.web.excel import XLSX as XLSX
from jieban.web.excel import guarded_row, without_phones
from jieban.web.forms import localized_name

MAX_ROWS = 50_000
CHUNK = 2_000
# What the rows read: not the content, which is the bulk of a ticket and not exported.
EXPORTED_FIELDS = (
    "number",
    "received_at",
    "channel",
    "status",
    "due_at",
    "title",
    "address",
    "resident_name",
    "resident_phone",
    "result",
    "category__name",
    "category__name_en",
    "unit__name",
    "unit__name_en",
)
# Column widths in characters; the order is the header's.
WIDTHS = (18, 17, 12, 16, 16, 10, 17, 8, 40, 30, 12, 14, 40)


def _header() -> list[str]:
    return [
        _("Number"),
        _("Received at"),
        _("Channel"),
        _("Category"),
        _("Unit"),
        _("Status"),
        _("Due at"),
        _("Overdue"),
        _("Title"),
        _("Address"),
        _("Resident name"),
        _("Phone"),
        _("Result"),
    ]


class _RowMaker:
    """Turns tickets into rows. Labels and names are looked up once per export, not per row:
    at tens of thousands of rows the per-row lookups cost more than the database."""

    def __init__(self) -> None:
        self.channels = {value: str(label) for value, label in Channel.choices}
        self.statuses = {value: str(label) for value, label in Status.choices}
        self.yes, self.no = _("yes"), _("no")
        self.names: dict[tuple[str, int], str] = {}
        self.zone = timezone.get_current_timezone()
        self.now = timezone.now()

    def name(self, item: Category | Unit | None) -> str:
        if item is None:
            return ""
        key = (type(item).__name__, item.pk)
        if key not in self.names:
            self.names[key] = localized_name(item)
        return self.names[key]

    def local(self, moment: dt.datetime | None) -> dt.datetime | None:
        # Excel has no time zones: write the bureau's wall-clock time.
        return moment.astimezone(self.zone).replace(tzinfo=None) if moment else None

    def row(self, ticket: Ticket) -> list[Any]:
        overdue = (
            ticket.status in CLOCK_RUNNING
            and ticket.due_at is not None
            and ticket.due_at < self.now
        )
        return [
            ticket.number,
            self.local(ticket.received_at),
            self.channels.get(ticket.channel, ticket.channel),
            self.name(ticket.category),
            self.name(ticket.unit),
            self.statuses.get(ticket.status, ticket.status),
            self.local(ticket.due_at),
            self.yes if overdue else self.no,
            without_phones(ticket.title),
            without_phones(ticket.address),
            without_phones(ticket.resident_name),
            mask_phone(ticket.resident_phone),
            without_phones(ticket.result),
        ]


def write_tickets(tickets: QuerySet[Ticket], target: IO[bytes]) -> int:
    """Write `tickets`, newest first, to `target` as .xlsx; returns the rows written."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Tickets"))
    for index, width in enumerate(WIDTHS):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    sheet.freeze_panes = "A2"
    sheet.append(guarded_row(sheet, _header(), font=Font(bold=True)))
    maker = _RowMaker()
    rows = (
        tickets.select_related("category", "unit")
        .only(*EXPORTED_FIELDS)
        .order_by("-received_at", "-pk")[: MAX_ROWS + 1]
        .iterator(chunk_size=CHUNK)
    )
    written = 0
    for ticket in rows:
        if written == MAX_ROWS:
            sheet.append(
                guarded_row(
                    sheet,
                    [
                        _(
                            "Only the first %(max)s tickets are exported: narrow the filters "
                            "to export the rest."
                        )
                        % {"max": f"{MAX_ROWS:,}"}
                    ],
                    font=Font(bold=True),
                )
            )
            break
        sheet.append(guarded_row(sheet, maker.row(ticket)))
        written += 1
    book.save(target)
    return written


def export_file(tickets: QuerySet[Ticket]) -> IO[bytes]:
    """The workbook in a temporary file, rewound: removed when the response closes it."""
    target = tempfile.TemporaryFile()  # noqa: SIM115 - the response closes it
    write_tickets(tickets, target)
    target.seek(0)
    return target
