"""The one access rule: who may see which ticket. Every page, endpoint and command calls it.

Command-centre roles and bureau leaders see every ticket of the bureau. A unit's people see the
tickets their unit holds or has held. Whoever registered a ticket can follow it (首问负责).
Nobody else sees anything: a ticket you may not see does not exist for you.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from jieban.errors import NotFound
from jieban.inputs import printable, unstorable_character
from jieban.org.actors import Viewer
from jieban.org.models import User
from jieban.org.permissions import can_see_full_phone, sees_whole_bureau
from jieban.tickets.models import Ticket, TicketUnit


def visible_tickets(user: Viewer, *, unit_id: int | None = None) -> QuerySet[Ticket]:
    """The tickets `user` may see, as a queryset to filter further; with `unit_id`, only
    those that unit holds now (for a unit's own people the rule then needs no subquery)."""
    tickets = Ticket.objects.all() if unit_id is None else Ticket.objects.filter(unit_id=unit_id)
    if sees_whole_bureau(user):  # the system too
        return tickets
    if not isinstance(user, User) or not user.is_active:
        return tickets.none()
    if unit_id is not None and unit_id == user.unit_id:
        return tickets
    condition = Q(registered_by=user.pk)
    if user.unit_id is not None:
        # A ticket the unit holds now it has held: testing that first spares the subquery
        # for the unit's own tickets, which most of its lists and counts are.
        condition = (
            Q(unit_id=user.unit_id)
            | condition
            | Q(Exists(TicketUnit.objects.filter(ticket=OuterRef("pk"), unit_id=user.unit_id)))
        )
    return tickets.filter(condition)


def access_ticket(user: Viewer, number: str, *, for_update: bool = False) -> Ticket:
    """The ticket `number` if `user` may see it, else NotFound; locked when `for_update`."""
    if unstorable_character(number) is not None:
        # No ticket's number holds one, and PostgreSQL refuses NUL in a query.
        raise NotFound(_("No ticket %(number)s.") % {"number": printable(number)})
    tickets = visible_tickets(user).select_related("category", "unit", "grid")
    if for_update:
        tickets = tickets.select_for_update(of=("self",))
    try:
        return tickets.get(number=number)
    except Ticket.DoesNotExist:
        raise NotFound(_("No ticket %(number)s.") % {"number": number}) from None


def openable_numbers(user: Viewer, numbers: Iterable[str | None]) -> set[str]:
    """Which of these ticket numbers `user` may open: one query, none for the command centre
    and the leaders, who open every ticket."""
    wanted = {number for number in numbers if number}
    if not wanted or sees_whole_bureau(user):
        return wanted
    return set(visible_tickets(user).filter(number__in=wanted).values_list("number", flat=True))


def may_see_full_phone(user: Viewer, ticket: Ticket) -> bool:
    """The resident's full number is for those who handle the ticket, not for onlookers."""
    return can_see_full_phone(user, ticket.unit_id)


def shown_phone(user: Viewer, ticket: Ticket) -> str:
    """The resident's phone as `user` is shown it: whole, or masked."""
    if may_see_full_phone(user, ticket):
        return ticket.resident_phone
    return mask_phone(ticket.resident_phone)


def mask_phone(phone: str) -> str:
    """`13812341234` → `138****1234`; short numbers keep only their last digits."""
    digits = phone.strip()
    if not digits:
        return ""
    if len(digits) >= 8:
        return f"{digits[:3]}****{digits[-4:]}"
    return "*" * max(len(digits) - 2, 1) + digits[-2:]
