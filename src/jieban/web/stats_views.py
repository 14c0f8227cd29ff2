"""The statistics page, the daily/weekly/monthly reports and their Excel export.

The figures come from `jieban.stats` unchanged: `figures()` for the statistics page,
`build_report()` for a live report and `PublishedReport.data` for a published one, which is
shown as it was stored, whatever happened to the tickets since. Pages and workbooks read the
same row dicts (`Figures.as_row()`), so a page and its export cannot disagree.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.functional import Promise
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from jieban.errors import Forbidden, InvalidInput, NotFound
from jieban.http import AuthenticatedRequest
from jieban.org.models import Unit
from jieban.stats.dashboards import (
    RESOLVED_STATUSES,
    Window,
    month_window,
    names_of,
    received_filters,
)
from jieban.stats.figures import Figures, bucket_label, figures, orders_by_level
from jieban.stats.models import PublishedReport, ReportKind
from jieban.stats.reports import (
    build_report,
    current_period,
    period_bounds,
    publish_report,
    published_report,
)
from jieban.tickets.models import Category, Channel, SupervisionLevel
from jieban.tickets.selectors import TicketFilters
from jieban.web.excel import XLSX, guarded_row
from jieban.web.forms import localized_name, put_domain_error
from jieban.web.pages import ticket_list_url

# Dates outside these years are typing mistakes; they would overflow the date arithmetic.
FIRST_YEAR, LAST_YEAR = 2000, 2200
REPORTS_LISTED = 200
# A stacked chart shows this many groups; the rest are summed as "others".
STACKED_GROUPS = 8
LEVELS = list(SupervisionLevel)

# Every numeric field of a figures row, in the order the workbook writes them.
FIELDS = (
    "total",
    "resolved",
    "closure_rate",
    "on_time",
    "on_time_rate",
    "visited",
    "satisfied",
    "satisfaction_rate",
    "overdue_open",
    "practical",
    "practical_share",
    "repeats",
)
RATE_FIELDS = frozenset({"closure_rate", "on_time_rate", "satisfaction_rate", "practical_share"})
FIELD_LABELS: dict[str, Promise] = {
    "total": gettext_lazy("Total"),
    "resolved": gettext_lazy("Resolved"),
    "closure_rate": gettext_lazy("Closure rate"),
    "on_time": gettext_lazy("On time"),
    "on_time_rate": gettext_lazy("On-time rate"),
    "visited": gettext_lazy("Visited"),
    "satisfied": gettext_lazy("Satisfied"),
    "satisfaction_rate": gettext_lazy("Satisfaction rate"),
    "overdue_open": gettext_lazy("Open overdue"),
    "practical": gettext_lazy("Practical matters"),
    "practical_share": gettext_lazy("Practical share"),
    "repeats": gettext_lazy("Repeats"),
}
# The columns a page shows: each rate carries its numerator and denominator.
RATE_PARTS = {
    "closure_rate": ("resolved", "total"),
    "on_time_rate": ("on_time", "resolved"),
    "satisfaction_rate": ("satisfied", "visited"),
    "practical_share": ("practical", "total"),
}
SHOWN = (
    "total",
    "resolved",
    "closure_rate",
    "on_time_rate",
    "satisfaction_rate",
    "overdue_open",
    "practical_share",
    "repeats",
)
# Counts shown only inside a rate's fraction: they carry their own data-field there.
ONLY_IN_FRACTIONS = frozenset({"on_time", "visited", "satisfied", "practical"})
GROUP_LABELS: dict[str, Promise] = {
    "category": gettext_lazy("Category"),
    "unit": gettext_lazy("Unit"),
    "channel": gettext_lazy("Channel"),
    "grid": gettext_lazy("Grid"),
}
NO_GROUP: dict[str, Promise] = {
    "category": gettext_lazy("No category"),
    "unit": gettext_lazy("Not dispatched"),
    "channel": gettext_lazy("No channel"),
    "grid": gettext_lazy("No grid"),
}
PERIOD_LABELS: dict[str, Promise] = {
    "day": gettext_lazy("Day"),
    "week": gettext_lazy("Week"),
    "month": gettext_lazy("Month"),
}
KIND_TITLES: dict[str, Promise] = {
    ReportKind.DAILY: gettext_lazy("Daily report"),
    ReportKind.WEEKLY: gettext_lazy("Weekly report"),
    ReportKind.MONTHLY: gettext_lazy("Monthly report"),
}


# ---------------------------------------------------------------------------------------------
# Presenting figures


def percent(rate: float | None) -> str:
    """`0.6667` → `66.67%`; no figure (a zero denominator) → `—`."""
    return "—" if rate is None else f"{rate * 100:.2f}%"


def stats_url(window: Window, **params: str) -> str:
    query = {"start": window.start.isoformat(), "end": window.end.isoformat(), **params}
    return reverse("web:stats") + "?" + urlencode({k: v for k, v in query.items() if v})


@dataclass
class Part:
    """A count inside a rate's fraction; `field` only when no column of its own shows it."""

    field: str | None
    value: int


