"""The operator's probes: an index over each platform's undelivered messages by due time."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("exchange", "0006_platform_decisions"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="platformmessage",
            index=models.Index(
                condition=models.Q(("delivered_at__isnull", True)),
                fields=["platform", "next_attempt_at"],
                name="platform_message_waiting_idx",
            ),
        ),
    ]
