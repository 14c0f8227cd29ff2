"""Suggestions at intake (issue 13): a ticket registered through `register_and_suggest`
gets the intake's suggestions (category, earlier reports of the same matter, grid and unit)
recorded with it, in the same transaction, so the share taken can be measured."""

from __future__ import annotations

from dataclasses import dataclass, field

from jieban.intake.actions import TicketDraft, register_ticket
from jieban.org.actors import Actor
from jieban.suggestions.models import Suggestion
from jieban.tickets.models import Ticket


@dataclass
class Registered:
    """A ticket as the intake registered it, with what was suggested for it."""

    ticket: Ticket
    created: bool
    suggestions: list[Suggestion] = field(default_factory=list)


def register_and_suggest(draft: TicketDraft, *, by: Actor) -> Registered:
    """Register a ticket through the one intake and record the suggestions made for it, in
    the ticket's transaction; a replayed ticket (the same channel and external id again) gets
    none a second time. The suggestions are worked out before the write transaction: the
    less done while the intake holds the database's write lock, the better."""
    suggestions: list[Suggestion] = []

    def record(ticket: Ticket) -> None:
        for suggestion in suggestions:
            suggestion.ticket = ticket
        Suggestion.objects.bulk_create(suggestions)

    ticket, created = register_ticket(draft, by=by, then=record)
    if not created:
        return Registered(ticket, created=False)
    return Registered(ticket, created=True, suggestions=suggestions)