@dataclass
class Cell:
    field: str
    value: int | float | None
    text: str
    href: str = ""
    parts: list[Part] = dataclasses.field(default_factory=list)

    @property
    def label(self) -> str:
        return str(FIELD_LABELS[self.field])

    @property
    def is_rate(self) -> bool:
        return self.field in RATE_FIELDS

    @property
    def data_value(self) -> str:
        return "" if self.value is None else str(self.value)


def figure_cells(row: dict[str, Any], links: dict[str, str] | None = None) -> list[Cell]:
    """The shown columns of a figures row, each rate with its fraction."""
    links = links or {}
    cells = []
    for name in SHOWN:
        value = row.get(name)
        if name in RATE_FIELDS:
            top, bottom = RATE_PARTS[name]
            parts = [
                Part(top if top in ONLY_IN_FRACTIONS else None, int(row.get(top) or 0)),
                Part(bottom if bottom in ONLY_IN_FRACTIONS else None, int(row.get(bottom) or 0)),
            ]
            cells.append(Cell(name, value, percent(value), links.get(name, ""), parts))
        else:
            cells.append(Cell(name, value, str(value or 0), links.get(name, "")))
    return cells


def list_links(window: Window, narrower: TicketFilters | None = None) -> dict[str, str]:
    """Links from the counts of a figures row over `window` to the lists behind them."""
    base = narrower or TicketFilters()

    def narrowed(filters: TicketFilters) -> str:
        filters.unit, filters.category, filters.channel = base.unit, base.category, base.channel
        return ticket_list_url(filters)

    overdue = received_filters(window)
    overdue.status, overdue.overdue = None, True
    return {
        "total": narrowed(received_filters(window)),
        "resolved": narrowed(received_filters(window, statuses=RESOLVED_STATUSES)),
        "overdue_open": narrowed(overdue),
    }


def tile_links(window: Window, *, stats_params: dict[str, str] | None = None) -> dict[str, str]:
    """A home page's figures: counts link to their lists, rates to the statistics page."""
    links = list_links(window)
    rates = stats_url(window, **(stats_params or {}))
    for name in ("closure_rate", "on_time_rate", "satisfaction_rate", "practical_share"):
        links[name] = rates
    links["repeats"] = rates
    return links


@dataclass
class FigureRow:
    key: str
    label: str
    cells: list[Cell]
    period: str = ""
    # The group's name alone, when the label also names the period.
    group: str = ""


@dataclass
class FigureTable:
    testid: str
    heading: str
    rows: list[FigureRow]
    footer: FigureRow | None = None

    @property
    def columns(self) -> list[str]:
        return [str(FIELD_LABELS[name]) for name in SHOWN]


def english() -> bool:
    return (get_language() or "").startswith("en")


class GroupNames:
    """Names of the groups in rows, in the page's language.

    Chinese pages show the name the row carries (frozen with a published report); English
    pages look the English names up by code, one query per kind of group, only when needed.
    """

    def __init__(self, rows_by_group: dict[str, Sequence[dict[str, Any]]]) -> None:
        self.known: dict[str, dict[str, Unit | Category]] = {}
        if english():
            for group_by, rows in rows_by_group.items():
                if group_by in ("category", "unit", "grid") and rows:
                    self.known[group_by] = names_of(group_by, (row["key"] for row in rows))

    def label(self, group_by: str, key: str, name: str) -> str:
        if not key:
            return str(NO_GROUP[group_by])
        if group_by == "channel":
            return str(Channel(key).label) if key in Channel.values else key
        item = self.known.get(group_by, {}).get(key)
        if item is not None:
            return localized_name(item)
        return name or key


