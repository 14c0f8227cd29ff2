"""The demo's suggestions at intake: the category classifier trained on the bureau's own closed
tickets (as `jieban classifier train --from-db` trains it), and what the intake would have
suggested for the last weeks' tickets, recorded as it records them, so that the registration
page suggests categories and the page of the suggestions in use has months to show.

The history is worked out honestly, not made up: the model is trained only on tickets closed
before the weeks it suggests for, the earlier reports are looked for among the tickets received
before each one (`similar_tickets(as_of=…)`), and the grid and unit come from the buildings
registered. No dispatch rule existed yet (the demo writes them afterwards), so none applies.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Iterator

from django.db import transaction

from jieban.errors import InvalidInput
from jieban.org.models import User
from jieban.suggestions.classifier import (
    MIN_PER_LABEL,
    Examples,
    save_model,
    ticket_text,
    train_model,
)
from jieban.suggestions.labels import category_suggestions_for
from jieban.suggestions.models import Suggestion
from jieban.suggestions.repeats import repeat_suggestions, similar_tickets
from jieban.suggestions.rules import suggest_place_and_unit, suggestion_rows
from jieban.tickets.models import Status, Ticket

# The weeks of registrations whose suggestions the demo records.
HISTORY_DAYS = 56
# At most this many of them, spread evenly over the weeks (a sample, every k-th in order of
# registration, when there are more): each costs a lookup of the earlier reports, and a
# million-ticket demo registers 620,000 in 56 days. The shares shown are among the tickets
# that had a suggestion, so a sample is read as the whole.
HISTORY_MAX_TICKETS = 5_000
# The classifier learns from at most this many of the newest closed tickets.
TRAIN_MAX_TICKETS = 30_000


@dataclasses.dataclass(frozen=True)
class SuggestionHistory:
    trained_on: int  # closed tickets the model learnt from (0: no model)
    tickets: int  # tickets whose suggestions were recorded
    suggestions: int


def build_suggestion_history(*, now: dt.datetime, by: User) -> SuggestionHistory:
    """Train the classifier on the tickets closed before the history's first day (the newest
    `TRAIN_MAX_TICKETS`), then record the suggestions of the tickets registered since (at most
    `HISTORY_MAX_TICKETS`, spread evenly), as seen by `by` (a dispatcher)."""
    start = now - dt.timedelta(days=HISTORY_DAYS)
    trained_on = _train(closed_before=start)
    window = Ticket.objects.filter(registered_at__gte=start, registered_at__lte=now)
    ids = list(window.order_by("registered_at", "pk").values_list("pk", flat=True))
    step = -(-len(ids) // HISTORY_MAX_TICKETS) if ids else 1
    sample = ids[::step]
    rows: list[Suggestion] = []
    count = 0
    for ticket in _in_order(sample):
        count += 1
        rows += category_suggestions_for(ticket)
        found = similar_tickets(ticket, by=by, as_of=ticket.received_at)
        rows += repeat_suggestions(ticket, found)
        # The unit is suggested for a ticket waiting to be dispatched: at registration, all
        # but a platform's orders, which came dispatched.
        place = suggest_place_and_unit(
            address=ticket.address,
            category=ticket.category,
            grid=ticket.grid,
            units=not ticket.external_id,
        )
        rows += suggestion_rows(ticket, place)
    for row in rows:
        row.at = row.ticket.registered_at
    with transaction.atomic():
        Suggestion.objects.bulk_create(rows, batch_size=2000)
    return SuggestionHistory(trained_on, count, len(rows))


def _in_order(ids: list[int], chunk: int = 500) -> Iterator[Ticket]:
    """The tickets of `ids`, in that order, read `chunk` at a time."""
    for begin in range(0, len(ids), chunk):
        part = ids[begin : begin + chunk]
        found = Ticket.objects.select_related("category", "grid").in_bulk(part)
        yield from (found[pk] for pk in part)


def _train(*, closed_before: dt.datetime) -> int:
    """The model of the tickets closed before `closed_before`, saved where the intake reads
    it; 0 when there are too few to learn from (a small demo): then nothing is suggested."""
    closed = Ticket.objects.filter(status=Status.CLOSED, closed_at__lt=closed_before)
    texts, labels = [], []
    newest = closed.order_by("-closed_at", "-pk")[:TRAIN_MAX_TICKETS]
    for title, content, code in newest.values_list("title", "content", "category__code"):
        texts.append(ticket_text(title, content))
        labels.append(code)
    # A category with too few closed tickets to learn from is left out (never suggested).
    counts = Counter(labels)
    kept = [(text, label) for text, label in zip(texts, labels, strict=True)
            if counts[label] >= MIN_PER_LABEL]  # fmt: skip
    examples = Examples(
        [text for text, _label in kept],
        [label for _text, label in kept],
        sha256="",
        source="the demo's closed tickets",
    )
    try:
        model = train_model(examples, labels_are_categories=True)
    except InvalidInput:
        return 0
    save_model(model)
    return len(kept)
