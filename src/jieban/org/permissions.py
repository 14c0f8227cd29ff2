"""Who may do what: each permission is one function of the actor, here and nowhere else.

The domain action raises `Forbidden` from it (through `require`), and the menus, pages and API
read the same function to decide what to offer. Roles are in `jieban.org.models`; which tickets
a person may *see* is the access rule in `jieban.tickets.access`. The system actor may do
everything; a visitor who is not logged in may do nothing.
"""

from __future__ import annotations

from collections.abc import Collection

from jieban.errors import Forbidden
from jieban.org.actors import SystemActor, Viewer
from jieban.org.models import CENTRE_ROLES, DISPATCH_ROLES, Role, UnitKind, User

# Who may register tickets: the command centre, and the community network that reports.
INTAKE_ROLES = DISPATCH_ROLES | {Role.SUPERVISOR, Role.GRID_OFFICER, Role.BUILDING_HEAD}
# Who issues supervision orders by hand.
SUPERVISE_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})
# Who watches the supervision board: the command centre and the bureau's leaders.
SUPERVISION_BOARD_ROLES = CENTRE_ROLES | {Role.LEADER}
# Who takes the month's clear-to-zero snapshot by hand, the command centre (the worker takes
# it by its first sweep of the month).
SNAPSHOT_ROLES = CENTRE_ROLES
# Who redraws the grids (their boundaries, names and places) for the whole bureau.
GRID_EDITOR_ROLES = frozenset({Role.ADMIN})
# Who reports from the phone (随手报): the community network's building heads and grid officers.
PHONE_REPORT_ROLES = frozenset({Role.BUILDING_HEAD, Role.GRID_OFFICER})
# Who may hold an appointment letter (聘书): building heads, grid officers, and a station's
# people as grid police chiefs; each reads their own letters.
APPOINTEE_ROLES = frozenset(
    {Role.BUILDING_HEAD, Role.GRID_OFFICER, Role.UNIT_HANDLER, Role.UNIT_LEADER}
)
# Who hosts a mediation studio and, as its leader, manages it: a station or a community.
STUDIO_HOST_KINDS = frozenset({UnitKind.STATION, UnitKind.COMMUNITY})
# Who sees a resident's full phone on any ticket; a unit's people see it on what they hold.
FULL_PHONE_ROLES = DISPATCH_ROLES | {Role.SUPERVISOR}
# Who hands a dispute the station is handling to a people's mediation committee.
HANDOVER_ROLES = frozenset({Role.UNIT_HANDLER, Role.UNIT_LEADER})
# Who issues and revokes the keys of the applications that send Open311 service requests.
OPEN311_KEY_ROLES = frozenset({Role.ADMIN})


def require(allowed: bool, message: str) -> None:
    """Raise `Forbidden(message)` unless `allowed`: how an action applies a permission."""
    if not allowed:
        raise Forbidden(message)


def _person_with_role(actor: Viewer, roles: frozenset[str]) -> bool:
    if isinstance(actor, SystemActor):
        return True
    return isinstance(actor, User) and actor.is_active and actor.role in roles


def _person(actor: Viewer) -> User | None:
    """The active person behind `actor`, or None (the system, a visitor not logged in)."""
    return actor if isinstance(actor, User) and actor.is_active else None


def can_register(actor: Viewer) -> bool:
    """Take a ticket in (`register_ticket`)."""
    return _person_with_role(actor, INTAKE_ROLES)


def can_dispatch(actor: Viewer) -> bool:
    """The command centre's ticket actions: dispatch, close, invalidate, merge."""
    return _person_with_role(actor, DISPATCH_ROLES)


def can_import_tickets(actor: Viewer) -> bool:
    """Import tickets from Excel and CSV sheets and map their sources' columns: the command
    centre's dispatchers and administrators, who register and dispatch."""
    return _person_with_role(actor, DISPATCH_ROLES)


def can_mark_repeat(actor: Viewer) -> bool:
    """Mark a ticket as a repeat report of an earlier one (`mark_repeat`)."""
    return _person_with_role(actor, DISPATCH_ROLES)


def can_work_unit_tickets(actor: Viewer, unit_id: int | None) -> bool:
    """Accept, return and resolve: the people of the unit that holds the ticket."""
    if isinstance(actor, SystemActor):
        return True
    person = _person(actor)
    return bool(person and person.works_unit_tickets and unit_id is not None
                and person.unit_id == unit_id)  # fmt: skip


def can_attach(actor: Viewer, unit_id: int | None, *, registered_by_id: int | None = None) -> bool:
    """Attach files to a ticket held by `unit_id` (none while with the command centre) and
    registered by `registered_by_id`: the command centre, the people of the unit that holds it
    now, and the person who registered it. A leader only reads; a unit that held it once no
    longer adds to it. (A finished ticket takes no files from anyone: `add_attachments`.)"""
    if _person_with_role(actor, CENTRE_ROLES) or can_work_unit_tickets(actor, unit_id):
        return True
    person = _person(actor)
    return bool(person and registered_by_id is not None and person.pk == registered_by_id)


