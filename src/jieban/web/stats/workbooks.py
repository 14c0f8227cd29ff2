"""The Excel workbook of a report: the same rows as its page, as numbers."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_safe
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from jieban.http import AuthenticatedRequest
from jieban.stats.rates import Rounding, row_percent
from jieban.web.excel import XLSX, guarded_row
from jieban.web.stats.presenting import FIELD_LABELS, GROUP_LABELS, RATE_FIELDS, local_text
from jieban.web.stats.reports import ReportPage, report_or_404, report_page
from jieban.web.stats.scoring import ScoreTable

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
    "accepted_on_time",
    "accept_clock_ended",
    "accepted_on_time_rate",
    "first_visited",
    "first_visit_satisfied",
    "first_visit_satisfaction_rate",
    "escalated",
    "extensions",
    "returns",
    "network",
    "network_share",
)


def _cell_value(row: dict[str, Any], name: str, rounding: Rounding) -> Any:
    """A count as it is; a rate as the page shows it, rounded by the same rule, stored as the
    number it is (`Decimal("0.9808")`, which the cell's format shows as 98.08%)."""
    if name not in RATE_FIELDS:
        return row.get(name)
    shown = row_percent(row, name, rounding)
    return None if shown is None else shown / 100


def _write_table(
    sheet: Worksheet,
    labels: Sequence[str],
    rows: Iterable[tuple[Sequence[Any], dict[str, Any]]],
    rounding: Rounding,
) -> None:
    """A header row, then one row per figures row: its label cells, then every field."""
    sheet.append([*labels, *(str(FIELD_LABELS[name]) for name in FIELDS)])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    first = len(labels)
    for label_values, row in rows:
        values = [_cell_value(row, name, rounding) for name in FIELDS]
        sheet.append(guarded_row(sheet, [*label_values, *values]))
        for offset, name in enumerate(FIELDS):
            if name in RATE_FIELDS:
                sheet.cell(row=sheet.max_row, column=first + offset + 1).number_format = "0.00%"
    for column in range(1, len(labels) + len(FIELDS) + 1):
        letter = sheet.cell(row=1, column=column).column_letter
        sheet.column_dimensions[letter].width = 14
    sheet.freeze_panes = sheet.cell(row=2, column=first + 1)


def _write_scores(sheet: Worksheet, scores: ScoreTable) -> None:
    """The units by score, with the weights they were scored by (as stored with the report)."""
    if scores.weights is None:
        sheet.append([scores.missing])
        sheet.column_dimensions["A"].width = 60
        return
    sheet.append(guarded_row(sheet, [scores.formula]))
    sheet.append([])
    sheet.append(
        [
            _("Rank"),
            _("Code"),
            _("Unit"),
            _("Score"),
            _("On-time acceptance rate"),
            _("Closure rate"),
            _("Satisfaction (scored)"),
        ]
    )
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for row in scores.rows:
        sheet.append(
            guarded_row(
                sheet,
                [
                    row.rank,
                    row.key,
                    row.label,
                    row.score,
                    *(
                        None if value is None else value / 100
                        for value in (row.response, row.resolution, row.satisfaction)
                    ),
                ],
            )
        )
        for column in (5, 6, 7):
            sheet.cell(row=sheet.max_row, column=column).number_format = "0.00%"
    for letter, width in zip("ABCDEFG", (8, 14, 24, 10, 16, 14, 16), strict=True):
        sheet.column_dimensions[letter].width = width


def report_workbook(page: ReportPage) -> bytes:
    """One sheet per view: overall (with the report's facts and orders by level), trend, by
    category, unit, channel and grid, and the units by score (with the weights). Rates are
    numbers formatted as percentages, rounded by the report's rule as its page shows them.
    Figures only: no resident, no phone; names that look like formulas are written as text."""
    data = page.data
    rounding = page.rounding
    book = Workbook()
    overall = book.active
    assert overall is not None
    overall.title = _("Overall")
    _write_table(overall, [_("Period")], [([page.period], data["overall"])], rounding)
    overall.append([])
    facts: list[tuple[str, Any]] = [
        (_("Report"), page.title),
        (_("Days counted"), page.span),
        (_("Figures computed at"), local_text(data["computed_at"])),
        (_("Definitions version"), data["definitions_version"]),
        (_("Rates to two decimals of a percent"), page.rounding_label),
    ]
    if page.published is not None:
        by = page.published.published_by
        facts.append((_("Published at"), local_text(page.published.published_at)))
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
    _write_table(
        trend,
        [pgettext("the column of dates", "Day")],
        [([row["key"]], row) for row in data["trend"]],
        rounding,
    )
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
            rounding,
        )
        sheet.column_dimensions["B"].width = 22
    if page.scores is not None:
        _write_scores(book.create_sheet(_("Scorecard")), page.scores)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@login_required
@require_safe
def report_export(request: AuthenticatedRequest, kind: str, period: str) -> HttpResponse:
    data, published = report_or_404(request.user, kind, period)
    page = report_page(kind, period, data, published)
    response = HttpResponse(report_workbook(page), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="jieban-{kind}-{period}.xlsx"'
    return response
