"""The back office for mediation studios and their mediators (Django's admin)."""

from __future__ import annotations

from django.contrib import admin

from jieban.mediation.models import Studio, StudioMediator


class StudioMediatorInline(admin.TabularInline):
    model = StudioMediator
    extra = 1
    autocomplete_fields = ("person",)


@admin.register(Studio)
class StudioAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "host_unit", "phone", "opened_on", "is_active")
    list_filter = ("is_active",)
    search_fields = ("code", "name", "address")
    autocomplete_fields = ("host_unit",)
    inlines = [StudioMediatorInline]
