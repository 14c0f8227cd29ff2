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
