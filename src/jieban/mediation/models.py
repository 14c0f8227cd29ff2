"""Mediation studios (调解工作室) with their mediators, and mediation cases with their sessions
and events. A mediation committee (调委会) is a unit of kind `committee` with a level
(`jieban.org.models.CommitteeLevel`)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jieban.org.models import Role


class MediatorKind(models.TextChoices):
    POLICE = "police", _("Police officer")
    PEOPLES_MEDIATOR = "peoples_mediator", _("People's mediator")
    LAWYER = "lawyer", _("Lawyer")
    RETIRED_CADRE = "retired_cadre", _("Retired cadre")
    VOLUNTEER = "volunteer", _("Volunteer")


class Studio(models.Model):
    """A mediation studio, often named after its best-known mediator (老杨调解工作室)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    host_unit = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, related_name="studios", verbose_name=_("host unit")
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    opened_on = models.DateField(_("opened on"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("mediation studio")
        verbose_name_plural = _("mediation studios")

    def __str__(self) -> str:
        return self.name


class StudioMediator(models.Model):
    """A person with the `mediator` role working in a studio, as one kind of mediator."""

    studio = models.ForeignKey(Studio, on_delete=models.CASCADE, related_name="memberships")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="studio_memberships"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=MediatorKind.choices)

    class Meta:
        ordering = ["studio", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["studio", "person"], name="one_membership_per_studio")
        ]

    def __str__(self) -> str:
        return f"{self.studio} · {self.person}"

    def clean(self) -> None:
        """A studio's mediators are people with the `mediator` role (the back office's form)."""
        if self.person_id is not None and self.person.role != Role.MEDIATOR:
            raise ValidationError(
                {
                    "person": _("%(person)s does not have the mediator role.")
                    % {"person": self.person}
                }
            )


class CaseSource(models.TextChoices):
    TICKET = "ticket", _("Ticket handed over")
    APPLICATION = "application", _("Application (申请)")
    REFERRAL = "referral", _("Referral (委托移送)")
    INITIATIVE = "initiative", _("Own initiative (主动)")


class DisputeType(models.TextChoices):
    """The Ministry of Justice's list of dispute types."""

    MARRIAGE_FAMILY = "marriage_family", _("Marriage and family")
    NEIGHBOURS = "neighbours", _("Neighbours")
    HOUSING_HOMESTEAD = "housing_homestead", _("Housing and homestead")
    CONTRACT = "contract", _("Contract")
    BUSINESS = "business", _("Production and business")
    DAMAGES = "damages", _("Damages")
    FOREST_LAND = "forest_land", _("Forest and land")
    LAND_REQUISITION = "land_requisition", _("Land requisition and demolition")
    POLLUTION = "pollution", _("Environmental pollution")
    LABOUR = "labour", _("Labour")
    CONSUMER = "consumer", _("Consumer")
    MEDICAL = "medical", _("Medical")
    ROAD_TRAFFIC = "road_traffic", _("Road traffic")
    PROPERTY_MANAGEMENT = "property_management", _("Property management")
    OTHER = "other", _("Other")


