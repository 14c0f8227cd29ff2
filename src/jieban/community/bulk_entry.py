"""Bulk entry of building heads from an Excel sheet: one row per building head (name, phone,
buildings, term start, term end), each made a person with the `building_head` role (or found
by phone) and given an appointment letter through `issue_appointment`, so the numbering, the
checks and the history are those of a letter issued by hand.

All or nothing: every row is checked first and every error reported with its row and column;
when any row is wrong nothing is written, and the writes themselves run in one transaction
that is rolled back if a letter is refused there.

The workbook is read defensively: its size, its unpacked size (a zip bomb), its type, its
headers, its number of rows and the length of each cell are bounded, and every text goes
through the input rules (`jieban.inputs`), so a bad file is a clear message, never a crash.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jieban.community.access import is_bureau_wide, visible_buildings
from jieban.community.appointments import issue_appointment
from jieban.community.models import Appointment, Building, Post
from jieban.community.selectors import grids_on
from jieban.errors import InvalidInput
from jieban.inputs import check_day, clean_text, is_id, parse_day
from jieban.org.actions import create_person
from jieban.org.actors import Actor
from jieban.org.models import Role, Unit, UnitKind, User
from jieban.org.permissions import can_issue_appointments, require
from jieban.sheets import RowError, SheetRow, is_blank, listed, workbook_values

MAX_FILE_BYTES = 2 * 1024 * 1024
# What the workbook's parts may take once unpacked: a small file that unpacks to gigabytes is
# refused before openpyxl reads it.
MAX_UNPACKED_BYTES = 30 * 1024 * 1024
MAX_ROWS = 500
MAX_CELL = 200
MAX_NAME = 60
# Between the buildings of one cell: the Chinese enumeration comma, commas, semicolons.
BUILDING_SEPARATORS = re.compile(r"[、,，;；]")
PHONE_PATTERN = re.compile(r"^\+?[0-9][0-9 \-]{2,18}[0-9]$")
# The columns, in the template's order, with their headers.
COLUMNS: tuple[tuple[str, Any], ...] = (
    ("name", gettext_lazy("Name")),
    ("phone", gettext_lazy("Phone")),
    ("buildings", gettext_lazy("Buildings")),
    ("starts_on", gettext_lazy("Term starts")),
    ("ends_on", gettext_lazy("Term ends")),
)
# The column an error of `create_person` or `issue_appointment` belongs to, by its field.
WRITE_FIELDS = {
    "person": "phone",
    "username": "phone",
    "unit": "buildings",
    "buildings": "buildings",
    "starts_on": "starts_on",
    "ends_on": "ends_on",
}


@dataclass
class HeadEntry:
    """A row once checked: who, which buildings, which term."""

    row: int
    name: str
    phone: str
    buildings: list[Building]
    starts_on: dt.date
    ends_on: dt.date
    person: User | None


@dataclass
class BulkEntry:
    """The outcome: the letters issued and the people created, or the errors (then nothing
    was written)."""

    letters: list[Appointment] = field(default_factory=list)
    created: list[User] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def column_headers() -> list[str]:
    """The template's headers in the active language."""
    return [str(label) for _key, label in COLUMNS]


def _known_headers() -> dict[str, str]:
    """Every language's header → column key: a sheet filled in Chinese or English is read."""
    known: dict[str, str] = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            known.update({str(label).casefold(): key for key, label in COLUMNS})
    known.update({key: key for key, _label in COLUMNS})
    return known


def read_sheet(content: bytes) -> list[SheetRow]:
    """The data rows of the workbook's first sheet, or InvalidInput on `file` when the file
    is not a workbook, is empty, too large, has other headers or too many rows."""
    values = workbook_values(
        content,
        max_bytes=MAX_FILE_BYTES,
        max_unpacked=MAX_UNPACKED_BYTES,
        not_a_workbook=_(
            "The file is not an Excel workbook (.xlsx): download the template and fill it in."
        ),
    )
    try:
        return _rows_of(values)
    finally:
        values.close()


def _rows_of(rows: Iterator[tuple[Any, ...]]) -> list[SheetRow]:
    header = next(rows, None)
    known = _known_headers()
    keys = [
        known.get(str(value).strip().casefold()) if value is not None else None
        for value in header or ()
    ]
    missing = [str(label) for key, label in COLUMNS if key not in keys]
    if missing:
        raise InvalidInput(
            _("The first row must be the template's headers: %(headers)s (missing: %(missing)s).")
            % {"headers": listed(column_headers()), "missing": listed(missing)},
            field="file",
        )
    found: list[SheetRow] = []
    for number, values in enumerate(rows, start=2):
        cells = {key: value for key, value in zip(keys, values, strict=False) if key}
        if all(is_blank(value) for value in cells.values()):
            continue
        if len(found) == MAX_ROWS:
            raise InvalidInput(
                _("The sheet has more than %(max)d rows: split it into several files.")
                % {"max": MAX_ROWS},
                field="file",
            )
        found.append(SheetRow(number, cells))
    if not found:
        raise InvalidInput(_("The sheet has no building head under its headers."), field="file")
    return found


