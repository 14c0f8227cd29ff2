"""What the community network's people see on their home page: a grid police chief his grids,
a grid officer his grid, a building head his reports and letters.

A letter in force that appoints a person to a grid entitles them to the grid's figures (open,
overdue and due-soon tickets: counts, not the tickets, which stay under the one access rule
of `jieban.tickets.access`), to its building heads and their letters, and to the month's
count of reports from each of its buildings.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone

from jieban.community.appointments import EXPIRY_WARNING_DAYS
from jieban.community.models import Appointment, AppointmentStatus, Building, PhoneReport, Post
from jieban.community.reports import letters_in_force
from jieban.org.actors import Viewer
from jieban.org.models import Unit, User
from jieban.tickets.models import CLOCK_RUNNING, OPEN, Ticket
from jieban.workcalendar.workdays import due_soon_horizon, local_zone

GRID_POSTS = (Post.GRID_CHIEF, Post.GRID_OFFICER)


@dataclass
class BuildingHeadLetter:
    """A building head's letter in force for a building of the grid."""

    letter: Appointment
    buildings: list[Building]
    expiring: bool


@dataclass
class BuildingReports:
    building: Building
    reports: int


@dataclass
class GridDesk:
    """One grid on its chief's or officer's home."""

    grid: Unit
    open: int = 0
    overdue: int = 0
    due_soon: int = 0
    # The month's reports about the grid: its buildings' and those about no building.
    reports_this_month: int = 0
    letters: list[BuildingHeadLetter] = field(default_factory=list)
    buildings: list[BuildingReports] = field(default_factory=list)


def month_start(now: dt.datetime) -> dt.datetime:
    """The first moment of `now`'s month, in the bureau's time zone."""
    local = now.astimezone(local_zone())
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def my_grids(actor: Viewer, *, now: dt.datetime | None = None) -> list[GridDesk]:
    """The grids `actor`'s letters in force appoint them to (as grid police chief or grid
    officer), each with its figures, building heads and the month's reports by building.
    A fixed number of queries, whatever the number of grids."""
    if not isinstance(actor, User) or not actor.is_active:
        return []
    now = now or timezone.now()
    today = now.astimezone(local_zone()).date()
    letters = letters_in_force(actor, today=today).filter(post__in=GRID_POSTS)
    grids = list(Unit.objects.filter(appointments__in=letters).distinct().order_by("code"))
    if not grids:
        return []
    desks = {grid.pk: GridDesk(grid) for grid in grids}
    horizon = due_soon_horizon(now)
    running = Q(status__in=CLOCK_RUNNING)
    counts = (
        Ticket.objects.filter(grid__in=desks, status__in=OPEN)
        .values("grid_id")
        .annotate(
            open=Count("pk"),
            overdue=Count("pk", filter=running & Q(due_at__lt=now)),
            due_soon=Count("pk", filter=running & Q(due_at__gte=now, due_at__lte=horizon)),
        )
        .order_by()
    )
    for row in counts:
        desk = desks[row["grid_id"]]
        desk.open, desk.overdue, desk.due_soon = row["open"], row["overdue"], row["due_soon"]
    since = month_start(now)
    for grid_id, count in (
        PhoneReport.objects.filter(grid__in=desks, sent_at__gte=since)
        .values("grid_id")
        .annotate(count=Count("pk"))
        .order_by()
        .values_list("grid_id", "count")
    ):
        desks[grid_id].reports_this_month = count
    buildings = list(Building.objects.filter(grid__in=desks).order_by("name"))
    reported = dict(
        PhoneReport.objects.filter(building__in=buildings, sent_at__gte=since)
        .values("building_id")
        .annotate(count=Count("pk"))
        .order_by()
        .values_list("building_id", "count")
    )
    for building in buildings:
        desks[building.grid_id].buildings.append(
            BuildingReports(building, reported.get(building.pk, 0))
        )
    head_letters = (
        Appointment.objects.filter(
            post=Post.BUILDING_HEAD,
            status=AppointmentStatus.ACTIVE,
            starts_on__lte=today,
            ends_on__gte=today,
            buildings__grid__in=desks,
        )
        .distinct()
        .select_related("person")
        .prefetch_related("buildings")
        .order_by("ends_on", "number")
    )
    warn_until = today + dt.timedelta(days=EXPIRY_WARNING_DAYS)
    for letter in head_letters:
        by_grid: dict[int, list[Building]] = defaultdict(list)
        for building in letter.buildings.all():
            by_grid[building.grid_id].append(building)
        for grid_id, in_grid in by_grid.items():
            if grid_id in desks:
                desks[grid_id].letters.append(
                    BuildingHeadLetter(letter, in_grid, letter.ends_on <= warn_until)
                )
    return list(desks.values())


def my_letters(actor: Viewer) -> list[Appointment]:
    """`actor`'s own appointment letters, newest first (every status: a revoked or renewed
    letter stays on the record)."""
    if not isinstance(actor, User) or not actor.is_active:
        return []
    return list(
        Appointment.objects.filter(person=actor)
        .select_related("issued_by_unit")
        .order_by("-issued_on", "-number")
    )