def has_inbox(actor: Viewer) -> bool:
    """People who work the tickets their unit holds have an inbox."""
    person = _person(actor)
    return bool(person and person.works_unit_tickets)


def can_supervise(actor: Viewer) -> bool:
    """Issue a supervision order by hand (`supervise_ticket`)."""
    return _person_with_role(actor, SUPERVISE_ROLES)


def can_watch_supervision(actor: Viewer) -> bool:
    """See the supervision board: every order of the bureau."""
    return _person_with_role(actor, SUPERVISION_BOARD_ROLES)


def can_record_visit(actor: Viewer) -> bool:
    """Call residents back and record the outcome (`record_visit`, the follow-up queue)."""
    return _person_with_role(actor, CENTRE_ROLES)


def can_decide_extension(actor: Viewer) -> bool:
    """Approve or reject a unit's request for more time (延期): the command centre."""
    return _person_with_role(actor, CENTRE_ROLES)


def can_take_snapshot(actor: Viewer) -> bool:
    """Take the month's clear-to-zero snapshot (`take_snapshot`)."""
    return _person_with_role(actor, SNAPSHOT_ROLES)


def sees_whole_bureau(actor: Viewer) -> bool:
    """The command centre and the bureau's leaders (and the system) see every ticket."""
    if isinstance(actor, SystemActor):
        return True
    person = _person(actor)
    return bool(person and person.sees_whole_bureau)


def can_see_campaign(actor: Viewer) -> bool:
    """See the clear-to-zero board: the bureau-wide roles, and units for their own rows."""
    return sees_whole_bureau(actor) or has_inbox(actor)


def can_see_stats(actor: Viewer) -> bool:
    """Everyone logged in sees the figures of the tickets they may see."""
    return isinstance(actor, SystemActor) or _person(actor) is not None


def can_read_reports(actor: Viewer) -> bool:
    """Published reports are the bureau's: bureau-wide roles read them."""
    return sees_whole_bureau(actor)


def can_publish_report(actor: Viewer) -> bool:
    """Freeze a report (`publish_report`): the command centre and the leaders."""
    return sees_whole_bureau(actor)


def can_edit_calendar(actor: Viewer) -> bool:
    """Record calendar overrides: administrators."""
    return _person_with_role(actor, frozenset({Role.ADMIN}))


def can_see_full_phone(actor: Viewer, unit_id: int | None) -> bool:
    """A resident's full number is for those who handle the ticket (held by `unit_id`)."""
    return _person_with_role(actor, FULL_PHONE_ROLES) or can_work_unit_tickets(actor, unit_id)


def can_see_mediation(actor: Viewer) -> bool:
    """The mediation pages: the command centre and the leaders (every case), and mediators
    (the cases of their studios and committee: `jieban.mediation.access`)."""
    return sees_whole_bureau(actor) or _person_with_role(actor, frozenset({Role.MEDIATOR}))


def can_see_mediation_figures(actor: Viewer) -> bool:
    """The mediation figures: the command centre and the leaders (the bureau's), mediators
    (their studios' and committee's), and a station's people (the cases their station handed
    over: `jieban.stats.mediation.figure_cases`)."""
    if isinstance(actor, SystemActor) or can_see_mediation(actor):
        return True
    person = _person(actor)
    return bool(
        person
        and person.role in (Role.UNIT_HANDLER, Role.UNIT_LEADER)
        and person.unit is not None
        and person.unit.kind == UnitKind.STATION
    )


def can_mediate(actor: Viewer, people: Collection[int]) -> bool:
    """Log sessions, conclude and extend a case: the mediators among `people`, the people of
    its studio or committee."""
    if isinstance(actor, SystemActor):
        return True
    person = _person(actor)
    return bool(person and person.role == Role.MEDIATOR and person.pk in people)


def can_open_mediation_case(actor: Viewer, people: Collection[int]) -> bool:
    """Accept a case for a studio or committee whose people are `people`: its mediators, and
    the command centre, which hands disputes over."""
    return _person_with_role(actor, CENTRE_ROLES) or can_mediate(actor, people)


def can_hand_over(actor: Viewer, unit_id: int | None) -> bool:
    """Hand a dispute the unit `unit_id` is handling to a people's mediation committee
    (公调对接): that station's handlers and leaders."""
    if isinstance(actor, SystemActor):
        return True
    person = _person(actor)
    return bool(person and person.role in HANDOVER_ROLES and unit_id is not None
                and person.unit_id == unit_id)  # fmt: skip


def can_answer_handover(actor: Viewer, committee_id: int) -> bool:
    """Accept or decline a dispute handed over to the committee `committee_id`: the
    committee's mediators."""
    if isinstance(actor, SystemActor):
        return True
    person = _person(actor)
    return bool(person and person.role == Role.MEDIATOR and person.unit_id == committee_id)


