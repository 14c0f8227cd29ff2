"""The monthly clear-to-zero campaign (清零行动).

Once a month a snapshot lists every open ticket that is long-pending (open more than 30 days,
or with 2 or more supervision orders) or reported repeatedly (`repeat_count` ≥ 2). The board
then counts, per unit and in total, how many were listed at the start, how many have been
cleared (closed) since, and how many remain.

The worker's first sweep of a month takes it, whatever the day: on the 1st when it runs then,
later when it was down or installed after the 1st (the campaign then says it was taken late).
The command centre may take it by hand first. A month has one snapshot (a unique month), so
two workers, or a worker and a person, never take two; only the current month's is taken, as
one of another month would not show that month's start.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from jieban.errors import Conflict, InvalidInput, NotFound
from jieban.inputs import FIRST_DAY, LAST_DAY
from jieban.org.actors import SYSTEM, Actor, Viewer
from jieban.org.permissions import can_see_campaign, can_take_snapshot, require
from jieban.tickets.access import of_visible_tickets
from jieban.tickets.models import OPEN, TERMINAL, Campaign, CampaignItem, Ticket

LONG_PENDING_DAYS = 30
MIN_ORDERS = 2
MIN_REPEATS = 2
# Cleared: closed. Invalid and merged tickets left the books too, so they no longer remain.
CLEARED = TERMINAL
MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse_month(month: str) -> str:
    """`month` (YYYY-MM) when it names a month between FIRST_DAY's and LAST_DAY's
    (`jieban.inputs`), else InvalidInput."""
    found = MONTH.match(month or "")
    if not found:
        raise InvalidInput(
            _("%(value)s is not a month (YYYY-MM).") % {"value": month}, field="month"
        )
    if not FIRST_DAY.year <= int(found[1]) <= LAST_DAY.year:
        raise InvalidInput(
            _("Give a month between %(first)s and %(last)s.")
            % {"first": f"{FIRST_DAY:%Y-%m}", "last": f"{LAST_DAY:%Y-%m}"},
            field="month",
        )
    return month


def month_of(moment: dt.datetime) -> str:
    return f"{timezone.localtime(moment):%Y-%m}"


def first_day(month: str) -> dt.date:
    year, number = (int(part) for part in parse_month(month).split("-"))
    return dt.date(year, number, 1)


def was_taken_late(campaign: Campaign) -> bool:
    """Taken after its month's first day: tickets cleared before then are not on its list."""
    return timezone.localdate(campaign.taken_at) > first_day(campaign.month)


class SnapshotTaken(Conflict):
    """The month's snapshot exists already (409): there is one a month."""

    def __init__(self, campaign: Campaign) -> None:
        super().__init__(
            _("The snapshot of %(month)s was already taken on %(taken)s.")
            % {
                "month": campaign.month,
                "taken": f"{timezone.localtime(campaign.taken_at):%Y-%m-%d %H:%M}",
            }
        )
        self.campaign = campaign


def take_snapshot(month: str, *, now: dt.datetime | None = None, by: Actor = SYSTEM) -> Campaign:
    """Take the month's snapshot now; `SnapshotTaken` (409) if it exists already.

    `by` is the person asking (the command centre), or the system (the worker, a command)."""
    require(
        can_take_snapshot(by),
        _("Only the command centre and administrators take campaign snapshots."),
    )
    parse_month(month)
    now = now or timezone.now()
    current = month_of(now)
    if month != current:
        raise Conflict(
            _(
                "Only this month's snapshot (%(current)s) can be taken: one of %(month)s taken "
                "now would not show how that month began."
            )
            % {"current": current, "month": month}
        )
    existing = Campaign.objects.filter(month=month).first()
    if existing is not None:
        raise SnapshotTaken(existing)
    cutoff = now - dt.timedelta(days=LONG_PENDING_DAYS)
    candidates = (
        Ticket.objects.filter(status__in=OPEN)
        .annotate(order_count=Count("orders"))
        .filter(
            Q(received_at__lt=cutoff)
            | Q(order_count__gte=MIN_ORDERS)
            | Q(repeat_count__gte=MIN_REPEATS)
        )
        .values_list("pk", "unit_id", "received_at", "order_count", "repeat_count")
    )
    try:
        with transaction.atomic():
            campaign = Campaign.objects.create(month=month, taken_at=now)
            CampaignItem.objects.bulk_create(
                [
                    CampaignItem(
                        campaign=campaign,
                        ticket_id=pk,
                        unit_id=unit_id,
                        long_pending=received_at < cutoff or order_count >= MIN_ORDERS,
                        repeated=repeat_count >= MIN_REPEATS,
                    )
                    for pk, unit_id, received_at, order_count, repeat_count in candidates
                ],
                batch_size=2000,
            )
    except IntegrityError:
        # Another worker, or a person, took this month's snapshot first.
        raise SnapshotTaken(Campaign.objects.get(month=month)) from None
    return campaign


def take_month_snapshot(now: dt.datetime) -> Campaign | None:
    """The worker's part: the month's snapshot if nobody took it yet, whatever the day; the
    new campaign, or None. One indexed lookup when it exists."""
    month = month_of(now)
    if Campaign.objects.filter(month=month).exists():
        return None
    try:
        return take_snapshot(month, now=now, by=SYSTEM)
    except SnapshotTaken:
        return None


@dataclass
class CampaignRow:
    unit_code: str | None
    unit_name: str
    at_start: int
    cleared: int

    @property
    def remaining(self) -> int:
        return self.at_start - self.cleared


@dataclass
class CampaignBoard:
    campaign: Campaign
    rows: list[CampaignRow]
    total: CampaignRow
    items: QuerySet[CampaignItem]

    @property
    def first_day(self) -> dt.date:
        return first_day(self.campaign.month)

    @property
    def taken_late(self) -> bool:
        return was_taken_late(self.campaign)


def campaign_board(user: Viewer, month: str) -> CampaignBoard:
    """Per unit and in total: listed at the start, cleared since, remaining; and the list.
    The bureau-wide roles see every unit's rows, a unit's people their own (`can_see_campaign`)."""
    require(
        can_see_campaign(user),
        _("The clear-to-zero board is for the command centre, the leaders and the units."),
    )
    parse_month(month)
    campaign = Campaign.objects.filter(month=month).first()
    if campaign is None:
        raise NotFound(_("No campaign for %(month)s yet.") % {"month": month})
    items = of_visible_tickets(CampaignItem.objects.filter(campaign=campaign), user)
    counts = (
        items.values("unit__code", "unit__name")
        .annotate(at_start=Count("pk"), cleared=Count("pk", filter=Q(ticket__status__in=CLEARED)))
        .order_by("unit__code")
    )
    rows = [
        CampaignRow(row["unit__code"], row["unit__name"] or "", row["at_start"], row["cleared"])
        for row in counts
    ]
    total = CampaignRow(
        None, "", sum(row.at_start for row in rows), sum(row.cleared for row in rows)
    )
    # A queryset, read as far as the reader goes: a page of it, or all of it for an export.
    listed = items.select_related("ticket", "ticket__category", "unit").order_by(
        "ticket__received_at", "pk"
    )
    return CampaignBoard(campaign=campaign, rows=rows, total=total, items=listed)


def is_cleared(item: CampaignItem) -> bool:
    return item.ticket.status in CLEARED
