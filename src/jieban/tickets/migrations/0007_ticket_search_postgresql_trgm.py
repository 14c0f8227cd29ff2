"""Full-text search on PostgreSQL: pg_trgm GIN indexes for substring search (`ILIKE '%…%'`).

One index per searched column (number, title, content, address, resident name): a search ORs
the columns, and PostgreSQL combines the indexes with a BitmapOr. Phones are not searched.

Built CONCURRENTLY, outside a transaction, so that adding them to a province's database does not
block intake while they build. A build that fails half-way leaves an INVALID index behind: drop
it by hand and migrate again.

pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner may create it.

On SQLite this migration does nothing; 0006 adds an FTS5 index there.
"""

from django.db import migrations

COLUMNS = ("number", "title", "content", "address", "resident_name")


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS ticket_{column}_trgm_idx"
            f" ON tickets_ticket USING gin ({column} gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS ticket_{column}_trgm_idx")
    # The extension stays: something else may use it.


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("tickets", "0006_ticket_search_sqlite_fts5")]
    operations = [migrations.RunPython(create, drop, elidable=False)]
