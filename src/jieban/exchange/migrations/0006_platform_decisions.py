"""The platform decides its tickets' returns and extensions: the tickets taken in from a
platform's orders say so (`Ticket.platform_decides`), and an order keeps why its latest revision
was not applied in full (`flag`)."""

from django.apps.registry import Apps
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor


def mark_platform_tickets(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Ticket = apps.get_model("tickets", "Ticket")
    PlatformOrder = apps.get_model("exchange", "PlatformOrder")
    Ticket.objects.filter(
        pk__in=PlatformOrder.objects.filter(ticket__isnull=False).values("ticket_id")
    ).update(platform_decides=True)


class Migration(migrations.Migration):

    dependencies = [
        ("exchange", "0005_platforms"),
        ("tickets", "0022_result_outcome"),
    ]

    operations = [
        migrations.AddField(
            model_name="platformorder",
            name="flag",
            field=models.CharField(blank=True, default="", max_length=500, verbose_name="flag"),
        ),
        migrations.RunPython(mark_platform_tickets, migrations.RunPython.noop),
    ]
