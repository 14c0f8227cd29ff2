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
from jieban.suggestions.rules import (
    PlaceAndUnit,
    category_confidence,
    dispatch_by_rule,
    suggest_place_and_unit,
    suggestion_rows,
)
from jieban.tickets.models import Ticket


@dataclass
class Registered:
    """A ticket as the intake registered it, with what was suggested for it."""

    ticket: Ticket
    created: bool
    suggestions: list[Suggestion] = field(default_factory=list)
    # The open or recent tickets likely about the same matter, best first (重复反映).
    possible_repeats: list[SimilarTicket] = field(default_factory=list)
    # The grid and units suggested from the address, grid and category, and the rule.
    place_and_unit: PlaceAndUnit | None = None

    def of_kind(self, kind: str) -> list[Suggestion]:
        """The suggestions of one kind, first to last."""
        return sorted((s for s in self.suggestions if s.kind == kind), key=lambda s: s.rank)


def register_and_suggest(
    draft: TicketDraft, *, by: Actor, person_dispatches: bool = False
) -> Registered:
    """Register a ticket through the one intake with the suggestions made for it; a replayed
    ticket (the same channel and external id again) gets none a second time. The centre's
    dispatch rules apply unless the person registering it dispatches it at once
    (`person_dispatches`) or it came dispatched (a platform's order).

    The suggestions are worked out from the ticket as checked, before the write transaction
    (`register_ticket`'s `before`), so that concurrent registrations do not queue behind
    them; only their rows and a rule's dispatch are written in the ticket's own transaction."""
    suggestions: list[Suggestion] = []
    possible_repeats: list[SimilarTicket] = []
    worked_out: list[PlaceAndUnit] = []

    def work_out(ticket: Ticket) -> None:
        suggestions.extend(category_suggestions_for(ticket))
        possible_repeats.extend(similar_tickets(ticket, by=by))
        suggestions.extend(repeat_suggestions(ticket, possible_repeats))
        # A platform's order comes dispatched (a unit with it): no rule, no unit to suggest.
        worked_out.append(
            suggest_place_and_unit(
                address=ticket.address,
                category=ticket.category,
                grid=ticket.grid,
                units=not draft.unit,
            )
        )

    outcome: list[Ticket] = []

    def record(ticket: Ticket) -> None:
        place_and_unit = worked_out[0]
        if not person_dispatches:
            confidence = category_confidence(ticket, suggestions)
            ticket = dispatch_by_rule(ticket, place_and_unit, category_confidence=confidence)
        suggestions.extend(suggestion_rows(ticket, place_and_unit))
        Suggestion.objects.bulk_create(suggestions)
        outcome.append(ticket)

    ticket, created = register_ticket(draft, by=by, before=work_out, then=record)
    if not created:
        return Registered(ticket, created=False)
    return Registered(
        outcome[0],
        created=True,
        suggestions=suggestions,
        possible_repeats=possible_repeats,
        place_and_unit=worked_out[0],
    )
