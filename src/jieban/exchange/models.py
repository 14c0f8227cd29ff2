"""The exchange with the outside (issue 12): 12345 platforms (their configuration, mapping
tables, orders in and messages out), Open311 applications' keys, and ticket imports from
Excel and CSV sheets. Each part adds its models here.

The 12345 platform link: a `Platform` is configuration (its address, shared secret, whether it
pushes or is pulled, and its mapping tables), never code. Each order it sends is kept once as a
`PlatformOrder` (unique by platform and order number) beside the ticket it became; each step
the platform must know is a `PlatformMessage` in the outbox, written in the step's
transaction; each decision or call it sends back is a `PlatformEvent`, kept once by its id.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jieban.org.models import Unit
from jieban.tickets.models import Category, Ticket


class PlatformMode(models.TextChoices):
    PUSH = "push", _("The platform pushes orders")
    PULL = "pull", _("Jieban pulls orders")


class Platform(models.Model):
    """A 12345 platform Jieban exchanges orders with; its `code` is in the addresses."""

    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    base_url = models.URLField(_("base URL"), blank=True)
    secret = models.CharField(_("shared secret"), max_length=200)
    # During a rotation the previous secret is still accepted until `previous_secret_until`.
    previous_secret = models.CharField(_("previous secret"), max_length=200, blank=True)
    previous_secret_until = models.DateTimeField(
        _("previous secret accepted until"), null=True, blank=True
    )
    mode = models.CharField(
        _("mode"), max_length=8, choices=PlatformMode.choices, default=PlatformMode.PUSH
    )
    pull_cursor = models.CharField(_("pull cursor"), max_length=200, blank=True)
    last_pull_at = models.DateTimeField(_("last successful pull"), null=True, blank=True)
    last_push_at = models.DateTimeField(_("last orders pushed in"), null=True, blank=True)
    last_delivery_at = models.DateTimeField(_("last message delivered"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("12345 platform")
        verbose_name_plural = _("12345 platforms")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class CategoryMapping(models.Model):
    """The platform's category code → a Jieban category."""

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="categories")
    code = models.CharField(_("platform's code"), max_length=40)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["platform", "code"], name="platform_category_once")
        ]
        verbose_name = _("category mapping")

    def __str__(self) -> str:
        return f"{self.code} → {self.category_id}"


class UnitMapping(models.Model):
    """The platform's department code → a Jieban unit."""

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="departments")
    code = models.CharField(_("platform's code"), max_length=40)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["platform", "code"], name="platform_department_once")
        ]
        verbose_name = _("department mapping")

    def __str__(self) -> str:
        return f"{self.code} → {self.unit_id}"


class CodeKind(models.TextChoices):
    # Our message kinds → the platform's status codes (out).
    STATUS = "status", _("Status")
    # Our results → the platform's result codes (out): resolved, unresolved, partly_resolved,
    # not_handled.
    RESULT = "result", _("Result")
    # The platform's follow-up call outcomes → ours (in).
    VISIT = "visit", _("Follow-up call outcome")


class CodeMapping(models.Model):
    """One of the platform's status, result or call-outcome codes and its Jieban meaning."""

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="codes")
    kind = models.CharField(_("kind"), max_length=8, choices=CodeKind.choices)
    theirs = models.CharField(_("platform's code"), max_length=40)
    ours = models.CharField(_("Jieban's value"), max_length=40)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["platform", "kind", "theirs"], name="platform_code_in"),
            models.UniqueConstraint(fields=["platform", "kind", "ours"], name="platform_code_out"),
        ]
        verbose_name = _("code mapping")

    def __str__(self) -> str:
        return f"{self.kind} {self.theirs} = {self.ours}"


class OrderState(models.TextChoices):
    APPLIED = "applied", _("Applied")
    NEEDS_MAPPING = "needs_mapping", _("Needs mapping")


class Awaiting(models.TextChoices):
    NOTHING = "", _("Nothing")
    RETURN = "return", _("Return requested")
    EXTENSION = "extension", _("Extension requested")


