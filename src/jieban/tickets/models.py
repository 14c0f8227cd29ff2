"""Tickets, their categories, their events (the timeline) and their attachments."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jieban.addresses import read_address
from jieban.inputs import fits_utf8, printable
from jieban.org.models import Unit


class Category(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    name_en = models.CharField(_("English name"), max_length=80)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent category"),
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
    """Where a ticket came from, named as the dispatchers name them (12345热线, 来电, …)."""

    HOTLINE_12345 = "hotline_12345", _("12345 hotline")
    ONLINE_PLATFORM = "online_platform", _("Online platform")
    # A building head's report; "Building head" alone is the role.
    BUILDING_HEAD = "building_head", pgettext_lazy("channel", "Building head")
    WALK_IN = "walk_in", _("Walk-in")
    # A call to the station's own number; "Phone" alone is the resident's number.
    PHONE = "phone", pgettext_lazy("channel", "Phone")
    OPEN311 = "open311", _("Open311")
    # A grid officer's report from the phone (随手报); "Grid" alone is the unit.
    GRID = "grid", pgettext_lazy("channel", "Grid")
    OTHER = "other", _("Other")


# The community network's own reports (随手报): building heads' and grid officers'. Their
# reporters are told when one is resolved, and the figures count their share of all received.
NETWORK_CHANNELS = (Channel.BUILDING_HEAD, Channel.GRID)


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


def clock_running() -> RawSQL:
    """A filter for tickets whose clock runs, spelled out literally.

    SQLite uses the partial index on `due_at` only when the query repeats the index's condition
    word for word; statuses bound as parameters (`status IN (?, ?)`) do not count. The sweeps
    and the overdue filters use this so that they read the index, not every open ticket.
    """
    return RawSQL(
        "\"tickets_ticket\".\"status\" IN ('dispatched', 'in_progress')",
        (),
        output_field=models.BooleanField(),
    )


def status_is(status: str) -> RawSQL:
    """`status = '<status>'` spelled out literally, for the same reason as `clock_running`:
    the partial indexes on new and on dispatched tickets."""
    if status not in Status.values:
        raise ValueError(status)
    return RawSQL(
        f'"tickets_ticket"."status" = \'{status}\'', (), output_field=models.BooleanField()
    )


def dispatch_late(now: dt.datetime) -> Q:
    """New tickets whose dispatch clock ran out by `now` (with `status_is(Status.NEW)`)."""
    return Q(status=Status.NEW, dispatch_due_at__lt=now)


def accept_late(now: dt.datetime) -> Q:
    """Dispatched tickets not signed for by the end of the working day after dispatch."""
    return Q(status=Status.DISPATCHED, accept_due_at__lt=now)


# The status sets, each defined once. After these nothing more happens to a ticket (the
# campaign counts them as cleared: closed, or left the books as invalid or merged).
TERMINAL = (Status.CLOSED, Status.INVALID, Status.MERGED)
# Still on someone's desk: everything before the terminal statuses.
OPEN = (Status.NEW, Status.DISPATCHED, Status.IN_PROGRESS, Status.RESOLVED)
# The unit reported a result: resolved, and closed after it (the closure rate's numerator).
RESOLVED = (Status.RESOLVED, Status.CLOSED)
# Out of every figure and rate: not a matter (invalid) or counted in another ticket (merged).
NOT_COUNTED = (Status.INVALID, Status.MERGED)


class EventKind(models.TextChoices):
    """What a `TicketEvent` records: a transition (named as its action), or something that
    happened to a ticket without changing its status."""

    INTAKE = "intake", _("Registered")
    DISPATCH = "dispatch", _("Dispatched")
    ACCEPT = "accept", _("Accepted")
    RETURN = "return", _("Returned to the command centre")
    RESOLVE = "resolve", _("Resolved")
    CLOSE = "close", _("Closed")
    INVALIDATE = "invalidate", _("Marked invalid")
    MERGE = "merge", _("Merged into another ticket")
    REOPEN = "reopen", _("Reopened")
    MERGED_IN = "merged_in", _("Another ticket merged in")
    ATTACHMENT = "attachment", _("Attachment added")
    VISIT = "visit", _("Follow-up call")
    SUPERVISE = "supervise", _("Supervision order issued")
    REPEAT = "repeat", _("Reported again")
    REPEAT_OF = "repeat_of", _("Marked as a repeat")
    ESCALATE = "escalate", _("Escalated to the bureau's leaders")
    EXTENSION_REQUEST = "extension_request", _("Extension requested")
    EXTENSION_APPROVE = "extension_approve", _("Extension approved")
    EXTENSION_REJECT = "extension_reject", _("Extension rejected")
    # 公调对接: handed to a people's mediation committee (a transition: its handling is
    # resolved), the committee's answer, and how the mediation ended.
    HANDOVER = "handover", _("Handed over for people's mediation")
    HANDOVER_ACCEPT = "handover_accept", _("Mediation case opened")
    MEDIATION_END = "mediation_end", _("Mediation concluded")
    # The 12345 platform link (jieban.exchange): a progress note the unit sends up
    # (阶段性回复), and what the platform changed (a corrected order, a decision).
    PROGRESS = "progress", _("Progress reported")
    PLATFORM_UPDATE = "platform_update", _("Changed by the 12345 platform")
    # A return on a platform's ticket is a request the platform decides (退单申请): the ticket
    # stays with the unit until the platform approves (then `return`) or refuses it.
    RETURN_REQUEST = "return_request", _("Return requested")
    RETURN_REFUSED = "return_refused", _("Return refused by the 12345 platform")


class Outcome(models.TextChoices):
    """What the unit's result says of the matter (the platforms' result codes map from it)."""

    RESOLVED = "resolved", _("Resolved")
    UNRESOLVED = "unresolved", _("Not resolved")
    PARTLY_RESOLVED = "partly_resolved", _("Partly resolved")
    NOT_HANDLED = "not_handled", _("Not handled (returned)")


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
    # The address read into keys (jieban.addresses): equal for every way of writing one home,
    # one building. The earlier reports of the same matter are looked up by them; kept by
    # `keep_address_keys` wherever the address is written.
    address_key = models.CharField(
        _("home key"), max_length=320, blank=True, default="", editable=False
    )
    building_key = models.CharField(
        _("building key"), max_length=320, blank=True, default="", editable=False
    )

    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    registered_at = models.DateTimeField(_("registered at"), default=timezone.now)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    # 首问负责: the dispatcher who took the call stays answerable for it.
    first_handler = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    due_basis = models.CharField(_("deadline calendar"), max_length=16, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    result = models.TextField(_("result"), max_length=4000, blank=True)
    # The outcome the unit chose with its result (empty before one; nullable columns, added
    # in place on SQLite).
    result_outcome = models.CharField(
        _("outcome"), max_length=16, choices=Outcome.choices, null=True, blank=True
    )
    # A ticket of a 12345 platform: the platform, not the command centre, decides its returns
    # and extensions (jieban.exchange); and since when its unit's return request waits.
    platform_decides = models.BooleanField(
        _("decided by the 12345 platform"), null=True, blank=True, editable=False
    )
    return_requested_at = models.DateTimeField(_("return requested at"), null=True, blank=True)
    close_note = models.TextField(_("closing note"), max_length=4000, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_tickets"
    )
    # Bumped by every transition, so a page or client holding an old copy can be told so.
    version = models.PositiveIntegerField(default=1)

    # Supervision: the highest level of the orders issued on it (0 none, 1-3), when it first
    # missed a deadline (a supervised ticket was late, whatever its later deadlines say), and
    # the deadline its due-soon warning was sent for (one warning per ticket and deadline).
    supervision_level = models.PositiveSmallIntegerField(_("supervision level"), default=0)
    breached_at = models.DateTimeField(_("first missed a deadline at"), null=True, blank=True)
    warned_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The other clocks (DESIGN.md, "Clocks"). Dispatch: a new ticket should be dispatched by
    # `dispatch_due_at` (registration or return + JIEBAN_DISPATCH_WITHIN_HOURS); signing for
    # it: by `accept_due_at` (the end of the working day after dispatch); the follow-up call:
    # by `visit_due_at` (2 working days after resolution). A missed clock is recorded once,
    # when the sweep notices it (`dispatch_late_at`, `accept_late_at`), with one notice.
    dispatch_due_at = models.DateTimeField(_("dispatch due at"), null=True, blank=True)
    dispatch_late_at = models.DateTimeField(_("found late for dispatch at"), null=True, blank=True)
    accept_due_at = models.DateTimeField(_("acceptance due at"), null=True, blank=True)
    accept_late_at = models.DateTimeField(_("found late for acceptance at"), null=True, blank=True)
    visit_due_at = models.DateTimeField(_("follow-up call due at"), null=True, blank=True)
    # When the sweep must next look at this ticket's deadline or its open order (tickets/
    # supervision.py, `watch_from`); empty when nothing more can happen: the clock stopped, or
    # a level-3 order ran out and the ticket went to the leaders (`escalated_at`, once).
    watch_at = models.DateTimeField(null=True, blank=True, editable=False)
    escalated_at = models.DateTimeField(_("escalated to the leaders at"), null=True, blank=True)
    # The outcome of the latest follow-up call ("" before any): the satisfaction rate reads it.
    visit_outcome = models.CharField(_("latest follow-up outcome"), max_length=20, blank=True)
    # Resolved by a hand-over to people's mediation: since when the follow-up call waits for the
    # case to conclude (`jieban.tickets.handover`); the follow-up queue leaves the ticket out.
    # (A nullable column: SQLite adds it in place, without rebuilding the table and its search
    # triggers.)
    visit_held_at = models.DateTimeField(
        _("follow-up waits for mediation since"), null=True, blank=True
    )
    # 重复反映: how often the matter was reported again, and what this one repeats.
    repeat_count = models.PositiveIntegerField(_("repeat reports"), default=0)
    repeat_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="repeats"
    )

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
            # The deadline sweep reads only tickets whose clock runs. `status` leads so that
            # the planner prefers this to ticket_status_idx for `status IN (…) AND due_at < …`;
            # `warned_due_at` lets the due-soon sweep skip warned tickets without reading them.
            # The rest makes it cover the "open overdue" figure: counted by day, category,
            # unit, grid and channel without reading a ticket row.
            models.Index(
                fields=[
                    "status",
                    "due_at",
                    "warned_due_at",
                    "received_at",
                    "category",
                    "unit",
                    "grid",
                    "channel",
                ],
                name="ticket_open_due_idx",
                condition=Q(status__in=["dispatched", "in_progress"]),
            ),
            # A unit's running clocks by deadline: its inbox, its overdue/due-soon counts, and
            # (with `received_at`) its open overdue figure, without reading ticket rows.
            models.Index(
                fields=["unit", "due_at", "received_at"],
                name="ticket_unit_open_due_idx",
                condition=Q(status__in=["dispatched", "in_progress"]),
            ),
            # The clocks' indexes lead with `status` (each holds one or two statuses) so that
            # the planner, which has no statistics, prefers them to ticket_status_idx.
            # The supervision sweep's work list: running clocks by the moment to look again.
            models.Index(
                fields=["status", "watch_at"],
                name="ticket_watch_idx",
                condition=Q(status__in=["dispatched", "in_progress"]),
            ),
            # New tickets by their dispatch deadline (the dispatch-late sweep and filter).
            models.Index(
                fields=["status", "dispatch_due_at", "dispatch_late_at"],
                name="ticket_dispatch_due_idx",
                condition=Q(status="new"),
            ),
            # Dispatched ones by their signing deadline (accept late): the sweep (which skips
            # those already told), the filter, and the "not signed in time" figure by day and
            # group, without reading rows.
            models.Index(
                fields=[
                    "status",
                    "accept_due_at",
                    "accept_late_at",
                    "accepted_at",
                    "received_at",
                    "category",
                    "unit",
                    "grid",
                    "channel",
                ],
                name="ticket_accept_due_idx",
                condition=Q(status="dispatched"),
            ),
            # Escalated to the leaders and still running: their lists and counts.
            models.Index(
                fields=["status", "received_at"],
                name="ticket_escalated_idx",
                condition=Q(status__in=["dispatched", "in_progress"])
                & Q(escalated_at__isnull=False),
            ),
            # The follow-up queue: resolved tickets, oldest resolution first.
            models.Index(
                fields=["status", "resolved_at"],
                name="ticket_resolved_idx",
                condition=Q(status="resolved"),
            ),
            # One unit's tickets of one status by deadline: its inbox's lists.
            models.Index(fields=["unit", "status", "due_at"], name="ticket_unit_status_due_idx"),
            # One unit's tickets by status, and its filtered lists newest first.
            models.Index(
                fields=["unit", "status", "-received_at"], name="ticket_unit_received_idx"
            ),
            # The earlier reports of the same matter (suggestions/repeats.py): the latest
            # tickets of one building, and of one grid.
            models.Index(
                fields=["building_key", "received_at"],
                name="ticket_building_received_idx",
                condition=~Q(building_key=""),
            ),
            models.Index(fields=["grid", "received_at"], name="ticket_grid_received_idx"),
            # The open tickets of some grids, counted with their clocks (a grid desk's home):
            # read from the open tickets alone, however long the closed history grows.
            models.Index(
                fields=["grid", "status", "due_at"],
                name="ticket_grid_open_idx",
                condition=Q(status__in=["new", "dispatched", "in_progress", "resolved"]),
            ),
            # The follow-up queue's count: resolved tickets whose call is not held for a
            # mediation, counted from the index alone.
            models.Index(
                fields=["status", "resolved_at"],
                name="ticket_follow_up_idx",
                condition=Q(status="resolved") & Q(visit_held_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def keep_address_keys(self) -> None:
        """Set the home and building keys from the address (before saving it)."""
        place = read_address(self.address)
        self.address_key, self.building_key = place.home_key, place.building_key

    @property
    def phone_report_key(self) -> bool:
        """Whether `external_id` is a phone report's idempotency key (a building head's or a
        grid officer's 随手报): a key for the machine, not a number for people to read."""
        return self.channel in (Channel.BUILDING_HEAD, Channel.GRID)

    @property
    def is_overdue(self) -> bool:
        """Derived, never stored: the clock runs and its deadline has passed."""
        return (
            self.status in CLOCK_RUNNING
            and self.due_at is not None
            and self.due_at < timezone.now()
        )

    @property
    def is_dispatch_late(self) -> bool:
        """Still waiting for the command centre after its dispatch clock ran out."""
        return (
            self.status == Status.NEW
            and self.dispatch_due_at is not None
            and self.dispatch_due_at < timezone.now()
        )

    @property
    def is_accept_late(self) -> bool:
        """Dispatched, not yet signed for, after the end of the next working day."""
        return (
            self.status == Status.DISPATCHED
            and self.accept_due_at is not None
            and self.accept_due_at < timezone.now()
        )

    @property
    def is_escalated(self) -> bool:
        """With the bureau's leaders after level 3, and still not resolved."""
        return self.escalated_at is not None and self.status in CLOCK_RUNNING

    @property
    def is_visit_late(self) -> bool:
        """Resolved and still not called back within its 2 working days."""
        return (
            self.status == Status.RESOLVED
            and self.visit_due_at is not None
            and self.visit_due_at < timezone.now()
        )

    @property
    def visit_on_hold(self) -> bool:
        """Resolved by a hand-over to mediation, its follow-up call waiting for the case."""
        return self.visit_held_at is not None

    @property
    def resolved_on_time(self) -> bool | None:
        """On time: resolved by its deadline and never overdue on the way."""
        if self.resolved_at is None or self.due_at is None:
            return None
        return resolved_on_time(self.resolved_at, self.due_at, self.breached_at)