def can_see_handovers(actor: Viewer) -> bool:
    """The hand-overs page: the command centre and the leaders (every hand-over and the counts
    by level), the stations' people (what they handed over) and the mediators (what their
    committee was sent): `jieban.mediation.access.visible_handovers`."""
    return sees_whole_bureau(actor) or _person_with_role(actor, HANDOVER_ROLES | {Role.MEDIATOR})


def can_administer(actor: Viewer) -> bool:
    """Open the back office (Django's admin: units, people, tokens, categories, calendar)."""
    if isinstance(actor, SystemActor):
        return True
    return _person_with_role(actor, frozenset({Role.ADMIN})) and bool(actor.is_staff)


def can_manage_exchange(actor: Viewer) -> bool:
    """The exchange with the 12345 platforms: its page (deliveries, orders waiting for a
    mapping), retrying a message, applying waiting orders: the administrators and the command
    centre."""
    return _person_with_role(actor, CENTRE_ROLES)


def can_see_grids(actor: Viewer) -> bool:
    """Read the grids, their places and boundaries: everyone logged in (the map is the
    bureau's, as the figures by grid are)."""
    return isinstance(actor, SystemActor) or _person(actor) is not None


# A police station's people who look at its grids on the map: its leaders and its officers,
# among whom the grid police chiefs (网格警长, appointed from the station's officers).
STATION_MAP_ROLES = frozenset({Role.UNIT_LEADER, Role.UNIT_HANDLER})


def can_see_grid_map(actor: Viewer) -> bool:
    """Open the grid map with each grid's figures: the command centre and the leaders (every
    grid), and a unit's leaders and officers: a police station's, its grid police chiefs
    among them, see the grids of its area on the day shown (`jieban.community.access`); a
    unit without an area of grids has none to see. Decided from the role alone: the menu
    asks on every page, and reading the unit's kind would cost each of them a query."""
    if sees_whole_bureau(actor):
        return True
    person = _person(actor)
    return bool(person and person.role in STATION_MAP_ROLES and person.unit_id is not None)


def can_edit_grids(actor: Viewer) -> bool:
    """Redraw grids: record a boundary, a name or a place (`jieban grid import`)."""
    return _person_with_role(actor, GRID_EDITOR_ROLES)


def can_manage_buildings(actor: Viewer) -> bool:
    """List, add and edit buildings: administrators (every grid) and a police station's
    leaders (the grids of their station's area, `jieban.community.access`)."""
    if _person_with_role(actor, GRID_EDITOR_ROLES):
        return True
    person = _person(actor)
    return bool(
        person
        and person.role == Role.UNIT_LEADER
        and person.unit is not None
        and person.unit.kind == UnitKind.STATION
    )


def can_issue_appointments(actor: Viewer) -> bool:
    """Issue, renew and revoke appointment letters (聘书) and read them: administrators (for
    any station) and a police station's leaders (their station's letters)."""
    return can_manage_buildings(actor)


def can_report_from_phone(actor: Viewer) -> bool:
    """Report from the phone (随手报) and follow one's reports: building heads and grid
    officers. Sending needs a letter in force too (`jieban.community.reports`), which says so
    when there is none."""
    return _person_with_role(actor, PHONE_REPORT_ROLES)


def can_read_own_appointments(actor: Viewer) -> bool:
    """Read one's own appointment letters, current and past, and print them: the people a
    letter may appoint (`jieban.community.access`)."""
    return _person_with_role(actor, APPOINTEE_ROLES)


def _host_leader(actor: Viewer) -> User | None:
    """The active leader of a station or a community behind `actor`, or None."""
    person = _person(actor)
    if (
        person
        and person.role == Role.UNIT_LEADER
        and person.unit is not None
        and person.unit.kind in STUDIO_HOST_KINDS
    ):
        return person
    return None


def can_manage_studios(actor: Viewer) -> bool:
    """Open a mediation studio and manage studios: administrators (any host) and the leaders
    of a station or a community (the studios their unit hosts)."""
    return _person_with_role(actor, GRID_EDITOR_ROLES) or _host_leader(actor) is not None


def can_edit_studio(actor: Viewer, host_unit_id: int | None) -> bool:
    """Edit a studio hosted by `host_unit_id` and add or remove its mediators: administrators
    and the host unit's leaders."""
    if _person_with_role(actor, GRID_EDITOR_ROLES):
        return True
    leader = _host_leader(actor)
    return bool(leader and host_unit_id is not None and leader.unit_id == host_unit_id)


def can_see_studios(actor: Viewer) -> bool:
    """The list of studios with their mediators: whoever opens the mediation pages, and
    those who manage studios."""
    return can_see_mediation(actor) or can_manage_studios(actor)


def can_manage_open311_keys(actor: Viewer) -> bool:
    """Issue, list and revoke the Open311 applications' keys (`jieban.exchange.open311`):
    administrators."""
    return _person_with_role(actor, OPEN311_KEY_ROLES)


def can_manage_dispatch_rules(actor: Viewer) -> bool:
    """Write, order and switch the dispatch rules (派单规则): the command centre's
    dispatchers and administrators, who dispatch by hand what no rule covers."""
    return _person_with_role(actor, DISPATCH_ROLES)
