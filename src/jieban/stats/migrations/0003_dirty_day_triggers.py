"""Triggers that mark a ticket's received day dirty on every insert, update and delete.

They write in the same transaction as the change, so a rollup can never miss one. Days are
UTC dates; refreshing a dirty UTC date rebuilds the local days it overlaps.
"""

from django.db import migrations

SQLITE = [
    """
    CREATE TRIGGER stats_ticket_inserted AFTER INSERT ON tickets_ticket BEGIN
        INSERT OR IGNORE INTO stats_dirtyday (day) VALUES (date(NEW.received_at));
    END
    """,
    """
    CREATE TRIGGER stats_ticket_updated AFTER UPDATE ON tickets_ticket BEGIN
        INSERT OR IGNORE INTO stats_dirtyday (day) VALUES (date(NEW.received_at));
        INSERT OR IGNORE INTO stats_dirtyday (day) VALUES (date(OLD.received_at));
    END
    """,
    """
    CREATE TRIGGER stats_ticket_deleted AFTER DELETE ON tickets_ticket BEGIN
        INSERT OR IGNORE INTO stats_dirtyday (day) VALUES (date(OLD.received_at));
    END
    """,
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS stats_ticket_inserted",
    "DROP TRIGGER IF EXISTS stats_ticket_updated",
    "DROP TRIGGER IF EXISTS stats_ticket_deleted",
]

POSTGRES = [
    """
    CREATE OR REPLACE FUNCTION stats_mark_dirty() RETURNS trigger AS $$
    BEGIN
        IF TG_OP <> 'DELETE' THEN
            INSERT INTO stats_dirtyday (day)
            VALUES ((NEW.received_at AT TIME ZONE 'UTC')::date) ON CONFLICT DO NOTHING;
        END IF;
        IF TG_OP <> 'INSERT' THEN
            INSERT INTO stats_dirtyday (day)
            VALUES ((OLD.received_at AT TIME ZONE 'UTC')::date) ON CONFLICT DO NOTHING;
        END IF;
        RETURN NULL;
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER stats_ticket_changed AFTER INSERT OR UPDATE OR DELETE ON tickets_ticket
    FOR EACH ROW EXECUTE FUNCTION stats_mark_dirty()
    """,
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS stats_ticket_changed ON tickets_ticket",
    "DROP FUNCTION IF EXISTS stats_mark_dirty()",
]
MARK_EXISTING = {
    "sqlite": "INSERT OR IGNORE INTO stats_dirtyday (day) "
    "SELECT DISTINCT date(received_at) FROM tickets_ticket",
    "postgresql": "INSERT INTO stats_dirtyday (day) "
    "SELECT DISTINCT (received_at AT TIME ZONE 'UTC')::date FROM tickets_ticket "
    "ON CONFLICT DO NOTHING",
}


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"sqlite": SQLITE, "postgresql": POSTGRES}.get(vendor)
    if statements is None:
        raise RuntimeError(f"Jieban runs on SQLite or PostgreSQL, not {vendor}")
    for statement in statements:
        schema_editor.execute(statement)
    schema_editor.execute(MARK_EXISTING[vendor])


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in {"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE}[vendor]:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("stats", "0002_rollups"), ("tickets", "0005_open_deadline_index")]
    operations = [migrations.RunPython(create, drop)]
