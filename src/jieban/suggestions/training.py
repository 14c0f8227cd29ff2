"""Where the classifier's examples come from: a CSV file of labelled texts (UTF-8, headers
first), or the bureau's own closed tickets (title and content → the category's code)."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Sequence

from django.utils.translation import gettext as _

from jieban.errors import InvalidInput
from jieban.inputs import printable
from jieban.suggestions.classifier import Examples, ticket_text
from jieban.tickets.models import Status, Ticket

# What the text is, when the file does not say: the first of these whose columns are all
# there (the Teddy Cup's train.csv has `text`, its dev.csv `title` and `detail`).
DEFAULT_TEXT_COLUMNS = (("text",), ("title", "detail"), ("title", "content"), ("content",))
DEFAULT_LABEL_COLUMN = "label"


def text_columns(option: str | None) -> list[str] | None:
    """`title+detail` → ["title", "detail"]; None when not given."""
    if not option:
        return None
    columns = [column.strip() for column in option.split("+")]
    if not all(columns):
        raise InvalidInput(_("Name the text columns as title+detail."), field="text_column")
    return columns


def read_examples(
    content: bytes,
    *,
    name: str,
    text_column: Sequence[str] | None = None,
    label_column: str = DEFAULT_LABEL_COLUMN,
) -> Examples:
    """The labelled texts of a CSV file: the text columns joined, the label column; a clear
    InvalidInput when it is not UTF-8, lacks a column or has a row without text or label."""
    try:
        decoded = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            _("%(name)s is not UTF-8 text (byte %(offset)d); save it as UTF-8 CSV.")
            % {"name": name, "offset": exc.start},
            field="csv",
        ) from None
    reader = csv.reader(io.StringIO(decoded, newline=""))
    headers = [header.strip() for header in next(reader, [])]
    if not headers:
        raise InvalidInput(_("%(name)s is empty.") % {"name": name}, field="csv")
    columns = list(text_column) if text_column else _default_text_columns(headers)
    missing = [column for column in (*columns, label_column) if column not in headers]
    if missing:
        raise InvalidInput(
            _("%(name)s has no column %(missing)s (its columns: %(columns)s).")
            % {"name": name, "missing": ", ".join(missing), "columns": ", ".join(headers)},
            field="csv",
        )
    text_at = [headers.index(column) for column in columns]
    label_at = headers.index(label_column)
    texts: list[str] = []
    labels: list[str] = []
    for number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = row + [""] * (len(headers) - len(row))
        text = printable("\n".join(cells[index] for index in text_at)).strip()
        label = printable(cells[label_at]).strip()
        if not text or not label:
            raise InvalidInput(
                _("Row %(row)d of %(name)s has no %(what)s.")
                % {"row": number, "name": name, "what": _("text") if not text else _("label")},
                field="csv",
            )
        texts.append(text)
        labels.append(label)
    if not texts:
        raise InvalidInput(_("%(name)s has no rows.") % {"name": name}, field="csv")
    digest = hashlib.sha256(content).hexdigest()
    return Examples(texts, labels, sha256=digest, source=name)


def _default_text_columns(headers: list[str]) -> list[str]:
    for columns in DEFAULT_TEXT_COLUMNS:
        if all(column in headers for column in columns):
            return list(columns)
    return ["text"]


def examples_from_tickets() -> Examples:
    """The bureau's closed tickets: title and content, labelled with their category's code."""
    rows = (
        Ticket.objects.filter(status=Status.CLOSED)
        .order_by("pk")
        .values_list("title", "content", "category__code")
    )
    texts: list[str] = []
    labels: list[str] = []
    digest = hashlib.sha256()
    for title, content, code in rows.iterator(chunk_size=2000):
        text = ticket_text(title, content)
        texts.append(text)
        labels.append(code)
        digest.update(f"{code}\t{text}\x00".encode())
    if not texts:
        raise InvalidInput(_("There are no closed tickets to train on."), field="from_db")
    return Examples(texts, labels, sha256=digest.hexdigest(), source="closed tickets")
