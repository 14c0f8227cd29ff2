"""The demo bureau's community network: towns, where communities and grids stand (with
boundaries drawn around a fictional county town), buildings, the people of the network and
their appointment letters.

The grids tile each town's built-up area: every town is a band of columns (one per community
or village), each column cut into its grids, the corners moved a little and the whole turned,
so that neighbouring grids share their edges as drawn boundaries do. One grid was redrawn half
a year ago, so that a past date shows its older boundary.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db.models import Q
from django.utils import timezone

from jieban.community.models import (
    Appointment,
    AppointmentStatus,
    Building,
    BuildingKind,
    CommunityVersion,
    GridVersion,
    PhoneReport,
    Post,
    Town,
)
from jieban.demo.data import COMPOUNDS, DEMO_PASSWORD, GIVEN, STATIONS, SURNAMES
from jieban.demo.organisation import Place, places
from jieban.org.models import Role, Unit, User
from jieban.tickets.events import intake_payload
from jieban.tickets.models import Channel, Ticket, TicketEvent

# The county seat's centre (fictional), and where the other towns lie from it (degrees of
# longitude and latitude).
SEAT = (105.2231, 32.5862)
TOWN_OFFSETS = [(0.0, 0.0), (0.105, 0.047), (-0.118, 0.031), (0.064, -0.092), (-0.071, 0.101),
                (-0.052, -0.083)]  # fmt: skip
# A community's column is narrower than a village's: a compound against fields.
COLUMN_WIDTH = {False: 0.011, True: 0.028}
BAND_HEIGHT = {False: 0.012, True: 0.03}
# Every column edge carries the points at these fractions of the band's height, so that
# neighbouring columns cut into 1, 2, 3 or 4 grids share their edges exactly.
EDGE_STEPS = 12
# The grid redrawn half a year ago.
REDRAWN_GRID = "QC-G01"
REDRAWN_DAYS_AGO = 183

BUILDINGS_PER_GRID = {False: 6, True: 4}
HEADS_PER_GRID = {False: 2, True: 1}
# Letters that end within the station's 30-day warning, and letters renewed or revoked.
EXPIRING_SOON = 4
REVOKE_REASON = "本人搬离小区，不再担任楼长。"


@dataclass
class Network:
    """What the network's builder made, for the mediation demo and the counts."""

    towns: dict[str, Town] = field(default_factory=dict)
    buildings: dict[int, list[Building]] = field(default_factory=dict)
    people: list[User] = field(default_factory=list)
    letters: int = 0
    reports: int = 0


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"


def _turn(point: tuple[float, float], centre: tuple[float, float], angle: float) -> list[float]:
    x, y = point[0] - centre[0], point[1] - centre[1]
    cos, sin = math.cos(angle), math.sin(angle)
    return [round(centre[0] + x * cos - y * sin, 6), round(centre[1] + x * sin + y * cos, 6)]


def town_polygons(
    rng: random.Random, town_index: int, columns: list[tuple[bool, int]]
) -> list[list[list[float]]]:
    """Each grid's ring (a closed Polygon's outer ring) of one town, column by column:
    `columns` is (village, grids) per community in order."""
    dx, dy = TOWN_OFFSETS[town_index % len(TOWN_OFFSETS)]
    centre = (SEAT[0] + dx, SEAT[1] + dy)
    height = max(BAND_HEIGHT[village] for village, _grids in columns)
    edges = [0.0]
    for village, _grids in columns:
        edges.append(edges[-1] + COLUMN_WIDTH[village])
    left, bottom = centre[0] - edges[-1] / 2, centre[1] - height / 2
    # The lattice's points, each moved a little once: shared by the columns on both sides.
    jitter = 0.0012
    lattice = {
        (i, j): (
            left
            + x
            + (
                rng.uniform(-jitter, jitter) * (1 if j % 3 == 0 else 0.25)
                if 0 < i < len(edges) - 1
                else 0.0
            ),
            bottom + height * j / EDGE_STEPS + rng.uniform(-jitter, jitter) / 2,
        )
        for i, x in enumerate(edges)
        for j in range(EDGE_STEPS + 1)
    }
    angle = math.radians(rng.uniform(-18, 18))
    rings = []
    for column, (_village, grids) in enumerate(columns):
        for row in range(grids):
            low, high = row * EDGE_STEPS // grids, (row + 1) * EDGE_STEPS // grids
            points = [lattice[(column, low)], lattice[(column + 1, low)]]
            points += [lattice[(column + 1, j)] for j in range(low + 1, high + 1)]
            points += [lattice[(column, j)] for j in range(high, low - 1, -1)]
            ring = [_turn(point, centre, angle) for point in points]
            rings.append(ring)
    return rings


