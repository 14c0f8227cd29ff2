"""The mediation figures (docs/statistics.md, "Mediation"): each figure's definition on small
cases built through the real actions, the period a case belongs to, the in-time edge, zero
denominators, the groupings, the API's parameters and errors, access per role, the monthly
mediation report that freezes, and its lead sentence's rounding.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import override_settings
from django.utils import translation

from jieban.errors import Conflict, Forbidden, InvalidInput
from jieban.mediation import actions
from jieban.mediation.actions import AgreementDraft, TermDraft
from jieban.mediation.models import MediationCase
from jieban.org.models import User
from jieban.stats.mediation import figure_case_parts, lead_sentence, mediation_figures
from jieban.stats.models import PublishedReport
from jieban.stats.rates import Rounding
from jieban.stats.reports import build_report, publish_report, unpublished_periods
from tests.conftest import ApiClient, Cast, dispatch, local, new_ticket
from tests.test_mediation import Mediation, draft, set_up_mediation

DEC = {"start": dt.date(2026, 12, 1), "end": dt.date(2027, 1, 1)}


@pytest.fixture
def mediation(cast: Cast) -> Mediation:
    return set_up_mediation()


def opened(by: User, at: dt.datetime, **fields: Any) -> MediationCase:
    with time_machine.travel(at, tick=False):
        return actions.open_case(draft(**fields), by=by)


def session(case: MediationCase, at: dt.datetime, by: User) -> None:
    """One session on the day of `at`, a minute before it (a case is mediated before it
    concludes)."""
    before = at - dt.timedelta(minutes=1)
    with time_machine.travel(before, tick=False):
        actions.log_session(
            case.number,
            held_on=before.date(),
            attendees="王五、赵六",
            discussion="各自陈述",
            by=by,
        )


def succeeded(case: MediationCase, at: dt.datetime, by: User) -> MediationCase:
    session(case, at, by)
    with time_machine.travel(at, tick=False):
        return actions.succeed_case(case.number, conclusion="双方达成协议", by=by)


def failed(case: MediationCase, at: dt.datetime, by: User) -> MediationCase:
    session(case, at, by)
    with time_machine.travel(at, tick=False):
        return actions.fail_case(case.number, route="litigation", conclusion="分歧较大", by=by)


def withdrawn(case: MediationCase, at: dt.datetime, by: User) -> MediationCase:
    with time_machine.travel(at, tick=False):
        return actions.withdraw_case(case.number, reason="申请人撤回", by=by)


def december(m: Mediation) -> dict[str, MediationCase]:
    """Five cases around December 2026: a success and a failure of the studio, a withdrawal,
    a committee's success, and a case accepted on November's last minute concluded on
    December's first."""
    yang, village = m.yang, m.village
    cases = {
        "won": opened(yang, local(2026, 12, 2, 9), amount="3500", mediators=["yang"]),
        "lost": opened(yang, local(2026, 12, 3, 9), amount="1000", mediators=["yang", "li"]),
        "gone": opened(yang, local(2026, 12, 4, 9), amount="800", dispute_type="labour"),
        "village": opened(
            village, local(2026, 12, 5, 9), studio="", committee="TJ-V1", amount="200.50"
        ),
        "edge": opened(yang, local(2026, 11, 30, 23, 59), amount="99", mediators=["li"]),
    }
    succeeded(cases["won"], local(2026, 12, 10, 9), yang)
    failed(cases["lost"], local(2026, 12, 11, 9), yang)
    withdrawn(cases["gone"], local(2026, 12, 12, 9), yang)
    succeeded(cases["village"], local(2026, 12, 20, 9), village)
    succeeded(cases["edge"], local(2026, 12, 1, 0, 0), yang)
    return cases


