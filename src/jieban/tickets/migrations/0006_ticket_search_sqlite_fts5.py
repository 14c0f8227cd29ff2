"""Full-text search on SQLite: an FTS5 index with the trigram tokenizer, kept in sync by triggers.

The index reads its text from tickets_ticket (an external-content table, so nothing is stored
twice) and covers number, title, content, address and resident name. A resident's phone is not
in it: phones are looked up by their exact number, by those who may see them, not searched.

The trigram tokenizer finds any substring of three characters or more, which is what a search
in Chinese needs (there are no spaces between words). The triggers write in the same
transaction as the change. The update trigger fires only when a searched text changes, so a
status transition does not rewrite the index.

Beware: when a later migration makes SQLite rebuild tickets_ticket (some column changes do), the
old table is dropped with its triggers. tests/test_search.py checks that they exist after every
migration; such a migration must recreate them (run `create` below, which also rebuilds).

On PostgreSQL this migration does nothing; 0007 adds trigram indexes there.
"""

from django.db import migrations

TABLE = "tickets_ticket_search"
COLUMNS = "number, title, content, address, resident_name"
NEW_VALUES = "new.number, new.title, new.content, new.address, new.resident_name"
OLD_VALUES = "old.number, old.title, old.content, old.address, old.resident_name"

SQLITE = [
    f"""
    CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} USING fts5(
        {COLUMNS},
        content='tickets_ticket', content_rowid='id', tokenize='trigram'
    )
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS {TABLE}_inserted AFTER INSERT ON tickets_ticket BEGIN
        INSERT INTO {TABLE} (rowid, {COLUMNS}) VALUES (new.id, {NEW_VALUES});
    END
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS {TABLE}_deleted AFTER DELETE ON tickets_ticket BEGIN
        INSERT INTO {TABLE} ({TABLE}, rowid, {COLUMNS}) VALUES ('delete', old.id, {OLD_VALUES});
    END
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS {TABLE}_updated
    AFTER UPDATE OF id, {COLUMNS} ON tickets_ticket
    WHEN old.id IS NOT new.id
        OR old.number IS NOT new.number
        OR old.title IS NOT new.title
        OR old.content IS NOT new.content
        OR old.address IS NOT new.address
        OR old.resident_name IS NOT new.resident_name
    BEGIN
        INSERT INTO {TABLE} ({TABLE}, rowid, {COLUMNS}) VALUES ('delete', old.id, {OLD_VALUES});
        INSERT INTO {TABLE} (rowid, {COLUMNS}) VALUES (new.id, {NEW_VALUES});
    END
    """,
    # Index the tickets that exist already.
    f"INSERT INTO {TABLE} ({TABLE}) VALUES ('rebuild')",
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
    dependencies = [("tickets", "0005_open_deadline_index")]
    operations = [migrations.RunPython(create, drop, elidable=False)]
