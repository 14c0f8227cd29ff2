"""The back office: towns and streets, and which town each community belonged to when.

Grids are redrawn by `jieban grid import` (their versions are read-only here), buildings on
their own pages; towns are few and change rarely, so administrators keep them here.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from jieban.community.models import CommunityVersion, GridVersion, Town
from jieban.org.models import UnitKind


class CommunityVersionInline(admin.TabularInline):
    model = CommunityVersion
    extra = 1
    fields = ("community", "valid_from", "valid_to")

    def formfield_for_foreignkey(self, db_field: Any, request: Any, **kwargs: Any) -> Any:
        if db_field.name == "community":
            kwargs["queryset"] = db_field.related_model.objects.filter(kind=UnitKind.COMMUNITY)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Town)
class TownAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "name_en")
    search_fields = ("code", "name")
    inlines = [CommunityVersionInline]


@admin.register(GridVersion)
class GridVersionAdmin(admin.ModelAdmin):
    list_display = ("grid", "name", "community", "station", "valid_from", "valid_to")
    list_filter = ("station",)
    search_fields = ("grid__code", "name")

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
