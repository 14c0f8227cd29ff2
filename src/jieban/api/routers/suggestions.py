"""Suggestions at intake: the categories a text suggests (`POST /classify`), for whoever may
register a ticket; the same the registration page shows as the content is typed."""

from __future__ import annotations

from typing import Any

from ninja import Router

from jieban.api.schemas import ERRORS, ClassifyIn, ClassifyOut
from jieban.http import AuthenticatedRequest
from jieban.suggestions.labels import SuggestedCategory, classify
from jieban.suggestions.models import Suggestion
from jieban.tickets.models import Category

router = Router()


def suggested_category_out(suggestion: SuggestedCategory) -> dict[str, Any]:
    return {
        "code": suggestion.code,
        "name": suggestion.category.name,
        "confidence": round(suggestion.confidence, 4),
    }


def recorded_categories_out(suggestions: list[Suggestion]) -> list[dict[str, Any]]:
    """The category suggestions recorded with a ticket, as the API shows them."""
    if not suggestions:
        return []  # no model, or no text to go by: nothing to name
    codes = [suggestion.value for suggestion in suggestions]
    names = dict(Category.objects.filter(code__in=codes).values_list("code", "name"))
    return [
        {"code": item.value, "name": names.get(item.value, item.value), "confidence": item.score}
        for item in suggestions
    ]


@router.post("/classify", response={200: ClassifyOut, **ERRORS}, tags=["suggestions"])
def classify_text(request: AuthenticatedRequest, payload: ClassifyIn) -> dict[str, Any]:
    suggested = classify(payload.text, by=request.user)
    return {"suggested_categories": [suggested_category_out(item) for item in suggested]}