class TestDefinitions:
    def test_it_counts_each_figure_withdrawn_out(self, mediation: Mediation, cast: Cast) -> None:
        december(mediation)
        [row] = mediation_figures(cast.leader, **DEC)
        assert row.key == "all"
        # Accepted in December: four (the edge case was accepted in November).
        assert row.accepted == 4
        # Concluded in December: won, lost, village, edge; the withdrawal is in neither.
        assert (row.concluded, row.succeeded, row.failed) == (4, 3, 1)
        assert row.success_rate == 3 / 4
        assert row.amount_settled == Decimal("3799.50")
        assert row.concluded_in_time == 4
        assert row.as_row()["amount_settled"] == "3799.50"

    def test_a_case_belongs_to_the_period_of_each_event(
        self, mediation: Mediation, cast: Cast
    ) -> None:
        december(mediation)
        [nov] = mediation_figures(cast.leader, start=dt.date(2026, 11, 1), end=dt.date(2026, 12, 1))
        assert (nov.accepted, nov.concluded) == (1, 0)
        months = mediation_figures(
            cast.leader, start=dt.date(2026, 11, 1), end=dt.date(2027, 1, 1), period="month"
        )
        assert [(row.key, row.accepted, row.concluded) for row in months] == [
            ("2026-11", 1, 0),
            ("2026-12", 4, 4),
        ]

    def test_zero_denominators_are_null(self, mediation: Mediation, cast: Cast) -> None:
        opened(mediation.yang, local(2026, 12, 2, 9))
        [row] = mediation_figures(cast.leader, **DEC)
        assert (row.accepted, row.concluded) == (1, 0)
        assert row.success_rate is None and row.performance_rate is None
        assert row.as_row()["success_rate"] is None
        [empty] = mediation_figures(cast.leader, start=dt.date(2025, 1, 1), end=dt.date(2025, 2, 1))
        assert empty.accepted == 0 and empty.amount_settled == Decimal("0.00")

    def test_in_time_is_by_the_due_second(self, mediation: Mediation, cast: Cast) -> None:
        on_the_dot = opened(mediation.yang, local(2026, 12, 2, 9))
        late = opened(mediation.yang, local(2026, 12, 2, 9))
        succeeded(on_the_dot, on_the_dot.due_at, mediation.yang)
        failed(late, late.due_at + dt.timedelta(seconds=1), mediation.yang)
        [row] = mediation_figures(cast.leader, start=dt.date(2026, 12, 1), end=dt.date(2027, 2, 1))
        assert (row.concluded, row.concluded_in_time) == (2, 1)

    def test_it_groups_by_studio_mediator_level_and_type(
        self, mediation: Mediation, cast: Cast
    ) -> None:
        december(mediation)

        def grouped(group_by: str) -> dict[str, tuple[int, int, int]]:
            rows = mediation_figures(cast.leader, **DEC, group_by=group_by)
            return {row.key: (row.accepted, row.concluded, row.succeeded) for row in rows}

        assert grouped("studio") == {"YANG": (3, 3, 2), "": (1, 1, 1)}
        # A case with two mediators counts for each; a case opened with none named is its
        # opener's.
        assert grouped("mediator") == {"yang": (3, 2, 1), "li": (1, 2, 1), "village": (1, 1, 1)}
        assert grouped("level") == {"studio": (3, 3, 2), "village": (1, 1, 1)}
        assert grouped("dispute_type") == {"neighbours": (3, 4, 3), "labour": (1, 0, 0)}
        names = {
            row.key: row.name for row in mediation_figures(cast.leader, **DEC, group_by="studio")
        }
        assert names["YANG"] == "老杨调解工作室"

    def test_bad_parameters_name_their_field(self, mediation: Mediation, cast: Cast) -> None:
        for params, field in (
            ({"group_by": "unit"}, "group_by"),
            ({"period": "year"}, "period"),
            ({"end": dt.date(2026, 11, 1)}, "end"),
        ):
            with pytest.raises(InvalidInput) as bad:
                mediation_figures(cast.leader, **{**DEC, **params})
            assert bad.value.field == field


def agreed(case: MediationCase, by: User, signed_on: str, *due: str) -> None:
    """The case's agreement, signed on `signed_on`, with a term due on each of `due`."""
    draft = AgreementDraft(
        facts="漏水致损",
        applicant_responsibility="无责任",
        respondent_responsibility="承担维修责任",
        signed_on=signed_on,
        terms=[
            TermDraft(obligor="respondent", content=f"第 {n} 期", method="转账", due_on=day)
            for n, day in enumerate(due, start=1)
        ],
    )
    with time_machine.travel(local(2026, 12, 21, 9), tick=False):
        actions.record_agreement(case.number, draft=draft, by=by)


def performed(case: MediationCase, by: User, term: int, performance: str = "performed") -> None:
    with time_machine.travel(local(2027, 1, 6, 9), tick=False):
        actions.record_performance(
            case.number,
            term=term,
            performance=performance,
            performed_on="2027-01-05",
            note="已转账",
            by=by,
        )


