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

import hashlib
import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jieban.org.models import Unit
from jieban.tickets.models import Category, Channel, Ticket

# --- The 12345 platform link (README, "The 12345 platform link") ------------------------


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
    # Why the latest revision was stored but not applied in full (another unit or category
    # the ticket could no longer take), for the exchange page; empty when it was.
    flag = models.CharField(_("flag"), max_length=500, blank=True, default="")
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
            ),
            # The operator's probes (`jieban.ops.outboxes`): each active platform's undelivered
            # messages, counted and looked through by due time, whatever a platform switched
            # off has left waiting.
            models.Index(
                fields=["platform", "next_attempt_at"],
                condition=Q(delivered_at__isnull=True),
                name="platform_message_waiting_idx",
            ),
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


# --- Open311 GeoReport v2 (README, "Open311 GeoReport v2") ------------------------------------


def hash_open311_key(raw: str) -> str:
    """What is stored of an application's key: its SHA-256."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def new_open311_key() -> str:
    """A fresh key: 256 random bits, shown once."""
    return "o311_" + secrets.token_urlsafe(32)


class Open311Key(models.Model):
    """An application's key for POSTing service requests to the Open311 server; only its
    SHA-256 is stored, the key itself is shown once. Revoked, never deleted: the requests it
    sent keep their sender."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("prefix"), max_length=9, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("Open311 application key")
        verbose_name_plural = _("Open311 application keys")

    def __str__(self) -> str:
        return self.name

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class Open311Request(models.Model):
    """What an Open311 service request brought beside its ticket: the application that sent
    it, where (WGS-84 `lat`/`long`, the jurisdiction's `address_id`), its `media_url`, the
    submitter's email and the service's attributes. Shown in the GeoReport answers but the
    email, which, like the resident's name and phone on the ticket, is never published."""

    ticket = models.OneToOneField(
        Ticket, on_delete=models.CASCADE, related_name="open311", verbose_name=_("ticket")
    )
    key = models.ForeignKey(
        Open311Key,
        on_delete=models.PROTECT,
        related_name="requests",
        verbose_name=_("Open311 application key"),
    )
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    long = models.FloatField(_("longitude"), null=True, blank=True)
    address_id = models.CharField(_("address id"), max_length=100, blank=True)
    media_url = models.URLField(_("media URL"), max_length=500, blank=True)
    email = models.EmailField(_("email"), blank=True)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)

    class Meta:
        verbose_name = _("Open311 service request")
        verbose_name_plural = _("Open311 service requests")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(lat__isnull=True, long__isnull=True)
                | models.Q(lat__gte=-90, lat__lte=90, long__gte=-180, long__lte=180),
                name="open311_request_position_in_range",
            )
        ]

    def __str__(self) -> str:
        return str(self.ticket)


# --- Ticket imports from Excel and CSV (README, "Importing tickets from Excel and CSV") ---


class ImportField(models.TextChoices):
    """The ticket fields a sheet's columns are mapped to."""

    ORDER_NUMBER = "order_number", _("Order number")
    RECEIVED_AT = "received_at", _("Received at")
    RESIDENT_NAME = "resident_name", _("Caller's name")
    RESIDENT_PHONE = "resident_phone", _("Caller's phone")
    TITLE = "title", _("Title")
    CONTENT = "content", _("Content")
    ADDRESS = "address", _("Address")
    CATEGORY = "category", _("Category code")
    UNIT = "unit", _("Unit code")
    DUE_AT = "due_at", _("Deadline")


# The channels a source's tickets may come in by.
IMPORT_CHANNELS = (Channel.HOTLINE_12345, Channel.ONLINE_PLATFORM, Channel.OTHER)


class ImportSource(models.Model):
    """Where sheets come from (a platform's export, a department's list): its name, the
    channel its tickets come in by, and the mapping of its sheets' column headers to ticket
    fields (`mapping`: field → header), made once and reused by every import."""

    name = models.SlugField(_("name"), max_length=40, unique=True, allow_unicode=False)
    channel = models.CharField(
        _("channel"),
        max_length=20,
        choices=[(channel.value, channel.label) for channel in IMPORT_CHANNELS],
        default=Channel.HOTLINE_12345,
    )
    mapping = models.JSONField(_("column mapping"), default=dict)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        ordering = ["name"]
        verbose_name = _("import source")
        verbose_name_plural = _("import sources")

    def __str__(self) -> str:
        return self.name


class ImportState(models.TextChoices):
    CHECKED = "checked", _("Checked")
    CONFIRMED = "confirmed", _("Confirmed")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class TicketImport(models.Model):
    """One file imported from a source: checked (its rows' errors, or its rows ready), then
    confirmed by a person (or the command) and written chunk by chunk, by the worker when it
    is long; `next_row` is where a stopped or failed import resumes. One per source and file
    (its SHA-256): the same file again changes nothing."""

    source = models.ForeignKey(
        ImportSource, on_delete=models.PROTECT, related_name="imports", verbose_name=_("source")
    )
    file_name = models.CharField(_("file name"), max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    state = models.CharField(
        _("state"), max_length=10, choices=ImportState.choices, default=ImportState.CHECKED
    )
    # The rows checked and ready, as `register_ticket` takes them (dates in ISO 8601); empty
    # when any row is wrong, then `errors` lists every wrong cell.
    rows = models.JSONField(_("rows"), default=list)
    # The wrong cells, at most MAX_LISTED_ERRORS of them (`error_count` has them all), and the
    # rows the intake refused while writing (a rule that changed since the check).
    errors = models.JSONField(_("errors"), default=list)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    next_row = models.PositiveIntegerField(_("rows processed"), default=0)
    created_count = models.PositiveIntegerField(_("tickets created"), default=0)
    existing_count = models.PositiveIntegerField(_("already there"), default=0)
    refused_count = models.PositiveIntegerField(_("rows refused"), default=0)
    failure = models.TextField(_("failure"), blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("checked by"),
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("confirmed by"),
    )
    checked_at = models.DateTimeField(_("checked at"))
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    # When the running import last wrote a chunk: a worker that died leaves it stale.
    heartbeat_at = models.DateTimeField(_("last progress"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-checked_at", "-pk"]
        verbose_name = _("ticket import")
        verbose_name_plural = _("ticket imports")
        constraints = [
            models.UniqueConstraint(fields=["source", "sha256"], name="one_import_per_file"),
            models.CheckConstraint(
                condition=models.Q(next_row__lte=models.F("rows_total")),
                name="import_progress_within_rows",
            ),
        ]
        indexes = [
            models.Index(
                fields=["state", "heartbeat_at"],
                name="import_to_run",
                condition=models.Q(state__in=["confirmed", "running"]),
            )
        ]

    def __str__(self) -> str:
        return f"{self.source.name}: {self.file_name}"

    @property
    def progress(self) -> int:
        """How far the import is, in percent of its rows."""
        return 100 * self.next_row // self.rows_total if self.rows_total else 100
