"""Scores and ranks of the units by the bureau's scorecard (`jieban.stats.models.Scorecard`).

A unit's score over a period is a number from 0 to 100:

    100 × (w_response × response + w_resolution × resolution + w_satisfaction × satisfaction)

- response = the on-time signing rate (及时签收率): accepted on time / signing clock ended;
- resolution = the closure rate (办结率, the "解决率" of the bureaus that score this way):
  resolved / total;
- satisfaction = (satisfied + factor × basically satisfied) / visited, by each ticket's latest
  call, where "satisfied" here means satisfied alone and the factor is the scorecard's
  `basic_satisfied_factor` (0.9 by default).

A part whose rate has no figure (its denominator is 0) is left out and the other weights are
re-normalised (divided by the sum of the weights left); with no part left the score is None.
Scores are computed exactly from the counts and rounded to two decimals by the one rounding
rule (`JIEBAN_RATE_ROUNDING`, `jieban.stats.rates.percent`; a frozen report's scores by the
rule stored with it). Units rank by
score, highest first, equal scores sharing a rank (1, 1, 3); units without a score come last,
without a rank. The scorecard in effect for a period is the latest whose `effective_from` is on
or before the period's first day: weights set during a period score the periods after it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any

from jieban.stats.models import Scorecard
from jieban.stats.rates import Rounding, percent

# The parts of a score, each with its weight's name in the frozen weights.
PARTS = ("response", "resolution", "satisfaction")


def scorecard_for(start: dt.date) -> Scorecard | None:
    """The scorecard in effect for a period starting on `start`; None when there is none."""
    return (
        Scorecard.objects.filter(effective_from__lte=start)
        .order_by("-effective_from", "-id")
        .first()
    )


def weights_of(card: Scorecard | None) -> dict[str, Any] | None:
    """The scorecard as stored in a frozen report (and given by the API): what scores it."""
    if card is None:
        return None
    return {
        "name": card.name,
        "effective_from": card.effective_from.isoformat(),
        "response": float(card.response_weight),
        "resolution": float(card.resolution_weight),
        "satisfaction": float(card.satisfaction_weight),
        "basic_satisfied_factor": float(card.basic_satisfied_factor),
    }


def _fraction(part: Any, whole: Any) -> Fraction | None:
    """part / whole exactly; None when a count is missing (an older frozen report) or the
    denominator is 0."""
    if part is None or whole is None or int(whole) == 0:
        return None
    return Fraction(int(part), int(whole))


def parts_of(row: Mapping[str, Any], weights: Mapping[str, Any]) -> dict[str, Fraction | None]:
    """The three rates a score weighs, exactly, from a figures row's counts."""
    factor = Fraction(Decimal(str(weights["basic_satisfied_factor"])))
    satisfaction = None
    satisfied, basically, visited = (
        row.get("satisfied"),
        row.get("basically_satisfied"),
        row.get("visited"),
    )
    if satisfied is not None and basically is not None and visited:
        fully = int(satisfied) - int(basically)
        satisfaction = (fully + factor * int(basically)) / int(visited)
    return {
        "response": _fraction(row.get("accepted_on_time"), row.get("accept_clock_ended")),
        "resolution": _fraction(row.get("resolved"), row.get("total")),
        "satisfaction": satisfaction,
    }


def score_of(
    row: Mapping[str, Any], weights: Mapping[str, Any], rounding: Rounding = Rounding.HALF_UP
) -> float | None:
    """A figures row's score, 0-100, two decimals by `rounding`; None when no weighed rate has
    a figure."""
    parts = parts_of(row, weights)
    weighed = Fraction(0)
    total_weight = Fraction(0)
    for name in PARTS:
        weight = Fraction(Decimal(str(weights[name])))
        value = parts[name]
        if value is None or weight == 0:
            continue
        weighed += weight * value
        total_weight += weight
    if total_weight == 0:
        return None
    exact = weighed / total_weight
    rounded = percent(exact.numerator, exact.denominator, rounding)
    return None if rounded is None else float(rounded)


def ranks(scores: Iterable[tuple[str, float | None]]) -> dict[str, int | None]:
    """Competition ranks by score, highest first (1, 1, 3); None for no score."""
    given = list(scores)
    ordered = sorted(
        ((score, key) for key, score in given if score is not None),
        key=lambda item: (-item[0], item[1]),
    )
    found: dict[str, int | None] = {key: None for key, score in given if score is None}
    previous: float | None = None
    rank = 0
    for position, (score, key) in enumerate(ordered, start=1):
        if score != previous:
            rank, previous = position, score
        found[key] = rank
    return found


def scored(
    rows: list[dict[str, Any]],
    weights: Mapping[str, Any] | None,
    rounding: Rounding = Rounding.HALF_UP,
) -> list[dict[str, Any]]:
    """Units' figures rows with `score` and `rank` put on (rows of no unit, the tickets never
    dispatched, get neither), scores rounded by `rounding`, ranked within each period bucket;
    without a scorecard, both None."""
    for row in rows:
        row["score"] = (
            None if weights is None or not row["key"] else score_of(row, weights, rounding)
        )
        row["rank"] = None
    if weights is None:
        return rows
    buckets: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if row["key"]:
            buckets.setdefault(row.get("period", ""), []).append(row)
    for bucket in buckets.values():
        found = ranks([(row["key"], row["score"]) for row in bucket])
        for row in bucket:
            row["rank"] = found[row["key"]]
    return rows


def ranked(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Scored units' rows in rank order: ranked first, then the ones without a score; rows of
    no unit left out."""
    units = [row for row in rows if row["key"]]
    units.sort(
        key=lambda row: (
            row.get("rank") is None,
            row.get("rank") or 0,
            -int(row.get("total") or 0),
            row["key"],
        )
    )
    return units
