"""Statistics: the figures over a period, and the published (frozen) reports."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Query, Router, Schema, Status

from jieban.api.schemas import ERRORS, ReportOut, StatsIn, StatsOut
from jieban.api.serializers import local
from jieban.http import AuthenticatedRequest
from jieban.org.permissions import sees_whole_bureau
from jieban.stats.figures import figures
from jieban.stats.mediation import mediation_figures
from jieban.stats.models import PublishedReport
from jieban.stats.rates import configured_rounding
from jieban.stats.reports import publish_report, published_report
from jieban.stats.scorecards import scorecard_for, scored, weights_of

router = Router()


def report_out(report: PublishedReport) -> dict[str, Any]:
    return {
        "kind": report.kind,
        "period": report.period,
        "published_at": local(report.published_at),
        "published_by": report.published_by.username if report.published_by else None,
        "data": report.data,
    }


@router.get("/stats", response={200: StatsOut, **ERRORS}, tags=["statistics"])
def get_stats(request: AuthenticatedRequest, query: Query[StatsIn]) -> dict[str, Any]:
    """Figures over tickets received in [start, end) (local dates; `end` not included). Rates
    are exact fractions of 1, unrounded; null when there is nothing to divide by."""
    rows = figures(
        request.user,
        start=query.start,
        end=query.end,
        period=query.period,
        group_by=query.group_by,
    )
    out = [row.as_row() for row in rows]
    weights = None
    if query.group_by == "unit":
        # Units by the scorecard in effect for the period's start; ranks among the bureau's
        # units, so only for those who see them all.
        weights = weights_of(scorecard_for(query.start))
        scored(out, weights, configured_rounding())
        if not sees_whole_bureau(request.user):
            for row in out:
                row["rank"] = None
    return {
        "start": query.start,
        "end": query.end,
        "period": query.period,
        "group_by": query.group_by,
        "rows": out,
        "scorecard": weights,
    }


class MediationStatsRowOut(Schema):
    key: str
    name: str
    period: str
    accepted: int
    concluded: int
    succeeded: int
    failed: int
    success_rate: float | None
    agreements_due: int
    agreements_performed: int
    performance_rate: float | None
    amount_settled: Decimal
    concluded_in_time: int


class MediationStatsOut(Schema):
    start: dt.date
    end: dt.date
    period: str | None
    group_by: str | None
    rows: list[MediationStatsRowOut]


@router.get("/mediation/stats", response={200: MediationStatsOut, **ERRORS}, tags=["statistics"])
def get_mediation_stats(request: AuthenticatedRequest, query: Query[StatsIn]) -> dict[str, Any]:
    """Mediation figures (docs/statistics.md, "Mediation"): cases accepted in [start, end), and
    cases concluded in it (withdrawn ones out), per `period` bucket and/or `group_by` studio,
    mediator, level or dispute_type. Rates are exact fractions of 1, null when there is
    nothing to divide by; `amount_settled` is exact (a decimal string)."""
    rows = mediation_figures(
        request.user,
        start=query.start,
        end=query.end,
        period=query.period,
        group_by=query.group_by,
    )
    return {
        "start": query.start,
        "end": query.end,
        "period": query.period,
        "group_by": query.group_by,
        "rows": [row.as_row() for row in rows],
    }


@router.get("/reports/{kind}/{period}", response={200: ReportOut, **ERRORS}, tags=["statistics"])
def get_report(request: AuthenticatedRequest, kind: str, period: str) -> dict[str, Any]:
    return report_out(published_report(request.user, kind, period))


@router.post(
    "/reports/{kind}/{period}",
    response={200: ReportOut, 201: ReportOut, **ERRORS},
    tags=["statistics"],
)
def post_report(request: AuthenticatedRequest, kind: str, period: str) -> Status[dict[str, Any]]:
    report, created = publish_report(kind, period, by=request.user)
    return Status(201 if created else 200, report_out(report))
