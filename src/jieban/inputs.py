"""What every input must be before it reaches date arithmetic, the database, a file or a
workbook: checked where it comes in, the same way for the API, the pages and the commands.

- Dates. The bureau's work lies between FIRST_DAY and LAST_DAY (2000-01-01 to 2100-12-31). A
  date or a moment outside them is a typing mistake or a probe: it is refused, naming the
  field, before it can overflow the date arithmetic (Python's dates end at years 1 and 9999),
  reach a database, or be written in a time zone's offset of the time (Asia/Shanghai kept
  local mean time, +08:05:43, until 1901: not an offset RFC 3339 can write).
- Text. Control characters (U+0000-U+001F except tab, line feed and carriage return, and
  U+007F) and lone UTF-16 surrogates (a JSON string may carry `\\ud800`) are refused, naming
  the field: nobody types them, PostgreSQL cannot store NUL, UTF-8 cannot encode a surrogate,
  and an Excel workbook holds neither. Writers that may meet text stored before this rule
  (workbooks, file names) drop them instead: `printable`.
- Ids. A database id is a 64-bit signed integer: a larger number names nothing.
"""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from jieban.errors import InvalidInput

FIRST_DAY = dt.date(2000, 1, 1)
LAST_DAY = dt.date(2100, 12, 31)
MAX_ID = 2**63 - 1
# Characters no text may hold: the C0 controls but tab, LF and CR; DEL; lone surrogates.
UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def day_in_range(day: dt.date) -> bool:
    return FIRST_DAY <= day <= LAST_DAY


def out_of_range(field: str) -> InvalidInput:
    """The error for a date or moment outside FIRST_DAY..LAST_DAY."""
    return InvalidInput(
        _("Give a date between %(first)s and %(last)s.")
        % {"first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()},
        field=field,
    )


def check_day(day: dt.date, *, field: str) -> dt.date:
    """`day`, or InvalidInput on `field` when it lies outside FIRST_DAY..LAST_DAY."""
    if not day_in_range(day):
        raise out_of_range(field)
    return day


def check_period(start: dt.date, end: dt.date, *, start_field: str, end_field: str) -> None:
    """A period [start, end) within FIRST_DAY..LAST_DAY: its end may be the day after
    LAST_DAY, as the end is not counted."""
    check_day(start, field=start_field)
    if not FIRST_DAY < end <= LAST_DAY + dt.timedelta(days=1):
        raise out_of_range(end_field)


def moment_in_range(moment: dt.datetime) -> bool:
    """Whether the aware `moment` falls on a local day between FIRST_DAY and LAST_DAY.

    Compared with aware bounds, not converted: converting a moment near year 1 or 9999 to
    local time overflows."""
    zone = timezone.get_default_timezone()
    first = dt.datetime.combine(FIRST_DAY, dt.time(), tzinfo=zone)
    after_last = dt.datetime.combine(LAST_DAY + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    return first <= moment < after_last


def aware_moment(moment: dt.datetime, *, field: str) -> dt.datetime:
    """`moment` with its time zone (a naive one is the bureau's wall-clock time), or
    InvalidInput on `field` when it lies outside FIRST_DAY..LAST_DAY."""
    if timezone.is_naive(moment):
        # Before making it aware: near years 1 and 9999 that overflows.
        if not day_in_range(moment.date()):
            raise out_of_range(field)
        moment = timezone.make_aware(moment)
    if not moment_in_range(moment):
        raise out_of_range(field)
    return moment


def parse_day(text: str, *, field: str) -> dt.date:
    """A date written YYYY-MM-DD between FIRST_DAY and LAST_DAY, or InvalidInput on `field`."""
    value = (text or "").strip()
    try:
        if not DAY.match(value):
            raise ValueError(value)
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            _("%(value)s is not a date (YYYY-MM-DD).") % {"value": value}, field=field
        ) from None
    return check_day(day, field=field)


def unstorable_character(text: str) -> str | None:
    """The first character of `text` that no text may hold (see above), or None."""
    found = UNSTORABLE.search(text)
    return found.group() if found else None


def check_text(text: str, *, field: str, label: str | Promise | None = None) -> str:
    """`text`, or InvalidInput on `field` when it holds a control character or a lone
    surrogate; `label` names the field for people ("The title")."""
    character = unstorable_character(text)
    if character is not None:
        values = {"label": label or field, "code": f"U+{ord(character):04X}"}
        raise InvalidInput(
            _("%(label)s contains a character that is not accepted (%(code)s).") % values,
            field=field,
        )
    return text


def clean_text(
    value: str | None, *, field: str, label: str | Promise, limit: int, required: bool = False
) -> str:
    """A text as stored: trimmed, present if `required`, at most `limit` characters, no
    control character or lone surrogate; else InvalidInput on `field`."""
    text = (value or "").strip()
    if required and not text:
        raise InvalidInput(_("%(label)s is required.") % {"label": label}, field=field)
    if len(text) > limit:
        raise InvalidInput(
            _("%(label)s is longer than %(max)d characters (%(length)d given).")
            % {"label": label, "max": limit, "length": len(text)},
            field=field,
        )
    return check_text(text, field=field, label=label)


def check_every_text(data: object) -> None:
    """Every string in `data` (a decoded JSON body: keys too), at any depth, through
    `check_text`, named by its path (`items.3.content`); walked without recursion, as deep as
    the JSON decoder went."""
    pending: list[tuple[str, object]] = [("", data)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, str):
            check_text(value, field=path or "body")
        elif isinstance(value, dict):
            for key, item in value.items():
                check_text(str(key), field=path or "body")
                pending.append((f"{path}.{key}" if path else str(key), item))
        elif isinstance(value, list):
            pending.extend((f"{path}.{index}", item) for index, item in enumerate(value))


def printable(text: str) -> str:
    """`text` without the characters no text may hold: for a writer (a workbook, a file name,
    a header) that may meet text stored before they were refused."""
    return UNSTORABLE.sub("", text)


def is_id(value: int) -> bool:
    """Whether `value` can be a database id (a positive 64-bit signed integer)."""
    return 0 < value <= MAX_ID


def fits_utf8(text: str, limit: int) -> str:
    """The longest start of `text` whose UTF-8 encoding has at most `limit` bytes, no
    character cut in half."""
    encoded = text.encode("utf-8", errors="ignore")
    if len(encoded) <= limit:
        return text
    return encoded[:limit].decode("utf-8", errors="ignore")