class TestAgreements:
    def test_an_agreement_counts_in_the_period_its_last_term_fell_due(
        self, mediation: Mediation, cast: Cast
    ) -> None:
        cases = december(mediation)
        yang, village = mediation.yang, mediation.village
        # Due in December (its last term on the 28th), both terms performed.
        agreed(cases["won"], yang, "2026-12-10", "2026-12-20", "2026-12-28")
        performed(cases["won"], yang, 1)
        performed(cases["won"], yang, 2)
        # Due in January: one term partly performed is not fully performed.
        agreed(cases["village"], village, "2026-12-20", "2027-01-05")
        performed(cases["village"], village, 1, "partly")
        # Due in December, nothing recorded yet.
        agreed(cases["edge"], yang, "2026-12-01", "2026-12-31")
        # On 31 December the last one's day has not passed: not yet due, so not unperformed.
        with time_machine.travel(local(2026, 12, 31, 18), tick=False):
            [dec] = mediation_figures(cast.leader, **DEC)
        assert (dec.agreements_due, dec.agreements_performed) == (1, 1)
        with time_machine.travel(local(2027, 2, 2, 9), tick=False):
            [dec] = mediation_figures(cast.leader, **DEC)
            assert (dec.agreements_due, dec.agreements_performed) == (2, 1)
            assert dec.performance_rate == 1 / 2
            [jan] = mediation_figures(
                cast.leader, start=dt.date(2027, 1, 1), end=dt.date(2027, 2, 1)
            )
            assert (jan.agreements_due, jan.agreements_performed) == (1, 0)
            assert jan.performance_rate == 0.0
            by_studio = mediation_figures(
                cast.leader, start=dt.date(2026, 12, 1), end=dt.date(2027, 2, 1), group_by="studio"
            )
            months = mediation_figures(
                cast.leader, start=dt.date(2026, 12, 1), end=dt.date(2027, 2, 1), period="month"
            )
        assert {row.key: (row.agreements_due, row.agreements_performed) for row in by_studio} == {
            "YANG": (2, 1),
            "": (1, 0),
        }
        assert [(row.key, row.agreements_due) for row in months] == [("2026-12", 2), ("2027-01", 1)]
        # A closed case (its agreement performed, the parties called back) still succeeded.
        with time_machine.travel(local(2027, 1, 7, 9), tick=False):
            actions.record_visit(
                cases["won"].number,
                visited_on="2027-01-07",
                called="both",
                statement="已履行",
                satisfied=True,
                by=yang,
            )
        assert MediationCase.objects.get(pk=cases["won"].pk).status == "closed"
        [dec] = mediation_figures(cast.leader, **DEC)
        assert (dec.concluded, dec.succeeded) == (4, 3)

    def test_a_mediator_sees_only_the_studios_agreements(
        self, mediation: Mediation, cast: Cast
    ) -> None:
        cases = december(mediation)
        agreed(cases["won"], mediation.yang, "2026-12-10", "2026-12-20")
        agreed(cases["village"], mediation.village, "2026-12-20", "2026-12-22")
        with time_machine.travel(local(2027, 1, 2, 9), tick=False):
            assert mediation_figures(mediation.yang, **DEC)[0].agreements_due == 1
            assert mediation_figures(cast.leader, **DEC)[0].agreements_due == 2

    def test_a_studios_figures_are_three_grouped_queries_a_part(
        self, mediation: Mediation, cast: Cast, django_assert_num_queries: Any
    ) -> None:
        cases = december(mediation)
        agreed(cases["won"], mediation.yang, "2026-12-10", "2026-12-20")
        # The studio's mediator of a station: the studio's cases, the station's as a committee,
        # its hand-overs and the cases from its tickets, each part counted in three queries
        # (acceptances, conclusions, agreements), however many cases; naming the mediators
        # is one more.
        parts = figure_case_parts(mediation.yang)
        assert parts is not None and len(parts) == 4
        for group_by in ("mediator", "dispute_type"):
            with django_assert_num_queries(3 * 4 + (group_by == "mediator")):
                mediation_figures(mediation.yang, **DEC, group_by=group_by, period="month")


class TestAccess:
    def test_each_role_sees_its_own_figures(self, mediation: Mediation, cast: Cast) -> None:
        december(mediation)
        ticket = dispatch(cast, new_ticket(cast.dispatcher))
        with time_machine.travel(local(2026, 12, 6, 9), tick=False):
            actions.open_case(
                draft(source="ticket", ticket=ticket.number, studio="", committee="TJ-V1"),
                by=cast.dispatcher,
            )

        def accepted(user: User) -> int:
            return mediation_figures(user, **DEC)[0].accepted

        assert accepted(cast.leader) == accepted(cast.dispatcher) == 5
        assert accepted(mediation.yang) == 3  # the studio's
        assert accepted(mediation.village) == 2  # the committee's
        assert accepted(cast.handler_a) == 1  # handed over from station A's ticket
        assert accepted(cast.handler_b) == 0
        for user in (cast.building_head, cast.grid_officer):
            with pytest.raises(Forbidden):
                mediation_figures(user, **DEC)


