"""The bureau's scorecard (issue 9, item 7): the score and rank of each unit, the scorecard in
effect for a period, the administrators' back office, and the weights frozen into each
published report."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal
from typing import Any

import time_machine
from django.test import Client
from openpyxl import load_workbook

from jieban.stats.models import PublishedReport, Scorecard
from jieban.stats.scorecards import ranks, score_of, scorecard_for, scored, weights_of
from jieban.tickets import transitions
from jieban.tickets.visits import record_visit
from tests.conftest import Cast, dispatch, local, new_ticket

DEFAULT = {
    "response": 0.1,
    "resolution": 0.5,
    "satisfaction": 0.4,
    "basic_satisfied_factor": 0.9,
}


def row(**counts: int) -> dict[str, Any]:
    base = {
        "key": "PS-X",
        "total": 0,
        "resolved": 0,
        "accepted_on_time": 0,
        "accept_clock_ended": 0,
        "visited": 0,
        "satisfied": 0,
        "basically_satisfied": 0,
    }
    return {**base, **counts}


class TestTheScore:
    def test_it_weighs_the_three_rates_basically_satisfied_counting_the_factor(self) -> None:
        # response 8/10, resolution 9/10, satisfaction (5 + 0.9 × 5) / 10 = 0.95:
        # 100 × (0.1 × 0.8 + 0.5 × 0.9 + 0.4 × 0.95) = 8 + 45 + 38.
        counts = row(
            accepted_on_time=8,
            accept_clock_ended=10,
            resolved=9,
            total=10,
            visited=10,
            satisfied=10,
            basically_satisfied=5,
        )
        assert score_of(counts, DEFAULT) == 91.0
        assert score_of(counts, {**DEFAULT, "basic_satisfied_factor": 1}) == 93.0

    def test_a_part_without_a_figure_is_left_out_and_the_rest_re_normalised(self) -> None:
        # No call reached anyone: (0.1 × 0.8 + 0.5 × 0.9) / 0.6 = 0.88333…
        counts = row(accepted_on_time=8, accept_clock_ended=10, resolved=9, total=10)
        assert score_of(counts, DEFAULT) == 88.33
        assert score_of(row(), DEFAULT) is None
        # Nor is a part whose weight is 0 weighed.
        only_response = {**DEFAULT, "resolution": 0, "satisfaction": 0, "response": 1}
        assert score_of(row(resolved=1, total=1), only_response) is None

    def test_it_is_exact_and_rounded_half_up(self) -> None:
        only_response = {**DEFAULT, "resolution": 0, "satisfaction": 0, "response": 1}
        # 1/32 = 3.125 %: half up is 3.13 (a float or banker's rounding would give 3.12).
        assert score_of(row(accepted_on_time=1, accept_clock_ended=32), only_response) == 3.13
        assert score_of(row(accepted_on_time=2, accept_clock_ended=3), only_response) == 66.67

    def test_it_follows_the_one_rounding_rule(self) -> None:
        from jieban.stats.rates import Rounding

        only_response = {**DEFAULT, "resolution": 0, "satisfaction": 0, "response": 1}
        counts = row(accepted_on_time=1, accept_clock_ended=32)  # 3.125 %
        assert score_of(counts, only_response, Rounding.HALF_UP) == 3.13
        assert score_of(counts, only_response, Rounding.TRUNCATE) == 3.12

    def test_a_report_frozen_before_the_counts_existed_scores_what_it_has(self) -> None:
        old = {"key": "PS-X", "total": 10, "resolved": 5, "visited": 0, "satisfied": 0}
        assert score_of(old, DEFAULT) == 50.0

    def test_equal_scores_share_a_rank_and_no_score_comes_last(self) -> None:
        found = ranks([("a", 80.0), ("b", 91.5), ("c", 80.0), ("d", None), ("e", 12.0)])
        assert found == {"b": 1, "a": 2, "c": 2, "e": 4, "d": None}

    def test_tickets_of_no_unit_are_not_scored_and_ranks_are_per_period(self) -> None:
        rows = [
            {**row(resolved=1, total=1), "key": "A", "period": "2026-W10"},
            {**row(resolved=0, total=1), "key": "B", "period": "2026-W10"},
            {**row(resolved=0, total=1), "key": "A", "period": "2026-W11"},
            {**row(resolved=1, total=1), "key": "B", "period": "2026-W11"},
            {**row(resolved=1, total=1), "key": "", "period": "2026-W11"},
        ]
        scored(rows, DEFAULT)
        assert [(item["key"], item["rank"]) for item in rows] == [
            ("A", 1),
            ("B", 2),
            ("A", 2),
            ("B", 1),
            ("", None),
        ]
        assert rows[-1]["score"] is None


class TestWhichScorecard:
    def test_the_default_scorecard_is_there_from_the_start(self, db: Any) -> None:
        card = Scorecard.objects.get()
        assert card.name == "默认计分" and card.effective_from == dt.date(2000, 1, 1)
        assert weights_of(card) == {
            "name": "默认计分",
            "effective_from": "2000-01-01",
            **DEFAULT,
        }

    def test_the_latest_in_effect_on_the_periods_first_day(self, db: Any) -> None:
        default = Scorecard.objects.get()
        april = Scorecard.objects.create(name="四月起", effective_from=dt.date(2026, 3, 15))
        assert scorecard_for(dt.date(2026, 3, 1)) == default
        assert scorecard_for(dt.date(2026, 3, 15)) == april
        assert scorecard_for(dt.date(2026, 4, 1)) == april
        # On the same day, the one created last.
        again = Scorecard.objects.create(name="更正", effective_from=dt.date(2026, 3, 15))
        assert scorecard_for(dt.date(2026, 4, 1)) == again
        Scorecard.objects.all().delete()
        assert scorecard_for(dt.date(2026, 4, 1)) is None


def march(cast: Cast) -> None:
    """PS-A: 2 tickets, both resolved, accepted on time, called back satisfied and basically
    satisfied. PS-B: 2 tickets, 1 resolved (accepted late, dissatisfied), 1 still new to it.
    One never dispatched."""
    with time_machine.travel(local(2026, 3, 2, 9), tick=False):
        a1, a2 = (dispatch(cast, new_ticket(cast.dispatcher)) for _ in "12")
        b1, _b2 = (dispatch(cast, new_ticket(cast.dispatcher), "PS-B") for _ in "12")
        new_ticket(cast.dispatcher)
        for ticket in (a1, a2):
            transitions.accept_ticket(ticket.number, by=cast.handler_a)
            transitions.resolve_ticket(ticket.number, result="已处理", by=cast.handler_a)
    with time_machine.travel(local(2026, 3, 5, 9), tick=False):
        transitions.accept_ticket(b1.number, by=cast.handler_b)
        transitions.resolve_ticket(b1.number, result="已处理", by=cast.handler_b)
        record_visit(a1.number, outcome="satisfied", note="", by=cast.dispatcher)
        record_visit(a2.number, outcome="basically_satisfied", note="", by=cast.dispatcher)
        record_visit(b1.number, outcome="dissatisfied", note="", by=cast.dispatcher)


# PS-A: 100 × (0.1 × 1 + 0.5 × 1 + 0.4 × 1.9/2) = 98. PS-B: response 0/2 (b2 is unsigned past
# its clock), resolution 0/2 (b1 was reopened), satisfaction 0/1: 0.
PS_A, PS_B = 98.0, 0.0


class TestScoresInTheApi:
    def test_units_rows_carry_score_and_rank_and_the_response_the_weights(
        self, cast: Cast, api_as: Any
    ) -> None:
        march(cast)
        with time_machine.travel(local(2026, 3, 20, 9), tick=False):
            response = api_as(cast.leader).get(
                "/stats", start="2026-03-01", end="2026-04-01", group_by="unit"
            )
        body = response.json()
        rows = {item["key"]: item for item in body["rows"]}
        assert (rows["PS-A"]["score"], rows["PS-A"]["rank"]) == (PS_A, 1)
        assert (rows["PS-B"]["score"], rows["PS-B"]["rank"]) == (PS_B, 2)
        assert (rows[""]["score"], rows[""]["rank"]) == (None, None)
        assert body["scorecard"] == {"name": "默认计分", "effective_from": "2000-01-01", **DEFAULT}

    def test_other_groupings_have_no_scorecard_and_a_unit_has_no_rank(
        self, cast: Cast, api_as: Any
    ) -> None:
        march(cast)
        with time_machine.travel(local(2026, 3, 20, 9), tick=False):
            by_channel = api_as(cast.leader).get(
                "/stats", start="2026-03-01", end="2026-04-01", group_by="channel"
            )
            own = api_as(cast.handler_a).get(
                "/stats", start="2026-03-01", end="2026-04-01", group_by="unit"
            )
        assert by_channel.json()["scorecard"] is None
        assert {item["score"] for item in by_channel.json()["rows"]} == {None}
        [mine] = own.json()["rows"]
        assert (mine["score"], mine["rank"]) == (PS_A, None)


class TestTheBackOffice:
    def test_an_administrator_sets_a_scorecard_and_it_scores_the_next_periods(
        self, cast: Cast, api_as: Any
    ) -> None:
        march(cast)
        client = Client()
        client.force_login(cast.admin)
        assert client.get("/admin/stats/scorecard/").status_code == 200
        form = {
            "name": "区考核",
            "response_weight": "0.2",
            "resolution_weight": "0.5",
            "satisfaction_weight": "0.4",
            "basic_satisfied_factor": "0.8",
            "effective_from": "2026-03-01",
        }
        refused = client.post("/admin/stats/scorecard/add/", form)
        assert refused.status_code == 200
        assert "必须合计为 1" in refused.content.decode()
        assert Scorecard.objects.count() == 1
        created = client.post("/admin/stats/scorecard/add/", {**form, "response_weight": "0.1"})
        assert created.status_code == 302
        card = Scorecard.objects.get(name="区考核")
        assert card.created_by == cast.admin and card.basic_satisfied_factor == Decimal("0.8")
        with time_machine.travel(local(2026, 3, 20, 9), tick=False):
            body = (
                api_as(cast.leader)
                .get("/stats", start="2026-03-01", end="2026-04-01", group_by="unit")
                .json()
            )
        # PS-A: 100 × (0.1 + 0.5 + 0.4 × 1.8/2) = 96.
        assert body["scorecard"]["name"] == "区考核"
        assert {item["key"]: item["score"] for item in body["rows"]}["PS-A"] == 96.0

    def test_only_administrators_enter(self, cast: Cast) -> None:
        client = Client()
        client.force_login(cast.leader)
        assert client.get("/admin/stats/scorecard/").status_code == 302


def scores_on(html: str, testid: str) -> list[tuple[str, str, str]]:
    """(unit code, rank, score) of each row of a scores table."""
    table = html.split(f'data-testid="{testid}"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'data-key="([^"]*)" data-rank="([^"]*)" data-score="([^"]*)"', table)


class TestFrozenWeights:
    def test_a_published_report_keeps_the_weights_it_was_scored_with(
        self, cast: Cast, api_as: Any
    ) -> None:
        march(cast)
        client = api_as(cast.leader)
        with time_machine.travel(local(2026, 4, 1, 8), tick=False):
            published = client.post("/reports/monthly/2026-03")
        assert published.status_code == 201
        data = published.json()["data"]
        assert data["scorecard"] == {"name": "默认计分", "effective_from": "2000-01-01", **DEFAULT}
        units = {item["key"]: item for item in data["by"]["unit"]}
        assert (units["PS-A"]["score"], units["PS-A"]["rank"]) == (PS_A, 1)
        # The bureau changes its weights for March after publishing.
        Scorecard.objects.create(
            name="新计分",
            response_weight=Decimal("0.5"),
            resolution_weight=Decimal("0.5"),
            satisfaction_weight=Decimal("0"),
            effective_from=dt.date(2026, 3, 1),
        )
        with time_machine.travel(local(2026, 4, 3, 9), tick=False):
            assert client.get("/reports/monthly/2026-03").json()["data"] == data
            live = client.get("/stats", start="2026-03-01", end="2026-04-01", group_by="unit")
            assert live.json()["scorecard"]["name"] == "新计分"
            page = Client()
            page.force_login(cast.leader)
            html = page.get("/reports/monthly/2026-03/").content.decode()
            export = page.get("/reports/monthly/2026-03/export.xlsx")
        # The page and the workbook show the stored weights and scores, never today's.
        assert "默认计分" in html and "新计分" not in html
        assert scores_on(html, "report-scores") == [("PS-A", "1", "98.0"), ("PS-B", "2", "0.0")]
        book = load_workbook(io.BytesIO(export.content))
        sheet = book["计分排名"]
        assert "默认计分" in str(sheet["A1"].value)
        table = [[cell.value for cell in line] for line in sheet.iter_rows(min_row=4)]
        assert [line[:4] for line in table] == [
            [1, "PS-A", "甲派出所", PS_A],
            [2, "PS-B", "乙派出所", PS_B],
        ]

    def test_a_report_frozen_before_scorecards_still_renders(self, cast: Cast) -> None:
        march(cast)
        leader = Client()
        leader.force_login(cast.leader)
        with time_machine.travel(local(2026, 4, 1, 8), tick=False):
            from jieban.stats.reports import publish_report

            report, _created = publish_report("monthly", "2026-03", by=cast.leader)
        # What a report published before issue 9 stored: none of the new figures, no weights.
        new = {
            "basically_satisfied",
            "accepted",
            "accepted_on_time",
            "accept_late_open",
            "accept_clock_ended",
            "accepted_on_time_rate",
            "first_visited",
            "first_visit_satisfied",
            "first_visit_satisfaction_rate",
            "escalated",
            "returns",
            "extensions",
            "score",
            "rank",
        }

        def old(item: dict[str, Any]) -> dict[str, Any]:
            return {key: value for key, value in item.items() if key not in new}

        data = dict(report.data)
        data.pop("scorecard")
        data["definitions_version"] = 1
        data["overall"] = old(data["overall"])
        data["trend"] = [old(item) for item in data["trend"]]
        data["by"] = {group: [old(item) for item in items] for group, items in data["by"].items()}
        PublishedReport.objects.filter(pk=report.pk).update(data=data)
        with time_machine.travel(local(2026, 4, 3, 9), tick=False):
            page = leader.get("/reports/monthly/2026-03/")
            export = leader.get("/reports/monthly/2026-03/export.xlsx")
        assert page.status_code == 200 and export.status_code == 200
        html = page.content.decode()
        assert 'data-testid="report-scores-missing"' in html
        overall = html.split('data-testid="overall-figures"', 1)[1].split("</ul>", 1)[0]
        assert 'data-field="returns" data-value=""' in overall
        book = load_workbook(io.BytesIO(export.content))
        assert book["计分排名"]["A1"].value == "此报表发布时尚未为单位计分。"


class TestTheHomes:
    def test_the_centre_and_the_leader_see_this_months_scores(self, cast: Cast) -> None:
        march(cast)
        for person, testid in ((cast.dispatcher, "centre-scores"), (cast.leader, "leader-scores")):
            client = Client()
            client.force_login(person)
            with time_machine.travel(local(2026, 3, 20, 9), tick=False):
                html = client.get("/").content.decode()
            assert scores_on(html, testid) == [("PS-A", "1", "98.0"), ("PS-B", "2", "0.0")]
            assert "默认计分" in html

    def test_a_unit_with_no_figure_to_score_comes_last_without_a_rank(self, cast: Cast) -> None:
        from jieban.org.actions import create_person, create_unit

        march(cast)
        create_unit(code="PS-C", kind="station", name="丙派出所", parent="BUR")
        handler_c = create_person(
            username="handler_c", role="unit_handler", unit="PS-C", password="test-pass-123"
        )
        with time_machine.travel(local(2026, 3, 2, 9), tick=False):
            # PS-C sends its only ticket back: it has a return and no rate to score.
            ticket = dispatch(cast, new_ticket(cast.dispatcher), "PS-C")
            transitions.return_ticket(ticket.number, reason="不属本所", by=handler_c)
        client = Client()
        client.force_login(cast.leader)
        with time_machine.travel(local(2026, 3, 20, 9), tick=False):
            html = client.get("/").content.decode()
        assert scores_on(html, "leader-scores") == [
            ("PS-A", "1", "98.0"),
            ("PS-B", "2", "0.0"),
            ("PS-C", "", ""),
        ]
        table = html.split('data-testid="leader-scores"', 1)[1].split("</table>", 1)[0]
        assert '<td class="rank" data-label="排名">—</td>' in table
