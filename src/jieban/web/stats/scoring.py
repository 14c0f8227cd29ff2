"""The units' scores and ranks by the bureau's scorecard, as the homes, the reports and their
workbooks show them (`jieban.stats.scorecards` computes them)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.utils.translation import gettext as _

from jieban.org.actors import Viewer
from jieban.stats.dashboards import Window
from jieban.stats.figures import figures
from jieban.stats.rates import Rounding, configured_rounding, percent, rounding_of
from jieban.stats.scorecards import parts_of, ranked, scorecard_for, scored, weights_of
from jieban.web.stats.presenting import GroupNames, percent_text


@dataclass
class ScoreRow:
    key: str
    label: str
    rank: int | None
    score: float | None
    # The three rates the score weighs as percentages, rounded by the report's or the
    # installation's rule (None: no figure).
    response: Decimal | None
    resolution: Decimal | None
    satisfaction: Decimal | None

    @property
    def rank_text(self) -> str:
        return "—" if self.rank is None else str(self.rank)

    @property
    def score_text(self) -> str:
        return "—" if self.score is None else f"{self.score:.2f}"

    @property
    def response_text(self) -> str:
        return percent_text(self.response)

    @property
    def resolution_text(self) -> str:
        return percent_text(self.resolution)

    @property
    def satisfaction_text(self) -> str:
        return percent_text(self.satisfaction)


@dataclass
class ScoreTable:
    testid: str
    # The scorecard as frozen or in effect (`scorecards.weights_of`); None: none to score by.
    weights: dict[str, Any] | None
    rows: list[ScoreRow]
    # Why there is no table, when there is none.
    missing: str = ""

    @property
    def formula(self) -> str:
        if self.weights is None:
            return ""
        weights = self.weights
        return _(
            "Scorecard “%(name)s” (from %(start)s): %(response)s × on-time acceptance rate + "
            "%(resolution)s × closure rate + %(satisfaction)s × satisfaction rate, a "
            "“basically satisfied” call counting %(factor)s; × 100."
        ) % {
            "name": weights["name"],
            "start": weights["effective_from"],
            "response": _number(weights["response"]),
            "resolution": _number(weights["resolution"]),
            "satisfaction": _number(weights["satisfaction"]),
            "factor": _number(weights["basic_satisfied_factor"]),
        }


def _number(value: Any) -> str:
    """A weight as people write it: 0.1, 0.5, 0.95."""
    return f"{float(value):.4f}".rstrip("0").rstrip(".")


def _shown(value: Fraction | None, rounding: Rounding) -> Decimal | None:
    return None if value is None else percent(value.numerator, value.denominator, rounding)


def score_table(
    testid: str,
    unit_rows: list[dict[str, Any]],
    weights: dict[str, Any] | None,
    rounding: Rounding,
) -> ScoreTable:
    """The units' rows (already scored) in rank order, units without a score last."""
    if weights is None:
        return ScoreTable(testid, None, [], _("No scorecard is in effect for this period."))
    rows = ranked(unit_rows)
    names = GroupNames({"unit": rows})
    shown = []
    for row in rows:
        parts = parts_of(row, weights)
        shown.append(
            ScoreRow(
                key=row["key"],
                label=names.label("unit", row["key"], row.get("name") or ""),
                rank=row.get("rank"),
                score=row.get("score"),
                response=_shown(parts["response"], rounding),
                resolution=_shown(parts["resolution"], rounding),
                satisfaction=_shown(parts["satisfaction"], rounding),
            )
        )
    return ScoreTable(testid, weights, shown)


def units_scored(user: Viewer, window: Window, testid: str, *, refresh: bool = True) -> ScoreTable:
    """The units' scores over `window` by the scorecard in effect for its first day (the
    window's dirty days rebuilt first, unless the caller has just done it)."""
    weights = weights_of(scorecard_for(window.start))
    rounding = configured_rounding()
    rows = [
        row.as_row()
        for row in figures(
            user, start=window.start, end=window.end, group_by="unit", refresh=refresh
        )
    ]
    return score_table(testid, scored(rows, weights, rounding), weights, rounding)


def frozen_scores(
    data: dict[str, Any], testid: str, rounding: Rounding | None = None
) -> ScoreTable:
    """A report's scores as stored with it, by the weights stored with it (never today's),
    its rates rounded by the rule stored with it."""
    rounding = rounding or rounding_of(data)
    if "scorecard" not in data:
        return ScoreTable(
            testid, None, [], _("This report was published before units were scored.")
        )
    weights = data["scorecard"]
    rows = [dict(row) for row in data["by"].get("unit", [])]
    if weights is not None and any("score" not in row for row in rows):
        scored(rows, weights, rounding)
    return score_table(testid, rows, weights, rounding)
