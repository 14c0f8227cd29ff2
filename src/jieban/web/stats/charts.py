"""Charts of figures: specs rendered as JSON with json_script; static/web/charts.js draws them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext as _

from jieban.stats.dashboards import Window
from jieban.stats.figures import Figures, bucket_label
from jieban.stats.rates import Rounding, row_percent
from jieban.web.stats.presenting import FIELD_LABELS, FigureTable

# A stacked chart shows this many groups; the rest are summed as "others".
STACKED_GROUPS = 8


def buckets_of(window: Window, period: str) -> list[str]:
    """Every bucket label of `period` in `window`, empty ones included."""
    labels: list[str] = []
    day = window.start
    while day < window.end:
        label = bucket_label(day, period)
        if not labels or labels[-1] != label:
            labels.append(label)
        day += dt.timedelta(days=1)
    return labels


def filled(rows: Sequence[dict[str, Any]], buckets: Sequence[str]) -> list[dict[str, Any]]:
    """`rows` (keyed by bucket) with a zero row, its rates no figure, for each empty bucket:
    a chart's time axis must not skip the quiet days."""
    by_key = {row["key"]: row for row in rows}
    empty = Figures(key="").as_row()
    return [by_key.get(bucket) or {**empty, "key": bucket} for bucket in buckets]


def _count_bars(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Tickets and resolved as bars, named as the tables name their columns."""
    return [
        {"name": str(FIELD_LABELS[name]), "kind": "bar", "data": [row[name] for row in rows]}
        for name in ("total", "resolved")
    ]


def trend_chart(
    rows: Sequence[dict[str, Any]], *, rounding: Rounding | None = None
) -> dict[str, Any]:
    """Tickets and resolved per bucket as bars; with a `rounding`, the three rates as lines on
    a 0-100 % axis, each the percentage the table beside it shows (rounded by that rule)."""
    series = _count_bars(rows)
    if rounding is not None:
        for name in ("closure_rate", "on_time_rate", "satisfaction_rate"):
            series.append(
                {
                    "name": str(FIELD_LABELS[name]),
                    "kind": "line",
                    "axis": "rate",
                    "data": [_chart_percent(row, name, rounding) for row in rows],
                }
            )
    return {"categories": [row["key"] for row in rows], "series": series}


def _chart_percent(row: dict[str, Any], name: str, rounding: Rounding) -> float | None:
    # JSON has no decimals: 98.08 as a number, which the chart shows with two decimals.
    value = row_percent(row, name, rounding)
    return None if value is None else float(value)


def group_chart(labels: Sequence[str], rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Tickets and resolved per group, as horizontal bars (long names fit on a phone)."""
    return {
        "horizontal": True,
        "categories": list(labels),
        "series": _count_bars(rows),
    }


def stacked_chart(table: FigureTable, buckets: Sequence[str]) -> dict[str, Any]:
    """Tickets per bucket stacked by group: the largest groups, the rest summed as others."""
    totals: dict[str, int] = {}
    labels: dict[str, str] = {}
    counts: dict[tuple[str, str], int] = {}
    for row in table.rows:
        total = int(row.cells[0].value or 0)
        totals[row.key] = totals.get(row.key, 0) + total
        labels[row.key] = row.group
        counts[(row.key, row.period)] = total
    largest = sorted(totals, key=lambda key: (-totals[key], key))[:STACKED_GROUPS]
    series: list[dict[str, Any]] = [
        {
            "name": labels[key],
            "kind": "bar",
            "stack": "total",
            "data": [counts.get((key, bucket), 0) for bucket in buckets],
        }
        for key in largest
    ]
    rest = [key for key in totals if key not in largest]
    if rest:
        series.append(
            {
                "name": _("Others"),
                "kind": "bar",
                "stack": "total",
                "data": [sum(counts.get((key, bucket), 0) for key in rest) for bucket in buckets],
            }
        )
    return {"categories": list(buckets), "series": series}


def chart_height(bars: int) -> int:
    return max(220, 26 * bars + 70)
