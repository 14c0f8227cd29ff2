"""The mediation figures' pages: the figures over any span (per day/week/month, by studio,
mediator, committee level or dispute type), the monthly mediation report (live until
published, then frozen) with its lead sentence, and its Excel workbook.

The figures come from `jieban.stats.mediation` unchanged; a published report is shown as it
was stored. Rates are rounded by the report's rule (`jieban.stats.rates`), from the counts."""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal
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
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST, require_safe
from openpyxl import Workbook
from openpyxl.styles import Font

from jieban.errors import Conflict, InvalidInput
from jieban.http import AuthenticatedRequest
from jieban.org.permissions import can_read_reports, can_see_mediation_figures
from jieban.stats.dashboards import Window, month_window
from jieban.stats.mediation import GROUPINGS, lead_sentence, mediation_figures, mediation_percent
from jieban.stats.models import PublishedReport, ReportKind
from jieban.stats.rates import Rounding, configured_rounding, rounding_of
from jieban.stats.reports import current_period, period_bounds, publish_report
from jieban.web.errors import answers_domain_errors
from jieban.web.excel import XLSX, guarded_row
from jieban.web.forms import put_domain_error
from jieban.web.stats.page import StatsForm
from jieban.web.stats.presenting import inclusive_period, local_text, percent_text
from jieban.web.stats.reports import report_or_404

KIND = ReportKind.MEDIATION.value

GROUP_LABELS: dict[str, Promise] = {
    "studio": gettext_lazy("Studio"),
    "mediator": gettext_lazy("Mediator"),
    "level": gettext_lazy("Committee level"),
    "dispute_type": gettext_lazy("Dispute type"),
}
GROUP_TITLES: dict[str, Promise] = {
    "studio": gettext_lazy("By studio"),
    "mediator": gettext_lazy("By mediator"),
    "level": gettext_lazy("By committee level"),
    "dispute_type": gettext_lazy("By dispute type"),
}
# Every figure of a row, in the order pages and workbooks show them: (field, label, a rate?).
COLUMNS: tuple[tuple[str, Promise, bool], ...] = (
    ("accepted", pgettext_lazy("mediation figures", "Accepted"), False),
    ("concluded", gettext_lazy("Concluded"), False),
    ("succeeded", gettext_lazy("Succeeded"), False),
    ("failed", gettext_lazy("Failed"), False),
    ("success_rate", gettext_lazy("Success rate"), True),
    ("concluded_in_time", gettext_lazy("Concluded in time"), False),
    ("agreements_due", gettext_lazy("Agreements due"), False),
    ("agreements_performed", gettext_lazy("Agreements performed"), False),
    ("performance_rate", gettext_lazy("Performance rate"), True),
    ("amount_settled", gettext_lazy("Amount settled (yuan)"), False),
)


class MediationStatsForm(StatsForm):
    """The span and the period as on the statistics page; the mediation groupings."""

    group_by = forms.ChoiceField(
        label=gettext_lazy("Group by"),
        required=False,
        choices=[("", gettext_lazy("No grouping")), *GROUP_LABELS.items()],
    )


@dataclass
class Cell:
    name: str
    label: str
    text: str
    value: Any
    rate: bool


@dataclass
class Row:
    key: str
    label: str
    cells: list[Cell]


def cells_of(row: dict[str, Any], rounding: Rounding) -> list[Cell]:
    """A row's figures as shown: counts as they are, rates rounded by `rounding` from the
    row's counts ("—" when there is nothing to divide by), the amount with its decimals."""
    cells = []
    for name, label, is_rate in COLUMNS:
        if is_rate:
            shown = mediation_percent(row, name, rounding)
            cells.append(Cell(name, str(label), percent_text(shown), shown, True))
        elif name == "amount_settled":
            amount = row[name]
            cells.append(Cell(name, str(label), f"{Decimal(amount):,.2f}", amount, False))
        else:
            cells.append(Cell(name, str(label), f"{row[name]:,}", row[name], False))
    return cells


def table_rows(
    rows: list[dict[str, Any]], rounding: Rounding, *, period: bool, grouped: bool
) -> list[Row]:
    shown = []
    for row in rows:
        parts = [row["period"]] if period else []
        if grouped:
            parts.append(row["name"] or row["key"])
        shown.append(Row(row["key"], " · ".join(parts) or _("All cases"), cells_of(row, rounding)))
    return shown


def _refuse_unless_allowed(request: AuthenticatedRequest) -> None:
    if not can_see_mediation_figures(request.user):
        raise PermissionDenied(
            _("The mediation figures are the studios', the committees' and the bureau's.")
        )