def period_window(label: str, period: str, bounds: Window) -> Window:
    """The days of a period bucket (`2026-07-14`, `2026-W29`, `2026-07`) within `bounds`."""
    if period == "day":
        start = dt.date.fromisoformat(label)
        window = Window(start, start + dt.timedelta(days=1))
    elif period == "week":
        year, week = label.split("-W")
        start = dt.date.fromisocalendar(int(year), int(week), 1)
        window = Window(start, start + dt.timedelta(days=7))
    else:
        window = month_window(dt.date.fromisoformat(f"{label}-01"))
    return Window(max(window.start, bounds.start), min(window.end, bounds.end))


def narrowing(group_by: str | None, key: str) -> TicketFilters | None:
    """The ticket-list filter for one group, or None when the list cannot select it."""
    if group_by is None:
        return TicketFilters()
    if not key or group_by == "grid":
        return None
    if group_by == "unit":
        return TicketFilters(unit=key)
    if group_by == "category":
        return TicketFilters(category=key)
    return TicketFilters(channel=key)


# ---------------------------------------------------------------------------------------------
# Charts: specs rendered as JSON with json_script; static/web/charts.js draws them


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


def trend_chart(rows: Sequence[dict[str, Any]], *, rates: bool = True) -> dict[str, Any]:
    """Tickets and resolved per bucket as bars; the three rates as lines on a 0-100 % axis."""
    series: list[dict[str, Any]] = [
        {"name": _("Total"), "kind": "bar", "data": [row["total"] for row in rows]},
        {"name": _("Resolved"), "kind": "bar", "data": [row["resolved"] for row in rows]},
    ]
    if rates:
        for name in ("closure_rate", "on_time_rate", "satisfaction_rate"):
            series.append(
                {
                    "name": str(FIELD_LABELS[name]),
                    "kind": "line",
                    "axis": "rate",
                    "data": [row[name] for row in rows],
                }
            )
    return {"categories": [row["key"] for row in rows], "series": series}


