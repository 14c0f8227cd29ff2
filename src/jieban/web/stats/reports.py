"""Reports: the list of published reports, one report (frozen, or live until published) turned
into sections, and publishing it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_POST, require_safe

from jieban.errors import Conflict, InvalidInput, NotFound
from jieban.http import AuthenticatedRequest
from jieban.org.actors import Viewer
from jieban.org.permissions import can_read_reports
from jieban.stats.dashboards import Window
from jieban.stats.models import PublishedReport, ReportKind
from jieban.stats.rates import Rounding, rounding_of, row_percent
from jieban.stats.reports import (
    build_report,
    current_period,
    period_bounds,
    publish_report,
    published_report,
)
from jieban.web.errors import answers_domain_errors, put_domain_error
from jieban.web.stats.charts import buckets_of, chart_height, filled, group_chart, trend_chart
from jieban.web.stats.presenting import (
    GROUP_LABELS,
    LEVELS,
    ROUNDING_LABELS,
    Cell,
    FigureRow,
    FigureTable,
    GroupNames,
    figure_cells,
    inclusive_period,
    local_text,
    percent_text,
)
from jieban.web.stats.scoring import ScoreTable, frozen_scores

REPORTS_LISTED = 200
KIND_TITLES: dict[str, Promise] = {
    ReportKind.DAILY: gettext_lazy("Daily report"),
    ReportKind.WEEKLY: gettext_lazy("Weekly report"),
    ReportKind.MONTHLY: gettext_lazy("Monthly report"),
    ReportKind.MEDIATION: gettext_lazy("Monthly mediation report"),
}

GROUP_TITLES: dict[str, Promise] = {
    "category": gettext_lazy("By category"),
    "unit": gettext_lazy("By unit"),
    "channel": gettext_lazy("By channel"),
    "grid": gettext_lazy("By grid"),
}


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
    previous: str | None
    next: str | None
    ended: bool
    # The rule its rates are shown by: the stored one of a published report.
    rounding: Rounding
    # The units' scores by the weights stored with the report (or in effect, while live).
    scores: ScoreTable | None = None

    @property
    def computed_at(self) -> str:
        return local_text(self.data.get("computed_at"))

    @property
    def rounding_label(self) -> str:
        return str(ROUNDING_LABELS[self.rounding])

    @property
    def span(self) -> str:
        """The days the report counts, its last day named."""
        return inclusive_period(self.data["start"], self.data["end"])

    @property
    def practical(self) -> dict[str, Any]:
        row = self.data["overall"]
        return {
            "count": row["practical"],
            "total": row["total"],
            "share": percent_text(row_percent(row, "practical_share", self.rounding)),
        }


def report_title(kind: str, period: str) -> str:
    return f"{KIND_TITLES.get(kind, kind)} {period}"


def _shown_period(kind: str, period: str) -> str | None:
    """`period`, or None when it lies past the days a report may count."""
    try:
        period_bounds(kind, period)
    except InvalidInput:
        return None
    return period


def _neighbours(kind: str, period: str) -> tuple[str | None, str | None]:
    """The periods before and after, where there are such reports (none after today's)."""
    start, end = period_bounds(kind, period)
    previous = _shown_period(kind, current_period(kind, start - dt.timedelta(days=1)))
    if end > timezone.localdate():
        return previous, None
    return previous, _shown_period(kind, current_period(kind, end))


def report_page(
    kind: str, period: str, data: dict[str, Any], published: PublishedReport | None
) -> ReportPage:
    """The sections of a report from its data, as stored or as built now; its rates rounded
    by the rule the data records."""
    rounding = rounding_of(data)
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
                    row["key"],
                    names.label(group_by, row["key"], row["name"]),
                    figure_cells(row, rounding=rounding),
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
            pgettext("the column of dates", "Day"),
            [
                FigureRow(row["key"], row["key"], figure_cells(row, rounding=rounding))
                for row in trend_rows
            ],
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
        overall=figure_cells(data["overall"], rounding=rounding),
        trend=trend,
        trend_chart=(
            trend_chart(filled(trend_rows, buckets_of(report_window, "day")), rounding=rounding)
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
        rounding=rounding,
        scores=frozen_scores(data, "report-scores", rounding),
    )


def report_of(
    user: Viewer, kind: str, period: str
) -> tuple[dict[str, Any], PublishedReport | None]:
    """The stored data of a published report, else the figures built now. Reports are the
    bureau's: for anyone else they do not exist (NotFound)."""
    period_bounds(kind, period)
    try:
        report = published_report(user, kind, period)
    except NotFound:
        if not can_read_reports(user):
            raise
        return build_report(user, kind, period), None
    return report.data, report


def report_or_404(
    user: Viewer, kind: str, period: str
) -> tuple[dict[str, Any], PublishedReport | None]:
    """`report_of`, or the page's 404 when the period is malformed or the report not there."""
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
        (ReportKind.MEDIATION, last_month, _("Mediation, last month")),
    ]


def _bureau_only(user: Viewer) -> None:
    if not can_read_reports(user):
        raise PermissionDenied(
            _("Reports are the bureau's. Your own figures are on the statistics page.")
        )


@login_required
@require_safe
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
@require_safe
def report(request: AuthenticatedRequest, kind: str, period: str) -> HttpResponse:
    data, published = report_or_404(request.user, kind, period)
    page = report_page(kind, period, data, published)
    return render(request, "web/stats/report.html", {"page": page})


@login_required
@require_POST
@answers_domain_errors
def report_publish(request: AuthenticatedRequest, kind: str, period: str) -> HttpResponse:
    try:
        period_bounds(kind, period)
    except InvalidInput as exc:  # a period no report has: the URL names nothing
        raise Http404(exc.message) from exc
    try:
        stored, created = publish_report(kind, period, by=request.user)
    except Conflict as exc:
        # The period has not ended: the report again, saying why it was not published.
        data, published = report_or_404(request.user, kind, period)
        messages.error(request, exc.message)
        page = report_page(kind, period, data, published)
        return render(request, "web/stats/report.html", {"page": page}, status=exc.status_code)
    title = report_title(kind, period)
    if created:
        messages.success(request, _("%(report)s published.") % {"report": title})
    else:
        messages.info(request, _("%(report)s was already published.") % {"report": title})
    return redirect("web:report", kind=stored.kind, period=stored.period)
