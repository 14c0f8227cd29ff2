"""Reports from the phone (随手报): a building head or grid officer sends what they saw, and
it enters the one intake as a ticket the command centre dispatches like any other.

Who may: `can_report_from_phone` (403), and a letter in force today (409 with a message that
says so). The letter fills the ticket in: its channel (`building_head` for a building head,
`grid` for a grid officer), its grid and, for a building head, the building (one of the
letter's, picked when there are several). The page's key (a UUID made when the form was
drawn) is the ticket's external id on its channel, so a double press or a retried request
returns the ticket the first one made (`register_ticket`'s replay, and the unique
constraint on channel + external id when two arrive at once).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from jieban.community.models import Appointment, AppointmentStatus, Building, PhoneReport, Post
from jieban.errors import Conflict, InvalidInput
from jieban.intake.actions import TicketDraft, register_ticket
from jieban.org.actors import Actor, Viewer
from jieban.org.models import Unit, User
from jieban.org.permissions import can_report_from_phone, require
from jieban.tickets.models import Channel, Ticket

# The posts that report from the phone, and the channel each report comes in by.
REPORTING_POSTS = {Post.BUILDING_HEAD: Channel.BUILDING_HEAD, Post.GRID_OFFICER: Channel.GRID}
# How many of one's own reports the phone lists.
MY_REPORTS_SHOWN = 50


@dataclass
class ReportDraft:
    """What the phone sends; `send_phone_report` checks every field."""

    content: str
    idempotency_key: str
    category: str | None = None
    building: int | None = None
    grid: str | None = None
    latitude: str | None = None
    longitude: str | None = None
    photos: list[UploadedFile] = field(default_factory=list)


@dataclass(frozen=True)
class ReportingPlaces:
    """Where a person may report about today, by their letters in force: a building head's
    buildings, a grid officer's grids."""

    letters: list[Appointment]
    buildings: list[Building]
    grids: list[Unit]

    @property
    def post(self) -> str | None:
        return self.letters[0].post if self.letters else None


def letters_in_force(person: User, *, today: dt.date | None = None) -> QuerySet[Appointment]:
    """`person`'s letters in force on `today`: issued, not revoked or renewed, in term."""
    today = today or timezone.localdate()
    return Appointment.objects.filter(
        person=person,
        status=AppointmentStatus.ACTIVE,
        starts_on__lte=today,
        ends_on__gte=today,
    ).order_by("starts_on", "number")


def reporting_places(actor: Viewer, *, today: dt.date | None = None) -> ReportingPlaces:
    """The letters in force under which `actor` reports from the phone, with their buildings
    and grids (none for whoever may not report). Three queries."""
    if not can_report_from_phone(actor):
        return ReportingPlaces([], [], [])
    assert isinstance(actor, User)  # can_report_from_phone: a person
    letters = list(letters_in_force(actor, today=today).filter(post__in=REPORTING_POSTS))
    ids = [letter.pk for letter in letters]
    buildings = list(
        Building.objects.filter(appointments__in=ids)
        .select_related("grid")
        .distinct()
        .order_by("grid__code", "name")
    )
    grids = list(Unit.objects.filter(appointments__in=ids).distinct().order_by("code"))
    return ReportingPlaces(letters, buildings, grids)


def new_idempotency_key() -> str:
    """The key a report form carries from the moment it is drawn."""
    return str(uuid.uuid4())


def _key(value: str) -> str:
    try:
        return str(uuid.UUID((value or "").strip()))
    except ValueError:
        raise InvalidInput(
            _("The idempotency key must be a UUID (the page makes one)."),
            field="idempotency_key",
        ) from None


def _coordinate(value: str | None, *, name: str, limit: int) -> Decimal | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite() or abs(number) > limit:
        raise InvalidInput(
            _("%(value)s is not a %(name)s.") % {"value": text[:20], "name": name}, field=name
        )
    return number.quantize(Decimal("0.000001"))


def _place(
    places: ReportingPlaces, draft: ReportDraft
) -> tuple[Appointment, Unit, Building | None]:
    """The letter, grid and building a report is sent under."""
    if places.post == Post.BUILDING_HEAD:
        buildings = {building.pk: building for building in places.buildings}
        if draft.building is None and len(buildings) == 1:
            building = next(iter(buildings.values()))
        elif draft.building in buildings:
            building = buildings[draft.building]
        else:
            raise InvalidInput(_("Pick one of your buildings."), field="building")
        letter = next(letter for letter in places.letters if building in letter.buildings.all())
        return letter, building.grid, building
    grids = {grid.code: grid for grid in places.grids}
    if not draft.grid and len(grids) == 1:
        grid = next(iter(grids.values()))
    elif draft.grid in grids:
        grid = grids[draft.grid]
    else:
        raise InvalidInput(_("Pick one of your grids."), field="grid")
    letter = next(letter for letter in places.letters if grid in letter.grids.all())
    return letter, grid, None


def no_letter_message() -> str:
    return _(
        "You hold no appointment letter in force today, so you cannot report from the phone: "
        "ask your police station to issue or renew your letter."
    )


def send_phone_report(draft: ReportDraft, *, by: Actor) -> tuple[Ticket, bool]:
    """Send a report from the phone; returns (ticket, created). The same key again creates
    nothing and returns the ticket the first send made."""
    require(
        can_report_from_phone(by),
        _("Only building heads and grid officers report from the phone."),
    )
    assert isinstance(by, User)  # can_report_from_phone: a person
    key = _key(draft.idempotency_key)
    places = reporting_places(by)
    if not places.letters:
        raise Conflict(no_letter_message())
    letter, grid, building = _place(places, draft)
    latitude = _coordinate(draft.latitude, name="latitude", limit=90)
    longitude = _coordinate(draft.longitude, name="longitude", limit=180)
    if (latitude is None) != (longitude is None):
        raise InvalidInput(_("A place needs both its latitude and longitude."), field="latitude")
    ticket_draft = TicketDraft(
        channel=REPORTING_POSTS[Post(letter.post)],
        content=draft.content,
        external_id=key,
        category=draft.category,
        address=building.address if building else "",
        grid=grid.code,
        attachments=draft.photos,
    )
    # One transaction: the ticket and its report row, or neither. Two sends of one key race
    # on the ticket's unique channel + external id; the loser gets the winner's ticket.
    with transaction.atomic():
        ticket, created = register_ticket(ticket_draft, by=by)
        if created:
            PhoneReport.objects.create(
                ticket=ticket,
                reporter=by,
                appointment=letter,
                grid=grid,
                building=building,
                latitude=latitude,
                longitude=longitude,
                sent_at=ticket.registered_at,
            )
        elif not PhoneReport.objects.filter(ticket=ticket, reporter=by).exists():
            # The key named another channel's ticket the reporter follows: not a resend.
            raise Conflict(_("This key was used for another ticket: open the form again."))
    return ticket, created


def my_reports(actor: Viewer, *, limit: int = MY_REPORTS_SHOWN) -> list[PhoneReport]:
    """`actor`'s own reports, newest first, with their tickets' status and result."""
    if not can_report_from_phone(actor) or not isinstance(actor, User):
        return []
    return list(
        PhoneReport.objects.filter(reporter=actor)
        .select_related("ticket", "ticket__category", "grid", "building")
        .order_by("-sent_at", "-id")[:limit]
    )
