"""Suggestions at intake (issue 13): a ticket registered through `register_and_suggest`
gets the intake's suggestions (category, earlier reports of the same matter, grid and unit)
recorded with it, in the same transaction, so the share taken can be measured."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from jieban.intake.actions import TicketDraft, register_ticket
from jieban.org.actors import Actor
from jieban.suggestions.models import Suggestion
from jieban.suggestions.rules import (
    PlaceAndUnit,
    category_confidence,
    dispatch_by_rule,
    suggest_place_and_unit,
    suggestion_rows,
)
from jieban.tickets.models import Status, Ticket


@dataclass
class Registered:
    """A ticket as the intake registered it, with what was suggested for it."""

    ticket: Ticket
    created: bool
    suggestions: list[Suggestion] = field(default_factory=list)
    # The grid and units suggested from the address, grid and category, and the rule.
    place_and_unit: PlaceAndUnit | None = None


def register_and_suggest(
    draft: TicketDraft, *, by: Actor, person_dispatches: bool = False
) -> Registered:
    """Register a ticket through the one intake and record the suggestions made for it; a
    replayed ticket (the same channel and external id again) gets none a second time.
    The centre's dispatch rules apply unless the person registering it dispatches it at once
    (`person_dispatches`) or it came dispatched (a platform's order)."""
    with transaction.atomic():
        ticket, created = register_ticket(draft, by=by)
        if not created:
            return Registered(ticket, created=False)
        suggestions: list[Suggestion] = []
        # A platform's order comes dispatched: no rule, no unit to suggest.
        place_and_unit = suggest_place_and_unit(
            address=ticket.address,
            category=ticket.category,
            grid=ticket.grid,
            units=ticket.status == Status.NEW,
        )
        if not person_dispatches:
            confidence = category_confidence(ticket, suggestions)
            ticket = dispatch_by_rule(ticket, place_and_unit, category_confidence=confidence)
        suggestions += suggestion_rows(ticket, place_and_unit)
        Suggestion.objects.bulk_create(suggestions)
        return Registered(ticket, True, suggestions, place_and_unit)