def resolved_on_time(
    resolved_at: dt.datetime, due_at: dt.datetime, breached_at: dt.datetime | None
) -> bool:
    """The on-time rule: resolved by the deadline, and no deadline was missed before."""
    return resolved_at <= due_at and breached_at is None


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
    kind = models.CharField(max_length=24, choices=EventKind.choices)
    # Empty for the system. PROTECT, like every record of who did what here: people are
    # deactivated, never deleted, and Django and the database refuse to delete one named.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
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


# A stored file's name is made from the uploaded one, its stem at most this many UTF-8 bytes:
# file systems allow 255 bytes a name, and a Chinese character takes three. Room is left for
# the suffix and for the characters the storage adds when the name is taken.
STORED_STEM_BYTES = 100
MAX_SUFFIX = 10
NOT_IN_FILE_NAMES = re.compile(r"[^-\w.]")


def stored_file_name(filename: str) -> str:
    """`filename` as a file system takes it whatever it was: letters (any script), digits,
    `-`, `_` and `.`, the stem at most STORED_STEM_BYTES bytes, the suffix kept."""
    name = PurePath(printable(filename).replace("\\", "/")).name
    suffix = PurePath(name).suffix.lower()
    if len(suffix) > MAX_SUFFIX or NOT_IN_FILE_NAMES.search(suffix):
        suffix = ""
    stem = NOT_IN_FILE_NAMES.sub("", name[: len(name) - len(suffix)].replace(" ", "_"))
    stem = fits_utf8(stem.strip("."), STORED_STEM_BYTES).strip(".") or "file"
    return f"{stem}{suffix}"


