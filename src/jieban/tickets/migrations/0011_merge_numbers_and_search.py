"""Joins the two migrations that followed 0009: the daily numbers and the short-word search."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0010_search_bigrams"),
        ("tickets", "0010_ticket_numbers_daily_sequence"),
    ]

    operations = []