class PlatformOrder(models.Model):
    """One order of a platform, kept once whatever the retries, beside the ticket it became."""

    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="orders")
    number = models.CharField(_("order number"), max_length=80)
    revision = models.PositiveIntegerField(_("revision"), default=1)
    payload = models.JSONField(default=dict)
    state = models.CharField(_("state"), max_length=16, choices=OrderState.choices)
    # The codes no mapping covers yet, as "category:C12", "department:D03".
    unmapped = models.JSONField(default=list, blank=True)
    ticket = models.OneToOneField(
        Ticket, null=True, blank=True, on_delete=models.PROTECT, related_name="platform_order"
    )
    root = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # A return or an extension asked of the platform and not decided yet, since when.
    awaiting = models.CharField(max_length=12, choices=Awaiting.choices, blank=True)
    awaiting_since = models.DateTimeField(null=True, blank=True)
    # The time of the latest event applied: an older one that contradicts it is flagged.
    last_event_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["platform", "number"], name="platform_order_once")
        ]
        indexes = [
            models.Index(
                fields=["platform", "received_at"],
                condition=Q(state="needs_mapping"),
                name="platform_order_waiting_idx",
            )
        ]
        verbose_name = _("platform order")

    def __str__(self) -> str:
        return f"{self.platform_id}:{self.number}"


class MessageKind(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted (签收)")
    RETURN_REQUEST = "return_request", _("Return request (退单申请)")
    EXTENSION_REQUEST = "extension_request", _("Extension request (延期申请)")
    PROGRESS = "progress", _("Progress note (阶段性回复)")
    RESULT = "result", _("Result (办结回复)")


class PlatformMessage(models.Model):
    """A step the platform must know, in the outbox until the platform acknowledges it."""

    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="messages")
    order = models.ForeignKey(PlatformOrder, on_delete=models.PROTECT, related_name="messages")
    kind = models.CharField(_("kind"), max_length=20, choices=MessageKind.choices)
    # Its own id, sent with it, so that the platform can drop a message it already has.
    message_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # The ticket event it reports: one message per event, whatever happens.
    ticket_event_id = models.BigIntegerField(null=True, blank=True, unique=True)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=1000, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    acknowledgment = models.TextField(_("acknowledgment"), max_length=2000, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=Q(delivered_at__isnull=True),
                name="platform_message_due_idx",
            )
        ]
        ordering = ["created_at", "id"]
        verbose_name = _("platform message")

    def __str__(self) -> str:
        return f"{self.kind} {self.message_id}"


class MessageAttempt(models.Model):
    """One try at delivering a message, and what came of it."""

    message = models.ForeignKey(PlatformMessage, on_delete=models.CASCADE, related_name="tries")
    at = models.DateTimeField(default=timezone.now)
    ok = models.BooleanField(default=False)
    error = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.message_id} {self.at} {'ok' if self.ok else self.error}"


class EventState(models.TextChoices):
    APPLIED = "applied", _("Applied")
    FLAGGED = "flagged", _("Flagged, not applied")


class PlatformEvent(models.Model):
    """A decision, a follow-up call or an urging sent by the platform, kept once by its id."""

    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="events")
    event_id = models.CharField(_("event id"), max_length=80)
    kind = models.CharField(_("kind"), max_length=24)
    order = models.ForeignKey(
        PlatformOrder, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    occurred_at = models.DateTimeField(_("occurred at"))
    received_at = models.DateTimeField(default=timezone.now)
    payload = models.JSONField(default=dict)
    state = models.CharField(_("state"), max_length=8, choices=EventState.choices)
    reason = models.CharField(_("why flagged"), max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["platform", "event_id"], name="platform_event_once")
        ]
        ordering = ["occurred_at", "id"]
        verbose_name = _("platform event")

    def __str__(self) -> str:
        return f"{self.platform_id}:{self.event_id}"
