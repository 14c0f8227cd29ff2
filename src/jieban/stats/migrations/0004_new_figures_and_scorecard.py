"""The new figures' columns in the daily rollups (issue 9, item 6), every day marked dirty so
the rollups are rebuilt with them, and the scorecards (item 7)."""

import django.core.validators
import django.db.models.deletion
import django.utils.timezone
from decimal import Decimal
from django.conf import settings
from django.db import migrations, models


MARK_EVERY_DAY = {
    "sqlite": "INSERT OR IGNORE INTO stats_dirtyday (day) "
    "SELECT DISTINCT date(received_at) FROM tickets_ticket",
    "postgresql": "INSERT INTO stats_dirtyday (day) "
    "SELECT DISTINCT (received_at AT TIME ZONE 'UTC')::date FROM tickets_ticket "
    "ON CONFLICT DO NOTHING",
}


def mark_every_day_dirty(apps, schema_editor):
    # The rows built before hold zeros in the new columns: rebuild them all (the worker does,
    # a bounded number a sweep, and any read rebuilds the days it needs first).
    schema_editor.execute(MARK_EVERY_DAY[schema_editor.connection.vendor])


class Migration(migrations.Migration):
    dependencies = [
        ("stats", "0003_dirty_day_triggers"),
        ("tickets", "0015_correct_deadlines_and_clocks"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="dailyrollup",
            name="accepted",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="dailyrollup",
            name="accepted_on_time",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="dailyrollup",
            name="basically_satisfied",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="dailyrollup",
            name="escalated",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="dailyrollup",
            name="extensions",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="dailyrollup",
            name="first_visit_satisfied",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="dailyrollup",
            name="first_visited",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="dailyrollup",
            name="returns",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.CreateModel(
            name="Scorecard",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=80, verbose_name="name")),
                (
                    "response_weight",
                    models.DecimalField(
                        decimal_places=4,
                        default=Decimal("0.1"),
                        help_text="Weight of the on-time signing rate (及时签收率).",
                        max_digits=5,
                        validators=[
                            django.core.validators.MinValueValidator(Decimal("0")),
                            django.core.validators.MaxValueValidator(Decimal("1")),
                        ],
                        verbose_name="response weight",
                    ),
                ),
                (
                    "resolution_weight",
                    models.DecimalField(
                        decimal_places=4,
                        default=Decimal("0.5"),
                        help_text="Weight of the closure rate (办结率).",
                        max_digits=5,
                        validators=[
                            django.core.validators.MinValueValidator(Decimal("0")),
                            django.core.validators.MaxValueValidator(Decimal("1")),
                        ],
                        verbose_name="resolution weight",
                    ),
                ),
                (
                    "satisfaction_weight",
                    models.DecimalField(
                        decimal_places=4,
                        default=Decimal("0.4"),
                        help_text="Weight of the satisfaction rate (满意率).",
                        max_digits=5,
                        validators=[
                            django.core.validators.MinValueValidator(Decimal("0")),
                            django.core.validators.MaxValueValidator(Decimal("1")),
                        ],
                        verbose_name="satisfaction weight",
                    ),
                ),
                (
                    "basic_satisfied_factor",
                    models.DecimalField(
                        decimal_places=4,
                        default=Decimal("0.9"),
                        help_text="What a “basically satisfied” call counts for, a “satisfied” one counting 1.",
                        max_digits=5,
                        validators=[
                            django.core.validators.MinValueValidator(Decimal("0")),
                            django.core.validators.MaxValueValidator(Decimal("1")),
                        ],
                        verbose_name="basically satisfied counts as",
                    ),
                ),
                (
                    "effective_from",
                    models.DateField(
                        help_text="It scores the periods that start on or after this day.",
                        verbose_name="effective from",
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, editable=False, verbose_name="created at"
                    ),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        editable=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="created by",
                    ),
                ),
            ],
            options={
                "verbose_name": "scorecard",
                "verbose_name_plural": "scorecards",
                "ordering": ["-effective_from", "-id"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            ("response_weight__gte", 0),
                            ("resolution_weight__gte", 0),
                            ("satisfaction_weight__gte", 0),
                            ("basic_satisfied_factor__gte", 0),
                            ("basic_satisfied_factor__lte", 1),
                        ),
                        name="scorecard_shares_in_range",
                    )
                ],
            },
        ),
        migrations.RunPython(mark_every_day_dirty, migrations.RunPython.noop),
    ]
