"""Tickets, their categories, their events (the timeline) and their attachments."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jieban.org.models import Unit


class Category(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    name_en = models.CharField(_("English name"), max_length=80)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    deadline_days = models.PositiveSmallIntegerField(_("deadline in working days"), default=5)
    practical = models.BooleanField(_("practical matter for residents"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [
            models.CheckConstraint(
                condition=Q(deadline_days__gte=1) & Q(deadline_days__lte=365),
                name="category_deadline_days_range",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Channel(models.TextChoices):
    HOTLINE_12345 = "hotline_12345", _("12345 hotline")
    ONLINE_PLATFORM = "online_platform", _("Online platform")
    BUILDING_HEAD = "building_head", _("Building head")
    WALK_IN = "walk_in", _("Walk-in")
    PHONE = "phone", _("Phone")
    OPEN311 = "open311", _("Open311")
    OTHER = "other", _("Other")


class Status(models.TextChoices):
    NEW = "new", _("New")
    DISPATCHED = "dispatched", _("Dispatched")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    INVALID = "invalid", _("Invalid")
    MERGED = "merged", _("Merged")


# Statuses in which a unit's clock runs.
CLOCK_RUNNING = (Status.DISPATCHED, Status.IN_PROGRESS)
# Statuses after which nothing more happens to a ticket.
TERMINAL = (Status.CLOSED, Status.INVALID, Status.MERGED)


class Ticket(models.Model):
    number = models.CharField(_("number"), max_length=24, unique=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.NEW
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    external_id = models.CharField(_("external id"), max_length=100, null=True, blank=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="tickets")
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    grid = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="grid_tickets"
    )
    title = models.CharField(_("title"), max_length=200)
    content = models.TextField(_("content"), max_length=4000)
    address = models.CharField(_("address"), max_length=300, blank=True)
    resident_name = models.CharField(_("resident name"), max_length=60, blank=True)
    resident_phone = models.CharField(_("resident phone"), max_length=20, blank=True)

    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    registered_at = models.DateTimeField(_("registered at"), default=timezone.now)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # 首问负责: the dispatcher who took the call stays answerable for it.
    first_handler = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    due_basis = models.CharField(_("deadline calendar"), max_length=16, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    result = models.TextField(_("result"), max_length=4000, blank=True)
    close_note = models.TextField(_("closing note"), max_length=4000, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_tickets"
    )
    # Bumped by every transition, so a page or client holding an old copy can be told so.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                condition=Q(external_id__isnull=False),
                name="ticket_unique_channel_external_id",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["dispatched", "in_progress"]) | Q(unit__isnull=False),
                name="ticket_running_clock_has_unit",
            ),
        ]
        indexes = [
            models.Index(fields=["-received_at", "-id"], name="ticket_received_idx"),
            models.Index(fields=["status", "-received_at"], name="ticket_status_idx"),
            models.Index(fields=["unit", "status"], name="ticket_unit_status_idx"),
            # The deadline sweep reads only tickets whose clock runs.
            models.Index(
                fields=["due_at"],
                name="ticket_open_due_idx",
                condition=Q(status__in=["dispatched", "in_progress"]),
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_overdue(self) -> bool:
        """Derived, never stored: the clock runs and its deadline has passed."""
        return (
            self.status in CLOCK_RUNNING
            and self.due_at is not None
            and self.due_at < timezone.now()
        )

    @property
    def resolved_on_time(self) -> bool | None:
        if self.resolved_at is None or self.due_at is None:
            return None
        return self.resolved_at <= self.due_at


class TicketUnit(models.Model):
    """Every unit that has held a ticket: its people may keep following it."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="holdings")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="holdings")
    first_held_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit", "ticket"], name="ticket_unit_once"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}@{self.unit_id}"


class TicketEvent(models.Model):
    """One row per thing that happened to a ticket; it feeds the timeline and the statistics."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=24)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["ticket", "at", "id"], name="ticket_event_timeline_idx")]
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.from_status}→{self.to_status}"


class TicketSequence(models.Model):
    """The last number handed out on a day, for readable numbers like JB20260714-0042."""

    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.day}: {self.last}"


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"{instance.ticket.number[2:10]}/{instance.ticket.number}/{filename}"


class Attachment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=300)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")