@login_required
@require_safe
def mediation_stats(request: AuthenticatedRequest) -> HttpResponse:
    """The mediation figures over any span, per day/week/month and by a grouping; each sees
    the cases the figures' rule gives them (`jieban.stats.mediation.figure_cases`)."""
    _refuse_unless_allowed(request)
    if "start" in request.GET or "end" in request.GET:
        form = MediationStatsForm(request.GET)
    else:
        this_month = month_window(timezone.localdate())
        defaults = {
            "start": this_month.start.isoformat(),
            "end": this_month.last_day.isoformat(),
            "period": "",
            "group_by": "studio",
        }
        form = MediationStatsForm({**defaults, **request.GET.dict()})
    context: dict[str, Any] = {"form": form, "columns": [str(label) for _n, label, _r in COLUMNS]}
    if form.is_valid():
        window = form.window()
        period, group_by = (
            form.cleaned_data["period"] or None,
            form.cleaned_data["group_by"] or None,
        )
        try:
            rows = [
                row.as_row()
                for row in mediation_figures(
                    request.user,
                    start=window.start,
                    end=window.end,
                    period=period,
                    group_by=group_by,
                )
            ]
            overall = mediation_figures(request.user, start=window.start, end=window.end)[0]
        except InvalidInput as exc:
            put_domain_error(form, exc)
        else:
            rounding = configured_rounding()
            heading = " · ".join(
                str(label)
                for label in (
                    _("Period") if period else None,
                    GROUP_LABELS[group_by] if group_by else None,
                )
                if label
            )
            context.update(
                span=inclusive_period(window.start, window.end),
                heading=heading or _("Cases"),
                rows=table_rows(
                    rows, rounding, period=period is not None, grouped=group_by is not None
                ),
                footer=(
                    Row("all", _("All cases"), cells_of(overall.as_row(), rounding))
                    if period or group_by
                    else None
                ),
                report_period=current_period(KIND, window.start),
                may_read_reports=can_read_reports(request.user),
            )
    status = 200 if "rows" in context else 400
    return render(request, "web/stats/mediation.html", context, status=status)


@dataclass
class MediationReportPage:
    period: str
    data: dict[str, Any]
    published: PublishedReport | None
    rounding: Rounding
    lead: str
    overall: list[Cell]
    overall_row: Row
    sections: list[tuple[str, str, list[Row]]]
    ended: bool

    @property
    def title(self) -> str:
        return _("Monthly mediation report %(period)s") % {"period": self.period}

    @property
    def span(self) -> str:
        return inclusive_period(self.data["start"], self.data["end"])

    @property
    def computed_at(self) -> str:
        return local_text(self.data.get("computed_at"))

    @property
    def overall_rows(self) -> list[Row]:
        return [self.overall_row]


def report_page(
    period: str, data: dict[str, Any], published: PublishedReport | None
) -> MediationReportPage:
    rounding = rounding_of(data)
    sections = []
    # In a fixed order: PostgreSQL's jsonb does not keep the stored keys' order.
    for group_by in (group for group in GROUPINGS if group in data["by"]):
        ordered = sorted(data["by"][group_by], key=lambda row: (-row["concluded"], row["key"]))
        sections.append(
            (
                group_by,
                str(GROUP_TITLES[group_by]),
                table_rows(ordered, rounding, period=False, grouped=True),
            )
        )
    _start, end = period_bounds(KIND, period)
    return MediationReportPage(
        period=period,
        data=data,
        published=published,
        rounding=rounding,
        lead=lead_sentence(data, rounding),
        overall=cells_of(data["overall"], rounding),
        overall_row=Row("all", period, cells_of(data["overall"], rounding)),
        sections=sections,
        ended=end <= timezone.localdate(),
    )


def report_context(page: MediationReportPage) -> dict[str, Any]:
    return {"page": page, "columns": [str(label) for _name, label, _rate in COLUMNS]}


@login_required
@require_safe
def mediation_report(request: AuthenticatedRequest, period: str) -> HttpResponse:
    """The month's mediation report: the stored one once published, else the figures now.
    Reports are the bureau's (404 for anyone else, as the other reports)."""
    data, published = report_or_404(request.user, KIND, period)
    page = report_page(period, data, published)
    return render(request, "web/stats/mediation_report.html", report_context(page))


