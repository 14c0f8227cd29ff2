"""Tickets take their numbers from DailySequence with the prefix "JB", as supervision orders do
with "DB": each day's TicketSequence row moves there, and TicketSequence goes."""

from typing import Any

from django.db import migrations

# The ticket prefix as it was when this migration was written (tickets/numbering.py): a
# migration must not change meaning if the constant does later.
TICKET_PREFIX = "JB"
BATCH = 1_000


def copy_ticket_sequences(apps: Any, schema_editor: Any) -> None:
    ticket_sequence = apps.get_model("tickets", "TicketSequence")
    daily_sequence = apps.get_model("tickets", "DailySequence")
    alias = schema_editor.connection.alias
    # Nothing wrote "JB" rows before; if something did, the higher number of a day wins so
    # that no number is handed out twice.
    already = dict(
        daily_sequence.objects.using(alias).filter(prefix=TICKET_PREFIX).values_list("day", "last")
    )
    rows = [
        daily_sequence(prefix=TICKET_PREFIX, day=day, last=max(last, already.get(day, 0)))
        for day, last in ticket_sequence.objects.using(alias)
        .order_by("day")
        .values_list("day", "last")
    ]
    daily_sequence.objects.using(alias).bulk_create(
        rows,
        batch_size=BATCH,
        update_conflicts=True,
        unique_fields=["prefix", "day"],
        update_fields=["last"],
    )


def copy_back_ticket_sequences(apps: Any, schema_editor: Any) -> None:
    ticket_sequence = apps.get_model("tickets", "TicketSequence")
    daily_sequence = apps.get_model("tickets", "DailySequence")
    alias = schema_editor.connection.alias
    ticket_rows = daily_sequence.objects.using(alias).filter(prefix=TICKET_PREFIX)
    ticket_sequence.objects.using(alias).bulk_create(
        [
            ticket_sequence(day=day, last=last)
            for day, last in ticket_rows.order_by("day").values_list("day", "last")
        ],
        batch_size=BATCH,
    )
    ticket_rows.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0009_page_indexes"),
    ]

    operations = [
        migrations.RunPython(copy_ticket_sequences, copy_back_ticket_sequences),
        migrations.DeleteModel(name="TicketSequence"),
    ]
