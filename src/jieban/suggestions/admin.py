"""The back office for the suggestions: the classifier's labels mapped to the bureau's
categories (kept by the administrator), and the suggestions recorded at registration, with
the share of the first category suggestion taken, per month, above their list."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse

from jieban.suggestions.classifier import load_model
from jieban.suggestions.labels import category_acceptance_by_month
from jieban.suggestions.models import LabelMapping, Suggestion


@admin.register(LabelMapping)
class LabelMappingAdmin(admin.ModelAdmin):
    list_display = ("label", "category")
    search_fields = ("label", "category__name", "category__code")
    autocomplete_fields = ("category",)
    change_list_template = "admin/suggestions/labelmapping/change_list.html"

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> TemplateResponse:
        # The saved model's labels that no row maps yet: what the administrator has to add.
        model = load_model()
        labels = [] if model is None or model.labels_are_categories else model.labels
        mapped = set(LabelMapping.objects.filter(label__in=labels).values_list("label", flat=True))
        context = {
            **(extra_context or {}),
            "model_metadata": model.metadata if model else None,
            "unmapped_labels": [label for label in labels if label not in mapped],
        }
        return super().changelist_view(request, context)  # type: ignore[return-value]


@admin.register(Suggestion)
class SuggestionAdmin(admin.ModelAdmin):
    list_display = ("ticket", "kind", "rank", "value", "score", "chosen", "at")
    list_filter = ("kind", "rank")
    search_fields = ("ticket__number", "value", "chosen")
    date_hierarchy = "at"
    list_select_related = ("ticket",)
    change_list_template = "admin/suggestions/suggestion/change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> TemplateResponse:
        context = {**(extra_context or {}), "category_acceptance": category_acceptance_by_month()}
        return super().changelist_view(request, context)  # type: ignore[return-value]
