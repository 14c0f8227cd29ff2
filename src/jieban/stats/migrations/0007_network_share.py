"""The network's count in the daily rollups (issue 11, item 4: "reported by the network"),
every day marked dirty so the rollups are rebuilt with it."""

from django.db import migrations, models

MARK_EVERY_DAY = {
    "sqlite": "INSERT OR IGNORE INTO stats_dirtyday (day) "
    "SELECT DISTINCT date(received_at) FROM tickets_ticket",
    "postgresql": "INSERT INTO stats_dirtyday (day) "
    "SELECT DISTINCT (received_at AT TIME ZONE 'UTC')::date FROM tickets_ticket "
    "ON CONFLICT DO NOTHING",
}


def mark_every_day_dirty(apps, schema_editor):
    # The rows built before hold 0 in the new column: rebuild them all (the worker does, a
    # bounded number a sweep, and any read rebuilds the days it needs first).
    schema_editor.execute(MARK_EVERY_DAY[schema_editor.connection.vendor])


class Migration(migrations.Migration):
    dependencies = [
        ("stats", "0006_protect_actors"),
        ("tickets", "0018_channel_grid"),
    ]

    operations = [
        migrations.AddField(
            model_name="dailyrollup",
            name="network",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.RunPython(mark_every_day_dirty, migrations.RunPython.noop),
    ]
