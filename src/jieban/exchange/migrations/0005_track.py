"""The table of Django's database cache that counts residents' look-ups on /track/ per address
(the `tries` cache in settings): shared by every web process and host, so the limit holds
whatever process answers."""

from typing import Any

from django.core.management.commands.createcachetable import Command as CreateCacheTable
from django.db import migrations

TABLE = "jieban_track_tries"


def create_table(apps: Any, schema_editor: Any) -> None:
    command = CreateCacheTable()
    command.verbosity = 0
    command.create_table(schema_editor.connection.alias, TABLE, dry_run=False)


def drop_table(apps: Any, schema_editor: Any) -> None:
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(TABLE)}")


class Migration(migrations.Migration):
    # Chained after the 12345 platform link's migration while the parts of issue 12 land (the
    # lead renumbers on merge).
    dependencies = [("exchange", "0002_platforms")]
    operations = [migrations.RunPython(create_table, drop_table)]
