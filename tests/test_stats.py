"""The statistics contract (docs/statistics.md; the README's "Statistics and frozen reports")
and frozen reports."""

from __future__ import annotations

from io import StringIO
from typing import Any

import time_machine
from django.core.management import call_command

from jieban.stats.definitions import ON_TIME
from jieban.tickets import transitions
from jieban.tickets.models import RESOLVED, Ticket
from jieban.tickets.visits import record_visit
from jieban.worker.runner import run_sweep
from tests.conftest import Cast, dispatch, local, new_ticket, resolve

ROW_FIELDS = {
    "key",
    "total",
    "resolved",
    "closure_rate",
    "on_time",
    "on_time_rate",
    "visited",
    "satisfied",
    "satisfaction_rate",
    "overdue_open",
}


def scenario(cast: Cast) -> dict[str, Ticket]:
    """Tickets received on Monday 2 March 2026, each in a different state.

    - a: resolved on time, called back satisfied (closed)
    - b: resolved on time, called back dissatisfied, resolved again (resolved)
    - c: resolved late, called back unreachable once (resolved)
    - d: dispatched to PS-B, left overdue (open)
    - e: a consultation closed on the spot (closed, on time, never visited)
    - f: invalid (out of every figure)
    - g: merged into a (out of every figure)
    - h: walk-in, still new
    """
    with time_machine.travel(local(2026, 3, 2, 9), tick=False):
        t = {name: new_ticket(cast.dispatcher) for name in "abcdfgh"}
        t["e"] = new_ticket(cast.dispatcher, category="consultation", channel="walk_in")
        t["h"].channel = "walk_in"
        Ticket.objects.filter(pk=t["h"].pk).update(channel="walk_in")
        for name in "abc":
            dispatch(cast, t[name])
        dispatch(cast, t["d"], "PS-B")
        transitions.close_ticket(t["e"].number, note="已答复", by=cast.dispatcher)
        transitions.invalidate_ticket(t["f"].number, reason="骚扰", by=cast.dispatcher)
        transitions.merge_ticket(t["g"].number, into=t["a"].number, by=cast.dispatcher)
    with time_machine.travel(local(2026, 3, 4, 9), tick=False):
        resolve(cast, t["a"])
        resolve(cast, t["b"])
        record_visit(t["a"].number, outcome="satisfied", note="", by=cast.dispatcher)
        record_visit(t["b"].number, outcome="dissatisfied", note="", by=cast.dispatcher)
        transitions.resolve_ticket(t["b"].number, result="再次处理", by=cast.handler_a)
    # c misses its deadline (Monday 9 March) and gets an order before it is resolved.
    with time_machine.travel(local(2026, 3, 10, 9), tick=False):
        run_sweep()
        resolve(cast, t["c"])
        record_visit(t["c"].number, outcome="unreachable", note="", by=cast.dispatcher)
    return t


