from __future__ import annotations

from django.contrib import admin

from jieban.workcalendar.models import CalendarOverride


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(admin.ModelAdmin):
    list_display = ("date", "kind", "source", "updated_by", "updated_at")
    list_filter = ("kind",)
    date_hierarchy = "date"
    search_fields = ("source",)
    readonly_fields = ("updated_by", "updated_at")

    def save_model(
        self, request: object, obj: CalendarOverride, form: object, change: bool
    ) -> None:
        obj.updated_by = getattr(request, "user", None)
        super().save_model(request, obj, form, change)  # type: ignore[arg-type]