def _label(key: str) -> str:
    return next(str(label) for column, label in COLUMNS if column == key)


def _text(row: SheetRow, key: str, errors: list[RowError], *, limit: int) -> str:
    value = row.cells.get(key)
    if value is None:
        text = ""
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))  # a phone typed as a number
    else:
        text = str(value)
    if len(text) > MAX_CELL:
        errors.append(
            RowError(row.number, _label(key), _("The cell is longer than %(max)d characters.")
                     % {"max": MAX_CELL})
        )  # fmt: skip
        return ""
    try:
        return clean_text(text, field=key, label=_label(key), limit=limit, required=True)
    except InvalidInput as exc:
        errors.append(RowError(row.number, _label(key), exc.message))
        return ""


def _day(row: SheetRow, key: str, errors: list[RowError]) -> dt.date | None:
    value = row.cells.get(key)
    try:
        if isinstance(value, dt.datetime):
            return check_day(value.date(), field=key)
        if isinstance(value, dt.date):
            return check_day(value, field=key)
        if value is None or str(value).strip() == "":
            raise InvalidInput(_("%(label)s is required.") % {"label": _label(key)}, field=key)
        if len(str(value)) > MAX_CELL:
            raise InvalidInput(
                _("The cell is longer than %(max)d characters.") % {"max": MAX_CELL}, field=key
            )
        return parse_day(str(value).strip().replace("/", "-").replace(".", "-"), field=key)
    except InvalidInput as exc:
        errors.append(RowError(row.number, _label(key), exc.message))
        return None


class _Places:
    """The buildings a row may name: those of the station's area today, by id, by name and
    by "grid code/name"; and every building of the bureau, to tell "outside your area" from
    "unknown"."""

    def __init__(self, actor: Actor, station: Unit) -> None:
        today = timezone.localdate()
        area = [place.grid.pk for place in grids_on(today, station_id=station.pk)]
        self.area = list(visible_buildings(actor).filter(grid__in=area).select_related("grid"))

    def find(self, token: str) -> tuple[Building | None, str]:
        """The building `token` names, or None with the reason."""
        if token.isascii() and token.isdigit():
            matches = [building for building in self.area if str(building.pk) == token]
            number = int(token)
            elsewhere = is_id(number) and Building.objects.filter(pk=number).exists()
        elif "/" in token:
            grid, _slash, name = (part.strip() for part in token.partition("/"))
            matches = [b for b in self.area if b.grid.code == grid and b.name == name]
            elsewhere = Building.objects.filter(grid__code=grid, name=name).exists()
        else:
            matches = [building for building in self.area if building.name == token]
            elsewhere = Building.objects.filter(name=token).exists()
        if len(matches) == 1:
            return matches[0], ""
        if len(matches) > 1:
            return None, _(
                "%(building)s: several buildings of your area have this name; write it as "
                "grid code/name."
            ) % {"building": token}
        if elsewhere:
            return None, _("%(building)s: not a building of your station's area.") % {
                "building": token
            }
        return None, _("%(building)s: no such building.") % {"building": token}


def _person_by_phone(phone: str) -> list[User]:
    digits = re.sub(r"\D", "", phone)
    return list(User.objects.filter(Q(phone=phone) | Q(username=digits)).select_related("unit"))