class TestFigures:
    def test_the_on_time_condition_is_the_tickets_on_time_rule(self, cast: Cast) -> None:
        scenario(cast)
        expected = {
            ticket.number
            for ticket in Ticket.objects.filter(status__in=RESOLVED)
            # Answered on the spot: no deadline, and on time.
            if ticket.due_at is None or ticket.resolved_on_time
        }
        assert len(expected) == 3  # a, b, e; c was late
        assert set(Ticket.objects.filter(ON_TIME).values_list("number", flat=True)) == expected

    def test_the_overall_row_follows_the_definitions(self, cast: Cast, api_as: Any) -> None:
        scenario(cast)
        with time_machine.travel(local(2026, 3, 20, 9), tick=False):
            response = api_as(cast.leader).get("/stats", start="2026-03-02", end="2026-03-03")
        assert response.status_code == 200, response.json()
        [row] = response.json()["rows"]
        assert set(row) >= ROW_FIELDS
        # a b c d e h; f (invalid) and g (merged) are out.
        assert row["total"] == 6
        assert row["resolved"] == 4  # a (closed), b, c (resolved), e (closed)
        assert row["closure_rate"] == 4 / 6  # exact: the API does not round
        assert row["on_time"] == 3  # a, b, e; c was late
        assert row["on_time_rate"] == 0.75
        assert row["visited"] == 2  # a satisfied, b dissatisfied; c unreachable is no visit
        assert row["satisfied"] == 1
        assert row["satisfaction_rate"] == 0.5
        assert row["overdue_open"] == 1  # d
        # Renovation noise and consultations are both practical matters.
        assert (row["practical"], row["practical_share"], row["repeats"]) == (6, 1.0, 0)

    def test_rates_are_null_without_a_denominator(self, cast: Cast, api_as: Any) -> None:
        response = api_as(cast.leader).get("/stats", start="2026-03-02", end="2026-03-03")
        [row] = response.json()["rows"]
        assert (row["total"], row["closure_rate"], row["on_time_rate"]) == (0, None, None)
        assert row["satisfaction_rate"] is None

    def test_it_groups_by_unit_channel_and_category(self, cast: Cast, api_as: Any) -> None:
        scenario(cast)
        client = api_as(cast.leader)

        def rows(group_by: str) -> dict[str, dict[str, Any]]:
            response = client.get("/stats", start="2026-03-01", end="2026-04-01", group_by=group_by)
            assert response.status_code == 200, response.json()
            return {row["key"]: row for row in response.json()["rows"]}

        by_unit = rows("unit")
        assert by_unit["PS-A"]["total"] == 3 and by_unit["PS-B"]["overdue_open"] == 1
        assert by_unit[""]["total"] == 2  # e and h were never dispatched
        by_channel = rows("channel")
        assert by_channel["walk_in"]["total"] == 2 and by_channel["phone"]["total"] == 4
        by_category = rows("category")
        assert by_category["consultation"]["on_time_rate"] == 1.0
        assert sum(row["total"] for row in by_category.values()) == 6

    def test_it_buckets_by_day_week_and_month(self, cast: Cast, api_as: Any) -> None:
        with time_machine.travel(local(2026, 3, 2, 23, 30), tick=False):
            new_ticket(cast.dispatcher)  # late Monday evening, local time
        with time_machine.travel(local(2026, 3, 9, 8), tick=False):
            new_ticket(cast.dispatcher)
        client = api_as(cast.leader)

        def keys(period: str) -> dict[str, int]:
            response = client.get("/stats", start="2026-03-01", end="2026-04-01", period=period)
            return {row["key"]: row["total"] for row in response.json()["rows"]}

        assert keys("day") == {"2026-03-02": 1, "2026-03-09": 1}
        assert keys("week") == {"2026-W10": 1, "2026-W11": 1}
        assert keys("month") == {"2026-03": 2}

    def test_a_unit_sees_its_own_figures_only(self, cast: Cast, api_as: Any) -> None:
        scenario(cast)
        response = api_as(cast.handler_b).get("/stats", start="2026-03-01", end="2026-04-01")
        assert response.json()["rows"][0]["total"] == 1

    def test_a_units_figures_are_its_row_of_the_bureaus_for_every_split(
        self, cast: Cast, api_as: Any
    ) -> None:
        scenario(cast)  # d, PS-B's, is overdue
        # PS-A sends a ticket back and the centre gives it to PS-B: PS-A may still see it
        # (it held it), but the ticket is PS-B's to answer for, in PS-B's figures.
        with time_machine.travel(local(2026, 3, 3, 9), tick=False):
            moved = dispatch(cast, new_ticket(cast.dispatcher))
            transitions.return_ticket(moved.number, reason="不属本所", by=cast.handler_a)
            dispatch(cast, moved, "PS-B")
        month = {"start": "2026-03-01", "end": "2026-04-01"}
        with time_machine.travel(local(2026, 3, 20, 9), tick=False):
            bureau = api_as(cast.leader)
            for handler, code in ((cast.handler_a, "PS-A"), (cast.handler_b, "PS-B")):
                unit = api_as(handler)
                for period in (None, "day", "week"):
                    query = {**month, **({"period": period} if period else {})}
                    rows = bureau.get("/stats", **query, group_by="unit").json()["rows"]
                    # The same counts, keyed as an ungrouped row is: by period, or "all".
                    # (Only units are scored and ranked.)
                    expected = [
                        {
                            **row,
                            "key": row["period"] or "all",
                            "name": "",
                            "score": None,
                            "rank": None,
                        }
                        for row in rows
                        if row["key"] == code
                    ]
                    got = unit.get("/stats", **query).json()["rows"]
                    assert got == expected, (code, period)
                # Split by another dimension, the unit's tickets are counted directly.
                split = unit.get("/stats", **month, group_by="channel").json()["rows"]
                own = bureau.get("/stats", **month, group_by="unit").json()["rows"]
                [row] = [row for row in own if row["key"] == code]
                assert sum(item["total"] for item in split) == row["total"]
                assert sum(item["overdue_open"] for item in split) == row["overdue_open"]

    def test_bad_input_names_the_field(self, cast: Cast, api_as: Any) -> None:
        client = api_as(cast.leader)
        for params, field in [
            ({"start": "2026-03-01", "end": "2026-04-01", "period": "year"}, "period"),
            ({"start": "2026-03-01", "end": "2026-04-01", "group_by": "mood"}, "group_by"),
            ({"start": "2026-04-01", "end": "2026-03-01"}, "end"),
            ({"start": "March", "end": "2026-04-01"}, "start"),
            ({"end": "2026-04-01"}, "start"),
        ]:
            response = client.get("/stats", **params)
            assert response.status_code == 400, params
            assert response.json()["field"] == field, (params, response.json())


