"""Suggestions at intake (issue 13): a ticket registered through `register_and_suggest`
gets the intake's suggestions (category, earlier reports of the same matter, grid and unit)
recorded with it, in the same transaction, so the share taken can be measured."""

from __future__ import annotations

from dataclasses import dataclass, field

from jieban.intake.actions import TicketDraft, register_ticket
from jieban.org.actors import Actor
from jieban.suggestions.labels import category_suggestions_for
from jieban.suggestions.models import Suggestion
from jieban.suggestions.repeats import SimilarTicket, repeat_suggestions, similar_tickets
from jieban.tickets.models import Ticket


@dataclass
class Registered:
    """A ticket as the intake registered it, with what was suggested for it."""

    ticket: Ticket
    created: bool
    suggestions: list[Suggestion] = field(default_factory=list)
    # The open or recent tickets likely about the same matter, best first (重复反映).
    possible_repeats: list[SimilarTicket] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[Suggestion]:
        """The suggestions of one kind, first to last."""
        return sorted((s for s in self.suggestions if s.kind == kind), key=lambda s: s.rank)


def register_and_suggest(draft: TicketDraft, *, by: Actor) -> Registered:
    """Register a ticket through the one intake and record the suggestions made for it, in
    the ticket's own transaction (under the intake's writer lock: `register_ticket`'s
    `then`); a replayed ticket (the same channel and external id again) gets none a second
    time."""
    suggestions: list[Suggestion] = []
    possible_repeats: list[SimilarTicket] = []

    def record(ticket: Ticket) -> None:
        suggestions.extend(category_suggestions_for(ticket))
        possible_repeats.extend(similar_tickets(ticket, by=by))
        suggestions.extend(repeat_suggestions(ticket, possible_repeats))
        Suggestion.objects.bulk_create(suggestions)

    ticket, created = register_ticket(draft, by=by, then=record)
    if not created:
        return Registered(ticket, created=False)
    return Registered(
        ticket, created=True, suggestions=suggestions, possible_repeats=possible_repeats
    )
