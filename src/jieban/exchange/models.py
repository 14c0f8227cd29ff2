"""The exchange with the outside (issue 12): 12345 platforms (their configuration, mapping
tables, orders in and messages out), Open311 applications' keys, and ticket imports from
Excel and CSV sheets. Each part adds its models here."""

from __future__ import annotations

import hashlib
import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jieban.tickets.models import Ticket

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
