"""The categories the classifier suggests for a text: its likeliest labels, each read as a
bureau category through the administrator's `LabelMapping` table (or directly, for a model
trained on the bureau's own tickets), and the suggestions recorded with a registered ticket."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db.models import Count, F, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from jieban.inputs import clean_text
from jieban.org.actors import Actor
from jieban.org.permissions import can_register, require
from jieban.suggestions.classifier import TOP, load_model, ticket_text
from jieban.suggestions.models import LabelMapping, Suggestion, SuggestionKind
from jieban.tickets.models import Category, Ticket

logger = logging.getLogger(__name__)

# The longest text classified: a ticket's content at most (the registration's own limit).
MAX_TEXT = 4000
# How many of the model's labels are read to find three categories: labels without a
# mapping, or mapped to a category no longer in use, are passed over.
LABELS_READ = 10


@dataclass(frozen=True)
class SuggestedCategory:
    """A category the text suggests, with the model's confidence (0 to 1)."""

    category: Category
    confidence: float

    @property
    def code(self) -> str:
        return self.category.code


def suggest_categories(text: str, *, top: int = TOP) -> list[SuggestedCategory]:
    """The `top` likeliest active categories for `text`, likeliest first; none without a
    model, without text, or without a mapping for the model's labels. Labels mapped to the
    same category add up their confidences."""
    model = load_model()
    if model is None or not text.strip():
        return []
    try:
        ranked = model.top(text, k=LABELS_READ)
    except Exception:
        # A model that loaded but cannot score (a library changed under it): suggestions
        # must never stop a ticket being registered, so it suggests nothing, and says so.
        logger.exception("the category classifier could not score a text")
        return []
    labels = [label for label, _confidence in ranked]
    if model.labels_are_categories:
        by_code = Category.objects.filter(code__in=labels, is_active=True).in_bulk(
            field_name="code"
        )
        category_of = {label: by_code[label] for label in labels if label in by_code}
    else:
        mappings = LabelMapping.objects.filter(
            label__in=labels, category__is_active=True
        ).select_related("category")
        category_of = {mapping.label: mapping.category for mapping in mappings}
    confidence: dict[int, float] = {}
    categories: dict[int, Category] = {}
    for label, score in ranked:
        category = category_of.get(label)
        if category is None:
            continue
        categories[category.pk] = category
        confidence[category.pk] = confidence.get(category.pk, 0.0) + score
    order = sorted(confidence, key=lambda pk: -confidence[pk])[:top]
    return [SuggestedCategory(categories[pk], min(confidence[pk], 1.0)) for pk in order]


def classify(text: str, *, by: Actor) -> list[SuggestedCategory]:
    """The categories `text` suggests, for someone who may register a ticket; InvalidInput on
    `text` when it is empty, too long or holds a control character."""
    require(can_register(by), _("Your role may not register tickets."))
    text = clean_text(text, field="text", label=_("The text"), limit=MAX_TEXT, required=True)
    return suggest_categories(text)


def category_suggestions_for(ticket: Ticket) -> list[Suggestion]:
    """The rows recording the categories suggested for `ticket`'s words at registration and
    the category it was registered with (`chosen`); unsaved, for the caller's bulk insert."""
    suggested = suggest_categories(ticket_text(ticket.title, ticket.content))
    return [
        Suggestion(
            ticket=ticket,
            kind=SuggestionKind.CATEGORY,
            rank=rank,
            value=suggestion.code,
            score=round(suggestion.confidence, 4),
            chosen=ticket.category.code,
        )
        for rank, suggestion in enumerate(suggested, start=1)
    ]


@dataclass(frozen=True)
class MonthlyAcceptance:
    """In one month: the tickets registered with a category suggestion, and how many were
    registered with the first one."""

    month: dt.date
    suggested: int
    accepted: int

    @property
    def share(self) -> float:
        return self.accepted / self.suggested if self.suggested else 0.0


def category_acceptance_by_month() -> list[MonthlyAcceptance]:
    """Per month (the bureau's time), newest first: the share of tickets whose category is
    the first one suggested."""
    rows = (
        Suggestion.objects.filter(kind=SuggestionKind.CATEGORY, rank=1)
        .annotate(month=TruncMonth("at", tzinfo=timezone.get_default_timezone()))
        .values("month")
        .annotate(suggested=Count("pk"), accepted=Count("pk", filter=Q(value=F("chosen"))))
        .order_by("-month")
    )
    return [
        MonthlyAcceptance(row["month"].date(), row["suggested"], row["accepted"]) for row in rows
    ]
