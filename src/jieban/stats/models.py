"""Published reports: once stored, a report reads the same forever."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReportKind(models.TextChoices):
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")


class PublishedReport(models.Model):
    kind = models.CharField(_("kind"), max_length=8, choices=ReportKind.choices)
    # `2026-07-14`, `2026-W29` or `2026-07`.
    period = models.CharField(_("period"), max_length=10)
    start = models.DateField()
    end = models.DateField()  # exclusive
    published_at = models.DateTimeField(_("published at"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Every figure of the report as computed at publication, with the definitions' version.
    data = models.JSONField()

    class Meta:
        ordering = ["-start", "kind"]
        verbose_name = _("published report")
        verbose_name_plural = _("published reports")
        constraints = [
            models.UniqueConstraint(fields=["kind", "period"], name="report_published_once"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.period}"


class DailyRollup(models.Model):
    """The countable figures of the tickets received on one local day: overall (`dimension`
    "all") and per category, unit, channel and grid (`key` the code, "" for none). Rebuilt
    from the tickets whenever the day is dirty, so a month's report sums about 1,500 rows
    instead of reading every ticket."""

    day = models.DateField()
    dimension = models.CharField(max_length=10)
    key = models.CharField(max_length=40, blank=True)
    total = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)
    on_time = models.PositiveIntegerField(default=0)
    visited = models.PositiveIntegerField(default=0)
    satisfied = models.PositiveIntegerField(default=0)
    practical = models.PositiveIntegerField(default=0)
    repeats = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "dimension", "key"], name="rollup_once"),
        ]
        indexes = [models.Index(fields=["dimension", "day"], name="rollup_dimension_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.dimension}={self.key}: {self.total}"


class DirtyDay(models.Model):
    """A UTC date on which some ticket received then changed since its rollup was built.

    Database triggers on the ticket table insert these in the same transaction as the change,
    whatever code made it (an action, a bulk load, a sweep), so no write can forget."""

    day = models.DateField(unique=True)

    def __str__(self) -> str:
        return str(self.day)