class TestFrozenReports:
    def test_a_published_report_reads_the_same_after_tickets_change(
        self, cast: Cast, api_as: Any
    ) -> None:
        t = scenario(cast)
        client = api_as(cast.leader)
        with time_machine.travel(local(2026, 4, 1, 8), tick=False):
            published = client.post("/reports/monthly/2026-03")
        assert published.status_code == 201
        frozen = published.json()["data"]
        assert frozen["overall"]["total"] == 6
        # b's dissatisfied call, c's and d's missed deadlines.
        assert frozen["orders_by_level"] == {"1": 3, "2": 0, "3": 0}
        # Later the open ticket is resolved and the late one closed: the report must not move.
        with time_machine.travel(local(2026, 4, 3, 9), tick=False):
            resolve(cast, t["d"], by=cast.handler_b)
            transitions.close_ticket(t["c"].number, note="", by=cast.dispatcher)
            again = client.post("/reports/monthly/2026-03")
        assert again.status_code == 200
        assert again.json()["data"] == frozen
        assert client.get("/reports/monthly/2026-03").json()["data"] == frozen
        live = client.get("/stats", start="2026-03-01", end="2026-04-01").json()["rows"][0]
        assert live["resolved"] == frozen["overall"]["resolved"] + 1

    def test_the_command_publishes_and_the_report_has_every_view(
        self, cast: Cast, settings: Any
    ) -> None:
        settings.JIEBAN_AUTO_PUBLISH = False  # the scenario's sweep would publish W10 itself
        scenario(cast)
        out = StringIO()
        with time_machine.travel(local(2026, 3, 9, 8), tick=False):
            call_command("report", "weekly", "2026-W10", stdout=out)
        assert out.getvalue().startswith("weekly 2026-W10\tpublished\ttotal 6")
        # Its rates as people read them, by the rule stored with the report: 4 of 6 resolved.
        assert "\tclosure 66.67%\ton time 75.00%\tsatisfaction 50.00%" in out.getvalue()
        from jieban.stats.models import PublishedReport

        data = PublishedReport.objects.get(kind="weekly", period="2026-W10").data
        assert set(data["by"]) == {"category", "unit", "channel", "grid"}
        assert [row["key"] for row in data["trend"]] == ["2026-03-02"]
        assert (data["start"], data["end"]) == ("2026-03-02", "2026-03-09")
        assert data["rounding"] == "half_up"
        assert data["overall"]["closure_rate"] == 4 / 6

    def test_bad_periods_and_roles_are_refused(self, cast: Cast, api_as: Any) -> None:
        client = api_as(cast.leader)
        assert client.post("/reports/monthly/2026-13").json()["field"] == "period"
        assert client.post("/reports/weekly/2026-07").json()["field"] == "period"
        assert client.post("/reports/yearly/2026").status_code == 400
        assert client.get("/reports/daily/2026-03-02").status_code == 404
        assert api_as(cast.handler_a).post("/reports/daily/2026-03-02").status_code == 403


