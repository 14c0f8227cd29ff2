"""The figures added by issue 9, item 6, at their edges (docs/statistics.md): on-time signing
(及时签收率), first-call satisfaction, escalated, approved extensions and returns; in the API for
every grouping, in the rollups and the direct counts alike, and in the frozen reports."""

from __future__ import annotations

import datetime as dt
from typing import Any

import time_machine

from jieban.stats.figures import _counted, _from_rollups, received_in
from jieban.tickets import transitions
from jieban.tickets.extensions import approve_extension, reject_extension, request_extension
from jieban.tickets.models import Ticket
from jieban.tickets.visits import record_visit
from jieban.worker.runner import run_sweep
from tests.conftest import Cast, dispatch, local, new_ticket, resolve

SECOND = dt.timedelta(seconds=1)
MONDAY = local(2026, 3, 2, 9)  # dispatch day; signing is due Tuesday 3 March 23:59:59
SIGNING_DUE = local(2026, 3, 3, 23, 59) + 59 * SECOND
MARCH = {"start": "2026-03-01", "end": "2026-04-01"}


def fresh(ticket: Ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


def overall(client: Any, at: dt.datetime, **query: Any) -> dict[str, Any]:
    with time_machine.travel(at, tick=False):
        response = client.get("/stats", **{**MARCH, **query})
    assert response.status_code == 200, response.json()
    return dict(response.json()["rows"][0])


def by_key(client: Any, at: dt.datetime, group_by: str) -> dict[str, dict[str, Any]]:
    with time_machine.travel(at, tick=False):
        response = client.get("/stats", **MARCH, group_by=group_by)
    assert response.status_code == 200, response.json()
    return {row["key"]: row for row in response.json()["rows"]}


def accept_at(cast: Cast, ticket: Ticket, moment: dt.datetime, by: Any = None) -> None:
    with time_machine.travel(moment, tick=False):
        transitions.accept_ticket(ticket.number, by=by or cast.handler_a)


class TestSigningOnTime:
    def test_signing_at_the_deadline_is_on_time_and_one_second_after_is_late(
        self, cast: Cast, api_as: Any
    ) -> None:
        with time_machine.travel(MONDAY, tick=False):
            on_time, late, waiting = (dispatch(cast, new_ticket(cast.dispatcher)) for _ in "abc")
        assert fresh(on_time).accept_due_at == SIGNING_DUE
        accept_at(cast, on_time, SIGNING_DUE)
        client = api_as(cast.leader)
        # While a ticket is in its signing window it counts neither way...
        row = overall(client, SIGNING_DUE)
        assert (row["accepted"], row["accepted_on_time"], row["accept_late_open"]) == (1, 1, 0)
        assert (row["accept_clock_ended"], row["accepted_on_time_rate"]) == (1, 1.0)
        # ... from the second after, unsigned, it counts against the rate; signed then, late.
        accept_at(cast, late, SIGNING_DUE + SECOND)
        row = overall(client, SIGNING_DUE + 2 * SECOND)
        assert (row["accepted"], row["accepted_on_time"], row["accept_late_open"]) == (2, 1, 1)
        assert (row["accept_clock_ended"], row["accepted_on_time_rate"]) == (3, 1 / 3)
        # Signed late at last: still late, now among the signed.
        accept_at(cast, waiting, local(2026, 3, 5, 9))
        row = overall(client, local(2026, 3, 5, 10))
        assert (row["accepted"], row["accepted_on_time"], row["accept_late_open"]) == (3, 1, 0)
        assert row["accepted_on_time_rate"] == 1 / 3

    def test_tickets_a_channel_dispatched_count_like_the_others(
        self, cast: Cast, api_as: Any
    ) -> None:
        with time_machine.travel(MONDAY, tick=False):
            platform = new_ticket(
                cast.dispatcher,
                channel="hotline_12345",
                external_id="12345-0001",
                unit="PS-A",
                due_at=local(2026, 3, 9, 18),
            )
        platform = fresh(platform)
        assert platform.status == "dispatched" and platform.accept_due_at == SIGNING_DUE
        client = api_as(cast.leader)
        assert overall(client, SIGNING_DUE)["accept_clock_ended"] == 0
        late = overall(client, SIGNING_DUE + SECOND)
        assert (late["accept_late_open"], late["accepted_on_time_rate"]) == (1, 0.0)
        accept_at(cast, platform, SIGNING_DUE + SECOND)
        assert overall(client, local(2026, 3, 4, 10))["accepted_on_time"] == 0

    def test_never_dispatched_answered_on_the_spot_or_sent_back_is_not_counted(
        self, cast: Cast, api_as: Any
    ) -> None:
        with time_machine.travel(MONDAY, tick=False):
            new_ticket(cast.dispatcher)  # still new
            spot = new_ticket(cast.dispatcher, category="consultation")
            transitions.close_ticket(spot.number, note="已答复", by=cast.dispatcher)
            back = dispatch(cast, new_ticket(cast.dispatcher))
            transitions.return_ticket(back.number, reason="不属本所", by=cast.handler_a)
        row = overall(api_as(cast.leader), local(2026, 3, 10, 9))
        assert (row["total"], row["accept_clock_ended"], row["accepted_on_time_rate"]) == (
            3,
            0,
            None,
        )


class TestFirstCall:
    def test_a_first_dissatisfied_call_stays_in_the_first_call_rate(
        self, cast: Cast, api_as: Any
    ) -> None:
        with time_machine.travel(MONDAY, tick=False):
            again, skipped, basic = (dispatch(cast, new_ticket(cast.dispatcher)) for _ in "abc")
        with time_machine.travel(local(2026, 3, 3, 9), tick=False):
            for ticket in (again, skipped, basic):
                resolve(cast, ticket)
            # `again`: unreachable, then dissatisfied (reopened), then satisfied.
            record_visit(again.number, outcome="unreachable", note="", by=cast.dispatcher)
        with time_machine.travel(local(2026, 3, 3, 10), tick=False):
            record_visit(again.number, outcome="dissatisfied", note="", by=cast.dispatcher)
            # `skipped`: unreachable, then satisfied: the unreachable call is skipped.
            record_visit(skipped.number, outcome="unreachable", note="", by=cast.dispatcher)
        with time_machine.travel(local(2026, 3, 3, 11), tick=False):
            record_visit(skipped.number, outcome="satisfied", note="", by=cast.dispatcher)
            record_visit(basic.number, outcome="basically_satisfied", note="", by=cast.dispatcher)
            transitions.resolve_ticket(again.number, result="再次处理", by=cast.handler_a)
        with time_machine.travel(local(2026, 3, 4, 9), tick=False):
            record_visit(again.number, outcome="satisfied", note="", by=cast.dispatcher)
        client = api_as(cast.leader)
        row = overall(client, local(2026, 3, 10, 9))
        # By the latest call all three are satisfied ...
        assert (row["visited"], row["satisfied"], row["satisfaction_rate"]) == (3, 3, 1.0)
        assert row["basically_satisfied"] == 1
        # ... but `again` was dissatisfied at its first call that reached the resident.
        assert (row["first_visited"], row["first_visit_satisfied"]) == (3, 2)
        assert row["first_visit_satisfaction_rate"] == 2 / 3
        by_unit = by_key(client, local(2026, 3, 10, 9), "unit")
        assert by_unit["PS-A"]["first_visit_satisfied"] == 2

    def test_only_unreachable_calls_are_no_first_call(self, cast: Cast, api_as: Any) -> None:
        with time_machine.travel(MONDAY, tick=False):
            ticket = dispatch(cast, new_ticket(cast.dispatcher))
            resolve(cast, ticket)
            record_visit(ticket.number, outcome="unreachable", note="", by=cast.dispatcher)
        row = overall(api_as(cast.leader), local(2026, 3, 10, 9))
        assert (row["first_visited"], row["first_visit_satisfaction_rate"]) == (0, None)


def busy_month(cast: Cast) -> dict[str, Ticket]:
    """Returns, extensions (approved and rejected) and an escalation, in March 2026.

    - moved: PS-A sends it back, the centre gives it to PS-B (a return by PS-A)
    - twice: PS-A sends it back twice (two returns by PS-A)
    - extended: PS-B asks for 3 more days, approved; asks again, rejected
    - escalated: left alone at PS-A through levels 1-3 until it reaches the leaders
    """
    with time_machine.travel(MONDAY, tick=False):
        t = {name: new_ticket(cast.dispatcher) for name in ("moved", "twice", "extended")}
        dispatch(cast, t["moved"])
        transitions.return_ticket(t["moved"].number, reason="不属本所", by=cast.handler_a)
        dispatch(cast, t["moved"], "PS-B")
        for _ in range(2):
            dispatch(cast, t["twice"])
            transitions.return_ticket(t["twice"].number, reason="不属本所", by=cast.handler_a)
        dispatch(cast, t["extended"], "PS-B")
        transitions.accept_ticket(t["extended"].number, by=cast.handler_b)
        request_extension(t["extended"].number, days=3, reason="需协调", by=cast.handler_b)
        approve_extension(t["extended"].number, note="同意", by=cast.supervisor)
        request_extension(t["extended"].number, days=2, reason="仍需协调", by=cast.handler_b)
        reject_extension(t["extended"].number, note="不同意", by=cast.supervisor)
        # Resolved, so that only `escalated` goes up the levels.
        transitions.resolve_ticket(t["extended"].number, result="已处理", by=cast.handler_b)
        resolve(cast, t["moved"], by=cast.handler_b)
        t["escalated"] = dispatch(cast, new_ticket(cast.dispatcher))
    ticket = fresh(t["escalated"])
    while ticket.escalated_at is None:
        assert ticket.watch_at is not None
        with time_machine.travel(ticket.watch_at + SECOND, tick=False):
            run_sweep()
        ticket = fresh(ticket)
    assert ticket.escalated_at < local(2026, 4, 1, 0)
    return t


class TestReturnsExtensionsEscalated:
    def test_they_are_counted_and_returns_by_the_unit_that_sent_the_ticket_back(
        self, cast: Cast, api_as: Any
    ) -> None:
        busy_month(cast)
        client = api_as(cast.leader)
        at = local(2026, 4, 2, 9)
        row = overall(client, at)
        assert (row["returns"], row["extensions"], row["escalated"]) == (3, 1, 1)
        by_unit = by_key(client, at, "unit")
        # `moved` is PS-B's now, but PS-A sent it back; `twice` is with nobody.
        assert (by_unit["PS-A"]["returns"], by_unit["PS-B"]["returns"]) == (3, 0)
        assert by_unit[""]["returns"] == 0 and by_unit[""]["total"] == 1
        assert (by_unit["PS-B"]["extensions"], by_unit["PS-A"]["escalated"]) == (1, 1)
        by_channel = by_key(client, at, "channel")
        assert by_channel["phone"]["returns"] == 3
        by_category = by_key(client, at, "category")
        assert by_category["renovation_noise"]["extensions"] == 1
        # A unit's own figures are its row of the bureau's, and split by another dimension
        # they still count what the unit did.
        for handler, returns in ((cast.handler_a, 3), (cast.handler_b, 0)):
            unit = api_as(handler)
            own = overall(unit, at)
            assert own["returns"] == returns
            for group_by in ("channel", "category"):
                split = by_key(unit, at, group_by).values()
                assert sum(item["returns"] for item in split) == returns, group_by
                assert sum(item["extensions"] for item in split) == own["extensions"]
        assert overall(api_as(cast.handler_a), at)["escalated"] == 1

    def test_a_unit_that_sent_every_ticket_back_still_has_its_row(
        self, cast: Cast, api_as: Any
    ) -> None:
        with time_machine.travel(MONDAY, tick=False):
            ticket = dispatch(cast, new_ticket(cast.dispatcher))
            transitions.return_ticket(ticket.number, reason="不属本所", by=cast.handler_a)
        by_unit = by_key(api_as(cast.leader), local(2026, 3, 3, 9), "unit")
        assert by_unit["PS-A"]["total"] == 0 and by_unit["PS-A"]["returns"] == 1
        assert by_unit["PS-A"]["name"] == "甲派出所"

    def test_the_rollups_agree_with_counting_the_tickets(self, cast: Cast) -> None:
        busy_month(cast)
        with time_machine.travel(MONDAY, tick=False):
            for _ in range(2):
                dispatch(cast, new_ticket(cast.dispatcher, channel="walk_in", grid="G-01"))
        start, end = dt.date(2026, 3, 1), dt.date(2026, 4, 1)
        for now in (SIGNING_DUE, local(2026, 4, 2, 9)):
            with time_machine.travel(now, tick=False):
                for period in (None, "day", "week", "month"):
                    for group_by in (None, "category", "unit", "channel", "grid"):
                        tickets = received_in(cast.leader, start, end)
                        rolled = _from_rollups(
                            start, end, period=period, group_by=group_by, now=now
                        )
                        counted = _counted(tickets, period=period, group_by=group_by, now=now)

                        def rows(items: list[Any]) -> list[dict[str, Any]]:
                            return sorted(
                                (item.as_row() for item in items),
                                key=lambda r: (r["period"], r["key"]),
                            )

                        assert rows(rolled) == rows(counted), (now, period, group_by)


class TestFrozen:
    def test_a_published_report_holds_the_new_figures(self, cast: Cast, api_as: Any) -> None:
        busy_month(cast)
        client = api_as(cast.leader)
        with time_machine.travel(local(2026, 4, 1, 8), tick=False):
            published = client.post("/reports/monthly/2026-03")
        assert published.status_code == 201
        data = published.json()["data"]
        assert data["definitions_version"] == 3
        assert (data["overall"]["returns"], data["overall"]["extensions"]) == (3, 1)
        assert data["overall"]["escalated"] == 1
        units = {row["key"]: row for row in data["by"]["unit"]}
        assert units["PS-A"]["returns"] == 3
        for name in ("accepted_on_time_rate", "first_visit_satisfaction_rate"):
            assert name in data["overall"] and name in data["trend"][0]
