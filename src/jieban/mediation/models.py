"""Mediation studios (调解工作室) with their mediators, and mediation cases with their sessions
and events. A mediation committee (调委会) is a unit of kind `committee` with a level
(`jieban.org.models.CommitteeLevel`)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jieban.org.models import Role
from jieban.tickets.models import stored_file_name


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
    # After `succeeded`: every term's performance recorded and the follow-up call done.
    CLOSED = "closed", pgettext_lazy("mediation", "Closed")


# A case that reached an agreement, whether still followed up (`succeeded`) or closed: what
# the figures count as succeeded.
SUCCEEDED_STATUSES = (CaseStatus.SUCCEEDED, CaseStatus.CLOSED)
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
    AGREEMENT = "agreement", _("Agreement recorded")
    SCAN = "scan", _("Signed scan attached")
    PERFORM = "perform", _("Performance recorded")
    VISIT = "visit", _("Follow-up call")
    CLOSE = "close", pgettext_lazy("mediation", "Closed")


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
            # The figures (`jieban.stats.mediation`): acceptances and conclusions of a period,
            # each grouped from its index alone (every column the count and the groupings read
            # is in it), never from the wide rows.
            models.Index(
                fields=["accepted_at", "studio", "committee", "dispute_type"],
                name="mediation_case_accepted_idx",
            ),
            models.Index(
                fields=[
                    "concluded_at",
                    "status",
                    "due_at",
                    "amount",
                    "studio",
                    "committee",
                    "dispute_type",
                ],
                name="mediation_case_concluded_idx",
            ),
            # A studio's or a committee's own figures (`jieban.stats.mediation`, counted from
            # its cases directly): its acceptances and conclusions of a period.
            models.Index(fields=["studio", "accepted_at"], name="mediation_case_studio_acc_idx"),
            models.Index(fields=["committee", "accepted_at"], name="mediation_case_comm_acc_idx"),
            models.Index(fields=["studio", "concluded_at"], name="mediation_case_studio_con_idx"),
            models.Index(fields=["committee", "concluded_at"], name="mediation_case_comm_con_idx"),
            # A station's figures: the cases from its tickets (few among all the cases).
            models.Index(
                fields=["ticket"],
                condition=Q(source="ticket"),
                name="mediation_case_from_ticket_idx",
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

    @property
    def agreement_or_none(self) -> Agreement | None:
        """The case's agreement, or None (a succeeded case's before it is recorded)."""
        try:
            return self.agreement  # type: ignore[no-any-return]
        except ObjectDoesNotExist:
            return None

    def follow_up_at(self, now: dt.datetime) -> str | None:
        """Where the agreement's follow-up call stands (`Clock`); None without an agreement."""
        agreement = self.agreement_or_none
        return agreement.visit_clock_at(now) if agreement is not None else None

    @property
    def follow_up(self) -> str | None:
        return self.follow_up_at(timezone.now())


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


# The follow-up call (回访) to the parties is due within this many days of the agreement's
# signing; it is flagged due soon `VISIT_DUE_SOON` before.
VISIT_WITHIN_DAYS = 15
VISIT_DUE_SOON = dt.timedelta(days=3)


class Party(models.TextChoices):
    """Who performs a term, or who was called."""

    APPLICANT = "applicant", _("Applicant")
    RESPONDENT = "respondent", _("Respondent")
    BOTH = "both", _("Both parties")


class Performance(models.TextChoices):
    """How a term was performed (履行); a term with none recorded has `""`."""

    PERFORMED = "performed", _("Performed")
    PARTLY = "partly", _("Partly performed")
    NOT_PERFORMED = "not_performed", _("Not performed")


def agreement_scan_path(instance: Agreement, filename: str) -> str:
    # Next to the tickets' attachments, in a folder of its own.
    number = instance.case.number
    return f"mediation/{number[2:10]}/{number}/{stored_file_name(filename)}"


