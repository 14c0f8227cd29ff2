"""The monthly clear-to-zero campaign (清零行动)."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import time_machine
from django.core.management import call_command

from jieban.intake.actions import mark_repeat
from jieban.tickets import transitions
from jieban.tickets.models import Campaign, CampaignItem, Ticket
from jieban.worker.runner import run_sweep
from tests.conftest import Cast, dispatch, local, new_ticket


def build(cast: Cast) -> dict[str, Ticket]:
    """An old open ticket, a twice-supervised one, a twice-repeated one, and two that don't
    qualify (young, or old but closed)."""
    with time_machine.travel(local(2026, 2, 2, 9), tick=False):
        old = dispatch(cast, new_ticket(cast.dispatcher))
        old_closed = new_ticket(cast.dispatcher, category="consultation")
        transitions.close_ticket(old_closed.number, note="已答复", by=cast.dispatcher)
    with time_machine.travel(local(2026, 3, 2, 9), tick=False):
        supervised = dispatch(cast, new_ticket(cast.dispatcher), "PS-B")
        repeated = new_ticket(cast.dispatcher)
        for _ in range(2):
            mark_repeat(new_ticket(cast.dispatcher).number, of=repeated.number, by=cast.dispatcher)
        young = new_ticket(cast.dispatcher)
    for _breach in range(2):
        due = Ticket.objects.get(pk=supervised.pk).watch_at
        assert due is not None
        with time_machine.travel(due + dt.timedelta(seconds=1), tick=False):
            run_sweep()
    return {"old": old, "supervised": supervised, "repeated": repeated, "young": young}


def test_the_snapshot_lists_long_pending_and_repeated_tickets(cast: Cast) -> None:
    tickets = build(cast)
    with time_machine.travel(local(2026, 3, 20, 9), tick=False):
        out = StringIO()
        call_command("campaign", "snapshot", "2026-03", stdout=out)
    assert out.getvalue().startswith("2026-03\ttaken\t3 tickets")
    items = {item.ticket_id: item for item in CampaignItem.objects.all()}
    assert set(items) == {tickets["old"].pk, tickets["supervised"].pk, tickets["repeated"].pk}
    assert items[tickets["repeated"].pk].repeated
    assert items[tickets["supervised"].pk].long_pending


def test_the_board_counts_per_unit_and_clears_on_closing(cast: Cast, api_as: Any) -> None:
    tickets = build(cast)
    with time_machine.travel(local(2026, 4, 1, 0, 1), tick=False):
        report = run_sweep()
    assert report.campaign == "2026-04"
    client = api_as(cast.supervisor)
    board = client.get("/campaigns/2026-04").json()
    assert board["total"] == {"unit": None, "name": "", "at_start": 3, "cleared": 0, "remaining": 3}
    units = {row["unit"]: row for row in board["units"]}
    assert units["PS-A"]["at_start"] == 1 and units["PS-B"]["at_start"] == 1
    old = tickets["old"]
    transitions.accept_ticket(old.number, by=cast.handler_a)
    transitions.resolve_ticket(old.number, result="已处理", by=cast.handler_a)
    partial = client.get("/campaigns/2026-04").json()
    assert partial["total"]["cleared"] == 0  # resolved is not yet closed
    transitions.close_ticket(old.number, note="", by=cast.dispatcher)
    board = client.get("/campaigns/2026-04").json()
    assert (board["total"]["cleared"], board["total"]["remaining"]) == (1, 2)
    cleared = {item["ticket"]: item["cleared"] for item in board["items"]}
    assert cleared[old.number] is True
    # A unit sees only its own part of the board.
    mine = api_as(cast.handler_a).get("/campaigns/2026-04").json()
    assert [item["ticket"] for item in mine["items"]] == [old.number]


def test_the_snapshot_is_taken_once(cast: Cast) -> None:
    build(cast)
    with time_machine.travel(local(2026, 4, 1, 0, 1), tick=False):
        run_sweep()
        run_sweep()
    assert Campaign.objects.count() == 1
    assert CampaignItem.objects.count() == 3


def test_a_month_without_a_snapshot_is_404_and_a_bad_month_400(cast: Cast, api_as: Any) -> None:
    client = api_as(cast.supervisor)
    assert client.get("/campaigns/2026-05").status_code == 404
    bad = client.get("/campaigns/2026-13")
    assert (bad.status_code, bad.json()["field"]) == (400, "month")
