"""Who acts: a person (the user model), or the system itself.

Domain actions take `by: Actor`. A person's role is checked by `jieban.org.permissions`. The
system actor stands for work nobody did by hand: the worker's sweeps and snapshots, an
operator's command line, and (later) a partner platform acting through the exchange. It passes
every permission and sees every ticket, and the record shows no person for it (`person_of`).
"""

from __future__ import annotations

from typing import Final, TypeAlias

from django.contrib.auth.models import AnonymousUser

from jieban.org.models import User


class SystemActor:
    """The system itself. One instance, `SYSTEM`; compare with `is_system`."""

    # Duck-typed like a logged-in user where readers ask (access rules, figures).
    is_authenticated: Final = True
    is_active: Final = True
    pk: Final = None
    unit_id: Final = None
    role: Final = "system"
    sees_whole_bureau: Final = True
    works_unit_tickets: Final = False

    def __repr__(self) -> str:
        return "SYSTEM"

    def __str__(self) -> str:
        return "system"


SYSTEM: Final = SystemActor()

# Who does something: a person or the system.
Actor: TypeAlias = User | SystemActor
# Who looks at something: as an actor, or a visitor not logged in (who sees nothing).
Viewer: TypeAlias = User | SystemActor | AnonymousUser


def is_system(actor: object) -> bool:
    return isinstance(actor, SystemActor)


def person_of(actor: Actor) -> User | None:
    """The person to record as having done it (`TicketEvent.actor`, `issued_by`…); None for
    the system."""
    return actor if isinstance(actor, User) else None
