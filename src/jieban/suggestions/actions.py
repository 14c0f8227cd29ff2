"""Suggestions at intake (issue 13): a ticket registered through `register_and_suggest`
gets the intake's suggestions (category, earlier reports of the same matter, grid and unit)
recorded with it, in the same transaction, so the share taken can be measured."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection

from jieban.intake.actions import BatchResult, TicketDraft, register_ticket, register_tickets
from jieban.org.actors import Actor
from jieban.rows import BulkWriter
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


@dataclass
class _WorkedOut:
    """What was suggested for one ticket before it was stored."""

    suggestions: list[Suggestion]
    possible_repeats: list[SimilarTicket]
    place_and_unit: PlaceAndUnit


def _work_out(ticket: Ticket, *, dispatched: bool, by: Actor) -> _WorkedOut:
    """The suggestions for `ticket`, checked but not stored; a ticket that comes `dispatched`
    (a platform's order) gets no unit suggested."""
    suggestions = category_suggestions_for(ticket)
    possible_repeats = similar_tickets(ticket, by=by)
    suggestions.extend(repeat_suggestions(ticket, possible_repeats))
    place_and_unit = suggest_place_and_unit(
        address=ticket.address, category=ticket.category, grid=ticket.grid, units=not dispatched
    )
    return _WorkedOut(suggestions, possible_repeats, place_and_unit)


def _recorded(ticket: Ticket, worked: _WorkedOut, *, person_dispatches: bool) -> Ticket:
    """`ticket` once stored: the rule's dispatch made (unless a person dispatches it) and
    the grid and unit suggestions added to the rows to record; the ticket as it now is."""
    if not person_dispatches:
        confidence = category_confidence(ticket, worked.suggestions)
        ticket = dispatch_by_rule(ticket, worked.place_and_unit, category_confidence=confidence)
    worked.suggestions.extend(suggestion_rows(ticket, worked.place_and_unit))
    return ticket


@functools.cache
def _suggestion_writer(vendor: str) -> BulkWriter:
    """The suggestions' INSERT, made once per database kind (`jieban.rows`)."""
    return BulkWriter(Suggestion, with_pk=False)


def write_suggestions(rows: list[Suggestion]) -> None:
    """Store the suggestion rows of tickets just stored, in one statement (their ids are not
    read back: nothing reads them before the ticket's page does)."""
    for row in rows:
        row.ticket_id = row.ticket.pk
    _suggestion_writer(connection.vendor).write_objects(rows)


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
    worked: list[_WorkedOut] = []
    outcome: list[Ticket] = []

    def work_out(ticket: Ticket) -> None:
        worked.append(_work_out(ticket, dispatched=bool(draft.unit), by=by))

    def record(ticket: Ticket) -> None:
        ticket = _recorded(ticket, worked[-1], person_dispatches=person_dispatches)
        write_suggestions(worked[-1].suggestions)
        outcome.append(ticket)

    ticket, created = register_ticket(draft, by=by, before=work_out, then=record)
    if not created:
        return Registered(ticket, created=False)
    return Registered(
        outcome[0],
        created=True,
        suggestions=worked[-1].suggestions,
        possible_repeats=worked[-1].possible_repeats,
        place_and_unit=worked[-1].place_and_unit,
    )


def register_many_and_suggest(
    drafts: list[TicketDraft],
    *,
    by: Actor,
    then: Callable[[dict[int, Ticket]], None] | None = None,
) -> list[BatchResult]:
    """Register a batch through the one intake (`register_tickets`: one transaction) with
    the suggestions made for each new ticket, as `register_and_suggest` makes them for one;
    `then` writes what goes with the new tickets (by their drafts' indexes) in the same
    transaction. What the platform link takes in."""
    worked: dict[int, _WorkedOut] = {}

    def work_out(index: int, ticket: Ticket) -> None:
        worked[index] = _work_out(ticket, dispatched=bool(drafts[index].unit), by=by)

    def record(tickets: dict[int, Ticket]) -> None:
        rows: list[Suggestion] = []
        for index, ticket in tickets.items():
            tickets[index] = _recorded(ticket, worked[index], person_dispatches=False)
            rows.extend(worked[index].suggestions)
        write_suggestions(rows)
        if then is not None:
            then(tickets)

    return register_tickets(drafts, by=by, before=work_out, then=record)
