"""The categories every bureau starts with; administrators edit them afterwards."""

from django.db import migrations

from jieban.tickets.defaults import create_default_categories

def create_defaults(apps, schema_editor):
    create_default_categories(apps.get_model("tickets", "Category"))


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]
    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