def _check_row(row: SheetRow, places: _Places, errors: list[RowError]) -> HeadEntry | None:
    before = len(errors)
    name = _text(row, "name", errors, limit=MAX_NAME)
    phone = re.sub(r"[\s\-]", "", _text(row, "phone", errors, limit=20))
    if phone and not PHONE_PATTERN.match(phone):
        errors.append(
            RowError(row.number, _label("phone"),
                     _("%(phone)s is not a phone number.") % {"phone": phone})
        )  # fmt: skip
        phone = ""
    found: list[Building] = []
    for token in BUILDING_SEPARATORS.split(_text(row, "buildings", errors, limit=MAX_CELL)):
        if not token.strip():
            continue
        building, reason = places.find(token.strip())
        if building is None:
            errors.append(RowError(row.number, _label("buildings"), reason))
        elif building not in found:
            found.append(building)
    starts_on = _day(row, "starts_on", errors)
    ends_on = _day(row, "ends_on", errors)
    if starts_on and ends_on and ends_on < starts_on:
        errors.append(RowError(row.number, _label("ends_on"), _("The term ends before it starts.")))
    person: User | None = None
    if phone:
        people = _person_by_phone(phone)
        if len(people) > 1:
            errors.append(
                RowError(row.number, _label("phone"),
                         _("%(phone)s: several people have this phone.") % {"phone": phone})
            )  # fmt: skip
        elif people:
            person = people[0]
            if person.role != Role.BUILDING_HEAD:
                errors.append(
                    RowError(row.number, _label("phone"),
                             _("%(phone)s is %(person)s's, a %(role)s, not a building head.")
                             % {"phone": phone, "person": person.display_name,
                                "role": person.get_role_display()})
                )  # fmt: skip
            elif not person.is_active:
                errors.append(
                    RowError(row.number, _label("phone"),
                             _("%(person)s is deactivated.") % {"person": person.display_name})
                )  # fmt: skip
    if len(errors) > before or not found:
        if not found and len(errors) == before:
            errors.append(
                RowError(row.number, _label("buildings"), _("Name at least one building."))
            )
        return None
    assert starts_on is not None and ends_on is not None
    return HeadEntry(row.number, name, phone, found, starts_on, ends_on, person)


def _issuing_station(actor: Actor, code: str | None) -> Unit:
    if not is_bureau_wide(actor):
        assert isinstance(actor, User) and actor.unit_id is not None  # a station's leader
        return Unit.objects.get(pk=actor.unit_id)
    station = Unit.objects.filter(code=code, kind=UnitKind.STATION).first() if code else None
    if station is None:
        raise InvalidInput(_("Name the police station that issues the letters."), field="station")
    return station


def check_rows(rows: list[SheetRow], *, station: str | None, by: Actor) -> list[HeadEntry]:
    """Every row checked against the issuing station's area (`station`, a code, for an
    administrator); `BulkEntryRefused` with every row's errors when any is wrong."""
    issuer = _issuing_station(by, station)
    places = _Places(by, issuer)
    errors: list[RowError] = []
    entries: list[HeadEntry] = []
    phones: dict[str, int] = {}
    for row in rows:
        entry = _check_row(row, places, errors)
        if entry is None:
            continue
        if entry.phone in phones:
            errors.append(
                RowError(row.number, _label("phone"),
                         _("A duplicate of row %(row)d: one row per building head.")
                         % {"row": phones[entry.phone]})
            )  # fmt: skip
            continue
        phones[entry.phone] = row.number
        entries.append(entry)
    if errors:
        raise BulkEntryRefused(errors)
    return entries


class BulkEntryRefused(InvalidInput):
    """Some rows are wrong: nothing was written. `errors` says where and why."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(
            _("%(count)d errors in the sheet: nothing was written.") % {"count": len(errors)},
            field="file",
        )
        self.errors = errors


def enter_building_heads(content: bytes, *, station: str | None = None, by: Actor) -> BulkEntry:
    """Read the sheet and, if every row is right, create the building heads not yet known (by
    phone) and issue each row's letter, all in one transaction; InvalidInput on `file` for a
    bad file, `BulkEntryRefused` with the rows' errors when any row is wrong (nothing then is
    written)."""
    require(
        can_issue_appointments(by),
        _("Only a station's leaders and administrators may issue appointment letters."),
    )
    rows = read_sheet(content)
    entry = BulkEntry()
    with transaction.atomic():
        entries = check_rows(rows, station=station, by=by)
        errors: list[RowError] = []
        for head in entries:
            try:
                person = head.person or _new_building_head(head)
                if head.person is None:
                    entry.created.append(person)
                letter = issue_appointment(
                    person=person.username,
                    post=Post.BUILDING_HEAD,
                    starts_on=head.starts_on,
                    ends_on=head.ends_on,
                    buildings=[building.pk for building in head.buildings],
                    station=station if is_bureau_wide(by) else None,
                    by=by,
                )
            except InvalidInput as exc:
                column = WRITE_FIELDS.get(exc.field or "", "name")
                errors.append(RowError(head.row, _label(column), exc.message))
            else:
                entry.letters.append(letter)
        if errors:
            # Refused while writing (a rule the checks above did not see): leaving the
            # transaction by the exception undoes every row.
            raise BulkEntryRefused(errors)
    return entry


def _new_building_head(head: HeadEntry) -> User:
    """A building head without a password: an administrator gives them one (README, "Bulk
    entry of building heads"). Their unit is the grid of their first building."""
    return create_person(
        username=re.sub(r"\D", "", head.phone),
        role=Role.BUILDING_HEAD,
        unit=head.buildings[0].grid.code,
        password=None,
        full_name=head.name,
        phone=head.phone,
    )
