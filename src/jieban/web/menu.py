"""What the pages offer a person; the rules come from the domain's role sets.

These helpers only decide what to show. The domain functions check the same rules again, so
a form posted by someone these helpers would not offer it to still gets the domain's 403.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jieban.intake.actions import INTAKE_ROLES
from jieban.org.models import CENTRE_ROLES, DISPATCH_ROLES, Role
from jieban.tickets.models import CLOCK_RUNNING, TERMINAL, Status, Ticket
from jieban.tickets.supervision import SUPERVISE_ROLES

# Who watches the supervision board: the command centre and the bureau's leaders.
SUPERVISION_BOARD_ROLES = CENTRE_ROLES | {Role.LEADER}
# `take_snapshot` itself has no role rule (the worker calls it): the page offers it to these.
SNAPSHOT_ROLES = frozenset({Role.ADMIN, Role.SUPERVISOR})


class TicketForm:
    """The forms of the ticket page besides the status transitions."""

    SUPERVISE = "supervise"
    VISIT = "visit"
    REPEAT = "repeat"


def may_register(user: Any) -> bool:
    """Roles that `register_ticket` accepts."""
    return bool(user.is_authenticated and user.role in INTAKE_ROLES)


def may_edit_calendar(user: Any) -> bool:
    """The rule PUT /api/v1/calendar/{date} applies: administrators only."""
    return bool(user.is_authenticated and user.role == Role.ADMIN)


def has_inbox(user: Any) -> bool:
    """People who work the tickets their unit holds."""
    return bool(user.is_authenticated and user.works_unit_tickets)


def makes_follow_up_calls(user: Any) -> bool:
    """The rule of `record_visit`: the command centre calls residents back."""
    return bool(user.is_authenticated and user.role in CENTRE_ROLES)


def may_read_reports(user: Any) -> bool:
    """Reports are the bureau's: `published_report` shows them to bureau-wide roles only."""
    return bool(user.is_authenticated and user.sees_whole_bureau)


def may_take_snapshot(user: Any) -> bool:
    return bool(user.is_authenticated and user.role in SNAPSHOT_ROLES)


def ticket_forms(user: Any, ticket: Ticket) -> list[str]:
    """The forms besides the transitions that the ticket page offers `user` now.

    Mirrors `supervise_ticket`, `record_visit` and `mark_repeat`: who may, and in which state.
    """
    if not user.is_authenticated:
        return []
    offered = []
    if user.role in SUPERVISE_ROLES and ticket.status in CLOCK_RUNNING:
        offered.append(TicketForm.SUPERVISE)
    if user.role in CENTRE_ROLES and ticket.status == Status.RESOLVED:
        offered.append(TicketForm.VISIT)
    if user.role in DISPATCH_ROLES and ticket.status not in TERMINAL and not ticket.repeat_of_id:
        offered.append(TicketForm.REPEAT)
    return offered


@dataclass(frozen=True)
class Menu:
    register: bool
    inbox: bool
    calendar: bool
    supervision: bool
    follow_up: bool
    campaign: bool
    stats: bool
    reports: bool


def menu_for(user: Any) -> Menu:
    authenticated = bool(user.is_authenticated)
    return Menu(
        register=may_register(user),
        inbox=has_inbox(user),
        calendar=may_edit_calendar(user),
        supervision=authenticated and user.role in SUPERVISION_BOARD_ROLES,
        follow_up=makes_follow_up_calls(user),
        campaign=authenticated and (user.sees_whole_bureau or user.works_unit_tickets),
        stats=authenticated,
        reports=may_read_reports(user),
    )