@login_required
@require_POST
@answers_domain_errors
def mediation_report_publish(request: AuthenticatedRequest, period: str) -> HttpResponse:
    try:
        period_bounds(KIND, period)
    except InvalidInput as exc:
        raise Http404(exc.message) from exc
    try:
        _stored, created = publish_report(KIND, period, by=request.user)
    except Conflict as exc:
        data, published = report_or_404(request.user, KIND, period)
        messages.error(request, exc.message)
        page = report_page(period, data, published)
        return render(
            request, "web/stats/mediation_report.html", report_context(page), status=exc.status_code
        )
    title = _("Monthly mediation report %(period)s") % {"period": period}
    if created:
        messages.success(request, _("%(report)s published.") % {"report": title})
    else:
        messages.info(request, _("%(report)s was already published.") % {"report": title})
    return redirect("web:mediation_report", period=period)


def report_workbook(page: MediationReportPage) -> bytes:
    """A summary sheet (the lead sentence, the overall figures, the report's facts), then one
    sheet per grouping. Rates are numbers formatted as percentages, rounded by the report's
    rule as its page shows them; the amount is a number with two decimals."""
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = _("Overall")
    summary.append(guarded_row(summary, [page.title]))
    summary.append(guarded_row(summary, [page.lead]))
    summary.append([])
    _write_rows(summary, [_("Period")], [([page.period], page.overall)])
    summary.append([])
    facts: list[tuple[str, Any]] = [
        (_("Days counted"), page.span),
        (_("Figures computed at"), page.computed_at),
        (_("Definitions version"), page.data["definitions_version"]),
        (_("Studios"), page.data["studios"]),
        (_("Committees"), page.data["committees"]),
    ]
    if page.published is not None:
        by = page.published.published_by
        facts.append((_("Published at"), local_text(page.published.published_at)))
        facts.append((_("Published by"), by.display_name if by else _("The system")))
    else:
        facts.append((_("Published at"), _("Not published: live figures")))
    for fact in facts:
        summary.append(guarded_row(summary, fact))
    summary.column_dimensions["A"].width = 24
    for group_by, title, rows in page.sections:
        sheet = book.create_sheet(title)
        _write_rows(
            sheet,
            [_("Code"), str(GROUP_LABELS[group_by])],
            [([row.key, row.label], row.cells) for row in rows],
        )
        sheet.column_dimensions["B"].width = 22
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _write_rows(sheet: Any, labels: list[str], rows: list[tuple[list[Any], list[Cell]]]) -> None:
    sheet.append([*labels, *(str(label) for _name, label, _rate in COLUMNS)])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    first = len(labels)
    for label_values, cells in rows:
        values = [
            (None if cell.value is None else cell.value / 100)
            if cell.rate
            else (float(cell.value) if isinstance(cell.value, str) else cell.value)
            for cell in cells
        ]
        sheet.append(guarded_row(sheet, [*label_values, *values]))
        for offset, (name, _label, is_rate) in enumerate(COLUMNS):
            target = sheet.cell(row=sheet.max_row, column=first + offset + 1)
            if is_rate:
                target.number_format = "0.00%"
            elif name == "amount_settled":
                target.number_format = "#,##0.00"


@login_required
@require_safe
def mediation_report_export(request: AuthenticatedRequest, period: str) -> HttpResponse:
    data, published = report_or_404(request.user, KIND, period)
    page = report_page(period, data, published)
    response = HttpResponse(report_workbook(page), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="jieban-mediation-{period}.xlsx"'
    return response


def rankings(request: AuthenticatedRequest, window: Window) -> dict[str, list[Row]]:
    """Studios and mediators of `window` by success rate (then by cases concluded), those with
    a concluded case only: the leader's home."""
    rounding = configured_rounding()
    ranked = {}
    for group_by in ("studio", "mediator"):
        rows = [
            row.as_row()
            for row in mediation_figures(
                request.user, start=window.start, end=window.end, group_by=group_by
            )
            if row.key and row.concluded
        ]
        rows.sort(key=lambda row: (-(row["success_rate"] or 0), -row["concluded"], row["key"]))
        shown = table_rows(rows[:10], rounding, period=False, grouped=True)
        for row in shown:
            row.cells = [cell for cell in row.cells if cell.name in RANKED]
        ranked[group_by] = shown
    return ranked


# The figures a ranking shows: it must fit the home page, and a phone.
RANKED = ("concluded", "succeeded", "success_rate", "concluded_in_time", "amount_settled")


def ranked_columns() -> list[str]:
    return [str(label) for name, label, _rate in COLUMNS if name in RANKED]