class TestApi:
    def test_it_gives_the_rows_with_exact_fractions(self, mediation: Mediation, cast: Cast) -> None:
        december(mediation)
        api = ApiClient(cast.leader)
        response = api.get("/mediation/stats?start=2026-12-01&end=2027-01-01&group_by=studio")
        assert response.status_code == 200, response.content
        rows = {row["key"]: row for row in response.json()["rows"]}
        assert rows["YANG"] == {
            "key": "YANG",
            "name": "老杨调解工作室",
            "period": "",
            "accepted": 3,
            "concluded": 3,
            "succeeded": 2,
            "failed": 1,
            "success_rate": 2 / 3,
            "agreements_due": 0,
            "agreements_performed": 0,
            "performance_rate": None,
            "amount_settled": "3599.00",
            "concluded_in_time": 3,
        }

    def test_bad_input_is_a_400_with_the_field(self, mediation: Mediation, cast: Cast) -> None:
        api = ApiClient(cast.leader)
        for query, field in (
            ("start=2026-12-01&end=2027-01-01&group_by=grid", "group_by"),
            ("start=2026-12-01&end=2027-01-01&period=hour", "period"),
            ("start=2026-12-01&end=2026-11-01", "end"),
        ):
            response = api.get(f"/mediation/stats?{query}")
            assert response.status_code == 400, query
            assert response.json()["field"] == field
        assert api.get("/mediation/stats?start=2026-12-01").status_code == 400

    def test_a_building_head_is_refused(self, mediation: Mediation, cast: Cast) -> None:
        response = ApiClient(cast.building_head).get(
            "/mediation/stats?start=2026-12-01&end=2027-01-01"
        )
        assert response.status_code == 403


class TestMonthlyReport:
    def test_it_freezes(self, mediation: Mediation, cast: Cast) -> None:
        cases = december(mediation)
        with time_machine.travel(local(2026, 12, 31, 12), tick=False), pytest.raises(Conflict):
            publish_report("mediation", "2026-12", by=cast.leader)
        with time_machine.travel(local(2027, 1, 2, 9), tick=False):
            report, created = publish_report("mediation", "2026-12", by=cast.leader)
        assert created
        stored = dict(report.data)
        assert stored["overall"]["concluded"] == 4 and stored["studios"] == 1
        assert {row["key"] for row in stored["by"]["studio"]} == {"YANG", ""}
        # Later edits change the live figures, never the published report.
        MediationCase.objects.filter(pk=cases["won"].pk).update(amount=Decimal("9999"))
        live = build_report(cast.leader, "mediation", "2026-12")
        assert live["overall"]["amount_settled"] == "10298.50"
        report.refresh_from_db()
        assert report.data == stored
        assert report.data["overall"]["amount_settled"] == "3799.50"

    def test_the_worker_freezes_ended_months(self, mediation: Mediation, cast: Cast) -> None:
        december(mediation)
        waiting = unpublished_periods(dt.date(2027, 1, 2), horizon_days=60)
        assert ("mediation", "2026-11") in waiting and ("mediation", "2026-12") in waiting
        with time_machine.travel(local(2027, 1, 2, 9), tick=False):
            publish_report("mediation", "2026-12")
        assert ("mediation", "2026-12") not in unpublished_periods(
            dt.date(2027, 1, 2), horizon_days=60
        )
        assert PublishedReport.objects.filter(kind="mediation").count() == 1


class TestLeadSentence:
    DATA = {"studios": 10, "committees": 0, "overall": {"concluded": 1456, "succeeded": 1428}}

    def test_it_rounds_by_the_reports_rule(self) -> None:
        with translation.override("zh-hans"):
            assert lead_sentence(self.DATA, Rounding.TRUNCATE) == (
                "全县 10 个调解工作室共调处矛盾纠纷 1,456 起，调处成功率 98.07%。"
            )
            assert lead_sentence(self.DATA, Rounding.HALF_UP).endswith("98.08%。")
        with translation.override("en"):
            assert lead_sentence(self.DATA, Rounding.HALF_UP) == (
                "The county's 10 mediation studios mediated 1,456 disputes, "
                "a success rate of 98.08%."
            )

    def test_it_names_the_committees_and_no_rate(self) -> None:
        data = {"studios": 2, "committees": 3, "overall": {"concluded": 0, "succeeded": 0}}
        with translation.override("zh-hans"):
            assert lead_sentence(data, Rounding.HALF_UP) == (
                "全县 2 个调解工作室和 3 个人民调解委员会共调处矛盾纠纷 0 起，调处成功率 —。"
            )

    @override_settings(JIEBAN_RATE_ROUNDING="truncate")
    def test_a_report_keeps_its_rule(self, mediation: Mediation, cast: Cast) -> None:
        with time_machine.travel(local(2027, 1, 2, 9), tick=False):
            report, _created = publish_report("mediation", "2026-12", by=cast.leader)
        assert report.data["rounding"] == "truncate"