def group_chart(labels: Sequence[str], rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Tickets and resolved per group, as horizontal bars (long names fit on a phone)."""
    return {
        "horizontal": True,
        "categories": list(labels),
        "series": [
            {"name": _("Total"), "kind": "bar", "data": [row["total"] for row in rows]},
            {"name": _("Resolved"), "kind": "bar", "data": [row["resolved"] for row in rows]},
        ],
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


# ---------------------------------------------------------------------------------------------
# The statistics page


class StatsForm(forms.Form):
    start = forms.DateField(
        label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=gettext_lazy("Up to (not included)"),
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
            if day is not None and not FIRST_YEAR <= day.year <= LAST_YEAR:
                self.add_error(
                    name,
                    _("Give a date between %(first)d and %(last)d.")
                    % {"first": FIRST_YEAR, "last": LAST_YEAR},
                )
        return data


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
    user: Any, window: Window, period: str | None, group_by: str | None
) -> tuple[FigureTable, list[str]]:
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
                cells=figure_cells(row, links),
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
        footer = FigureRow("all", _("All tickets"), figure_cells(overall, list_links(window)))
    table = FigureTable("stats-rows", heading or _("Tickets"), shown, footer)
    return table, buckets


def stats_figures(
    user: Any, window: Window, period: str | None, group_by: str | None
) -> StatsResult:
    """Everything the statistics page shows for one query (raises InvalidInput)."""
    table, buckets = _stats_table(user, window, period, group_by)
    by_level = orders_by_level(user, start=window.start, end=window.end)
    orders = [(level.value, str(level.label), by_level[str(level.value)]) for level in LEVELS]
    chart: dict[str, Any] | None = None
    height = 300
    if period and group_by:
        chart = stacked_chart(table, buckets)
    elif period:
        rows = [dict({"key": row.period}, **_row_values(row)) for row in table.rows]
        chart = trend_chart(filled(rows, buckets))
    elif group_by:
        rows = [_row_values(row) for row in table.rows]
        chart = group_chart([row.label for row in table.rows], rows)
        height = chart_height(len(rows))
    return StatsResult(window, period, group_by, table, orders, chart, height)


def _row_values(row: FigureRow) -> dict[str, Any]:
    return {cell.field: cell.value for cell in row.cells}


@login_required
def stats(request: AuthenticatedRequest) -> HttpResponse:
    """Figures over any span, per day/week/month and by category/unit/channel/grid. Everyone
    may ask; each counts only the tickets the access rule shows them."""
    if "start" in request.GET or "end" in request.GET:
        form = StatsForm(request.GET)
    else:
        # No span asked for: this month, per day unless a breakdown is asked for.
        this_month = month_window(timezone.localdate())
        defaults = {
            "start": this_month.start.isoformat(),
            "end": this_month.end.isoformat(),
            "period": "" if "group_by" in request.GET else "day",
        }
        form = StatsForm({**defaults, **request.GET.dict()})
    result: StatsResult | None = None
    if form.is_valid():
        data = form.cleaned_data
        window = Window(data["start"], data["end"])
        try:
            result = stats_figures(
                request.user, window, data["period"] or None, data["group_by"] or None
            )
        except InvalidInput as exc:
            put_domain_error(form, exc)
    status = 200 if result is not None else 400
    return render(request, "web/stats/stats.html", {"form": form, "result": result}, status=status)


# ---------------------------------------------------------------------------------------------
# Reports: the data of one report (frozen or live) turned into sections


@dataclass
class ReportSection:
    group_by: str
    title: str
    table: FigureTable
    chart: dict[str, Any] | None
    chart_height: int


@dataclass
class ReportPage:
    kind: str
    period: str
    title: str
    data: dict[str, Any]
    published: PublishedReport | None
    overall: list[Cell]
    trend: FigureTable | None
    trend_chart: dict[str, Any] | None
    sections: list[ReportSection]
    orders: list[tuple[int, str, int]]
    previous: str
    next: str | None
    ended: bool

    @property
    def computed_at(self) -> str:
        return _local_text(self.data.get("computed_at"))

    @property
    def practical(self) -> dict[str, Any]:
        row = self.data["overall"]
        return {
            "count": row["practical"],
            "total": row["total"],
            "share": percent(row["practical_share"]),
        }


GROUP_TITLES: dict[str, Promise] = {
    "category": gettext_lazy("By category"),
    "unit": gettext_lazy("By unit"),
    "channel": gettext_lazy("By channel"),
    "grid": gettext_lazy("By grid"),
}


def report_title(kind: str, period: str) -> str:
    return f"{KIND_TITLES.get(kind, kind)} {period}"


def _neighbours(kind: str, period: str) -> tuple[str, str | None]:
    start, end = period_bounds(kind, period)
    previous = current_period(kind, start - dt.timedelta(days=1))
    upcoming = current_period(kind, end)
    return previous, (upcoming if end <= timezone.localdate() else None)


def report_page(
    kind: str, period: str, data: dict[str, Any], published: PublishedReport | None
) -> ReportPage:
    """The sections of a report from its data, as stored or as built now."""
    names = GroupNames(data["by"])
    sections = []
    # In a fixed order: PostgreSQL's jsonb does not keep the stored keys' order.
    for group_by in (group for group in GROUP_LABELS if group in data["by"]):
        ordered = sorted(data["by"][group_by], key=lambda row: (-row["total"], row["key"]))
        table = FigureTable(
            f"report-{group_by}",
            str(GROUP_LABELS[group_by]),
            [
                FigureRow(
                    row["key"], names.label(group_by, row["key"], row["name"]), figure_cells(row)
                )
                for row in ordered
            ],
        )
        chart = group_chart([row.label for row in table.rows], ordered) if ordered else None
        sections.append(
            ReportSection(
                group_by,
                str(GROUP_TITLES[group_by]),
                table,
                chart,
                chart_height(len(ordered)),
            )
        )
    trend_rows = data["trend"]
    trend = (
        FigureTable(
            "report-trend",
            _("Day"),
            [FigureRow(row["key"], row["key"], figure_cells(row)) for row in trend_rows],
        )
        if trend_rows
        else None
    )
    by_level = data["orders_by_level"]
    previous, upcoming = _neighbours(kind, period)
    report_window = Window(dt.date.fromisoformat(data["start"]), dt.date.fromisoformat(data["end"]))
    return ReportPage(
        kind=kind,
        period=period,
        title=report_title(kind, period),
        data=data,
        published=published,
        overall=figure_cells(data["overall"]),
        trend=trend,
        trend_chart=(
            trend_chart(filled(trend_rows, buckets_of(report_window, "day")))
            if trend_rows
            else None
        ),
        sections=sections,
        orders=[
            (level.value, str(level.label), int(by_level.get(str(level.value), 0)))
            for level in LEVELS
        ],
        previous=previous,
        next=upcoming,
        ended=dt.date.fromisoformat(data["end"]) <= timezone.localdate(),
    )


def report_of(user: Any, kind: str, period: str) -> tuple[dict[str, Any], PublishedReport | None]:
    """The stored data of a published report, else the figures built now. Reports are the
    bureau's: for anyone else they do not exist (NotFound)."""
    period_bounds(kind, period)
    try:
        report = published_report(user, kind, period)
    except NotFound:
        if not user.sees_whole_bureau:
            raise
        return build_report(user, kind, period), None
    return report.data, report


def _report_or_404(user: Any, kind: str, period: str) -> tuple[dict[str, Any], Any]:
    try:
        return report_of(user, kind, period)
    except (InvalidInput, NotFound) as exc:
        raise Http404(exc.message) from exc


class OpenReportForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Report"), choices=ReportKind.choices)
    period = forms.CharField(
        label=gettext_lazy("Period"),
        max_length=10,
        help_text=gettext_lazy("Like 2026-07-14 (daily), 2026-W29 (weekly) or 2026-07 (monthly)."),
    )


def _quick_reports(today: dt.date) -> list[tuple[str, str, str]]:
    last_month = current_period(ReportKind.MONTHLY, today.replace(day=1) - dt.timedelta(days=1))
    return [
        (ReportKind.DAILY, current_period(ReportKind.DAILY, today), _("Today")),
        (ReportKind.WEEKLY, current_period(ReportKind.WEEKLY, today), _("This week")),
        (ReportKind.MONTHLY, current_period(ReportKind.MONTHLY, today), _("This month")),
        (ReportKind.MONTHLY, last_month, _("Last month")),
    ]


def _bureau_only(user: Any) -> None:
    if not user.sees_whole_bureau:
        raise PermissionDenied(
            _("Reports are the bureau's. Your own figures are on the statistics page.")
        )


@login_required
def report_list(request: AuthenticatedRequest) -> HttpResponse:
    """Published reports, newest first, and a form to open any period's report."""
    _bureau_only(request.user)
    status = 200
    if "kind" in request.GET or "period" in request.GET:
        form = OpenReportForm(request.GET)
        if form.is_valid():
            kind, period = form.cleaned_data["kind"], form.cleaned_data["period"].strip()
            try:
                period_bounds(kind, period)
            except InvalidInput as exc:
                put_domain_error(form, exc)
            else:
                return redirect("web:report", kind=kind, period=period)
        status = 400
    else:
        form = OpenReportForm(initial={"kind": ReportKind.MONTHLY})
    reports = list(PublishedReport.objects.select_related("published_by")[:REPORTS_LISTED])
    context = {
        "form": form,
        "reports": reports,
        "quick": _quick_reports(timezone.localdate()),
    }
    return render(request, "web/stats/report_list.html", context, status=status)


@login_required
def report(request: AuthenticatedRequest, kind: str, period: str) -> HttpResponse:
    data, published = _report_or_404(request.user, kind, period)
    page = report_page(kind, period, data, published)
    return render(request, "web/stats/report.html", {"page": page})


@login_required
@require_POST
def report_publish(request: AuthenticatedRequest, kind: str, period: str) -> HttpResponse:
    try:
        stored, created = publish_report(kind, period, by=request.user)
    except Forbidden as exc:
        raise PermissionDenied(exc.message) from exc
    except InvalidInput as exc:
        raise Http404(exc.message) from exc
    title = report_title(kind, period)
    if created:
        messages.success(request, _("%(report)s published.") % {"report": title})
    else:
        messages.info(request, _("%(report)s was already published.") % {"report": title})
    return redirect("web:report", kind=stored.kind, period=stored.period)


# ---------------------------------------------------------------------------------------------
# The Excel workbook of a report


def _write_table(
    sheet: Worksheet,
    labels: Sequence[str],
    rows: Iterable[tuple[Sequence[Any], dict[str, Any]]],
) -> None:
    """A header row, then one row per figures row: its label cells, then every field."""
    sheet.append([*labels, *(str(FIELD_LABELS[name]) for name in FIELDS)])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    first = len(labels)
    for label_values, row in rows:
        sheet.append(guarded_row(sheet, [*label_values, *(row.get(name) for name in FIELDS)]))
        for offset, name in enumerate(FIELDS):
            if name in RATE_FIELDS:
                sheet.cell(row=sheet.max_row, column=first + offset + 1).number_format = "0.00%"
    for column in range(1, len(labels) + len(FIELDS) + 1):
        letter = sheet.cell(row=1, column=column).column_letter
        sheet.column_dimensions[letter].width = 14
    sheet.freeze_panes = sheet.cell(row=2, column=first + 1)


def _local_text(stamp: str | dt.datetime | None) -> str:
    if stamp is None:
        return ""
    moment = parse_datetime(stamp) if isinstance(stamp, str) else stamp
    if moment is None:
        return str(stamp)
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def report_workbook(page: ReportPage) -> bytes:
    """One sheet per view: overall (with the report's facts and orders by level), trend, and
    by category, unit, channel and grid. Rates are numbers formatted as percentages. Figures
    only: no resident, no phone; names that look like formulas are written as text."""
    data = page.data
    book = Workbook()
    overall = book.active
    assert overall is not None
    overall.title = _("Overall")
    _write_table(overall, [_("Period")], [([page.period], data["overall"])])
    overall.append([])
    facts: list[tuple[str, Any]] = [
        (_("Report"), page.title),
        (_("From"), data["start"]),
        (_("Up to (not included)"), data["end"]),
        (_("Figures computed at"), _local_text(data["computed_at"])),
        (_("Definitions version"), data["definitions_version"]),
    ]
    if page.published is not None:
        by = page.published.published_by
        facts.append((_("Published at"), _local_text(page.published.published_at)))
        facts.append((_("Published by"), by.display_name if by else _("The system")))
    else:
        facts.append((_("Published at"), _("Not published: live figures")))
    for fact in facts:
        overall.append(guarded_row(overall, fact))
    overall.append([])
    overall.append([_("Supervision orders by level"), _("Orders")])
    for _level, label, count in page.orders:
        overall.append(guarded_row(overall, [label, count]))
    overall.append([_("Total"), sum(count for _level, _label, count in page.orders)])
    overall.column_dimensions["A"].width = 26

    trend = book.create_sheet(_("Trend"))
    _write_table(trend, [_("Day")], [([row["key"]], row) for row in data["trend"]])
    for section in page.sections:
        sheet = book.create_sheet(section.title)
        rows = sorted(data["by"][section.group_by], key=lambda row: (-row["total"], row["key"]))
        _write_table(
            sheet,
            [_("Code"), str(GROUP_LABELS[section.group_by])],
            [
                ([row["key"], shown.label], row)
                for row, shown in zip(rows, section.table.rows, strict=True)
            ],
        )
        sheet.column_dimensions["B"].width = 22
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@login_required
def report_export(request: AuthenticatedRequest, kind: str, period: str) -> HttpResponse:
    data, published = _report_or_404(request.user, kind, period)
    page = report_page(kind, period, data, published)
    response = HttpResponse(report_workbook(page), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="jieban-{kind}-{period}.xlsx"'
    return response