class Agreement(models.Model):
    """The mediation agreement (调解协议书, 人民调解法 art. 29) of a case that succeeded: the
    parties are the case's; the facts, each side's responsibility, the date signed here, the
    terms in `AgreementTerm`. Its follow-up call is due by the end of `visit_due_on`."""

    case = models.OneToOneField(MediationCase, on_delete=models.CASCADE, related_name="agreement")
    facts = models.TextField(_("facts of the dispute"))
    applicant_responsibility = models.TextField(_("the applicant's responsibility"))
    respondent_responsibility = models.TextField(_("the respondent's responsibility"))
    signed_on = models.DateField(_("date signed"))
    # The last day of the follow-up call: `signed_on` + VISIT_WITHIN_DAYS.
    visit_due_on = models.DateField(_("follow-up due"))
    # The last term's due date: the agreement has fallen due once this day is past.
    last_due_on = models.DateField(_("last term due"))
    # When every term was first recorded `performed` (cleared if one is later recorded less).
    performed_at = models.DateTimeField(null=True, blank=True)
    # When the follow-up call was done (a visit recorded).
    visited_at = models.DateTimeField(null=True, blank=True)
    # The follow-up warning was sent for this due day.
    warned_visit_on = models.DateField(null=True, blank=True)
    scan = models.FileField(upload_to=agreement_scan_path, max_length=300, blank=True)
    scan_name = models.CharField(max_length=200, blank=True)
    scan_type = models.CharField(max_length=100, blank=True)
    scan_size = models.PositiveIntegerField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("mediation agreement")
        verbose_name_plural = _("mediation agreements")
        constraints = [
            models.CheckConstraint(
                condition=Q(last_due_on__gte=F("signed_on")),
                name="agreement_terms_due_after_signing",
            ),
        ]
        indexes = [
            # The follow-up sweep: agreements not yet followed up, by due day.
            models.Index(
                fields=["visit_due_on"],
                name="agreement_visit_due_idx",
                condition=Q(visited_at__isnull=True),
            ),
            models.Index(fields=["last_due_on"], name="agreement_last_due_idx"),
            # The figures (`jieban.stats.mediation`): the agreements due in a period and how
            # many are performed, from the index alone, with the case to group by.
            models.Index(
                fields=["last_due_on", "performed_at", "case"],
                name="agreement_due_performed_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case} · {self.signed_on}"

    def fell_due_by(self, day: dt.date) -> bool:
        """Every term's date has passed by `day` (its last day is before `day`)."""
        return self.last_due_on < day

    @property
    def fully_performed(self) -> bool:
        return self.performed_at is not None

    @property
    def visit_done(self) -> bool:
        return self.visited_at is not None

    def visit_clock_at(self, now: dt.datetime) -> str:
        """The follow-up's clock: running, due soon, overdue, or stopped once done."""
        if self.visit_done:
            return Clock.STOPPED
        deadline = visit_deadline(self.visit_due_on)
        if now >= deadline:
            return Clock.OVERDUE
        if deadline - now <= VISIT_DUE_SOON:
            return Clock.DUE_SOON
        return Clock.RUNNING

    @property
    def visit_clock(self) -> str:
        return self.visit_clock_at(timezone.now())


def visit_deadline(day: dt.date) -> dt.datetime:
    """The end of local day `day`: the start of the next, when a follow-up due on `day` is
    overdue."""
    start = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min)
    return timezone.make_aware(start, timezone.get_current_timezone())


def fell_due_by(day: dt.date) -> Q:
    """Agreements whose every term's date has passed by `day` (for `Agreement` querysets)."""
    return Q(last_due_on__lt=day)


def fully_performed() -> Q:
    """Agreements whose every term is recorded `performed` (for `Agreement` querysets)."""
    return Q(performed_at__isnull=False)


class AgreementTerm(models.Model):
    """One term agreed: who performs it, what, how and by when; and its performance (履行) as
    last recorded (every record is also a `CaseEvent` of kind `perform`)."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="terms")
    position = models.PositiveSmallIntegerField()
    obligor = models.CharField(_("who performs it"), max_length=10, choices=Party.choices)
    content = models.TextField(_("what is to be done"))
    method = models.CharField(_("how"), max_length=200)
    due_on = models.DateField(_("by when"))
    performance = models.CharField(
        _("performance"), max_length=14, choices=Performance.choices, blank=True
    )
    performed_on = models.DateField(_("performance date"), null=True, blank=True)
    performance_note = models.TextField(_("note"), blank=True)
    performance_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    performance_recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["agreement", "position"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "position"], name="one_term_per_position"),
        ]

    def __str__(self) -> str:
        return f"{self.agreement_id} #{self.position}"

    def fell_due_by(self, day: dt.date) -> bool:
        return self.due_on < day


class AgreementVisit(models.Model):
    """A follow-up call (回访) on an agreement: when, who was called, what they said, whether
    they were satisfied."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="visits")
    visited_on = models.DateField(_("date"))
    called = models.CharField(_("who was called"), max_length=10, choices=Party.choices)
    statement = models.TextField(_("what they said"))
    satisfied = models.BooleanField(_("satisfied"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["visited_on", "pk"]

    def __str__(self) -> str:
        return f"{self.agreement_id} {self.visited_on}"


class HandoverStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the committee")
    ACCEPTED = "accepted", pgettext_lazy("handover", "Accepted")
    DECLINED = "declined", _("Declined")


class Handover(models.Model):
    """A dispute ticket handed by the station holding it to a people's mediation committee
    (公调对接), with its printed referral (委托人民调解书). The committee answers within one
    working day (`answer_due_at`); accepting opens the mediation case (`case`)."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.PROTECT, related_name="handovers")
    station = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="handovers_sent")
    committee = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, related_name="handovers_received"
    )
    # The committee's level when handed over: the counts by level stay as they were.
    level = models.CharField(_("level"), max_length=10)
    dispute_type = models.CharField(_("dispute type"), max_length=24, choices=DisputeType.choices)
    respondent_name = models.CharField(_("respondent"), max_length=80, blank=True)
    note = models.TextField(_("note"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=HandoverStatus.choices, default=HandoverStatus.PENDING
    )
    handed_over_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    handed_over_at = models.DateTimeField(_("handed over at"))
    answer_due_at = models.DateTimeField(_("answer due"))
    # When the sweep flagged the unanswered hand-over to the committee and the station (once).
    overdue_flagged_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    decline_reason = models.TextField(_("reason for declining"), blank=True)
    case = models.OneToOneField(
        MediationCase, null=True, blank=True, on_delete=models.PROTECT, related_name="handover"
    )
    # The mediation failed and the ticket went back to the station (a new handling round).
    returned_at = models.DateTimeField(_("returned to the station at"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-handed_over_at", "-pk"]
        constraints = [
            # One hand-over waiting for an answer per ticket.
            models.UniqueConstraint(
                fields=["ticket"],
                condition=Q(status="pending"),
                name="one_pending_handover_per_ticket",
            ),
            models.CheckConstraint(
                condition=Q(status="accepted") | Q(case__isnull=True),
                name="handover_case_only_when_accepted",
            ),
        ]
        indexes = [
            # The overdue sweep and the committees' lists: waiting hand-overs by deadline.
            models.Index(
                fields=["answer_due_at"],
                name="handover_pending_due_idx",
                condition=Q(status="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} → {self.committee_id}"

    @property
    def is_pending(self) -> bool:
        return self.status == HandoverStatus.PENDING

    def is_overdue_at(self, now: dt.datetime) -> bool:
        """Not answered within its working day."""
        return self.is_pending and now > self.answer_due_at

    @property
    def is_overdue(self) -> bool:
        return self.is_overdue_at(timezone.now())
