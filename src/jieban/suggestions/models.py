"""What the intake suggested for a ticket, kept so that the share taken can be measured.

Every suggestion shown (or applied) at registration is one row: its kind, its rank among
the suggestions of that kind (1 = the first), the suggested value (a category code, an earlier
ticket's number, a grid's or a unit's code), its score (a confidence or a similarity, 0 to 1)
and the reasons a person was shown. `chosen` is what the dispatcher (or the channel) chose
at registration where that is known then (the category); whether a repeat or a unit was
taken is read from the ticket afterwards (`repeat_of`, the unit it was dispatched to)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jieban.org.models import Unit
from jieban.tickets.models import Category, Ticket


class SuggestionKind(models.TextChoices):
    CATEGORY = "category", _("category")
    REPEAT = "repeat", _("earlier report of the same matter")
    GRID = "grid", _("grid")
    UNIT = "unit", _("unit")


class Suggestion(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="suggestions")
    kind = models.CharField(_("kind"), max_length=16, choices=SuggestionKind.choices)
    rank = models.PositiveSmallIntegerField(_("rank"))
    value = models.CharField(_("suggested"), max_length=100)
    score = models.FloatField(_("score"), default=0.0)
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    chosen = models.CharField(_("chosen"), max_length=100, blank=True)
    at = models.DateTimeField(_("suggested at"), default=timezone.now)

    class Meta:
        verbose_name = _("suggestion")
        verbose_name_plural = _("suggestions")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "kind", "rank"], name="suggestion_once"),
            models.CheckConstraint(
                condition=models.Q(rank__gte=1), name="suggestion_rank_from_one"
            ),
        ]
        indexes = [models.Index(fields=["kind", "at"], name="suggestion_kind_at_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.rank}: {self.value}"


class LabelMapping(models.Model):
    """A classifier label → the bureau's category: a training set's labels (城乡建设, 环境保护)
    are rarely the bureau's categories, so the administrator says which is which. A model
    trained on the bureau's own tickets (`--from-db`) has category codes for labels and needs
    none."""

    label = models.CharField(_("classifier label"), max_length=100, unique=True)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="+", verbose_name=_("category")
    )

    class Meta:
        ordering = ["label"]
        verbose_name = _("classifier label")
        verbose_name_plural = _("classifier labels")

    def __str__(self) -> str:
        return f"{self.label} → {self.category_id}"


class DispatchRule(models.Model):
    """A dispatch rule the command centre writes (派单规则): a ticket of `category` (or of a
    category under it), optionally with its grid in the area of `station`, goes to `unit`.
    The rules are tried in `position` order and the first enabled one that holds decides.
    With `dispatch_at_confidence`, the rule dispatches at once when the category suggestion's
    confidence is at least that much and the grid is known; otherwise it suggests its unit."""

    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveIntegerField(_("position"), default=0)
    enabled = models.BooleanField(_("switched on"), default=True)
    category = models.ForeignKey(
        "tickets.Category", on_delete=models.PROTECT, related_name="+", verbose_name=_("category")
    )
    station = models.ForeignKey(
        Unit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("in the area of station"),
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("dispatch to")
    )
    dispatch_at_confidence = models.FloatField(
        _("dispatch at once from confidence"), null=True, blank=True
    )
    # When the rule was first switched on: the measure of "before and after the rules".
    first_enabled_at = models.DateTimeField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("dispatch rule")
        verbose_name_plural = _("dispatch rules")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(dispatch_at_confidence__isnull=True)
                | models.Q(dispatch_at_confidence__gte=0, dispatch_at_confidence__lte=1),
                name="dispatch_rule_confidence_range",
            ),
        ]
        indexes = [models.Index(fields=["enabled", "position"], name="dispatch_rule_order_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def automatic(self) -> bool:
        return self.dispatch_at_confidence is not None
