"""The whole policy of who may do what, one row per permission, and the system actor.

Each permission in `jieban.org.permissions` is checked for every role of the shared cast,
for the system actor, for a visitor who is not logged in and for a person made inactive. The
actions raise from these functions and the menus read them, so this table is the policy.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser

from jieban.errors import Forbidden
from jieban.org import permissions
from jieban.org.actors import SYSTEM, is_system, person_of
from jieban.org.models import User
from jieban.tickets.access import access_ticket, visible_tickets
from jieban.tickets.campaign import take_snapshot
from jieban.tickets.models import TicketEvent
from jieban.tickets.supervision import supervise_ticket
from jieban.tickets.transitions import dispatch_ticket
from jieban.workcalendar import workdays
from tests.conftest import Cast, local, new_ticket

CAST = (
    "admin",
    "dispatcher",
    "supervisor",
    "leader",
    "handler_a",
    "leader_a",
    "handler_b",
    "grid_officer",
    "building_head",
    "outsider",
)

# permission → the members of the cast it allows (the unit-bound ones for station A's unit).
POLICY: dict[str, set[str]] = {
    "can_register": {"admin", "dispatcher", "supervisor", "grid_officer", "building_head"},
    "can_dispatch": {"admin", "dispatcher"},
    "can_mark_repeat": {"admin", "dispatcher"},
    "can_import_tickets": {"admin", "dispatcher"},
    "has_inbox": {"handler_a", "leader_a", "handler_b", "grid_officer", "outsider"},
    "can_supervise": {"admin", "supervisor"},
    "can_watch_supervision": {"admin", "dispatcher", "supervisor", "leader"},
    "can_record_visit": {"admin", "dispatcher", "supervisor"},
    "can_take_snapshot": {"admin", "dispatcher", "supervisor"},
    "can_decide_extension": {"admin", "dispatcher", "supervisor"},
    "sees_whole_bureau": {"admin", "dispatcher", "supervisor", "leader"},
    "can_see_campaign": {
        "admin",
        "dispatcher",
        "supervisor",
        "leader",
        "handler_a",
        "leader_a",
        "handler_b",
        "grid_officer",
        "outsider",
    },
    "can_see_stats": set(CAST),
    "can_read_reports": {"admin", "dispatcher", "supervisor", "leader"},
    "can_publish_report": {"admin", "dispatcher", "supervisor", "leader"},
    "can_edit_calendar": {"admin"},
    # The cast's mediator is `outsider`; which cases each sees is `jieban.mediation.access`.
    "can_see_mediation": {"admin", "dispatcher", "supervisor", "leader", "outsider"},
    # And a station's people: the cases their station handed over (`jieban.stats.mediation`).
    "can_see_mediation_figures": {
        "admin",
        "dispatcher",
        "supervisor",
        "leader",
        "outsider",
        "handler_a",
        "leader_a",
        "handler_b",
    },
    "can_administer": {"admin"},
    "can_manage_open311_keys": {"admin"},
    "can_manage_exchange": {"admin", "dispatcher", "supervisor"},
    "can_manage_dispatch_rules": {"admin", "dispatcher"},
    "can_see_grids": set(CAST),
    # Station A's leader and officer (among whom its grid police chiefs), station B's officer.
    "can_see_grid_map": {
        "admin",
        "dispatcher",
        "supervisor",
        "leader",
        "handler_a",
        "leader_a",
        "handler_b",
    },
    "can_edit_grids": {"admin"},
    "can_manage_buildings": {"admin", "leader_a"},
    "can_issue_appointments": {"admin", "leader_a"},
    "can_report_from_phone": {"grid_officer", "building_head"},
    # The people a letter may appoint read their own letters.
    "can_read_own_appointments": {
        "handler_a",
        "leader_a",
        "handler_b",
        "grid_officer",
        "building_head",
    },
    "can_manage_studios": {"admin", "leader_a"},
    "can_see_studios": {"admin", "dispatcher", "supervisor", "leader", "leader_a", "outsider"},
    # Which hand-overs each sees is `jieban.mediation.access.visible_handovers`.
    "can_see_handovers": {
        "admin",
        "dispatcher",
        "supervisor",
        "leader",
        "handler_a",
        "leader_a",
        "handler_b",
        "outsider",
    },
}
UNIT_BOUND: dict[str, set[str]] = {
    "can_work_unit_tickets": {"handler_a", "leader_a"},
    # And whoever registered the ticket (`test_the_registrar_may_attach`).
    "can_attach": {"admin", "dispatcher", "supervisor", "handler_a", "leader_a"},
    "can_see_full_phone": {"admin", "dispatcher", "supervisor", "handler_a", "leader_a"},
    # A studio hosted by station A: administrators and A's leaders.
    "can_edit_studio": {"admin", "leader_a"},
    # The station handling the ticket hands its dispute over; nobody else.
    "can_hand_over": {"handler_a", "leader_a"},
    # Bound to a committee's unit: a committee's mediators (the cast has none at station A;
    # tests/test_handover.py gives a committee its mediator).
    "can_answer_handover": set(),
}

# Permissions bound to a studio's or committee's people (ids): given everyone of the cast as
# its people, who of them may.
MEMBER_BOUND: dict[str, set[str]] = {
    "can_mediate": {"outsider"},
    "can_open_mediation_case": {"admin", "dispatcher", "supervisor", "outsider"},
}


def every_permission() -> set[str]:
    return {
        name
        for name, value in vars(permissions).items()
        if callable(value)
        and (name.startswith(("can_", "has_")) or name == "sees_whole_bureau")
        and value.__module__ == permissions.__name__
    }


def test_the_table_names_every_permission() -> None:
    assert every_permission() == set(POLICY) | set(UNIT_BOUND) | set(MEMBER_BOUND)


@pytest.mark.parametrize("name", sorted(MEMBER_BOUND))
def test_member_bound_permissions_follow_the_people(cast: Cast, name: str) -> None:
    check: Callable[[Any, set[int]], bool] = getattr(permissions, name)
    everyone = {getattr(cast, member).pk for member in CAST}
    assert {member for member in CAST if check(getattr(cast, member), everyone)} == (
        MEMBER_BOUND[name]
    )
    # Not one of the people: only those who may whoever the people are.
    nobody: set[int] = set()
    assert {member for member in CAST if check(getattr(cast, member), nobody)} == (
        MEMBER_BOUND[name] - {"outsider"}
    )
    assert check(SYSTEM, nobody) is True
    assert check(AnonymousUser(), everyone) is False
    cast.outsider.is_active = False
    assert check(cast.outsider, everyone) is False


@pytest.mark.parametrize("name", sorted(POLICY))
def test_each_permission_allows_exactly_its_roles(cast: Cast, name: str) -> None:
    check: Callable[[Any], bool] = getattr(permissions, name)
    allowed = {member for member in CAST if check(getattr(cast, member))}
    assert allowed == POLICY[name]


@pytest.mark.parametrize("name", sorted(UNIT_BOUND))
def test_unit_bound_permissions_follow_the_unit(cast: Cast, name: str) -> None:
    check: Callable[[Any, int | None], bool] = getattr(permissions, name)
    unit_a = cast.handler_a.unit_id
    allowed = {member for member in CAST if check(getattr(cast, member), unit_a)}
    assert allowed == UNIT_BOUND[name]
    # A ticket with no unit: only those who may on every ticket.
    held_by_nobody = {member for member in CAST if check(getattr(cast, member), None)}
    assert held_by_nobody == UNIT_BOUND[name] - {"handler_a", "leader_a"}


@pytest.mark.parametrize("name", sorted(POLICY) + sorted(UNIT_BOUND))
def test_the_system_may_and_a_visitor_may_not(name: str) -> None:
    check = getattr(permissions, name)
    args = (SYSTEM, 1) if name in UNIT_BOUND else (SYSTEM,)
    visitor = (AnonymousUser(), 1) if name in UNIT_BOUND else (AnonymousUser(),)
    # An inbox is a person's: the system has none; it may do everything else.
    assert check(*args) is (name != "has_inbox")
    assert check(*visitor) is False


@pytest.mark.parametrize("name", sorted(POLICY))
def test_an_inactive_person_may_do_nothing(cast: Cast, name: str) -> None:
    admin: User = cast.admin
    admin.is_active = False
    assert getattr(permissions, name)(admin) is False


def test_the_registrar_may_attach(cast: Cast) -> None:
    # Who may attach besides the command centre and the holding unit: whoever registered it,
    # while they are active.
    registrar: User = cast.building_head
    ticket = new_ticket(registrar)
    held_by = cast.handler_b.unit_id
    allowed = {
        member
        for member in CAST
        if permissions.can_attach(
            getattr(cast, member), held_by, registered_by_id=ticket.registered_by_id
        )
    }
    assert allowed == {"admin", "dispatcher", "supervisor", "handler_b", "building_head"}
    registrar.is_active = False
    assert not permissions.can_attach(registrar, None, registered_by_id=registrar.pk)


def test_require_raises_forbidden_with_the_message() -> None:
    permissions.require(True, "never shown")
    with pytest.raises(Forbidden, match="not you"):
        permissions.require(False, "not you")


class TestTheSystemActor:
    def test_it_is_recorded_as_no_person(self, cast: Cast) -> None:
        assert is_system(SYSTEM) and not is_system(cast.admin)
        assert person_of(SYSTEM) is None
        assert person_of(cast.admin) == cast.admin

    def test_it_sees_every_ticket(self, cast: Cast) -> None:
        ticket = new_ticket(cast.dispatcher)
        assert visible_tickets(SYSTEM).filter(pk=ticket.pk).exists()
        assert access_ticket(SYSTEM, ticket.number) == ticket
        assert not visible_tickets(AnonymousUser()).exists()

    def test_its_transitions_are_written_with_no_actor(self, cast: Cast) -> None:
        ticket = new_ticket(cast.dispatcher)
        dispatch_ticket(ticket.number, unit=cast.handler_a.unit, by=SYSTEM)
        event = TicketEvent.objects.filter(ticket=ticket, kind="dispatch").get()
        assert event.actor is None

    def test_its_supervision_order_has_no_issuer(self, cast: Cast) -> None:
        ticket = new_ticket(cast.dispatcher)
        dispatch_ticket(ticket.number, unit=cast.handler_a.unit, by=cast.dispatcher)
        order = supervise_ticket(ticket.number, note="请加快办理", by=SYSTEM)
        assert order.issued_by is None

    def test_it_may_take_a_snapshot_and_a_handler_may_not(self, cast: Cast) -> None:
        with time_machine.travel(local(2026, 7, 3), tick=False):
            with pytest.raises(Forbidden):
                take_snapshot("2026-07", by=cast.handler_a)
            campaign = take_snapshot("2026-07", by=SYSTEM)
        assert campaign.month == "2026-07"

    def test_the_calendar_records_no_person_for_it(self, cast: Cast) -> None:
        override = workdays.set_override(
            date=dt.date(2026, 3, 3), kind="holiday", source="县政府通知", by=SYSTEM
        )
        assert override.updated_by is None
        with pytest.raises(Forbidden):
            workdays.remove_override(date=dt.date(2026, 3, 3), by=cast.dispatcher)
        assert workdays.remove_override(date=dt.date(2026, 3, 3), by=cast.admin) is True
