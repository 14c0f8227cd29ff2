"""Readable running numbers per day: `JB20260714-0042` for tickets, `DB…` for orders."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import F

from jieban.tickets.models import DailySequence


def allocate_numbers(prefix: str, day: dt.date, count: int = 1) -> list[str]:
    """`count` consecutive numbers of `prefix` on `day`, inside the caller's transaction."""
    rows = DailySequence.objects.filter(prefix=prefix, day=day)
    if not rows.update(last=F("last") + count):
        try:
            with transaction.atomic():
                DailySequence.objects.create(prefix=prefix, day=day, last=count)
        except IntegrityError:
            rows.update(last=F("last") + count)
    last = rows.values_list("last", flat=True).get()
    return [f"{prefix}{day:%Y%m%d}-{seq:04d}" for seq in range(last - count + 1, last + 1)]