class TestRollups:
    def test_rollups_agree_with_counting_the_tickets(self, cast: Cast) -> None:
        import datetime as dt

        from jieban.stats.figures import _counted, _from_rollups, received_in

        scenario(cast)
        with time_machine.travel(local(2026, 3, 2, 23, 30), tick=False):
            new_ticket(cast.dispatcher, channel="walk_in", grid="G-01")
        start, end = dt.date(2026, 3, 1), dt.date(2026, 4, 1)
        now = local(2026, 3, 20, 9)
        for period in (None, "day", "week", "month"):
            for group_by in (None, "category", "unit", "channel", "grid"):
                tickets = received_in(cast.leader, start, end)
                rolled = _from_rollups(start, end, period=period, group_by=group_by, now=now)
                counted = _counted(tickets, period=period, group_by=group_by, now=now)

                def rows(items: list[Any]) -> list[dict[str, Any]]:
                    return sorted(
                        (item.as_row() for item in items), key=lambda r: (r["period"], r["key"])
                    )

                assert rows(rolled) == rows(counted), (period, group_by)

    def test_open_overdue_by_day_follows_the_zone_across_a_change_of_offset(
        self, cast: Cast, settings: Any
    ) -> None:
        import datetime as dt
        from zoneinfo import ZoneInfo

        from jieban.stats.figures import _counted, _from_rollups, received_in

        # Berlin leaves winter time on Sunday 29 March 2026: a month over that day has two
        # offsets, a week after it only one. Each ticket is received just after local
        # midnight, when its UTC date is the day before, and left overdue.
        settings.TIME_ZONE = "Europe/Berlin"
        berlin = ZoneInfo("Europe/Berlin")
        for day in (28, 30, 31):
            with time_machine.travel(dt.datetime(2026, 3, day, 0, 30, tzinfo=berlin), tick=False):
                dispatch(cast, new_ticket(cast.dispatcher))
        now = dt.datetime(2026, 4, 20, 9, tzinfo=berlin)
        month = (dt.date(2026, 3, 1), dt.date(2026, 4, 1))
        week = (dt.date(2026, 3, 30), dt.date(2026, 4, 6))
        for (start, end), days in ((month, (28, 30, 31)), (week, (30, 31))):
            rolled = _from_rollups(start, end, period="day", group_by=None, now=now)
            tickets = received_in(cast.leader, start, end)
            counted = _counted(tickets, period="day", group_by=None, now=now)
            overdue = {row.key: row.overdue_open for row in rolled if row.overdue_open}
            assert overdue == {f"2026-03-{day}": 1 for day in days}, start
            assert overdue == {row.key: row.overdue_open for row in counted if row.overdue_open}

    def test_a_utc_date_touches_the_local_days_its_moments_fall_on(self, settings: Any) -> None:
        import datetime as dt

        from jieban.stats.rollups import local_days_of

        day = dt.date(2026, 3, 10)
        for zone, expected in (
            ("Asia/Shanghai", {day, dt.date(2026, 3, 11)}),
            ("UTC", {day}),
            ("America/New_York", {dt.date(2026, 3, 9), day}),
        ):
            settings.TIME_ZONE = zone
            assert local_days_of(day) == expected, zone

    def test_a_sweep_rebuilds_a_bounded_number_of_dates_and_readers_the_rest(
        self, cast: Cast, api_as: Any, settings: Any
    ) -> None:
        from jieban.stats.models import DirtyDay

        for day in (2, 9, 16):
            with time_machine.travel(local(2026, 3, day, 9), tick=False):
                new_ticket(cast.dispatcher)
        settings.JIEBAN_SWEEP_ROLLUP_DATES = 2
        settings.JIEBAN_AUTO_PUBLISH = False  # publishing reads, and so rebuilds, its periods
        with time_machine.travel(local(2026, 3, 20, 9), tick=False):
            report = run_sweep()
            assert report.rollups == 2
            assert "rollups rebuilt: 2 dates" in report.lines()
            assert list(report.seconds) == [
                "orders",
                "clocks",
                "warnings",
                "mediation",
                "handovers",
                "rollups",
                "publishing",
                "platform-pull",
                "delivery",
                "platform-delivery",
                "imports",
                "ticket-tally",
                "backup",
            ]
            # The newest first: what the home pages read.
            assert list(DirtyDay.objects.values_list("day", flat=True)) == [
                local(2026, 3, 2).date()
            ]
            rows = api_as(cast.leader).get("/stats", start="2026-03-01", end="2026-04-01")
            assert rows.json()["rows"][0]["total"] == 3
            assert not DirtyDay.objects.exists()
            assert run_sweep().rollups == 0

    def test_every_change_marks_its_day_and_reading_rebuilds_it(
        self, cast: Cast, api_as: Any
    ) -> None:
        from jieban.stats.models import DirtyDay

        client = api_as(cast.leader)
        with time_machine.travel(local(2026, 3, 2, 9), tick=False):
            ticket = new_ticket(cast.dispatcher)
        assert DirtyDay.objects.filter(day="2026-03-02").exists()

        def resolved() -> int:
            query = {"start": "2026-03-02", "end": "2026-03-03"}
            return int(client.get("/stats", **query).json()["rows"][0]["resolved"])

        assert resolved() == 0
        assert not DirtyDay.objects.exists()
        dispatch(cast, ticket)
        resolve(cast, ticket)
        assert DirtyDay.objects.exists()
        assert resolved() == 1


