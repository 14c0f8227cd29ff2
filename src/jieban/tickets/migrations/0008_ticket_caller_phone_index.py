"""An index for "this caller's recent tickets": the exact phone, newest first.

The registration page asks for it as the dispatcher types a number; without the index each
lookup would read every ticket. It is written in SQL rather than in Ticket.Meta.indexes so that
this change leaves the model alone; it can move there under the same name. Beware, as with
0006: a migration that makes SQLite rebuild tickets_ticket drops it; tests/test_search.py
checks that it exists.
"""

from django.db import migrations

CREATE = "CREATE INDEX {how} IF NOT EXISTS ticket_caller_phone_idx ON tickets_ticket ({columns})"


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        # id breaks ties in the order the page asks for; SQLite adds the rowid by itself.
        schema_editor.execute(
            CREATE.format(how="CONCURRENTLY", columns="resident_phone, received_at, id")
        )
    elif vendor == "sqlite":
        schema_editor.execute(CREATE.format(how="", columns="resident_phone, received_at"))


def drop(apps, schema_editor):
    how = "CONCURRENTLY" if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(f"DROP INDEX {how} IF EXISTS ticket_caller_phone_idx")


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("tickets", "0007_ticket_search_postgresql_trgm")]
    operations = [migrations.RunPython(create, drop, elidable=False)]
