"""The exchange with the outside (issue 12): 12345 platforms (their configuration, mapping
tables, orders in and messages out), Open311 applications' keys, and ticket imports from
Excel and CSV sheets. Each part adds its models here."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jieban.tickets.models import Channel, Ticket

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
