"""The mediation figures, defined once (docs/statistics.md, "Mediation"): the API, the figures
page, the leader's rankings and the frozen monthly mediation report all read `mediation_figures`.

For a period [start, end) of local days, over the cases the viewer's figures cover:
- accepted = cases accepted (`accepted_at`) in the period;
- concluded = cases concluded (`concluded_at`) in the period that succeeded or failed; withdrawn
  cases are in no count but `accepted`: the parties took the dispute away, nobody mediated it
  to an end;
- succeeded, failed = of those, by their outcome; success rate = succeeded / concluded;
- amount settled = the sum of the amounts in dispute of the succeeded ones;
- concluded in time = concluded ones whose `concluded_at` is by their `due_at` (the second
  itself included; an extension moved `due_at`, so an extended case is judged by its new date);
- agreements due / performed = agreements whose terms all fell due in the period (the last
  term's date) / of those, the ones whose every term is performed; performance rate =
  performed / due.
So a case belongs to the period it was accepted in for `accepted` and to the period it
concluded in for the conclusions, just as a ticket belongs to the day it was received in
/stats: each figure counts an event in the period. A rate whose denominator is 0 is None.

Every count is an aggregate query grouped in the database (`GROUP BY`): no loop over cases.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _

from jieban.errors import InvalidInput
from jieban.mediation.access import visible_cases
from jieban.mediation.models import (
    SUCCEEDED_STATUSES,
    Agreement,
    CaseSource,
    CaseStatus,
    MediationCase,
    Studio,
)
from jieban.org.actors import Viewer
from jieban.org.models import CommitteeLevel, Unit, UnitKind, User
from jieban.org.permissions import can_see_mediation_figures, require, sees_whole_bureau
from jieban.stats.definitions import local_bounds
from jieban.stats.figures import bucket_label, check_window
from jieban.stats.rates import Rounding, percent
from jieban.workcalendar.workdays import local_zone

# 1: the first definitions of the mediation figures.
MEDIATION_DEFINITIONS_VERSION = 1

PERIODS = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}

# A concluded case: mediated to an agreement (then closed, once the agreement was performed
# and the parties called back) or to a failure. Withdrawn is neither.
CONCLUDED = Q(status__in=(*SUCCEEDED_STATUSES, CaseStatus.FAILED))
SUCCEEDED = Q(status__in=SUCCEEDED_STATUSES)
FAILED = Q(status=CaseStatus.FAILED)
IN_TIME = CONCLUDED & Q(concluded_at__lte=F("due_at"))
# An agreement every term of which is recorded performed (`Agreement.performed_at`).
FULLY_PERFORMED = Q(performed_at__isnull=False)

# Each rate, as (numerator, denominator): pages, workbooks and reports round it from the counts.
RATES: dict[str, tuple[str, str]] = {
    "success_rate": ("succeeded", "concluded"),
    "performance_rate": ("agreements_performed", "agreements_due"),
    "in_time_rate": ("concluded_in_time", "concluded"),
}

# The key of the level grouping's row of the studios' cases (a studio is not a committee).
STUDIO_CASES = "studio"


@dataclass(frozen=True)
class Grouping:
    """One way to split the mediation figures: the lookups of a row's key and name parts."""

    key: str
    names: tuple[str, ...] = ()


GROUPINGS = {
    "studio": Grouping("studio__code", ("studio__name",)),
    "mediator": Grouping("mediators__username", ("mediators__first_name", "mediators__last_name")),
    "level": Grouping("committee__level"),
    "dispute_type": Grouping("dispute_type"),
}


@dataclass
class MediationFigures:
    key: str
    name: str = ""
    period: str = ""
    accepted: int = 0
    concluded: int = 0
    succeeded: int = 0
    failed: int = 0
    agreements_due: int = 0
    agreements_performed: int = 0
    amount_settled: Decimal = field(default_factory=lambda: Decimal("0.00"))
    concluded_in_time: int = 0

    @property
    def success_rate(self) -> float | None:
        return None if self.concluded == 0 else self.succeeded / self.concluded

    @property
    def performance_rate(self) -> float | None:
        due = self.agreements_due
        return None if due == 0 else self.agreements_performed / due

    def as_row(self) -> dict[str, Any]:
        """The row as the API gives it and a frozen report stores it (JSON: the amount as a
        string with two decimals, exact)."""
        return {
            "key": self.key,
            "name": self.name,
            "period": self.period,
            "accepted": self.accepted,
            "concluded": self.concluded,
            "succeeded": self.succeeded,
            "failed": self.failed,
            "success_rate": self.success_rate,
            "agreements_due": self.agreements_due,
            "agreements_performed": self.agreements_performed,
            "performance_rate": self.performance_rate,
            "amount_settled": f"{self.amount_settled:.2f}",
            "concluded_in_time": self.concluded_in_time,
        }


