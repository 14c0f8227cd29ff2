"""Published reports: once stored, a report reads the same forever."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ReportKind(models.TextChoices):
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")
    # The month's mediation figures (`jieban.stats.mediation`): a monthly period too.
    MEDIATION = "mediation", _("Monthly mediation")


class PublishedReport(models.Model):
    kind = models.CharField(_("kind"), max_length=12, choices=ReportKind.choices)
    # `2026-07-14`, `2026-W29` or `2026-07` (monthly and mediation).
    period = models.CharField(_("period"), max_length=10)
    start = models.DateField()
    end = models.DateField()  # exclusive
    published_at = models.DateTimeField(_("published at"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
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
    basically_satisfied = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    accepted_on_time = models.PositiveIntegerField(default=0)
    first_visited = models.PositiveIntegerField(default=0)
    first_visit_satisfied = models.PositiveIntegerField(default=0)
    escalated = models.PositiveIntegerField(default=0)
    network = models.PositiveIntegerField(default=0)
    # Not tickets but things done to them, by the unit that did them (definitions.HAPPENINGS).
    returns = models.PositiveIntegerField(default=0)
    extensions = models.PositiveIntegerField(default=0)

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


class MediationRollup(models.Model):
    """The mediation counts (`jieban.stats.mediation_counts`) of one local day: overall
    (`dimension` "all") and per studio, committee and mediator (`key` the id) and dispute type
    (`key` the code); "" for none. Acceptances, conclusions and agreements falling due each
    count on their own day. Rebuilt from the cases whenever the day is dirty, so a year's
    figures sum a few thousand rows instead of reading 200,000 cases."""

    day = models.DateField()
    dimension = models.CharField(max_length=12)
    key = models.CharField(max_length=40, blank=True)
    accepted = models.PositiveIntegerField(default=0)
    concluded = models.PositiveIntegerField(default=0)
    succeeded = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    concluded_in_time = models.PositiveIntegerField(default=0)
    agreements_due = models.PositiveIntegerField(default=0)
    agreements_performed = models.PositiveIntegerField(default=0)
    # In fen: sums of integers stay exact on every database.
    amount_settled_fen = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "dimension", "key"], name="mediation_rollup_once"
            ),
        ]
        indexes = [models.Index(fields=["dimension", "day"], name="mediation_rollup_dim_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.dimension}={self.key}: {self.accepted}"


class MediationDirtyDay(models.Model):
    """A date whose mediation rollups are stale: the UTC date of a changed case's acceptance or
    conclusion, or the day its agreement's last term falls due. Database triggers on the
    cases, their mediators and agreements insert these in the same transaction as the change."""

    day = models.DateField(unique=True)

    def __str__(self) -> str:
        return str(self.day)


def _share(verbose_name: Any, default: str, help_text: Any = "") -> models.DecimalField:
    """A weight or factor between 0 and 1, kept exact."""
    return models.DecimalField(
        verbose_name,
        max_digits=5,
        decimal_places=4,
        default=Decimal(default),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
        help_text=help_text,
    )


class Scorecard(models.Model):
    """计分: how the bureau scores and ranks its units, from three rates of the period:
    response (the on-time signing rate), resolution (the closure rate) and satisfaction (by
    the latest call, a "basically satisfied" counting `basic_satisfied_factor` of a
    "satisfied"). The weights add up to 1; a unit's score is their weighted sum × 100
    (jieban.stats.scorecards). The scorecard in effect for a period is the latest whose
    `effective_from` is on or before the period's first day."""

    name = models.CharField(_("name"), max_length=80)
    response_weight = _share(
        _("response weight"), "0.1", _("Weight of the on-time signing rate (及时签收率).")
    )
    resolution_weight = _share(
        _("resolution weight"), "0.5", _("Weight of the closure rate (办结率).")
    )
    satisfaction_weight = _share(
        _("satisfaction weight"), "0.4", _("Weight of the satisfaction rate (满意率).")
    )
    basic_satisfied_factor = _share(
        _("basically satisfied counts as"),
        "0.9",
        _("What a “basically satisfied” call counts for, a “satisfied” one counting 1."),
    )
    effective_from = models.DateField(
        _("effective from"),
        help_text=_("It scores the periods that start on or after this day."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["-effective_from", "-id"]
        verbose_name = _("scorecard")
        verbose_name_plural = _("scorecards")
        constraints = [
            models.CheckConstraint(
                condition=Q(response_weight__gte=0)
                & Q(resolution_weight__gte=0)
                & Q(satisfaction_weight__gte=0)
                & Q(basic_satisfied_factor__gte=0)
                & Q(basic_satisfied_factor__lte=1),
                name="scorecard_shares_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.effective_from:%Y-%m-%d})"

    def clean(self) -> None:
        weights = (self.response_weight, self.resolution_weight, self.satisfaction_weight)
        if any(weight is None for weight in weights):
            return  # the field's own error says so
        if sum(weights) != 1:
            raise ValidationError(
                _("The three weights must add up to 1 (they add up to %(sum)s).")
                % {"sum": sum(weights)}
            )