def _shrunk(ring: list[list[float]], factor: float) -> list[list[float]]:
    """The ring drawn `factor` of its size around its centre: an earlier, smaller grid."""
    xs = [p[0] for p in ring[:-1]]
    ys = [p[1] for p in ring[:-1]]
    cx, cy = sum(xs) / len(xs), sum(ys) / len(ys)
    return [[round(cx + (x - cx) * factor, 6), round(cy + (y - cy) * factor, 6)] for x, y in ring]


def build_network(*, seed: int, now: dt.datetime, admin: User) -> Network:
    """Towns, community and grid versions with boundaries, buildings, the network's people and
    their letters, as the back office and the stations would have entered them."""
    rng = random.Random(seed + 11)
    today = now.date()
    since = dt.date(today.year - 2, 1, 1)
    network = Network()
    found = places()
    by_station: dict[str, list[Place]] = {}
    for place in found:
        by_station.setdefault(place.station.code, []).append(place)

    versions = []
    for t_index, (s_code, _name_zh, _name_en, town_name, communities) in enumerate(STATIONS):
        town = Town.objects.create(
            code=f"QC-T{t_index + 1:02d}",
            name=town_name,
            name_en=_town_english(communities[0][1]),
        )
        network.towns[s_code] = town
        station_places = by_station[s_code]
        for place in station_places:
            CommunityVersion.objects.create(community=place.unit, town=town, valid_from=since)
        columns = [(place.village, len(place.grids)) for place in station_places]
        rings = iter(town_polygons(rng, t_index, columns))
        for place in station_places:
            for grid in place.grids:
                ring = next(rings)
                common = {"grid": grid, "name": grid.name, "community": place.unit,
                          "station": place.station, "recorded_by": admin}  # fmt: skip
                if grid.code == REDRAWN_GRID:
                    redrawn = today - dt.timedelta(days=REDRAWN_DAYS_AGO)
                    old = {"type": "Polygon", "coordinates": [_shrunk(ring, 0.8)]}
                    versions.append(
                        GridVersion(**common, boundary=old, valid_from=since, valid_to=redrawn)
                    )
                    since_grid = redrawn
                else:
                    since_grid = since
                shape = {"type": "Polygon", "coordinates": [ring]}
                versions.append(GridVersion(**common, boundary=shape, valid_from=since_grid))
    GridVersion.objects.bulk_create(versions)

    for place in found:
        for grid in place.grids:
            network.buildings[grid.pk] = _buildings(rng, place, grid, admin)
    _people_and_letters(rng, network, found, today, admin)
    network.reports = _phone_reports(rng)
    return network


def _town_english(community_en: str) -> str:
    return community_en.rsplit(" ", 1)[0] + " Town"


def _buildings(rng: random.Random, place: Place, grid: Unit, admin: User) -> list[Building]:
    count = BUILDINGS_PER_GRID[place.village]
    rows = []
    if place.village:
        for number in range(1, count + 1):
            surname = rng.choice(SURNAMES)
            rows.append(Building(
                grid=grid, kind=BuildingKind.COURTYARD, name=f"{surname}家院落{number}号",
                address=f"{place.town}{place.unit.name}{number}组{rng.randint(1, 60)}号",
                updated_by=admin,
            ))  # fmt: skip
            rows[-1].key_address()
    else:
        # A compound of its own per grid, by its code (not its key: the same seed, the same demo).
        compound = COMPOUNDS[(sum(map(ord, grid.code)) * 5) % len(COMPOUNDS)]
        for number in range(1, count + 1):
            rows.append(Building(
                grid=grid, kind=BuildingKind.BUILDING, name=f"{compound}{number}栋",
                address=f"{place.town}{place.unit.name}{compound}{number}栋", updated_by=admin,
            ))  # fmt: skip
            rows[-1].key_address()
    return Building.objects.bulk_create(rows)