def test_the_worker_freezes_the_periods_that_ended(cast: Cast, settings: Any) -> None:
    from jieban.stats.models import PublishedReport

    scenario(cast)  # its sweep of 10 March froze the oldest three days, 2-4 March
    settings.JIEBAN_PUBLISH_PER_SWEEP = 100
    with time_machine.travel(local(2026, 4, 1, 0, 5), tick=False):
        report = run_sweep()
        again = run_sweep()
    # Every period since the first ticket (Monday 2 March), oldest first: 30 days, 4 weeks and
    # the month, the newest last.
    assert PublishedReport.objects.count() == 35
    assert len(report.published) == 32 and report.reports_left == 0
    assert report.published[:5] == [
        "daily 2026-03-05",
        "daily 2026-03-06",
        "daily 2026-03-07",
        "daily 2026-03-08",
        "weekly 2026-W10",
    ]
    assert report.published[-3:] == ["daily 2026-03-30", "daily 2026-03-31", "monthly 2026-03"]
    assert "weekly 2026-W13" in report.published
    assert again.published == [] and again.reports_left == 0
    assert not [line for line in again.lines() if "report" in line]
    monthly = PublishedReport.objects.get(kind="monthly", period="2026-03")
    assert monthly.data["overall"]["total"] == 6
    assert monthly.published_by is None


