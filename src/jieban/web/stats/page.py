"""The statistics page: figures over any span, per day/week/month and by group."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_safe

from jieban.errors import InvalidInput
from jieban.http import AuthenticatedRequest
from jieban.inputs import day_in_range, out_of_range
from jieban.org.actors import Viewer
from jieban.org.permissions import can_see_stats
from jieban.stats.dashboards import Window, month_window
from jieban.stats.figures import figures, orders_by_level
from jieban.stats.rates import Rounding, configured_rounding
from jieban.web.forms import put_domain_error
from jieban.web.stats.charts import (
    buckets_of,
    chart_height,
    filled,
    group_chart,
    stacked_chart,
    trend_chart,
)
from jieban.web.stats.presenting import (
    GROUP_LABELS,
    LEVELS,
    FigureRow,
    FigureTable,
    GroupNames,
    figure_cells,
    list_links,
    narrowing,
    period_window,
)

PERIOD_LABELS: dict[str, Promise] = {
    # The heading of the column of days, weeks or months.
    "day": pgettext_lazy("the column of dates", "Day"),
    "week": gettext_lazy("Week"),
    "month": gettext_lazy("Month"),
}


class StatsForm(forms.Form):
    """The span as people say it: from the first day to the last day counted, both included.
    `window()` turns it into the figures' period, whose end is the day after."""

    start = forms.DateField(
        label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=gettext_lazy("To (included)"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    period = forms.ChoiceField(
        label=gettext_lazy("Per"),
        required=False,
        choices=[
            ("", gettext_lazy("Whole span")),
            ("day", gettext_lazy("Day")),
            ("week", gettext_lazy("Week")),
            ("month", gettext_lazy("Month")),
        ],
    )
    group_by = forms.ChoiceField(
        label=gettext_lazy("Group by"),
        required=False,
        choices=[("", gettext_lazy("No grouping")), *GROUP_LABELS.items()],
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("start", "end"):
            day = data.get(name)
            # Outside these days a date is a typing mistake, and the arithmetic overflows.
            if day is not None and not day_in_range(day):
                self.add_error(name, out_of_range(name).message)
        start, end = data.get("start"), data.get("end")
        if start is not None and end is not None and end < start:
            self.add_error("end", _("The last day cannot come before the first."))
        return data

    def window(self) -> Window:
        """The days asked for, as the figures' period [start, the day after the last)."""
        data = self.cleaned_data
        return Window(data["start"], data["end"] + dt.timedelta(days=1))


@dataclass
class StatsResult:
    window: Window
    period: str | None
    group_by: str | None
    table: FigureTable
    orders: list[tuple[int, str, int]]
    chart: dict[str, Any] | None
    chart_height: int


def _stats_table(
    user: Viewer, window: Window, period: str | None, group_by: str | None, rounding: Rounding
) -> tuple[FigureTable, list[dict[str, Any]], list[str]]:
    """The table of the figures rows, the rows themselves, and the period's buckets."""
    rows = [
        row.as_row()
        for row in figures(
            user, start=window.start, end=window.end, period=period, group_by=group_by
        )
    ]
    names = GroupNames({group_by: rows} if group_by else {})
    shown: list[FigureRow] = []
    for row in rows:
        label_parts = []
        group = names.label(group_by, row["key"], row["name"]) if group_by else ""
        if period:
            label_parts.append(row["period"])
        if group:
            label_parts.append(group)
        narrower = narrowing(group_by, row["key"])
        row_window = period_window(row["period"], period, window) if period else window
        links = list_links(row_window, narrower) if narrower is not None else {}
        shown.append(
            FigureRow(
                key=row["key"],
                label=" · ".join(label_parts) or _("All tickets"),
                cells=figure_cells(row, links, rounding=rounding),
                period=row["period"],
                group=group,
            )
        )
    heading = " · ".join(
        str(label)
        for label in (
            PERIOD_LABELS[period] if period else None,
            GROUP_LABELS[group_by] if group_by else None,
        )
        if label
    )
    buckets = buckets_of(window, period) if period else []
    footer = None
    if period or group_by:
        # The rows above have just rebuilt the dirty days of the window.
        overall = figures(user, start=window.start, end=window.end, refresh=False)[0].as_row()
        footer = FigureRow(
            "all", _("All tickets"), figure_cells(overall, list_links(window), rounding=rounding)
        )
    table = FigureTable("stats-rows", heading or _("Tickets"), shown, footer)
    return table, rows, buckets


def stats_figures(
    user: Viewer, window: Window, period: str | None, group_by: str | None
) -> StatsResult:
    """Everything the statistics page shows for one query (raises InvalidInput)."""
    rounding = configured_rounding()
    table, rows, buckets = _stats_table(user, window, period, group_by, rounding)
    by_level = orders_by_level(user, start=window.start, end=window.end)
    orders = [(level.value, str(level.label), by_level[str(level.value)]) for level in LEVELS]
    chart: dict[str, Any] | None = None
    height = 300
    if period and group_by:
        chart = stacked_chart(table, buckets)
    elif period:
        # Without a grouping, a row's key is its bucket.
        chart = trend_chart(filled(rows, buckets), rounding=rounding)
    elif group_by:
        chart = group_chart([row.label for row in table.rows], rows)
        height = chart_height(len(rows))
    return StatsResult(window, period, group_by, table, orders, chart, height)


@login_required
@require_safe
def stats(request: AuthenticatedRequest) -> HttpResponse:
    """Figures over any span, per day/week/month and by category/unit/channel/grid. Everyone
    may ask; each counts only the tickets the access rule shows them."""
    if not can_see_stats(request.user):
        raise PermissionDenied
    if "start" in request.GET or "end" in request.GET:
        form = StatsForm(request.GET)
    else:
        # No span asked for: this month to its last day, per day unless a breakdown is asked
        # for.
        this_month = month_window(timezone.localdate())
        defaults = {
            "start": this_month.start.isoformat(),
            "end": this_month.last_day.isoformat(),
            "period": "" if "group_by" in request.GET else "day",
        }
        form = StatsForm({**defaults, **request.GET.dict()})
    result: StatsResult | None = None
    if form.is_valid():
        data = form.cleaned_data
        window = form.window()
        try:
            result = stats_figures(
                request.user, window, data["period"] or None, data["group_by"] or None
            )
        except InvalidInput as exc:
            put_domain_error(form, exc)
    status = 200 if result is not None else 400
    return render(request, "web/stats/stats.html", {"form": form, "result": result}, status=status)