def _people_and_letters(
    rng: random.Random, network: Network, found: list[Place], today: dt.date, admin: User
) -> None:
    """Building heads (two a community grid, one a village's), a grid officer for every grid
    and the stations' handlers as grid police chiefs, each with a letter from the station."""
    password = make_password(DEMO_PASSWORD)
    existing = {user.username: user for user in User.objects.filter(unit__isnull=False)}
    people: list[User] = []
    plans: list[tuple[User, str, Unit, list[Building], list[Unit]]] = []
    head_number = officer_number = 0
    for place in found:
        for grid in place.grids:
            buildings = network.buildings[grid.pk]
            heads = HEADS_PER_GRID[place.village]
            share = len(buildings) // heads
            for index in range(heads):
                if grid.code == REDRAWN_GRID and index == 0 and "building_head" in existing:
                    person = existing["building_head"]
                else:
                    head_number += 1
                    person = User(username=f"building_head{head_number}",
                                  role=Role.BUILDING_HEAD, unit=grid, first_name=_name(rng),
                                  phone=_phone(rng), password=password)  # fmt: skip
                    people.append(person)
                mine = buildings[index * share : (index + 1) * share]
                plans.append((person, Post.BUILDING_HEAD, place.station, mine, []))
            if grid.code == REDRAWN_GRID and "grid_officer" in existing:
                officer = existing["grid_officer"]
            else:
                officer_number += 1
                officer = User(username=f"grid_officer{officer_number + 1}",
                               role=Role.GRID_OFFICER, unit=grid, first_name=_name(rng),
                               phone=_phone(rng), password=password)  # fmt: skip
                people.append(officer)
            plans.append((officer, Post.GRID_OFFICER, place.station, [], [grid]))
    User.objects.bulk_create(people)
    network.people = people
    # A station's first handler is the grid police chief of all its grids.
    chiefs = {
        user.unit_id: user
        for user in User.objects.filter(role=Role.UNIT_HANDLER).order_by("-username")
    }
    stations = {place.station.pk: place.station for place in found}
    for station_id, station in sorted(stations.items()):
        chief = chiefs.get(station_id)
        if chief is not None:
            grids = [grid for place in found if place.station.pk == station_id
                     for grid in place.grids]  # fmt: skip
            plans.append((chief, Post.GRID_CHIEF, station, [], grids))
    network.letters = _letters(rng, plans, today, admin)


def _letters(
    rng: random.Random,
    plans: list[tuple[User, str, Unit, list[Building], list[Unit]]],
    today: dt.date,
    admin: User,
) -> int:
    """One letter per plan, numbered per station and year as the stations number them: most
    in force for a year or two, a few ending within 30 days, two renewed after their first
    term, one building head's revoked."""
    counters: dict[tuple[int, int], int] = {}

    def number(station: Unit, year: int) -> str:
        key = (station.pk, year)
        counters[key] = counters.get(key, 0) + 1
        return f"{station.code}-{year}-{counters[key]:03d}"

    heads = [i for i, plan in enumerate(plans) if plan[1] == Post.BUILDING_HEAD]
    picked = rng.sample(heads, min(len(heads), EXPIRING_SOON + 3))
    expiring = set(picked[:EXPIRING_SOON])
    renewed = set(picked[EXPIRING_SOON : EXPIRING_SOON + 2])
    revoked = set(picked[EXPIRING_SOON + 2 :])
    written = 0
    start = dt.date(today.year - 1, 1, 1)
    for index, (person, post, station, buildings, grids) in enumerate(plans):
        issued = start - dt.timedelta(days=rng.randint(3, 20))
        ends = dt.date(today.year + 1, 12, 31)
        if index in expiring:
            ends = today + dt.timedelta(days=rng.randint(4, 28))
        first = Appointment(
            number=number(station, issued.year), person=person, post=post, starts_on=start,
            ends_on=ends, issued_by_unit=station, issued_on=issued, created_by=admin,
        )  # fmt: skip
        letters = [first]
        if index in renewed:
            first.ends_on = today - dt.timedelta(days=rng.randint(40, 120))
            first.status = AppointmentStatus.RENEWED
            first.changed_by = admin
            renewal_day = first.ends_on - dt.timedelta(days=rng.randint(3, 10))
            letters.append(Appointment(
                number=number(station, renewal_day.year), person=person, post=post,
                starts_on=first.ends_on + dt.timedelta(days=1),
                ends_on=dt.date(today.year + 2, 6, 30),
                issued_by_unit=station, issued_on=renewal_day, created_by=admin,
            ))  # fmt: skip
        if index in revoked:
            first.status = AppointmentStatus.REVOKED
            first.revoked_on = today - dt.timedelta(days=rng.randint(10, 60))
            first.revoke_reason = REVOKE_REASON
            first.changed_by = admin
        for letter in letters:
            letter.save()
            letter.buildings.set(buildings)
            letter.grids.set(grids)
            written += 1
        if len(letters) == 2:
            letters[1].renewal_of = first
            letters[1].save(update_fields=["renewal_of"])
    return written


