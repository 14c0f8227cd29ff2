"""The back office's pages for the 12345 platforms: a platform and its mapping tables are
configuration, added and changed here; orders, messages and events are read here."""

from __future__ import annotations

from django.contrib import admin

from jieban.exchange.models import (
    CategoryMapping,
    CodeMapping,
    Platform,
    PlatformEvent,
    PlatformMessage,
    PlatformOrder,
    UnitMapping,
)


class CategoryMappingInline(admin.TabularInline):
    model = CategoryMapping
    extra = 1


class UnitMappingInline(admin.TabularInline):
    model = UnitMapping
    extra = 1


class CodeMappingInline(admin.TabularInline):
    model = CodeMapping
    extra = 1


@admin.register(Platform)
class PlatformAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "mode", "base_url", "is_active", "last_pull_at",
                    "last_push_at", "last_delivery_at")  # fmt: skip
    readonly_fields = ("last_pull_at", "last_push_at", "last_delivery_at")
    inlines = [CategoryMappingInline, UnitMappingInline, CodeMappingInline]


@admin.register(PlatformOrder)
class PlatformOrderAdmin(admin.ModelAdmin):
    list_display = ("number", "platform", "revision", "state", "ticket", "awaiting", "received_at")
    list_filter = ("platform", "state", "awaiting")
    search_fields = ("number",)
    raw_id_fields = ("ticket", "root")


@admin.register(PlatformMessage)
class PlatformMessageAdmin(admin.ModelAdmin):
    list_display = ("message_id", "platform", "kind", "created_at", "attempts", "delivered_at",
                    "last_error")  # fmt: skip
    list_filter = ("platform", "kind")
    raw_id_fields = ("order",)


@admin.register(PlatformEvent)
class PlatformEventAdmin(admin.ModelAdmin):
    list_display = ("event_id", "platform", "kind", "occurred_at", "state", "reason")
    list_filter = ("platform", "state", "kind")
    raw_id_fields = ("order",)
