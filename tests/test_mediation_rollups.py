"""The daily rollups of the mediation counts (`jieban.stats.mediation_rollups`): the bureau's
figures summed from them equal a direct count of the cases for every grouping and period; every
change to a case, its mediators or its agreement marks its days dirty through the database's
triggers, whatever code made it; a read after the rebuild is a few queries however many cases;
the worker keeps them current.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db.models import F

from jieban.mediation.models import Agreement, MediationCase
from jieban.org.models import Unit
from jieban.stats import mediation_rollups
from jieban.stats.jobs import refresh_rollups
from jieban.stats.mediation import GROUPINGS, MediationFigures, counted_figures, mediation_figures
from jieban.stats.mediation_counts import COUNT_NAMES, Counts
from jieban.stats.models import MediationDirtyDay, MediationRollup
from tests.conftest import Cast, local
from tests.test_mediation import Mediation, set_up_mediation
from tests.test_mediation_figures import agreed, december, performed

WINDOW = {"start": dt.date(2026, 11, 1), "end": dt.date(2027, 2, 1)}


@pytest.fixture
def mediation(cast: Cast) -> Mediation:
    return set_up_mediation()


def as_rows(figures: list[MediationFigures]) -> list[dict[str, Any]]:
    return [row.as_row() for row in figures]


def assert_rollups_agree(cast: Cast) -> None:
    """The bureau's figures (from the rollups) are the direct count's, for every grouping and
    period."""
    for group_by in (None, *GROUPINGS):
        for period in (None, "day", "week", "month"):
            rolled = mediation_figures(cast.leader, **WINDOW, period=period, group_by=group_by)
            counted = counted_figures(
                [MediationCase.objects.all()], **WINDOW, period=period, group_by=group_by
            )
            assert as_rows(rolled) == as_rows(counted), (group_by, period)


def worked_through(m: Mediation) -> dict[str, MediationCase]:
    """December's cases with agreements, one performed, one due in January."""
    cases = december(m)
    agreed(cases["won"], m.yang, "2026-12-10", "2026-12-20", "2026-12-28")
    performed(cases["won"], m.yang, 1)
    performed(cases["won"], m.yang, 2)
    agreed(cases["village"], m.village, "2026-12-20", "2027-01-05")
    agreed(cases["edge"], m.yang, "2026-12-01", "2026-12-31")
    return cases


class TestRollups:
    def test_they_equal_a_direct_count(self, mediation: Mediation, cast: Cast) -> None:
        worked_through(mediation)
        with time_machine.travel(local(2027, 1, 20, 9), tick=False):
            assert_rollups_agree(cast)
            [row] = mediation_figures(cast.leader, **WINDOW)
        # Not an empty agreement of nothing: the worked example's own counts.
        assert (row.accepted, row.concluded, row.succeeded, row.failed) == (5, 4, 3, 1)
        assert (row.agreements_due, row.agreements_performed) == (3, 1)
        assert row.amount_settled == Decimal("3799.50")  # 3,500 + 200.50 + 99

    def test_every_change_marks_its_days_dirty(self, mediation: Mediation, cast: Cast) -> None:
        cases = worked_through(mediation)
        with time_machine.travel(local(2027, 1, 20, 9), tick=False):
            mediation_figures(cast.leader, **WINDOW)  # rebuilds every dirty day
            assert not MediationDirtyDay.objects.exists()
            # Changes made behind the actions' back still reach the figures: the triggers.
            MediationCase.objects.filter(pk=cases["lost"].pk).update(dispute_type="labour")
            assert MediationDirtyDay.objects.exists()
            cases["won"].mediators.remove(mediation.li)
            cases["lost"].mediators.remove(mediation.li)
            Agreement.objects.filter(case=cases["village"]).update(
                last_due_on=dt.date(2026, 12, 24)
            )
            Agreement.objects.filter(case=cases["edge"]).delete()
            MediationCase.objects.filter(pk=cases["gone"].pk).delete()
            assert_rollups_agree(cast)
            by_type = mediation_figures(cast.leader, **WINDOW, group_by="dispute_type")
            assert {row.key: row.accepted for row in by_type} == {"neighbours": 3, "labour": 1}
            [row] = mediation_figures(cast.leader, **WINDOW)
            assert (row.accepted, row.agreements_due) == (4, 2)

    def test_only_a_change_to_what_is_counted_marks_days(
        self, mediation: Mediation, cast: Cast
    ) -> None:
        cases = worked_through(mediation)
        mediation_figures(cast.leader, **WINDOW)
        won = MediationCase.objects.filter(pk=cases["won"].pk)
        won.update(version=F("version") + 1, warned_due_at=local(2026, 12, 9, 9))
        Agreement.objects.filter(case=cases["won"]).update(visited_at=local(2027, 1, 7, 9))
        assert not MediationDirtyDay.objects.exists()
        won.update(amount=Decimal("3600"))
        assert MediationDirtyDay.objects.exists()
        Agreement.objects.filter(case=cases["won"]).update(performed_at=None)
        with time_machine.travel(local(2027, 1, 20, 9), tick=False):
            [row] = mediation_figures(cast.leader, **WINDOW)
        assert row.amount_settled == Decimal("3899.50")
        assert row.agreements_performed == 0

    def test_a_committees_level_is_read_as_it_is_now(
        self, mediation: Mediation, cast: Cast
    ) -> None:
        december(mediation)
        by_level = mediation_figures(cast.leader, **WINDOW, group_by="level")
        assert {row.key: row.accepted for row in by_level} == {"studio": 4, "village": 1}
        # A committee moved to the town level: no case changed, the figures follow the unit.
        Unit.objects.filter(code="TJ-V1").update(level="town")
        by_level = mediation_figures(cast.leader, **WINDOW, group_by="level")
        assert {row.key: row.accepted for row in by_level} == {"studio": 4, "town": 1}

    def test_a_read_after_the_rebuild_is_a_few_queries(
        self, mediation: Mediation, cast: Cast, django_assert_max_num_queries: Any
    ) -> None:
        worked_through(mediation)
        mediation_figures(cast.leader, **WINDOW, group_by="mediator", period="day")
        # The dirty days (none), the sums, the mediators' names; the transaction's savepoints.
        with django_assert_max_num_queries(6):
            mediation_figures(cast.leader, **WINDOW, group_by="mediator", period="day")
        assert MediationRollup.objects.filter(dimension="mediator").exists()

    def test_the_worker_rebuilds_them(self, mediation: Mediation, cast: Cast) -> None:
        december(mediation)
        dirty = MediationDirtyDay.objects.count()
        assert dirty > 0
        outcome = refresh_rollups(local(2026, 12, 21, 9), lambda: False)
        assert outcome.counts["mediation_rollups"] == dirty
        assert not MediationDirtyDay.objects.exists()
        assert mediation_rollups.refresh() == 0
        assert MediationRollup.objects.filter(dimension="all").count() > 0


def test_counts_add_every_count() -> None:
    # `Counts.add` names each field: a count added to the class but not to `add` would be lost.
    ones = Counts(**{name: 1 for name in COUNT_NAMES})
    total = Counts()
    total.add(ones)
    total.add(ones)
    assert all(getattr(total, name) == 2 for name in COUNT_NAMES)
    assert not total.is_empty() and Counts().is_empty()
