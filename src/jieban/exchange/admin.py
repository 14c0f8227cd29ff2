"""The back office for the exchange: the 12345 platforms (a platform and its mapping tables
are configuration, added and changed here; orders, messages and events are read here), the
Open311 applications' keys (issued and revoked here or with `jieban open311 key`, by
administrators: `can_manage_open311_keys`) and the requests they sent."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from jieban.errors import DomainError
from jieban.exchange.models import (
    CategoryMapping,
    CodeMapping,
    Open311Key,
    Open311Request,
    Platform,
    PlatformEvent,
    PlatformMessage,
    PlatformOrder,
    UnitMapping,
)
from jieban.exchange.open311 import issue_open311_key, revoke_open311_key
from jieban.inputs import clean_text
from jieban.org.permissions import can_manage_open311_keys


class Open311KeyForm(forms.ModelForm):
    class Meta:
        model = Open311Key
        fields = ("name",)

    def clean_name(self) -> str:
        try:
            return clean_text(
                self.cleaned_data.get("name"),
                field="name",
                label=_("The application's name"),
                limit=80,
                required=True,
            )
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from exc


@admin.register(Open311Key)
class Open311KeyAdmin(admin.ModelAdmin):
    form = Open311KeyForm
    list_display = ("name", "prefix", "created_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "prefix")
    actions = ("revoke",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # A key is issued once, with its name; afterwards it is only revoked (the action).
        return ("name", "prefix", "created_at", "revoked_at") if obj is not None else ()

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("name", "prefix", "created_at", "revoked_at") if obj is not None else ("name",)

    def _may(self, request: HttpRequest) -> bool:
        return can_manage_open311_keys(request.user)  # type: ignore[arg-type]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._may(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._may(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Revoked, never deleted: the requests an application sent keep their sender.
        return False

    def save_model(self, request: HttpRequest, obj: Open311Key, form: Any, change: bool) -> None:
        if change:
            return  # nothing is edited; the change page only shows the key
        key, raw = issue_open311_key(obj.name, by=request.user)  # type: ignore[arg-type]
        obj.pk, obj.key_hash, obj.prefix, obj.created_at = (
            key.pk,
            key.key_hash,
            key.prefix,
            key.created_at,
        )
        obj._state.adding = False
        self.message_user(
            request,
            _("The key of %(name)s, shown this once (copy it now): %(key)s")
            % {"name": key.name, "key": raw},
            messages.WARNING,
        )

    @admin.action(description=gettext_lazy("Revoke the selected keys"))
    def revoke(self, request: HttpRequest, keys: QuerySet[Open311Key]) -> None:
        revoked = 0
        for key in keys:
            if key.revoked_at is None:
                revoke_open311_key(key.name, by=request.user)  # type: ignore[arg-type]
                revoked += 1
        self.message_user(
            request,
            ngettext("%(count)d key revoked.", "%(count)d keys revoked.", revoked)
            % {"count": revoked},
        )


@admin.register(Open311Request)
class Open311RequestAdmin(admin.ModelAdmin):
    """Read only: a request changes through its ticket."""

    list_display = ("ticket", "key", "lat", "long", "address_id")
    list_filter = ("key",)
    search_fields = ("ticket__number", "address_id")
    list_select_related = ("ticket", "key")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can_manage_open311_keys(request.user)  # type: ignore[arg-type]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_manage_open311_keys(request.user)  # type: ignore[arg-type]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


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
    list_display = (
        "number",
        "platform",
        "revision",
        "state",
        "ticket",
        "awaiting",
        "flag",
        "received_at",
    )
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
