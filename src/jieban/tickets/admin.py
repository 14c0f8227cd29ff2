"""The back office for categories and their deadlines; tickets change only through actions."""

from __future__ import annotations

from django.contrib import admin

from jieban.tickets.models import Category


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "name_en", "parent", "deadline_days", "practical", "is_active")
    list_editable = ("deadline_days", "practical", "is_active")
    list_filter = ("practical", "is_active")
    search_fields = ("code", "name", "name_en")
