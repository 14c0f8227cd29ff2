"""The one- and two-character search index's words, made in Python for the intake's batches.

The index (migration 0010) is fed by a trigger that makes each ticket's words in SQL; an intake
batch makes them here instead, 13 times faster, with the trigger set aside for the batch's own
transaction (migration 0021). The words must be exactly the trigger's: a deleted or changed
ticket's old words are made again by the trigger to take them out of the contentless index.
tests/test_search.py compares the two on texts chosen to differ if anything did.
"""

from __future__ import annotations

import contextlib
import string
from collections.abc import Iterable, Iterator

from django.db import connection

from jieban.tickets.models import Ticket

INDEX = "tickets_ticket_short_search"
# While it holds a row, the index's insert trigger leaves a new ticket's words to the writer.
FLAG = "tickets_short_search_by_intake"
# The indexed columns, in the trigger's order.
COLUMNS = ("title", "content", "address", "resident_name")
# SQLite's lower() folds ASCII letters only.
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def column_words(text: str) -> str:
    """A column's words: the hex of the UTF-8 of the pair and of the character that begin at
    each position (the trigger's `hex(substr(…, 2)) || ' ' || hex(substr(…, 1))`)."""
    # The hex of a pair is the hex of its two characters, each encoded once.
    hexes = [character.encode().hex().upper() for character in text.translate(_ASCII_LOWER)]
    if not hexes:
        return ""
    following = [*hexes[1:], ""]
    return " ".join(
        f"{first}{second} {first}" for first, second in zip(hexes, following, strict=True)
    )


def ticket_words(ticket: Ticket) -> str:
    """A ticket's document in the index, as the trigger makes it."""
    return " ".join(column_words(getattr(ticket, column) or "") for column in COLUMNS)


@contextlib.contextmanager
def words_written_here(tickets: list[Ticket]) -> Iterator[list[Ticket]]:
    """Inside a write transaction on SQLite: the tickets inserted in the block get their words
    from here, after it, instead of from the trigger; elsewhere the trigger (or nothing) does.
    The caller fills `tickets` with the inserted tickets, their primary keys set."""
    if connection.vendor != "sqlite":
        yield tickets
        return
    if not connection.in_atomic_block:
        raise RuntimeError("the index's words are written inside the inserts' transaction")
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {FLAG} (batch) VALUES (1)")
    yield tickets
    _write(tickets)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {FLAG}")


def _write(tickets: Iterable[Ticket]) -> None:
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {INDEX} (rowid, words) VALUES (%s, %s)",
            [(ticket.pk, ticket_words(ticket)) for ticket in tickets],
        )
