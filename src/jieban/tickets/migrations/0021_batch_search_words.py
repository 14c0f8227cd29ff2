"""The intake's batches write the one- and two-character index's words themselves (SQLite).

The trigger of 0010 makes each new ticket's words in SQL, which is what keeps the index whole
whatever writes a ticket; but it makes them character by character through `json_each`, and
for a batch of 500 tickets that is most of the time their INSERT takes (340 µs a ticket, 26 µs
in Python). The trigger now stands aside while the table `tickets_short_search_by_intake` holds
a row. Only the intake's batch puts one there, inside its write transaction, and takes it out
again before it commits: SQLite lets one writer in at a time, so no other writer and no reader
ever sees the row, and every other write (the sqlite3 command line included) still goes
through the trigger. The batch writes the same words (`tickets/search_words.py`, tested equal
to the trigger's) for the tickets it inserted.

On PostgreSQL this migration does nothing: there is no such index there.
"""

import importlib

from django.db import migrations

BIGRAMS = importlib.import_module("jieban.tickets.migrations.0010_search_bigrams")
TABLE = BIGRAMS.TABLE
FLAG = "tickets_short_search_by_intake"

INSERTED = f"""
    CREATE TRIGGER {TABLE}_inserted AFTER INSERT ON tickets_ticket
    WHEN NOT EXISTS (SELECT 1 FROM {FLAG})
    BEGIN
        INSERT INTO {TABLE} (rowid, words) VALUES (new.id, {BIGRAMS.ticket_words("new")});
    END
"""
ORIGINAL = f"""
    CREATE TRIGGER {TABLE}_inserted AFTER INSERT ON tickets_ticket BEGIN
        INSERT INTO {TABLE} (rowid, words) VALUES (new.id, {BIGRAMS.ticket_words("new")});
    END
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    schema_editor.execute(f"CREATE TABLE {FLAG} (batch integer NOT NULL)")
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_inserted")
    schema_editor.execute(INSERTED)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_inserted")
    schema_editor.execute(ORIGINAL)
    schema_editor.execute(f"DROP TABLE {FLAG}")


class Migration(migrations.Migration):
    dependencies = [("tickets", "0020_platform_kinds")]
    operations = [migrations.RunPython(create, drop, elidable=False)]
