"""The mediation figures (docs/statistics.md, "Mediation"): the API, the figures page, the
leader's rankings and the frozen monthly mediation report all read `mediation_figures`.

Each count is defined in `jieban.stats.mediation_counts`. A case belongs to the period it was
accepted in for `accepted` and to the period it concluded in for the conclusions, just as a
ticket belongs to the day it was received in /stats: each figure counts an event in the
period. A rate whose denominator is 0 is None.

The bureau's figures are summed from daily rollups (`jieban.stats.mediation_rollups`); a
studio's, a committee's or a station's are counted from their cases directly (a few thousand
at most), with the same grouped queries: no loop over cases either way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import partial, reduce
from itertools import chain
from operator import or_
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from jieban.databases import from_replica
from jieban.errors import InvalidInput
from jieban.mediation.access import case_conditions
from jieban.mediation.models import (
    Agreement,
    CaseSource,
    DisputeType,
    MediationCase,
    Studio,
)
from jieban.org.actors import Viewer
from jieban.org.models import CommitteeLevel, Unit, UnitKind, User
from jieban.org.permissions import can_see_mediation_figures, require
from jieban.stats import mediation_rollups
from jieban.stats.figures import bucket_label, check_window
from jieban.stats.mediation_counts import DIMENSIONS, PERIODS, Counts, count_rows
from jieban.stats.rates import Rounding, percent

# 1: the first definitions of the mediation figures.
MEDIATION_DEFINITIONS_VERSION = 1

# Each rate, as (numerator, denominator): pages, workbooks and reports round it from the counts.
RATES: dict[str, tuple[str, str]] = {
    "success_rate": ("succeeded", "concluded"),
    "performance_rate": ("agreements_performed", "agreements_due"),
    "in_time_rate": ("concluded_in_time", "concluded"),
}

# The key of the level grouping's row of the studios' cases (a studio is not a committee).
STUDIO_CASES = "studio"

# Each way to split the figures, and the dimension of the counts it is made of: a level is
# the sum of its committees (by their level now).
GROUPINGS = {
    "studio": "studio",
    "mediator": "mediator",
    "level": "committee",
    "dispute_type": "dispute_type",
}


@dataclass
class MediationFigures(Counts):
    key: str = ""
    name: str = ""
    period: str = ""

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


def figure_case_parts(user: Viewer) -> list[QuerySet[MediationCase]] | None:
    """The cases `user`'s figures cover: None for the command centre and leaders (every case);
    else a studio's or committee's own (the access rule, `case_conditions`) and for a
    station's people also the cases handed over from their station's tickets, as disjoint
    parts, each a plain filter that an index serves (one query over their union would read
    every case of the period)."""
    require(
        can_see_mediation_figures(user),
        _("The mediation figures are the studios', the committees' and the bureau's."),
    )
    conditions = case_conditions(user)
    if conditions is None:
        return None
    if isinstance(user, User) and user.unit_id is not None:
        from_tickets = MediationCase.objects.filter(
            source=CaseSource.TICKET, ticket__unit_id=user.unit_id
        )
        conditions = [*conditions, Q(pk__in=from_tickets.values("pk"))]
    parts = []
    for index, condition in enumerate(conditions):
        part = MediationCase.objects.filter(condition)
        if index:
            part = part.exclude(reduce(or_, conditions[:index]))
        parts.append(part)
    return parts


@from_replica
def mediation_figures(
    user: Viewer,
    *,
    start: dt.date,
    end: dt.date,
    period: str | None = None,
    group_by: str | None = None,
) -> list[MediationFigures]:
    """Rows of mediation figures per period bucket and/or group, or one overall row (key
    "all"), by period and then key (the row of no studio or no mediator last)."""
    if period is not None and period not in PERIODS:
        raise InvalidInput(_("The period is day, week or month."), field="period")
    if group_by is not None and group_by not in GROUPINGS:
        raise InvalidInput(_("Group by studio, mediator, level or dispute_type."), field="group_by")
    check_window(start, end)
    parts = figure_case_parts(user)
    if parts is not None:
        return counted_figures(parts, start=start, end=end, period=period, group_by=group_by)
    summed = mediation_rollups.summed(
        start,
        end,
        passed=timezone.localdate(),
        dimension=GROUPINGS[group_by] if group_by is not None else mediation_rollups.OVERALL,
        label_of=partial(bucket_label, period=period) if period is not None else None,
    )
    return _figures(
        ((label, key or None, counts) for label, key, counts in summed), group_by, period
    )


def counted_figures(
    parts: list[QuerySet[MediationCase]],
    *,
    start: dt.date,
    end: dt.date,
    period: str | None = None,
    group_by: str | None = None,
) -> list[MediationFigures]:
    """The figures of the cases of `parts` (disjoint) counted from them directly: a studio's,
    a committee's or a station's (a few thousand cases at most), and the check on the
    bureau's rollups."""
    split_by = (DIMENSIONS[GROUPINGS[group_by]],) if group_by is not None else ()
    # An agreement's terms fell due in the period when its last term's day is in it and has
    # passed: an agreement due later this month is not yet counted as due (nor as unperformed).
    passed = timezone.localdate()
    counted = chain.from_iterable(
        count_rows(
            cases,
            Agreement.objects.filter(case__in=cases.values("pk")),
            start=start,
            end=end,
            passed=passed,
            split_by=split_by,
            period=period,
        )
        for cases in parts
    )
    rows = ((label, keys[0] if keys else None, counts) for label, keys, counts in counted)
    return _figures(rows, group_by, period)