def figure_cases(user: Viewer) -> QuerySet[MediationCase]:
    """The cases `user`'s figures cover: every case for the command centre and leaders; a
    studio's or committee's own (`visible_cases`); and for a station's people, also the cases
    handed over from their station's tickets."""
    require(
        can_see_mediation_figures(user),
        _("The mediation figures are the studios', the committees' and the bureau's."),
    )
    if sees_whole_bureau(user):
        return MediationCase.objects.all()
    cases = visible_cases(user)
    if isinstance(user, User) and user.unit_id is not None:
        handed_over = MediationCase.objects.filter(
            source=CaseSource.TICKET, ticket__unit_id=user.unit_id
        )
        cases = cases | handed_over
    return cases


def figure_agreements(user: Viewer) -> QuerySet[Agreement]:
    """The agreements of the cases `user`'s figures cover."""
    if sees_whole_bureau(user):
        return Agreement.objects.all()
    return Agreement.objects.filter(case__in=figure_cases(user).values("pk"))


def mediation_figures(
    user: Viewer,
    *,
    start: dt.date,
    end: dt.date,
    period: str | None = None,
    group_by: str | None = None,
) -> list[MediationFigures]:
    """Rows of mediation figures per period bucket and/or group, or one overall row (key
    "all"). Three grouped queries: acceptances, conclusions, agreements."""
    if period is not None and period not in PERIODS:
        raise InvalidInput(_("The period is day, week or month."), field="period")
    if group_by is not None and group_by not in GROUPINGS:
        raise InvalidInput(_("Group by studio, mediator, level or dispute_type."), field="group_by")
    check_window(start, end)
    cases = figure_cases(user)
    first, stop = local_bounds(start, end)
    rows: dict[tuple[str, str], MediationFigures] = {}

    def slot(label: str, key: str, name: str) -> MediationFigures:
        row_key = key if group_by is not None else (label or "all")
        found = rows.get((label, row_key))
        if found is None:
            found = rows[(label, row_key)] = MediationFigures(key=row_key, name=name, period=label)
        elif name and not found.name:
            found.name = name
        return found

    accepted = cases.filter(accepted_at__gte=first, accepted_at__lt=stop)
    for row in _grouped(accepted, "accepted_at", period, group_by, {"accepted": Count("pk")}):
        slot(*row.pop("_slot")).accepted += row["accepted"]
    concluded = cases.filter(CONCLUDED, concluded_at__gte=first, concluded_at__lt=stop)
    conclusions = {
        "concluded": Count("pk"),
        "succeeded": Count("pk", filter=SUCCEEDED),
        "failed": Count("pk", filter=FAILED),
        "amount_settled": Sum("amount", filter=SUCCEEDED),
        "concluded_in_time": Count("pk", filter=IN_TIME),
    }
    for row in _grouped(concluded, "concluded_at", period, group_by, conclusions):
        target = slot(*row.pop("_slot"))
        for name in ("concluded", "succeeded", "failed", "concluded_in_time"):
            setattr(target, name, getattr(target, name) + row[name])
        target.amount_settled += row["amount_settled"] or Decimal("0.00")
    # An agreement's terms fell due in the period when its last term's day is in it and has
    # passed: an agreement due later this month is not yet counted as due (nor as unperformed).
    passed = min(end, timezone.localdate())
    agreements = figure_agreements(user).filter(last_due_on__gte=start, last_due_on__lt=passed)
    performance = {
        "agreements_due": Count("pk"),
        "agreements_performed": Count("pk", filter=FULLY_PERFORMED),
    }
    for row in _grouped(agreements, "last_due_on", period, group_by, performance, through="case__"):
        target = slot(*row.pop("_slot"))
        target.agreements_due += row["agreements_due"]
        target.agreements_performed += row["agreements_performed"]
    # By period, then by key; the row of no studio (or no mediator) last.
    return sorted(rows.values(), key=lambda item: (item.period, item.key == "", item.key))


