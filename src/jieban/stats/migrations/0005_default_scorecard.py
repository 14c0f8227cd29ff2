"""The default scorecard (issue 9, item 7), so that the demo and a new installation score their
units from the start: 0.1 × response + 0.5 × resolution + 0.4 × satisfaction, a "basically
satisfied" call counting 0.9, in effect since 2000-01-01. Administrators add their own."""

import datetime as dt
from decimal import Decimal

from django.db import migrations

DEFAULT_NAME = "默认计分"


def create_default(apps, schema_editor):
    Scorecard = apps.get_model("stats", "Scorecard")
    if Scorecard.objects.filter(name=DEFAULT_NAME).exists():
        return
    Scorecard.objects.create(
        name=DEFAULT_NAME,
        response_weight=Decimal("0.1"),
        resolution_weight=Decimal("0.5"),
        satisfaction_weight=Decimal("0.4"),
        basic_satisfied_factor=Decimal("0.9"),
        effective_from=dt.date(2000, 1, 1),
    )


def remove_default(apps, schema_editor):
    apps.get_model("stats", "Scorecard").objects.filter(
        name=DEFAULT_NAME, effective_from=dt.date(2000, 1, 1), created_by=None
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("stats", "0004_new_figures_and_scorecard")]
    operations = [migrations.RunPython(create_default, remove_default)]