def _figures(
    rows: Iterable[tuple[str, Any, Counts]], group_by: str | None, period: str | None
) -> list[MediationFigures]:
    """The counts of `rows` (period label, raw key of the grouping's dimension, counts) summed
    into one row per label and group, named as people read them."""
    found: dict[tuple[str, str], MediationFigures] = {}
    rows = [row for row in rows if not row[2].is_empty()]
    names = _names(group_by, {str(key) for _label, key, _counts in rows if key is not None})
    for label, raw, counts in rows:
        if group_by is None:
            key, name = label or "all", ""
        else:
            key, name = names.get(str(raw), ("", "")) if raw is not None else _no_key(group_by)
        figures = found.get((label, key))
        if figures is None:
            figures = found[(label, key)] = MediationFigures(key=key, name=name, period=label)
        figures.add(counts)
    if group_by is None and period is None and not found:
        found[("", "all")] = MediationFigures(key="all")
    # By period, then by key; the row of no studio (or no mediator) last.
    return sorted(found.values(), key=lambda item: (item.period, item.key == "", item.key))


def _no_key(group_by: str) -> tuple[str, str]:
    """The key and name of the row of cases without a studio, committee or mediator."""
    if group_by == "level":
        return STUDIO_CASES, _("Mediation studios")
    if group_by == "studio":
        return "", _("Mediation committees")
    if group_by == "mediator":
        return "", _("No mediator named")
    return "", ""


def _names(group_by: str | None, keys: set[str]) -> dict[str, tuple[str, str]]:
    """Each raw key's (key, name) as people read them, in the active language: a studio by its
    code, a mediator by the username, a committee by its level, a dispute type by its code."""
    if group_by == "studio":
        studios = Studio.objects.filter(pk__in=keys).values_list("pk", "code", "name")
        return {str(pk): (code, name) for pk, code, name in studios}
    if group_by == "mediator":
        people = User.objects.filter(pk__in=keys).only("username", "first_name", "last_name")
        return {str(person.pk): (person.username, _full_name(person)) for person in people}
    if group_by == "level":
        levels = Unit.objects.filter(pk__in=keys).values_list("pk", "level")
        return {str(pk): _level(level) for pk, level in levels}
    if group_by == "dispute_type":
        return {
            key: (key, str(DisputeType(key).label) if key in DisputeType.values else key)
            for key in keys
        }
    return {}


def _full_name(person: User) -> str:
    return " ".join(part for part in (person.first_name, person.last_name) if part).strip() or (
        person.username
    )


def _level(level: str) -> tuple[str, str]:
    return level, str(CommitteeLevel(level).label) if level in CommitteeLevel.values else level


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