def _grouped(
    rows: QuerySet[Any],
    moment: str,
    period: str | None,
    group_by: str | None,
    aggregates: dict[str, Any],
    *,
    through: str = "",
) -> list[dict[str, Any]]:
    """`aggregates` over `rows` (cases, or with `through` "case__" their agreements), grouped
    in the database by the bucket of `moment` (a local time, or a day) and/or the grouping;
    each row with `_slot`: (period label, key, name)."""
    fields: list[str] = []
    if period is not None:
        # A day (the agreements' `last_due_on`) has no time zone; a moment is bucketed locally.
        zone = None if moment == "last_due_on" else local_zone()
        rows = rows.annotate(bucket=PERIODS[period](moment, tzinfo=zone))
        fields.append("bucket")
    grouping = GROUPINGS[group_by] if group_by is not None else None
    if grouping is not None:
        fields += [through + grouping.key, *(through + name for name in grouping.names)]
    if not fields:
        totals = rows.aggregate(**aggregates)
        totals["_slot"] = ("", "", "")
        return [totals]
    result = []
    for row in rows.order_by().values(*fields).annotate(**aggregates):
        label = bucket_label(row.pop("bucket"), period) if period is not None else ""
        key = name = ""
        if grouping is not None and group_by is not None:
            key, name = _key_and_name(
                group_by,
                row.pop(through + grouping.key),
                [row.pop(through + part) for part in grouping.names],
            )
        row["_slot"] = (label, key, name)
        result.append(row)
    return result


def _key_and_name(group_by: str, key: Any, parts: list[Any]) -> tuple[str, str]:
    """A group's key and name as people read it (labels in the active language)."""
    if group_by == "level":
        if key is None:
            return STUDIO_CASES, _("Mediation studios")
        return key, str(CommitteeLevel(key).label) if key in CommitteeLevel.values else key
    if group_by == "dispute_type":
        from_choices = dict(MediationCase._meta.get_field("dispute_type").choices or [])
        return key, str(from_choices.get(key, key))
    if group_by == "studio" and key is None:
        return "", _("Mediation committees")
    if group_by == "mediator" and key is None:
        return "", _("No mediator named")
    return key, " ".join(str(part) for part in parts if part).strip() or str(key)


def studios_and_committees() -> tuple[int, int]:
    """How many studios and committees the bureau has (active): the report's lead sentence."""
    studios = Studio.objects.filter(is_active=True).count()
    committees = Unit.objects.filter(kind=UnitKind.COMMITTEE, is_active=True).count()
    return studios, committees


def first_case_accepted() -> dt.datetime | None:
    """When the first case was accepted: no mediation report before its month."""
    first = MediationCase.objects.order_by("accepted_at").values_list("accepted_at", flat=True)
    return first.first()


def mediation_percent(row: dict[str, Any], name: str, rounding: Rounding) -> Decimal | None:
    """The rate `name` of a mediation row, shown by `rounding` from the row's own counts (the
    one rule of `jieban.stats.rates`)."""
    part, whole = RATES[name]
    return percent(int(row.get(part) or 0), int(row.get(whole) or 0), rounding)


def lead_sentence(data: dict[str, Any], rounding: Rounding) -> str:
    """The report's first sentence, the way the bureau writes it: "全县 10 个调解工作室共调处
    矛盾纠纷 1,456 起，调处成功率 98.07%" (the disputes mediated are the concluded cases),
    in the active language, from the report's stored counts and rule."""
    row = data["overall"]
    rate = mediation_percent(row, "success_rate", rounding)
    values = {
        "studios": f"{data['studios']:,}",
        "committees": f"{data['committees']:,}",
        "concluded": f"{row['concluded']:,}",
        "rate": "—" if rate is None else f"{rate}%",
    }
    if data["committees"]:
        return (
            _(
                "The county's %(studios)s mediation studios and %(committees)s mediation "
                "committees mediated %(concluded)s disputes, a success rate of %(rate)s."
            )
            % values
        )
    return (
        _(
            "The county's %(studios)s mediation studios mediated %(concluded)s disputes, "
            "a success rate of %(rate)s."
        )
        % values
    )
