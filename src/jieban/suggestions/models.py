"""What the intake suggested for a ticket, kept so that the share taken can be measured.

Every suggestion shown (or applied) at registration is one row: its kind, its rank among
the suggestions of that kind (1 = the first), the suggested value (a category code, an earlier
ticket's number, a grid's or a unit's code), its score (a confidence or a similarity, 0 to 1)
and the reasons a person was shown. `chosen` is what the dispatcher (or the channel) chose
at registration where that is known then (the category); whether a repeat or a unit was
taken is read from the ticket afterwards (`repeat_of`, the unit it was dispatched to)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

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
