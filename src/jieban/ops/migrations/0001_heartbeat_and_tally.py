"""The workers' heartbeat (a row per worker, its last sweep) and the tickets counted by status."""

from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="TicketTally",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("counts", models.JSONField(default=dict)),
                ("counted_at", models.DateTimeField(blank=True, null=True)),
                ("seconds", models.FloatField(default=0)),
            ],
        ),
        migrations.CreateModel(
            name="WorkerBeat",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("worker", models.CharField(max_length=255, unique=True)),
                ("sweep_started_at", models.DateTimeField()),
                ("sweep_finished_at", models.DateTimeField(db_index=True)),
                ("seconds", models.FloatField()),
                ("job_seconds", models.JSONField(default=dict)),
                ("sweeps", models.PositiveBigIntegerField(default=0)),
            ],
        ),
    ]
