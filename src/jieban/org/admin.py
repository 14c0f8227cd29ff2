"""The back office for units, people and API tokens (Django's admin)."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from jieban.org.models import ApiToken, Unit, User


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "parent", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("code", "name", "name_en")
    autocomplete_fields = ("parent",)


@admin.register(User)
class PersonAdmin(UserAdmin):
    list_display = ("username", "first_name", "role", "unit", "is_active")
    list_filter = ("role", "is_active", "unit__kind")
    search_fields = ("username", "first_name", "last_name", "unit__name")
    autocomplete_fields = ("unit",)
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        (_("Role in the bureau"), {"fields": ("role", "unit", "phone")}),
    )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "user", "name", "created_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("user__username", "name", "prefix")
    readonly_fields = ("prefix", "created_at")
    fields = ("user", "name", "prefix", "created_at", "revoked_at")

    def has_add_permission(self, request: object, obj: object = None) -> bool:
        # A token is shown once when created: `jieban token create USERNAME`.
        return False
