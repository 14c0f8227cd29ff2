"""The address read into keys (jieban.addresses) on every ticket: `address_key` (the home),
`building_key` (the building), filled for the tickets already there, and the indexes the
lookup of earlier reports of the same matter needs (a building's and a grid's latest tickets;
a caller's are ticket_caller_phone_idx, 0008).

The columns are added in SQL with a database default: Django would have SQLite rebuild
tickets_ticket for a column that is not nullable, which drops the search triggers and the
indexes kept in SQL (0006, 0008). The keys are filled in batches, each in its own transaction,
so that a large table is neither locked nor held in memory at once.
"""

from django.db import migrations, models, transaction

from jieban.addresses import read_address

BATCH = 2000
COLUMNS = ("address_key", "building_key")


def add_columns(apps, schema_editor):
    for column in COLUMNS:
        schema_editor.execute(
            f"ALTER TABLE tickets_ticket ADD COLUMN {column} varchar(320) NOT NULL DEFAULT ''"
        )


def drop_columns(apps, schema_editor):
    for column in COLUMNS:
        schema_editor.execute(f"ALTER TABLE tickets_ticket DROP COLUMN {column}")


def fill_address_keys(apps, schema_editor):
    """Every ticket's keys from its address, BATCH tickets at a time."""
    ticket_model = apps.get_model("tickets", "Ticket")
    tickets = ticket_model.objects.using(schema_editor.connection.alias)
    last = 0
    while True:
        rows = list(
            tickets.filter(pk__gt=last).order_by("pk").values_list("pk", "address")[:BATCH]
        )
        if not rows:
            return
        last = rows[-1][0]
        changed = []
        for pk, address in rows:
            place = read_address(address)
            if place.building_key:
                changed.append(
                    ticket_model(pk=pk, address_key=place.home_key, building_key=place.building_key)
                )
        with transaction.atomic(using=schema_editor.connection.alias):
            tickets.bulk_update(changed, COLUMNS)


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("tickets", "0022_result_outcome")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(add_columns, drop_columns)],
            state_operations=[
                migrations.AddField(
                    model_name="ticket",
                    name="address_key",
                    field=models.CharField(
                        blank=True, default="", editable=False, max_length=320, verbose_name="home key"
                    ),
                ),
                migrations.AddField(
                    model_name="ticket",
                    name="building_key",
                    field=models.CharField(
                        blank=True,
                        default="",
                        editable=False,
                        max_length=320,
                        verbose_name="building key",
                    ),
                ),
            ],
        ),
        migrations.RunPython(fill_address_keys, migrations.RunPython.noop, elidable=False),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(("building_key", ""), _negated=True),
                fields=["building_key", "received_at"],
                name="ticket_building_received_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(fields=["grid", "received_at"], name="ticket_grid_received_idx"),
        ),
    ]
