"""The back office for the scorecards; published reports and rollups are not edited by hand."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from jieban.stats.models import Scorecard


@admin.register(Scorecard)
class ScorecardAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "effective_from",
        "response_weight",
        "resolution_weight",
        "satisfaction_weight",
        "basic_satisfied_factor",
        "created_by",
        "created_at",
    )
    ordering = ("-effective_from", "-id")
    readonly_fields = ("created_by", "created_at")

    def save_model(self, request: HttpRequest, obj: Scorecard, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)