def _in_force(letter: Appointment, day: dt.date) -> bool:
    revoked_on = letter.revoked_on if letter.status == AppointmentStatus.REVOKED else None
    if revoked_on is not None and revoked_on <= day:
        return False
    return letter.starts_on <= day <= letter.ends_on


def _move_to(ticket: Ticket, building: Building) -> None:
    """The ticket is about `building`: its address, and its words name the building's compound
    where they named the one the generator drew."""
    compound = next((name for name in COMPOUNDS if building.name.startswith(name)), None)
    content = ticket.content.replace(ticket.address, building.address)
    if compound is not None:
        for other in COMPOUNDS:
            content = content.replace(other, compound)
    ticket.content = content
    ticket.address = building.address


def _phone_reports(rng: random.Random) -> int:
    """The demo's tickets of the network's channels became phone reports (随手报): a building
    head's ticket in a grid is sent by a head of a building there, under the letter in force
    that day, about one of his buildings (its address the ticket's); some of the grid
    officer's tickets of channel "other" were his phone reports (channel `grid`). The sender
    is the ticket's registrar, on its intake event too; two in three shared their place."""
    letters: dict[tuple[str, int], list[Appointment]] = {}
    for letter in Appointment.objects.prefetch_related("buildings", "grids"):
        grids = (
            {building.grid_id for building in letter.buildings.all()}
            if letter.post == Post.BUILDING_HEAD
            else {grid.pk for grid in letter.grids.all()}
        )
        for grid_id in grids:
            letters.setdefault((letter.post, grid_id), []).append(letter)
    centres = {
        version.grid_id: _centre(version.boundary["coordinates"][0])
        for version in GridVersion.objects.filter(valid_to=None)
        if version.boundary is not None
    }
    candidates = (
        Ticket.objects.filter(grid__isnull=False)
        .filter(
            Q(channel=Channel.BUILDING_HEAD)
            | Q(channel=Channel.OTHER, registered_by__role=Role.GRID_OFFICER)
        )
        .order_by("pk")
    )
    reports, changed = [], []
    intake_actors: dict[int, int] = {}
    for ticket in candidates:
        assert ticket.grid_id is not None
        post = Post.BUILDING_HEAD if ticket.channel == Channel.BUILDING_HEAD else Post.GRID_OFFICER
        day = timezone.localdate(ticket.registered_at)
        usable = [x for x in letters.get((post, ticket.grid_id), []) if _in_force(x, day)]
        if not usable:
            continue
        letter = rng.choice(usable)
        building = None
        if post == Post.BUILDING_HEAD:
            building = rng.choice(
                [b for b in letter.buildings.all() if b.grid_id == ticket.grid_id]
            )
            _move_to(ticket, building)
        else:
            ticket.channel = Channel.GRID
        ticket.registered_by_id = letter.person_id
        ticket.external_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        changed.append(ticket)
        intake_actors[ticket.pk] = letter.person_id
        place = centres.get(ticket.grid_id) if rng.random() < 0.67 else None
        reports.append(PhoneReport(
            ticket=ticket, reporter_id=letter.person_id, appointment=letter, grid_id=ticket.grid_id,
            building=building, sent_at=ticket.registered_at,
            latitude=_near(rng, place[1]) if place else None,
            longitude=_near(rng, place[0]) if place else None,
        ))  # fmt: skip
    # In batches: one UPDATE of every ticket is a CASE of every id, which PostgreSQL reads row
    # by row (at a million demo tickets, 110,000 of them: hours).
    Ticket.objects.bulk_update(
        changed, ["address", "content", "channel", "registered_by", "external_id"], batch_size=1000
    )
    intake = TicketEvent.objects.filter(ticket_id__in=intake_actors, kind="intake")
    tickets = {ticket.pk: ticket for ticket in changed}
    for event in intake:
        ticket = tickets[event.ticket_id]
        event.actor_id = intake_actors[event.ticket_id]
        event.payload = intake_payload(channel=ticket.channel, external_id=ticket.external_id)
    TicketEvent.objects.bulk_update(intake, ["actor", "payload"], batch_size=1000)
    PhoneReport.objects.bulk_create(reports)
    return len(reports)


def _centre(ring: list[list[float]]) -> tuple[float, float]:
    points = ring[:-1]
    return (sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points))


def _near(rng: random.Random, value: float) -> Decimal:
    return Decimal(f"{value + rng.uniform(-0.0015, 0.0015):.6f}")
