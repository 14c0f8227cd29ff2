"""Units in a tree, the people in them with one role each, and their API tokens."""

from __future__ import annotations

import hashlib
import secrets

from auditlog.models import LogEntry
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class UnitKind(models.TextChoices):
    BUREAU = "bureau", _("Bureau")
    CENTRE = "centre", _("Command centre")
    STATION = "station", _("Police station")
    COMMUNITY = "community", _("Community / village")
    GRID = "grid", _("Grid")
    COMMITTEE = "committee", _("Mediation committee")


class CommitteeLevel(models.TextChoices):
    """The three levels of the people's mediation network (三级调解网络)."""

    TOWN = "town", _("Town (乡镇)")
    VILLAGE = "village", _("Village / community (村/社区)")
    GROUP = "group", _("Village group (组)")


class Unit(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=UnitKind.choices)
    name = models.CharField(_("name"), max_length=120)
    name_en = models.CharField(_("English name"), max_length=120, blank=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent unit"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    # A mediation committee's level (调委会: town, village, village group); no other unit has one.
    level = models.CharField(_("level"), max_length=10, choices=CommitteeLevel.choices, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="committee") & ~Q(level=""))
                | (~Q(kind="committee") & Q(level="")),
                name="unit_level_only_for_committees",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def can_handle_tickets(self) -> bool:
        """Units that tickets may be dispatched to: not the bureau or the command centre."""
        return self.kind not in (UnitKind.BUREAU, UnitKind.CENTRE, UnitKind.COMMITTEE)


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    DISPATCHER = "dispatcher", _("Dispatcher")
    SUPERVISOR = "supervisor", _("Supervisor")
    UNIT_HANDLER = "unit_handler", _("Unit handler")
    UNIT_LEADER = "unit_leader", _("Unit leader")
    LEADER = "leader", _("Bureau leader")
    MEDIATOR = "mediator", _("Mediator")
    GRID_OFFICER = "grid_officer", _("Grid officer")
    BUILDING_HEAD = "building_head", _("Building head")


# Roles of the command centre: they see every ticket of the bureau and run intake and dispatch.
CENTRE_ROLES = frozenset({Role.ADMIN, Role.DISPATCHER, Role.SUPERVISOR})
# Roles that see the whole bureau.
BUREAU_WIDE_ROLES = CENTRE_ROLES | {Role.LEADER}
# Roles that work tickets held by their own unit.
UNIT_WORKER_ROLES = frozenset(
    {Role.UNIT_HANDLER, Role.UNIT_LEADER, Role.GRID_OFFICER, Role.MEDIATOR}
)
# Roles that may register and dispatch tickets.
DISPATCH_ROLES = frozenset({Role.ADMIN, Role.DISPATCHER})


class User(AbstractUser):
    role = models.CharField(
        _("role"), max_length=20, choices=Role.choices, default=Role.UNIT_HANDLER
    )
    unit = models.ForeignKey(
        Unit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="people",
        verbose_name=_("unit"),
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self) -> str:
        full = self.get_full_name()
        return full or self.username

    @property
    def display_name(self) -> str:
        return str(self)

    @property
    def sees_whole_bureau(self) -> bool:
        return self.role in BUREAU_WIDE_ROLES

    @property
    def is_centre_staff(self) -> bool:
        return self.role in CENTRE_ROLES

    @property
    def can_dispatch(self) -> bool:
        return self.role in DISPATCH_ROLES

    @property
    def works_unit_tickets(self) -> bool:
        return self.role in UNIT_WORKER_ROLES and self.unit_id is not None


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class ApiToken(models.Model):
    """A bearer token; only its SHA-256 is stored, the token itself is shown once."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("person")
    )
    name = models.CharField(_("name"), max_length=80, blank=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("prefix"), max_length=8, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @classmethod
    def issue(cls, user: User, *, name: str = "") -> tuple[ApiToken, str]:
        raw = "jb_" + secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, key_hash=hash_token(raw), prefix=raw[:8])
        return token, raw


class ChangeRecord(LogEntry):
    """One change in the history (`jieban.org.history`): django-auditlog's record, shown to
    administrators in the back office under this name."""

    class Meta:
        proxy = True
        ordering = ["-timestamp"]
        verbose_name = pgettext_lazy("history", "change")
        verbose_name_plural = _("history of changes")
