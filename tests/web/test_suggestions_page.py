"""The suggestions measured in use (/suggestions/): per month the share of suggestions taken,
each with its count, and the time from registration to dispatch by a rule and by a person,
before and after the first rule was switched on."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.test import Client

from jieban.errors import Forbidden
from jieban.intake.actions import TicketDraft, mark_repeat
from jieban.org.models import Unit
from jieban.suggestions.actions import register_and_suggest
from jieban.suggestions.measures import measure_suggestions
from jieban.suggestions.models import Suggestion, SuggestionKind
from jieban.suggestions.rules import RuleDraft, create_rule, dispatch_by_rule
from jieban.tickets.models import Ticket
from jieban.tickets.transitions import dispatch_ticket
from tests.conftest import Cast, local

pytestmark = pytest.mark.django_db


def register(cast: Cast, **fields: str) -> Ticket:
    values = {"channel": "phone", "content": "广场舞噪音", "category": "noise", "grid": "G-01"}
    return register_and_suggest(TicketDraft(**(values | fields)), by=cast.dispatcher).ticket


def dispatch_at(cast: Cast, ticket: Ticket, code: str, moment: object) -> None:
    with time_machine.travel(moment, tick=False):
        dispatch_ticket(ticket.number, unit=Unit.objects.get(code=code), by=cast.dispatcher)


@pytest.fixture
def history(cast: Cast) -> dict[str, Ticket]:
    """January without rules: two tickets a person dispatched (one to the unit suggested, after
    30 minutes; one elsewhere, after 90), a repeat marked as suggested and a category suggested
    and taken. February: an automatic rule, and a ticket it dispatched at once."""
    with time_machine.travel(local(2026, 1, 12, 10), tick=False):
        first, second = register(cast), register(cast)
        repeat = register(cast, resident_phone="13812341234")
        # What was suggested, set by the test: the repeat finder's own rows (the three read
        # alike) give way to the classifier's and the repeat finder's rows as the test needs.
        Suggestion.objects.filter(kind=SuggestionKind.REPEAT).delete()
        Suggestion.objects.create(ticket=first, kind=SuggestionKind.CATEGORY, rank=1,
                                  value="noise", score=0.93, chosen="noise")  # fmt: skip
        Suggestion.objects.create(ticket=second, kind=SuggestionKind.CATEGORY, rank=1,
                                  value="other", score=0.41, chosen="noise")  # fmt: skip
        Suggestion.objects.create(ticket=repeat, kind=SuggestionKind.REPEAT, rank=1,
                                  value=first.number, score=0.9)  # fmt: skip
        mark_repeat(repeat.number, of=first.number, by=cast.dispatcher)
    dispatch_at(cast, first, "PS-A", local(2026, 1, 12, 10, 30))
    dispatch_at(cast, second, "PS-B", local(2026, 1, 12, 11, 30))
    with time_machine.travel(local(2026, 2, 2, 9), tick=False):
        create_rule(RuleDraft("噪音自动", "noise", "PS-A", dispatch_at_confidence=0.9),
                    by=cast.dispatcher)  # fmt: skip
    with time_machine.travel(local(2026, 2, 3, 9), tick=False):
        ruled = register(cast)
        registered = register_and_suggest(
            TicketDraft(channel="phone", content="装修噪音", category="noise", grid="G-01"),
            by=cast.dispatcher,
        )
        # Sure enough: the classifier's confidence is an input of the rule.
        dispatch_by_rule(registered.ticket, registered.place_and_unit, category_confidence=0.95)  # type: ignore[arg-type]
    return {"first": first, "second": second, "ruled": ruled}


def test_it_counts_the_suggestions_taken_per_month(cast: Cast, history: object) -> None:
    with time_machine.travel(local(2026, 2, 20), tick=False):
        measures = measure_suggestions(cast.leader, months=2)
    february, january = measures.months
    assert (january.category.taken, january.category.offered) == (1, 2)
    assert (january.repeat.taken, january.repeat.offered) == (1, 1)
    # Three tickets had a unit suggested (PS-A, from the grid); one went there.
    assert (january.unit.taken, january.unit.offered) == (1, 3)
    assert january.by_person.minutes == [30.0, 90.0] and january.by_rule.count == 0
    assert (january.by_person.median, january.by_person.p90) == (60.0, 90.0)
    assert february.by_rule.minutes == [0.0]
    assert (february.unit.taken, february.unit.offered) == (1, 2)


def test_it_splits_the_times_at_the_first_rule(cast: Cast, history: object) -> None:
    with time_machine.travel(local(2026, 2, 20), tick=False):
        measures = measure_suggestions(cast.leader, months=3)
    assert measures.first_rule_on == local(2026, 2, 2, 9)
    assert measures.before_rules.minutes == [30.0, 90.0]
    assert measures.after_by_rule.minutes == [0.0]
    assert measures.after_by_person.count == 0


def test_only_who_reads_the_reports_may(cast: Cast) -> None:
    with pytest.raises(Forbidden):
        measure_suggestions(cast.handler_a)
    measure_suggestions(cast.leader)


def test_the_page_shows_each_share_with_its_count(
    client: Client, cast: Cast, history: object
) -> None:
    client.force_login(cast.leader)
    with time_machine.travel(local(2026, 2, 20), tick=False):
        page = client.get("/suggestions/?months=2").content.decode()
        english = client.get("/suggestions/?months=2", HTTP_ACCEPT_LANGUAGE="en")
    assert "受理建议采纳情况" in page
    january = page[page.index('data-month="2026-01"') :]
    assert '50.00 % <span class="muted">(1/2)</span>' in january
    assert '33.33 % <span class="muted">(1/3)</span>' in january
    assert "60.0 / 90.0 分钟" in page
    assert 'data-testid="menu-suggestions"' in page
    assert english.status_code == 200
    client.force_login(cast.handler_a)
    assert client.get("/suggestions/").status_code == 403


def test_a_bad_number_of_months_is_not_an_error(client: Client, cast: Cast) -> None:
    client.force_login(cast.dispatcher)
    assert client.get("/suggestions/?months=x").status_code == 200
    assert client.get("/suggestions/?months=-4").status_code == 200


def test_the_measures_take_the_same_queries_whatever_the_tickets(
    cast: Cast, history: object, django_assert_num_queries: Any
) -> None:
    with time_machine.travel(local(2026, 2, 20), tick=False):
        with django_assert_num_queries(4):
            measure_suggestions(cast.leader, months=3)
        for _more in range(3):
            register(cast)
        with django_assert_num_queries(4):
            measure_suggestions(cast.leader, months=3)
