"""Search for one or two characters on SQLite: an FTS5 index of every character and every pair
of characters of the searched text.

The trigram index (0006) cannot find fewer than three characters, yet most Chinese words have
two (噪音, 停车, 漏水) and some one (狗). This index holds, for each ticket, every one- and
two-character substring of its title, content, address and resident's name, each column on
its own (a pair never spans two columns). So a ticket contains a text of one or two characters
exactly when the index holds it as a word.

Each word is the hex of its UTF-8 bytes ("噪音" is E599AAE99FB3): one plain word to FTS5's
ascii tokenizer, whatever the characters (UTF-8 decodes one way only, so no pair has the hex
of a single character). Text is first put through SQLite's `lower()`, which folds ASCII
letters only: what `LIKE` (Django's `icontains` on SQLite) ignores, no more. `detail=none`:
the index keeps which tickets hold a word, not where, which is all a one-word search needs.

The words are made in SQL, by the triggers themselves, not by an application function: a write
from the sqlite3 command line (or any tool without Jieban's code) keeps the index whole too.
Triggers cannot use a recursive CTE, so the positions 0 … n-1 of a text of n characters come
from `json_each` over a JSON array of n zeros, made by `zeroblob` and `hex`. As `substr` counts
characters from the start, a text's cost grows with the square of its length: an insert takes
about 0.2 ms more for an ordinary ticket (100 characters), 4 ms for 1,000 characters and 50 ms
for the 4,000 the intake allows; the index of a million demo tickets is built in 4 minutes.

The table is contentless (content=''): an external-content table would need a view over
tickets_ticket, and a view that names tickets_ticket makes SQLite refuse the table rebuild
Django does for some column changes. A deleted or changed ticket's old words are made again
from its old values, which gives the same words (the expression is deterministic).

Beware, as for 0006: a later migration that makes SQLite rebuild tickets_ticket drops these
triggers with the old table; tests/test_search.py notices. Run `create` again (it starts
from an empty index).

On PostgreSQL this migration does nothing: one or two characters are searched by a scan there.
"""

from django.db import migrations

TABLE = "tickets_ticket_short_search"
# The searched text columns; the number is looked for inside only by three characters or more.
COLUMNS = ("title", "content", "address", "resident_name")


def column_words(value: str) -> str:
    """SQL: the words of `value` (lowered as LIKE compares): the hex of the pair and of the
    character that begin at each position, separated by spaces; '' for an empty text."""
    positions = (
        "json_each('[' || rtrim(replace(hex(zeroblob(length(text))), '00', '0,'), ',') || ']')"
    )
    words = "hex(substr(text, key + 1, 2)) || ' ' || hex(substr(text, key + 1, 1))"
    # LIMIT 1 keeps SQLite from flattening the subquery, which would lower the whole text
    # again for every position.
    return (
        f"coalesce((SELECT group_concat({words}, ' ')"
        f" FROM (SELECT lower({value}) AS text LIMIT 1), {positions}), '')"
    )


def ticket_words(row: str) -> str:
    """SQL: the index's document of a ticket, `row` being `new` or `old` in a trigger, or the
    table's name in a SELECT from it."""
    return " || ' ' || ".join(column_words(f"{row}.{column}") for column in COLUMNS)


CHANGED = " OR ".join(f"old.{column} IS NOT new.{column}" for column in ("id", *COLUMNS))

SQLITE = [
    f"""
    CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} USING fts5(
        words, content='', tokenize='ascii', detail='none'
    )
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS {TABLE}_inserted AFTER INSERT ON tickets_ticket BEGIN
        INSERT INTO {TABLE} (rowid, words) VALUES (new.id, {ticket_words("new")});
    END
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS {TABLE}_deleted AFTER DELETE ON tickets_ticket BEGIN
        INSERT INTO {TABLE} ({TABLE}, rowid, words)
        VALUES ('delete', old.id, {ticket_words("old")});
    END
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS {TABLE}_updated
    AFTER UPDATE OF id, {", ".join(COLUMNS)} ON tickets_ticket
    WHEN {CHANGED}
    BEGIN
        INSERT INTO {TABLE} ({TABLE}, rowid, words)
        VALUES ('delete', old.id, {ticket_words("old")});
        INSERT INTO {TABLE} (rowid, words) VALUES (new.id, {ticket_words("new")});
    END
    """,
    # Index the tickets that exist already (a contentless table cannot 'rebuild' itself).
    f"INSERT INTO {TABLE} ({TABLE}) VALUES ('delete-all')",
    f"""
    INSERT INTO {TABLE} (rowid, words)
    SELECT id, {ticket_words("tickets_ticket")} FROM tickets_ticket
    """,
]

SQLITE_REVERSE = [
    f"DROP TRIGGER IF EXISTS {TABLE}_inserted",
    f"DROP TRIGGER IF EXISTS {TABLE}_deleted",
    f"DROP TRIGGER IF EXISTS {TABLE}_updated",
    f"DROP TABLE IF EXISTS {TABLE}",
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for statement in SQLITE:
        schema_editor.execute(statement)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for statement in SQLITE_REVERSE:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0009_page_indexes")]
    operations = [migrations.RunPython(create, drop, elidable=False)]
