"""The back office for units, people and API tokens (Django's admin), and the history of
changes. People are deactivated here, never deleted."""

from __future__ import annotations

import datetime as dt
from typing import Any

from auditlog.models import LogEntry
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from jieban.errors import DomainError
from jieban.org.actions import set_person_active
from jieban.org.lockouts import lift_lockout
from jieban.org.models import ApiToken, ChangeRecord, Unit, User


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "level", "parent", "is_active")
    list_filter = ("kind", "level", "is_active")
    search_fields = ("code", "name", "name_en")
    autocomplete_fields = ("parent",)


@admin.register(User)
class PersonAdmin(UserAdmin):
    list_display = ("username", "first_name", "role", "unit", "status")
    list_filter = ("is_active", "role", "unit__kind")
    search_fields = ("username", "first_name", "last_name", "unit__name")
    autocomplete_fields = ("unit",)
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        (gettext_lazy("Role in the bureau"), {"fields": ("role", "unit", "phone")}),
    )
    actions = ("deactivate", "activate", "lift_lockouts")

    @admin.display(description=gettext_lazy("status"), ordering="is_active")
    def status(self, person: User) -> SafeString:
        if person.is_active:
            return format_html('<span class="person-active">{}</span>', _("active"))
        return format_html('<strong class="person-inactive">{}</strong>', _("deactivated"))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # People are never deleted: what they did keeps their name. Deactivate them instead.
        return False

    def _set_active(self, request: HttpRequest, people: QuerySet[User], *, active: bool) -> int:
        changed = 0
        for person in people:
            try:
                changed += set_person_active(person, active=active, by=request.user)  # type: ignore[arg-type]
            except DomainError as exc:
                self.message_user(request, f"{person.username}: {exc.message}", messages.ERROR)
        return changed

    @admin.action(
        description=gettext_lazy("Deactivate the selected people (they can no longer log in)")
    )
    def deactivate(self, request: HttpRequest, people: QuerySet[User]) -> None:
        count = self._set_active(request, people, active=False)
        self.message_user(
            request,
            ngettext("%(count)d person deactivated.", "%(count)d people deactivated.", count)
            % {"count": count},
        )

    @admin.action(description=gettext_lazy("Activate the selected people again"))
    def activate(self, request: HttpRequest, people: QuerySet[User]) -> None:
        count = self._set_active(request, people, active=True)
        self.message_user(
            request,
            ngettext("%(count)d person activated.", "%(count)d people activated.", count)
            % {"count": count},
        )

    @admin.action(description=gettext_lazy("Lift the selected people's login lockout"))
    def lift_lockouts(self, request: HttpRequest, people: QuerySet[User]) -> None:
        lifted = [
            person.username
            for person in people
            if lift_lockout(username=person.username, by=request.user)  # type: ignore[arg-type]
        ]
        if lifted:
            self.message_user(
                request, _("Failed logins forgotten for: %(names)s.") % {"names": ", ".join(lifted)}
            )
        else:
            self.message_user(request, _("None of them had failed logins counted."))


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


# The history replaces django-auditlog's own page, which speaks only English.
admin.site.unregister(LogEntry)

ACTIONS = {
    LogEntry.Action.CREATE: gettext_lazy("created"),
    LogEntry.Action.UPDATE: gettext_lazy("changed"),
    LogEntry.Action.DELETE: gettext_lazy("deleted"),
    LogEntry.Action.ACCESS: gettext_lazy("read"),
}
# Changes recorded by hand rather than from a model's field (`lift_lockout`).
RECORDED_BY_HAND = {"failed_logins": gettext_lazy("failed logins counted")}


class WhatFilter(admin.SimpleListFilter):
    title = gettext_lazy("what")
    parameter_name = "what"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        kinds = ChangeRecord.objects.values_list("content_type", flat=True).distinct()
        models_of = {
            kind.pk: kind.model_class() for kind in ContentType.objects.filter(pk__in=kinds)
        }
        named = [
            (str(pk), str(model._meta.verbose_name_plural))
            for pk, model in models_of.items()
            if model is not None
        ]
        return sorted(named, key=lambda item: item[1])

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(content_type_id=int(value))
        return queryset