class CaseStatus(models.TextChoices):
    ACCEPTED = "accepted", pgettext_lazy("mediation", "Accepted")
    MEDIATING = "mediating", _("Mediating")
    SUCCEEDED = "succeeded", _("Agreement reached")
    FAILED = "failed", _("Mediation failed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# The stages of a case still being mediated: its clock runs.
OPEN_STATUSES = (CaseStatus.ACCEPTED, CaseStatus.MEDIATING)
# A case is due soon this long before its deadline: flagged on the lists, its people warned.
DUE_SOON = dt.timedelta(days=3)


class Clock:
    """Where a case stands against its deadline."""

    RUNNING = "running"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    STOPPED = "stopped"


class FailureRoute(models.TextChoices):
    """Where the parties are advised to go when mediation fails."""

    LITIGATION = "litigation", _("Litigation")
    ARBITRATION = "arbitration", _("Arbitration")
    PETITION = "petition", _("Petition (信访)")
    OTHER = "other", _("Other")


class CaseEventKind(models.TextChoices):
    OPEN = "open", pgettext_lazy("mediation", "Accepted")
    SESSION = "session", _("Session")
    SUCCEED = "succeed", _("Agreement reached")
    FAIL = "fail", _("Mediation failed")
    WITHDRAW = "withdraw", _("Withdrawn")
    EXTEND = "extend", _("Extended")


class MediationCase(models.Model):
    number = models.CharField(_("number"), max_length=20, unique=True)
    source = models.CharField(_("source"), max_length=12, choices=CaseSource.choices)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="mediation_cases",
    )
    applicant_name = models.CharField(_("applicant"), max_length=80)
    applicant_phone = models.CharField(_("applicant's phone"), max_length=20, blank=True)
    respondent_name = models.CharField(_("respondent"), max_length=80)
    respondent_phone = models.CharField(_("respondent's phone"), max_length=20, blank=True)
    dispute_type = models.CharField(_("dispute type"), max_length=24, choices=DisputeType.choices)
    amount = models.DecimalField(
        _("amount in dispute"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    facts = models.TextField(_("facts"))
    studio = models.ForeignKey(
        Studio, null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    committee = models.ForeignKey(
        "org.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="mediation_cases",
    )
    mediators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="mediation_cases", blank=True
    )
    status = models.CharField(
        _("status"), max_length=10, choices=CaseStatus.choices, default=CaseStatus.ACCEPTED
    )
    accepted_at = models.DateTimeField(pgettext_lazy("mediation", "accepted at"))
    due_at = models.DateTimeField(_("due"))
    # Extended once, with both parties' consent, recorded here.
    extended_at = models.DateTimeField(null=True, blank=True)
    extension_consent = models.TextField(blank=True)
    warned_due_at = models.DateTimeField(null=True, blank=True)
    concluded_at = models.DateTimeField(null=True, blank=True)
    conclusion = models.TextField(blank=True)
    failure_route = models.CharField(max_length=12, choices=FailureRoute.choices, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-accepted_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(studio__isnull=False) & Q(committee__isnull=True))
                | (Q(studio__isnull=True) & Q(committee__isnull=False)),
                name="case_with_a_studio_or_a_committee",
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=0),
                name="case_amount_not_negative",
            ),
        ]
        indexes = [
            # The clocks: open cases by deadline (lists, the due-soon sweep).
            models.Index(
                fields=["due_at"],
                name="mediation_case_open_due_idx",
                condition=Q(status__in=["accepted", "mediating"]),
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue_at(self, now: dt.datetime) -> bool:
        return self.is_open and now > self.due_at

    @property
    def is_overdue(self) -> bool:
        return self.is_overdue_at(timezone.now())

    def clock_at(self, now: dt.datetime) -> str:
        """Running, due soon (within `DUE_SOON`), overdue, or stopped (concluded)."""
        if not self.is_open:
            return Clock.STOPPED
        if now > self.due_at:
            return Clock.OVERDUE
        if self.due_at - now <= DUE_SOON:
            return Clock.DUE_SOON
        return Clock.RUNNING

    @property
    def clock(self) -> str:
        return self.clock_at(timezone.now())

    @property
    def days_left(self) -> int:
        """Whole local days from today to the deadline's day (negative once overdue)."""
        return (timezone.localdate(self.due_at) - timezone.localdate()).days

    @property
    def was_extended(self) -> bool:
        return self.extended_at is not None


class MediationSession(models.Model):
    """One session of mediation: when, who attended, what was said and what was agreed."""

    case = models.ForeignKey(MediationCase, on_delete=models.CASCADE, related_name="sessions")
    held_on = models.DateField(_("date"))
    attendees = models.TextField(_("who attended"))
    discussion = models.TextField(_("what was said"))
    agreed = models.TextField(_("what was agreed"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["held_on", "pk"]

    def __str__(self) -> str:
        return f"{self.case} {self.held_on}"


class CaseEvent(models.Model):
    """Every write to a case: the record its page's history and (later) the figures read."""

    case = models.ForeignKey(MediationCase, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=10, choices=CaseEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10)
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind}"
