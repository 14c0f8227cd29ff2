"""The suggestions measured in use: per month, the share taken of each kind of suggestion with
the count it is a share of, and the time from registration to dispatch, by rule and by hand.

Who may: `can_read_reports` (the bureau's leaders and the command centre); the figures:
`jieban.suggestions.measures`; the rates rounded by the one rule, `jieban.stats.rates`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from jieban.http import AuthenticatedRequest
from jieban.stats.rates import configured_rounding, percent
from jieban.suggestions.measures import MAX_MONTHS, Taken, measure_suggestions
from jieban.web.errors import answers_domain_errors


@dataclass(frozen=True)
class TakenShown:
    taken: int
    offered: int
    percent: Decimal | None


@login_required
@require_safe
@answers_domain_errors
def suggestion_measures(request: AuthenticatedRequest) -> HttpResponse:
    try:
        months = int(request.GET.get("months") or 12)
    except ValueError:
        months = 12
    months = max(1, min(months, MAX_MONTHS))
    measures = measure_suggestions(request.user, months=months)
    rounding = configured_rounding()

    def shown(taken: Taken) -> TakenShown:
        return TakenShown(taken.taken, taken.offered, percent(taken.taken, taken.offered, rounding))

    rows = [
        {
            "month": month.month,
            "taken": [
                (_("Category"), shown(month.category)),
                (_("Earlier report"), shown(month.repeat)),
                (_("Unit"), shown(month.unit)),
            ],
            "times": [(_("By a rule"), month.by_rule), (_("By a person"), month.by_person)],
        }
        for month in measures.months
    ]
    context = {"rows": rows, "measures": measures, "months": months}
    return render(request, "web/suggestions/measures.html", context)