def attachment_path(instance: Attachment, filename: str) -> str:
    number = instance.ticket.number
    return f"{number[2:10]}/{number}/{stored_file_name(filename)}"


class Attachment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=300)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class DailySequence(models.Model):
    """The last running number handed out for a prefix on a day: tickets `JB20260714-0042`,
    supervision orders `DB20260714-0003` (tickets/numbering.py)."""

    prefix = models.CharField(max_length=4)
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            # Also the conflict target of the numbering upsert: it must stay unconditional.
            models.UniqueConstraint(fields=["prefix", "day"], name="daily_sequence_once"),
        ]

    def __str__(self) -> str:
        return f"{self.prefix}{self.day:%Y%m%d}: {self.last}"


class SupervisionReason(models.TextChoices):
    OVERDUE = "overdue", _("Overdue")
    DISSATISFIED = "dissatisfied", _("Resident dissatisfied")
    MANUAL = "manual", _("Issued by a supervisor")
    # The dispute came back from people's mediation unsettled: a new handling round.
    MEDIATION_FAILED = "mediation_failed", _("Mediation failed")
    # An urging (催办 / 督办) sent down by the 12345 platform the ticket came from.
    PLATFORM = "platform", _("Urged by the 12345 platform")


class ExtensionStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    # The ticket left the unit (reassigned, returned) or was resolved before a decision.
    CANCELLED = "cancelled", pgettext_lazy("extension", "Cancelled")