class ActionFilter(admin.SimpleListFilter):
    title = gettext_lazy("action")
    parameter_name = "done"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [(str(value), label) for value, label in ACTIONS.items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(action=int(value))
        return queryset


class WhoFilter(admin.SimpleListFilter):
    title = gettext_lazy("who")
    parameter_name = "who"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        actors = ChangeRecord.objects.exclude(actor=None).values_list("actor", flat=True)
        people = User.objects.filter(pk__in=actors.distinct()).order_by("username")
        return [("system", _("the system"))] + [(str(p.pk), p.username) for p in people]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value == "system":
            return queryset.filter(actor=None)
        if value and value.isdigit():
            return queryset.filter(actor_id=int(value))
        return queryset


def _field(record: LogEntry, field_name: str) -> Any:
    model = record.content_type.model_class()
    try:
        return model._meta.get_field(field_name) if model is not None else None
    except FieldDoesNotExist:
        return None


def _shown(record: LogEntry, field_name: str, value: Any) -> str:
    """A recorded value as a person reads it: a choice's label, yes or no, a time in local
    time (django-auditlog records it in UTC), — for nothing."""
    if value is None or value in ("None", ""):
        return "—"
    field = _field(record, field_name)
    if isinstance(field, models.DateTimeField):
        try:
            moment = dt.datetime.fromisoformat(str(value)).replace(tzinfo=dt.UTC)
        except ValueError:
            return str(value)
        return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")
    choices = dict(getattr(field, "flatchoices", None) or ())
    if str(value) in choices:
        return str(choices[str(value)])
    if value in ("True", True):
        return _("yes")
    if value in ("False", False):
        return _("no")
    return str(value)


def _field_label(record: LogEntry, field_name: str) -> str | None:
    """The field's name as people read it; None for what is not the object's own field (a
    record of a creation lists the objects that point at it too: not shown)."""
    if field_name in RECORDED_BY_HAND:
        return str(RECORDED_BY_HAND[field_name])
    field = _field(record, field_name)
    if field is None or field.auto_created or not (field.concrete or field.many_to_many):
        return None
    return str(field.verbose_name)


@admin.register(ChangeRecord)
class ChangeRecordAdmin(admin.ModelAdmin):
    """Who changed what, when, from what, to what: read-only, for administrators."""

    list_display = ("when", "who", "action_done", "what", "changes_made")
    list_filter = (ActionFilter, WhatFilter, WhoFilter)
    list_select_related = ("content_type", "actor")
    search_fields = ("object_repr", "actor__username", "actor__first_name")
    date_hierarchy = "timestamp"
    fields = ("when", "who", "action_done", "what", "changes_made", "remote_addr")
    readonly_fields = fields
    list_per_page = 100

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The history cannot be erased from the back office.
        return False

    @admin.display(description=gettext_lazy("when"), ordering="timestamp")
    def when(self, record: LogEntry) -> Any:
        return record.timestamp

    @admin.display(description=gettext_lazy("who"), ordering="actor")
    def who(self, record: LogEntry) -> str:
        if record.actor is None:
            return _("the system")
        return f"{record.actor} ({record.actor.username})"

    @admin.display(description=gettext_lazy("action"), ordering="action")
    def action_done(self, record: LogEntry) -> str:
        return str(ACTIONS.get(record.action, record.action))

    @admin.display(description=gettext_lazy("what"))
    def what(self, record: LogEntry) -> SafeString:
        model = record.content_type.model_class()
        kind = str(model._meta.verbose_name) if model is not None else record.content_type.model
        try:
            link = reverse(
                f"admin:{record.content_type.app_label}_{record.content_type.model}_change",
                args=[record.object_pk],
            )
        except NoReverseMatch:
            link = ""
        if link and record.action != LogEntry.Action.DELETE:
            return format_html('{}: <a href="{}">{}</a>', kind, link, record.object_repr)
        return format_html("{}: {}", kind, record.object_repr)

    @admin.display(description=gettext_lazy("from → to"))
    def changes_made(self, record: LogEntry) -> SafeString:
        rows = []
        for name, change in sorted((record.changes or {}).items()):
            label = _field_label(record, name)
            if label is None:
                continue
            if isinstance(change, dict):  # a many-to-many field: objects added or removed
                sign = "+" if change.get("operation") == "add" else "−"
                objects = ", ".join(str(item) for item in change.get("objects", ()))
                rows.append((label, f"{sign} {objects}"))
            else:
                old, new = (_shown(record, name, value) for value in change)
                if old != new:  # not an empty field "created" empty
                    rows.append((label, f"{old} → {new}"))
        return format_html_join("", '<div class="change"><strong>{}</strong>: {}</div>', rows)
