"""The monthly clear-to-zero campaign (清零行动)."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import time_machine
from django.core.management import call_command

from jieban.intake.actions import mark_repeat
from jieban.tickets import transitions
from jieban.tickets.campaign import take_snapshot
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
    # Before any sweep of April: "young", received on 2 March at 9, is not yet 30 days old.
    with time_machine.travel(local(2026, 4, 1, 8), tick=False):
        out = StringIO()
        call_command("campaign", "snapshot", "2026-04", stdout=out)
    assert out.getvalue().startswith("2026-04\ttaken\t3 tickets")
    april = CampaignItem.objects.filter(campaign__month="2026-04")
    items = {item.ticket_id: item for item in april}
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


def test_the_board_is_not_for_a_building_head(cast: Cast, api_as: Any, client: Any) -> None:
    # `can_see_campaign`: the bureau-wide roles and the units' people, who have it in their
    # menu; a building head has neither, on the page (and its export) nor in the API.
    build(cast)
    with time_machine.travel(local(2026, 4, 1, 0, 1), tick=False):
        run_sweep()
    refused = api_as(cast.building_head).get("/campaigns/2026-04")
    assert refused.status_code == 403
    assert "清零行动看板" in refused.json()["detail"]
    client.force_login(cast.building_head)
    for page in ("/campaign/", "/campaign/2026-04/", "/campaign/2026-04/export.xlsx"):
        assert client.get(page).status_code == 403, page


def test_the_snapshot_is_taken_once(cast: Cast) -> None:
    build(cast)
    with time_machine.travel(local(2026, 4, 1, 0, 1), tick=False):
        run_sweep()
        run_sweep()
    # The sweeps of March took March's; April has one.
    assert list(Campaign.objects.values_list("month", flat=True)) == ["2026-04", "2026-03"]
    assert CampaignItem.objects.filter(campaign__month="2026-04").count() == 3


def test_a_month_without_a_snapshot_is_404_and_a_bad_month_400(cast: Cast, api_as: Any) -> None:
    client = api_as(cast.supervisor)
    assert client.get("/campaigns/2026-05").status_code == 404
    bad = client.get("/campaigns/2026-13")
    assert (bad.status_code, bad.json()["field"]) == (400, "month")


class TestTheFirstSweepOfAMonth:
    """The worker takes the month's snapshot by its first sweep of the month, whatever the day:
    a board is never left empty because the worker was not running on the 1st."""

    def test_it_takes_it_on_the_1st_at_midnight(self, cast: Cast, api_as: Any) -> None:
        with time_machine.travel(local(2026, 2, 2, 9), tick=False):
            dispatch(cast, new_ticket(cast.dispatcher))
        with time_machine.travel(local(2026, 3, 31, 23, 59) + dt.timedelta(seconds=59), tick=False):
            march = run_sweep()
        with time_machine.travel(local(2026, 4, 1, 0, 0), tick=False):
            april = run_sweep()
        assert (march.campaign, april.campaign) == ("2026-03", "2026-04")
        assert "campaign snapshot: 2026-03, late (on 2026-03-31)" in march.lines()
        assert "campaign snapshot: 2026-04" in april.lines()
        board = api_as(cast.supervisor).get("/campaigns/2026-04").json()
        assert (board["taken_at"], board["taken_late"]) == ("2026-04-01T00:00:00+08:00", False)
        assert api_as(cast.supervisor).get("/campaigns/2026-03").json()["taken_late"] is True

    def test_a_worker_first_running_on_the_4th_takes_it_then(self, cast: Cast, api_as: Any) -> None:
        # Installed with tickets received long before, and no sweep ever run until the 4th.
        with time_machine.travel(local(2026, 2, 2, 9), tick=False):
            old = dispatch(cast, new_ticket(cast.dispatcher))
        assert not Campaign.objects.exists()
        with time_machine.travel(local(2026, 4, 4, 9, 30), tick=False):
            report = run_sweep()
        assert report.campaign == "2026-04"
        assert "campaign snapshot: 2026-04, late (on 2026-04-04)" in report.lines()
        campaign = Campaign.objects.get()
        assert (campaign.month, campaign.taken_at) == ("2026-04", local(2026, 4, 4, 9, 30))
        board = api_as(cast.supervisor).get("/campaigns/2026-04").json()
        assert (board["taken_at"], board["taken_late"]) == ("2026-04-04T09:30:00+08:00", True)
        assert [item["ticket"] for item in board["items"]] == [old.number]
        # No snapshot of the months it missed: one taken now would not show how they began.
        assert api_as(cast.supervisor).get("/campaigns/2026-03").status_code == 404

    def test_two_sweeps_take_one_snapshot(self, cast: Cast) -> None:
        with time_machine.travel(local(2026, 2, 2, 9), tick=False):
            dispatch(cast, new_ticket(cast.dispatcher))
        with time_machine.travel(local(2026, 4, 4, 9, 30), tick=False):
            first = run_sweep()
        with time_machine.travel(local(2026, 4, 4, 9, 31), tick=False):
            second = run_sweep()
        with time_machine.travel(local(2026, 4, 20, 9), tick=False):
            later = run_sweep()
        assert first.campaign == "2026-04"
        assert second.campaign is later.campaign is None
        assert not [line for line in second.lines() + later.lines() if "campaign" in line]
        assert Campaign.objects.get().taken_at == local(2026, 4, 4, 9, 30)
        assert CampaignItem.objects.count() == 1

    def test_a_snapshot_taken_by_hand_first_is_kept(self, cast: Cast) -> None:
        with time_machine.travel(local(2026, 2, 2, 9), tick=False):
            dispatch(cast, new_ticket(cast.dispatcher))
        with time_machine.travel(local(2026, 4, 1, 0, 0), tick=False):
            take_snapshot("2026-04", by=cast.dispatcher)
        with time_machine.travel(local(2026, 4, 1, 0, 1), tick=False):
            assert run_sweep().campaign is None
        assert Campaign.objects.get().taken_at == local(2026, 4, 1, 0, 0)


class TestTakingItByHand:
    """`POST /campaigns/{month}/snapshot`: the command centre, this month only, once."""

    def test_a_dispatcher_takes_it_and_again_is_409(self, cast: Cast, api_as: Any) -> None:
        with time_machine.travel(local(2026, 2, 2, 9), tick=False):
            old = dispatch(cast, new_ticket(cast.dispatcher))
        client = api_as(cast.dispatcher)
        with time_machine.travel(local(2026, 4, 5, 9), tick=False):
            taken = client.post("/campaigns/2026-04/snapshot")
            assert taken.status_code == 201, taken.json()
            board = taken.json()
            assert (board["month"], board["taken_at"]) == ("2026-04", "2026-04-05T09:00:00+08:00")
            assert board["taken_late"] is True
            assert [item["ticket"] for item in board["items"]] == [old.number]
            again = api_as(cast.supervisor).post("/campaigns/2026-04/snapshot")
        assert again.status_code == 409
        assert again.json()["detail"] == "2026-04 的快照已于 2026-04-05 09:00 生成。"
        assert Campaign.objects.count() == 1

    def test_a_handler_and_a_leader_may_not(self, cast: Cast, api_as: Any) -> None:
        with time_machine.travel(local(2026, 4, 5, 9), tick=False):
            for person in (cast.handler_a, cast.leader, cast.building_head):
                response = api_as(person).post("/campaigns/2026-04/snapshot")
                assert response.status_code == 403, person
                assert "指挥中心" in response.json()["detail"]
        assert not Campaign.objects.exists()

    def test_only_this_months_is_taken(self, cast: Cast, api_as: Any) -> None:
        client = api_as(cast.supervisor)
        with time_machine.travel(local(2026, 4, 5, 9), tick=False):
            for month in ("2026-03", "2026-05"):
                response = client.post(f"/campaigns/{month}/snapshot")
                assert response.status_code == 409, month
                assert "2026-04" in response.json()["detail"]
            bad = client.post("/campaigns/2026-13/snapshot")
        assert (bad.status_code, bad.json()["field"]) == (400, "month")
        assert not Campaign.objects.exists()

    def test_the_command_says_when_it_was_taken_already(self, cast: Cast) -> None:
        with time_machine.travel(local(2026, 4, 5, 9), tick=False):
            run_sweep()
            out = StringIO()
            call_command("campaign", "snapshot", stdout=out)
        assert out.getvalue() == "2026-04\talready taken\t0 tickets\n"
