"""The community network: towns, where communities and grids stand over time, and buildings.

A grid and a community keep their identity as units of the organisation (`org.Unit` of kind
`grid` and `community`): a ticket's `grid` points at the unit, and the statistics group by it.
What changes when the map is redrawn is kept here in versions with validity dates
[`valid_from`, `valid_to`): a grid's name, community, station and boundary
(`GridVersion`), a community's town (`CommunityVersion`). Redrawing a boundary closes the
current version and opens the next, so a ticket counted last year stays in last year's grid.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jieban.addresses import read_address
from jieban.org.models import Unit


class Town(models.Model):
    """A town or street (乡镇/街道): the level above communities and villages."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    name_en = models.CharField(_("English name"), max_length=120, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("town / street")
        verbose_name_plural = _("towns / streets")

    def __str__(self) -> str:
        return self.name


class CommunityVersion(models.Model):
    """Which town a community or village belonged to from `valid_from` until `valid_to`."""

    community = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="community_versions")
    town = models.ForeignKey(Town, on_delete=models.PROTECT, related_name="community_versions")
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid until"), null=True, blank=True)

    class Meta:
        ordering = ["community_id", "valid_from"]
        verbose_name = _("community's town")
        verbose_name_plural = _("communities' towns")
        constraints = [
            models.UniqueConstraint(
                fields=["community", "valid_from"], name="community_version_once_a_day"
            ),
            models.UniqueConstraint(
                fields=["community"],
                condition=Q(valid_to__isnull=True),
                name="community_version_one_open",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=F("valid_from")),
                name="community_version_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.community_id} {self.valid_from}"


class GridVersion(models.Model):
    """A grid as it stood from `valid_from` until `valid_to` (open: still so): its name, its
    community, the police station whose area it is in, and its boundary (a GeoJSON Polygon or
    MultiPolygon in WGS-84, or none)."""

    grid = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="grid_versions")
    name = models.CharField(_("name"), max_length=120)
    community = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    station = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    boundary = models.JSONField(_("boundary"), null=True, blank=True)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid until"), null=True, blank=True)
    recorded_at = models.DateTimeField(auto_now=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["grid_id", "valid_from"]
        verbose_name = _("grid version")
        verbose_name_plural = _("grid versions")
        constraints = [
            models.UniqueConstraint(fields=["grid", "valid_from"], name="grid_version_once_a_day"),
            models.UniqueConstraint(
                fields=["grid"], condition=Q(valid_to__isnull=True), name="grid_version_one_open"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=F("valid_from")),
                name="grid_version_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.valid_from}"


class BuildingKind(models.TextChoices):
    BUILDING = "building", pgettext_lazy("community", "Building")
    COURTYARD = "courtyard", _("Courtyard")


class Building(models.Model):
    """A building or courtyard (楼栋/院落) with its address, in a grid. `address_key` is the
    address read by `read_address` (its `building_key`), kept on every save so that the
    intake finds the building a caller names however the caller writes it."""

    grid = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="buildings")
    kind = models.CharField(
        _("kind"), max_length=16, choices=BuildingKind.choices, default=BuildingKind.BUILDING
    )
    name = models.CharField(_("name"), max_length=120)
    address = models.CharField(_("address"), max_length=200)
    address_key = models.CharField(max_length=200, blank=True, editable=False)
    # The same place without the building (幸福小区 for 幸福小区3栋): a partial match's key.
    place_key = models.CharField(max_length=200, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["grid_id", "name"]
        verbose_name = pgettext_lazy("community", "building")
        verbose_name_plural = pgettext_lazy("community", "buildings")
        constraints = [
            models.UniqueConstraint(fields=["grid", "name"], name="building_name_in_grid"),
        ]
        indexes = [
            models.Index(fields=["address_key"], name="building_address_key_idx"),
            models.Index(fields=["place_key"], name="building_place_key_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.key_address()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "address" in update_fields:
            kwargs["update_fields"] = {*update_fields, "address_key", "place_key"}
        super().save(*args, **kwargs)

    def key_address(self) -> None:
        """Read the address into its keys (a bulk insert calls it; `save` always does)."""
        parts = read_address(self.address)
        self.address_key, self.place_key = parts.building_key, parts.place


class Post(models.TextChoices):
    """What an appointment letter appoints to: the buildings of a building head, the grids of
    a grid police chief, the grid of a grid officer."""

    BUILDING_HEAD = "building_head", _("Building head")
    GRID_CHIEF = "grid_chief", _("Grid police chief")
    GRID_OFFICER = "grid_officer", _("Grid officer")


class AppointmentStatus(models.TextChoices):
    ACTIVE = "active", _("In force")
    RENEWED = "renewed", _("Renewed")
    REVOKED = "revoked", _("Revoked")


class Appointment(models.Model):
    """An appointment letter (聘书): the person, the post, the buildings or grids, the term
    [starts_on, ends_on] (both days included) and the station that issued it. Expired is
    derived from `ends_on`, never stored; a renewal issues the next letter and marks this one
    renewed, a revocation keeps its reason."""

    number = models.CharField(_("number"), max_length=60, unique=True)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="appointments"
    )
    post = models.CharField(_("post"), max_length=20, choices=Post.choices)
    buildings = models.ManyToManyField(Building, blank=True, related_name="appointments")
    grids = models.ManyToManyField(Unit, blank=True, related_name="appointments")
    starts_on = models.DateField(_("term starts"))
    ends_on = models.DateField(_("term ends"))
    issued_by_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    issued_on = models.DateField(_("issued on"))
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=AppointmentStatus.choices,
        default=AppointmentStatus.ACTIVE,
    )
    renewal_of = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="renewed_by"
    )
    revoked_on = models.DateField(_("revoked on"), null=True, blank=True)
    revoke_reason = models.TextField(_("reason for revoking"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-issued_on", "-number"]
        verbose_name = _("appointment letter")
        verbose_name_plural = _("appointment letters")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="appointment_term_in_order"
            ),
        ]
        indexes = [models.Index(fields=["status", "ends_on"], name="appointment_expiry")]

    def __str__(self) -> str:
        return self.number

    @property
    def is_expired(self) -> bool:
        """In force, but its term ended before today."""
        return self.status == AppointmentStatus.ACTIVE and self.ends_on < timezone.localdate()


class PhoneReport(models.Model):
    """A report sent from the phone (随手报) by a building head or grid officer: the ticket it
    became, who sent it under which letter, the building it is about (a building head's) and
    the place the phone shared, if it did (WGS-84)."""

    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.PROTECT, related_name="phone_report"
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="phone_reports"
    )
    appointment = models.ForeignKey(Appointment, on_delete=models.PROTECT, related_name="reports")
    grid = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="phone_reports")
    building = models.ForeignKey(
        Building, null=True, blank=True, on_delete=models.PROTECT, related_name="phone_reports"
    )
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    sent_at = models.DateTimeField(_("sent at"))

    class Meta:
        ordering = ["-sent_at", "-id"]
        verbose_name = _("phone report")
        verbose_name_plural = _("phone reports")
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="phone_report_place_whole",
            ),
        ]
        indexes = [
            models.Index(fields=["reporter", "-sent_at"], name="phone_report_reporter_idx"),
            models.Index(fields=["grid", "sent_at"], name="phone_report_grid_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reporter_id} {self.ticket_id}"
