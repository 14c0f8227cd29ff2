"""Two small partial indexes for the home pages at ten million tickets (bench/RESULTS.md): a
grid desk's open tickets with their clocks (`ticket_grid_open_idx`), which the grid's index of
every ticket made a read of the whole closed history, and the follow-up queue's count
(`ticket_follow_up_idx`: resolved, the call not held for a mediation).

On PostgreSQL they are built CONCURRENTLY, outside a transaction, so that a large bureau's
intake goes on while they build; elsewhere as Django builds any index.
"""

from django.db import migrations, models


class AddIndexConcurrentlyOnPostgreSQL(migrations.AddIndex):
    """AddIndex, built CONCURRENTLY on PostgreSQL (and dropped so)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.add_index(model, self.index, concurrently=True)
        else:
            schema_editor.add_index(model, self.index)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.remove_index(model, self.index, concurrently=True)
        else:
            schema_editor.remove_index(model, self.index)


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("tickets", "0024_short_search_postgresql")]
    operations = [
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(
                    ("status__in", ["new", "dispatched", "in_progress", "resolved"])
                ),
                fields=["grid", "status", "due_at"],
                name="ticket_grid_open_idx",
            ),
        ),
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(("status", "resolved"), ("visit_held_at__isnull", True)),
                fields=["status", "resolved_at"],
                name="ticket_follow_up_idx",
            ),
        ),
    ]