class Extension(models.Model):
    """延期: the holding unit asks for more working days before its deadline passes; the
    command centre approves (the deadline moves) or rejects (it stays)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="extensions")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    days = models.PositiveSmallIntegerField(_("working days"))
    reason = models.TextField(_("reason"), max_length=4000)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=ExtensionStatus.choices,
        default=ExtensionStatus.PENDING,
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    # The deadline when asked, and the one approval set.
    due_at_before = models.DateTimeField(_("deadline when asked"))
    due_at_after = models.DateTimeField(_("new deadline"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    note = models.TextField(_("decision note"), max_length=4000, blank=True)

    class Meta:
        ordering = ["requested_at", "id"]
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")
        constraints = [
            models.UniqueConstraint(
                fields=["ticket"],
                condition=Q(status="pending"),
                name="extension_one_pending_per_ticket",
            ),
            models.CheckConstraint(
                condition=Q(days__gte=1) & Q(days__lte=10), name="extension_days_range"
            ),
        ]
        indexes = [
            models.Index(
                fields=["requested_at"],
                name="extension_pending_idx",
                condition=Q(status="pending"),
            ),
            models.Index(fields=["decided_at"], name="extension_decided_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} +{self.days}"


class SupervisionLevel(models.IntegerChoices):
    URGED = 1, _("Urged (督促办)")
    PRIORITY = 2, _("Priority (重点办)")
    IN_DEPTH = 3, _("In depth (深入办)")


# An order is open until the ticket is resolved (fulfilled) or a later order on the ticket
# takes its place (superseded): a ticket has at most one open order, its latest. The one
# definition of "open", used by every count and list and by the partial index below, which
# SQLite reads only when a query repeats the condition word for word: these IS NULL tests
# carry no parameters, so the ORM's filter does.
ORDER_OPEN = Q(fulfilled_at__isnull=True) & Q(superseded_by__isnull=True)


class SupervisionOrder(models.Model):
    """督办单: a unit is ordered to finish a late or badly handled ticket by a new deadline."""

    number = models.CharField(_("number"), max_length=24, unique=True)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="orders")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="orders")
    reason = models.CharField(_("reason"), max_length=16, choices=SupervisionReason.choices)
    level = models.PositiveSmallIntegerField(_("level"), choices=SupervisionLevel.choices)
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    due_at = models.DateTimeField(_("due at"))
    # For an overdue order: the deadline that was missed. One order per ticket and breach.
    breached_due_at = models.DateTimeField(null=True, blank=True)
    fulfilled_at = models.DateTimeField(_("fulfilled at"), null=True, blank=True)
    # The later order on the same ticket that took this one's place while it was open.
    # RESTRICT: an order that superseded another cannot be deleted alone (SET_NULL would
    # silently reopen the old order, PROTECT would forbid deleting the ticket with its orders);
    # deleting the ticket deletes both together. Indexed below, on the superseded orders only.
    superseded_by = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        db_index=False,
        on_delete=models.RESTRICT,
        related_name="supersedes",
        verbose_name=_("superseded by"),
    )
    note = models.TextField(_("note"), max_length=4000, blank=True)

    class Meta:
        verbose_name = _("supervision order")
        verbose_name_plural = _("supervision orders")
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "breached_due_at"],
                condition=Q(reason="overdue"),
                name="supervision_one_order_per_breach",
            ),
            models.CheckConstraint(
                condition=Q(level__gte=1) & Q(level__lte=3), name="supervision_level_range"
            ),
        ]
        indexes = [
            models.Index(
                fields=["unit", "level"],
                name="supervision_open_idx",
                condition=ORDER_OPEN,
            ),
            # For the foreign key's checks and `supersedes`. Not a plain index: SQLite would read
            # it for `superseded_by_id IS NULL` instead of the open-orders index above.
            models.Index(
                fields=["superseded_by"],
                name="supervision_superseded_idx",
                condition=Q(superseded_by__isnull=False),
            ),
            models.Index(fields=["-issued_at"], name="supervision_issued_idx"),
            # Orders issued in a period, counted per level without reading the orders.
            models.Index(fields=["level", "issued_at"], name="supervision_level_issued_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.fulfilled_at is None and self.superseded_by_id is None


class VisitOutcome(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY_SATISFIED = "basically_satisfied", _("Basically satisfied")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")
    UNREACHABLE = "unreachable", _("Unreachable")


class Visit(models.Model):
    """回访: a follow-up call to the resident about a resolved ticket."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="visits")
    outcome = models.CharField(_("outcome"), max_length=20, choices=VisitOutcome.choices)
    note = models.TextField(_("note"), max_length=4000, blank=True)
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # A channel that did its own call (a 12345 platform) reports it: it says which channel.
    reported_by_channel = models.CharField(max_length=20, blank=True)
    at = models.DateTimeField(_("called at"), default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["ticket", "-at"], name="visit_latest_idx")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.outcome}"


class Campaign(models.Model):
    """清零行动: the month's snapshot of long-pending and repeatedly reported open tickets."""

    month = models.CharField(_("month"), max_length=7, unique=True)  # YYYY-MM
    taken_at = models.DateTimeField(_("snapshot taken at"), default=timezone.now)

    class Meta:
        ordering = ["-month"]
        verbose_name = _("clear-to-zero campaign")

    def __str__(self) -> str:
        return self.month


class CampaignItem(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="items")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="campaign_items")
    # The unit that held it at the snapshot: the campaign counts against that unit.
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    long_pending = models.BooleanField(default=False)
    repeated = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "ticket"], name="campaign_ticket_once"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.ticket_id}"
