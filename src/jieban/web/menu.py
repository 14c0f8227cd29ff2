"""What the top bar offers a person; the rules come from the domain's role sets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jieban.intake.actions import INTAKE_ROLES
from jieban.org.models import Role


def may_register(user: Any) -> bool:
    """Roles that `register_ticket` accepts."""
    return bool(user.is_authenticated and user.role in INTAKE_ROLES)


def may_edit_calendar(user: Any) -> bool:
    """The rule PUT /api/v1/calendar/{date} applies: administrators only."""
    return bool(user.is_authenticated and user.role == Role.ADMIN)


def has_inbox(user: Any) -> bool:
    """People who work the tickets their unit holds."""
    return bool(user.is_authenticated and user.works_unit_tickets)


@dataclass(frozen=True)
class Menu:
    register: bool
    inbox: bool
    calendar: bool


def menu_for(user: Any) -> Menu:
    return Menu(
        register=may_register(user), inbox=has_inbox(user), calendar=may_edit_calendar(user)
    )