class TestCatchingUpAfterDowntime:
    """The worker freezes every ended period that was not frozen, oldest first, a few a sweep,
    none before the first ticket nor wholly beyond the horizon."""

    def test_a_worker_down_for_nine_days_freezes_the_missing_days_oldest_first(
        self, cast: Cast, settings: Any
    ) -> None:
        from jieban.stats.models import PublishedReport

        settings.JIEBAN_PUBLISH_PER_SWEEP = 100
        scenario(cast)  # its sweep of 10 March catches up: 2-9 March and week 10
        assert PublishedReport.objects.count() == 9
        settings.JIEBAN_PUBLISH_PER_SWEEP = 3
        # Down from the 10th to the 19th: 9 days and week 11 were never frozen.
        sweeps = []
        for minute in range(5):
            with time_machine.travel(local(2026, 3, 19, 0, 5 + minute), tick=False):
                sweeps.append(run_sweep())
        assert [sweep.published for sweep in sweeps] == [
            ["daily 2026-03-10", "daily 2026-03-11", "daily 2026-03-12"],
            ["daily 2026-03-13", "daily 2026-03-14", "daily 2026-03-15"],
            ["weekly 2026-W11", "daily 2026-03-16", "daily 2026-03-17"],
            ["daily 2026-03-18"],
            [],
        ]
        assert [sweep.reports_left for sweep in sweeps] == [7, 4, 1, 0, 0]
        assert "reports published: 3, 7 more to catch up" in sweeps[0].lines()
        assert "  daily 2026-03-10" in sweeps[0].lines()
        assert "reports published: 3, 7 more to catch up" in sweeps[0].headline()
        assert "reports published: 1" in sweeps[3].lines()
        assert not [line for line in sweeps[4].lines() if "report" in line]
        assert PublishedReport.objects.count() == 19
        # A week frozen late is that week's report, and records when it was frozen.
        week = PublishedReport.objects.get(kind="weekly", period="2026-W11")
        assert (week.data["start"], week.data["end"]) == ("2026-03-09", "2026-03-16")
        assert week.published_at == local(2026, 3, 19, 0, 7)
        assert week.data["overall"]["total"] == 0  # every ticket came on 2 March

    def test_jieban_sweep_once_prints_what_it_caught_up(self, cast: Cast, settings: Any) -> None:
        with time_machine.travel(local(2026, 3, 2, 9), tick=False):
            new_ticket(cast.dispatcher)
        settings.JIEBAN_PUBLISH_PER_SWEEP = 2
        with time_machine.travel(local(2026, 3, 5, 9), tick=False):
            out = StringIO()
            call_command("sweep", "--once", stdout=out)
        lines = out.getvalue().splitlines()
        start = lines.index("reports published: 2, 1 more to catch up")
        assert lines[start + 1 : start + 3] == ["  daily 2026-03-02", "  daily 2026-03-03"]
        assert lines[-1].startswith("seconds: ")

    def test_it_goes_back_no_further_than_the_horizon(self, cast: Cast, settings: Any) -> None:
        with time_machine.travel(local(2025, 1, 2, 9), tick=False):
            new_ticket(cast.dispatcher)
        settings.JIEBAN_PUBLISH_CATCH_UP_DAYS = 30
        settings.JIEBAN_PUBLISH_PER_SWEEP = 3
        with time_machine.travel(local(2026, 3, 2, 0, 5), tick=False):
            report = run_sweep()
        # From 31 January 2026 on: that day and the month it ends, then 1 February.
        assert report.published == ["daily 2026-01-31", "monthly 2026-01", "daily 2026-02-01"]

    def test_nothing_is_frozen_before_the_first_ticket(self, cast: Cast) -> None:
        from jieban.stats.models import PublishedReport

        with time_machine.travel(local(2026, 3, 2, 0, 5), tick=False):
            assert run_sweep().published == []
            new_ticket(cast.dispatcher)
        with time_machine.travel(local(2026, 3, 3, 0, 5), tick=False):
            assert run_sweep().published == ["daily 2026-03-02"]
        assert PublishedReport.objects.count() == 1

    def test_a_report_published_by_hand_is_not_published_again(
        self, cast: Cast, api_as: Any
    ) -> None:
        from jieban.stats.models import PublishedReport

        with time_machine.travel(local(2026, 3, 2, 9), tick=False):
            new_ticket(cast.dispatcher)
        with time_machine.travel(local(2026, 3, 3, 9), tick=False):
            assert api_as(cast.leader).post("/reports/daily/2026-03-02").status_code == 201
            assert run_sweep().published == []
        assert PublishedReport.objects.get().published_by == cast.leader

    def test_turned_off_it_freezes_nothing(self, cast: Cast, settings: Any) -> None:
        scenario(cast)
        settings.JIEBAN_AUTO_PUBLISH = False
        with time_machine.travel(local(2026, 4, 1, 0, 5), tick=False):
            report = run_sweep()
        assert (report.published, report.reports_left) == ([], 0)


def test_the_ended_periods_cross_a_year_oldest_first() -> None:
    import datetime as dt

    from jieban.stats.reports import ended_periods

    periods = ended_periods(dt.date(2027, 1, 5), since=dt.date(2026, 12, 30))
    assert periods == [
        ("daily", "2026-12-30"),
        ("daily", "2026-12-31"),
        ("monthly", "2026-12"),
        ("daily", "2027-01-01"),
        ("daily", "2027-01-02"),
        ("daily", "2027-01-03"),
        ("weekly", "2026-W53"),
        ("daily", "2027-01-04"),
    ]
    assert ended_periods(dt.date(2026, 12, 30), since=dt.date(2026, 12, 30)) == []


def test_a_period_still_running_is_not_published(cast: Cast, api_as: Any) -> None:
    with time_machine.travel(local(2026, 3, 20, 9), tick=False):
        response = api_as(cast.leader).post("/reports/monthly/2026-03")
        assert response.status_code == 409
        assert "2026-04-01" in response.json()["detail"]
        assert api_as(cast.leader).post("/reports/monthly/2026-02").status_code == 201


def test_far_away_years_are_bad_input_not_errors(cast: Cast, api_as: Any) -> None:
    client = api_as(cast.leader)
    for start, end, field in [
        ("0001-01-01", "0001-01-02", "start"),
        ("2026-01-01", "9999-12-31", "end"),
    ]:
        response = client.get("/stats", start=start, end=end)
        assert (response.status_code, response.json()["field"]) == (400, field)
