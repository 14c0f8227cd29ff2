"""Reads the mediation pages and the API share; every one starts from `visible_cases`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from jieban.errors import InvalidInput, NotFound
from jieban.mediation.access import access_case, visible_cases
from jieban.mediation.models import (
    DUE_SOON,
    OPEN_STATUSES,
    Agreement,
    AgreementTerm,
    AgreementVisit,
    CaseStatus,
    Clock,
    DisputeType,
    MediationCase,
    Studio,
)
from jieban.org.actors import Viewer
from jieban.org.models import Unit, UnitKind, User
from jieban.org.permissions import (
    can_mediate,
    can_open_mediation_case,
    can_see_mediation,
    require,
)

MAX_PAGE = 200


def clock_of(case: MediationCase, now: dt.datetime | None = None) -> str:
    """Where `case` stands against its deadline (`Clock`)."""
    return case.clock_at(now or timezone.now())


@dataclass(frozen=True)
class CaseFilters:
    status: str = ""
    studio: str = ""
    committee: str = ""
    dispute_type: str = ""
    mediator: str = ""
    open_only: bool = False
    due_soon: bool = False
    overdue: bool = False


def filter_cases(
    user: Viewer, filters: CaseFilters, *, now: dt.datetime | None = None
) -> QuerySet[MediationCase]:
    """The cases `user` may see that `filters` select, soonest deadline first for open ones."""
    now = now or timezone.now()
    cases = visible_cases(user)
    if filters.status:
        if filters.status not in CaseStatus.values:
            raise InvalidInput(
                _("Unknown status %(status)s.") % {"status": filters.status}, field="status"
            )
        cases = cases.filter(status=filters.status)
    if filters.dispute_type:
        if filters.dispute_type not in DisputeType.values:
            raise InvalidInput(
                _("Unknown dispute type %(type)s.") % {"type": filters.dispute_type},
                field="dispute_type",
            )
        cases = cases.filter(dispute_type=filters.dispute_type)
    if filters.studio:
        cases = cases.filter(studio__code=filters.studio)
    if filters.committee:
        cases = cases.filter(committee__code=filters.committee)
    if filters.mediator:
        cases = cases.filter(mediators__username=filters.mediator)
    if filters.open_only or filters.due_soon or filters.overdue:
        cases = cases.filter(status__in=OPEN_STATUSES)
    if filters.due_soon:
        cases = cases.filter(due_at__gte=now, due_at__lte=now + DUE_SOON)
    if filters.overdue:
        cases = cases.filter(due_at__lt=now)
    return cases.select_related("studio", "committee", "ticket", "agreement").order_by(
        "due_at", "pk"
    )


def case_page(
    user: Viewer, filters: CaseFilters, *, offset: int = 0, limit: int = 50
) -> tuple[list[MediationCase], int]:
    """One page of the filtered cases and how many there are in all: the list of the
    mediation pages, for whoever may open them (`can_see_mediation`), a 403 for anyone else."""
    require(can_see_mediation(user), _("Your role has no access to mediation."))
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(_("The limit is 1 to %(max)d.") % {"max": MAX_PAGE}, field="limit")
    if offset < 0:
        raise InvalidInput(_("The offset is not negative."), field="offset")
    cases = filter_cases(user, filters)
    total = cases.count()
    return list(cases.prefetch_related("mediators")[offset : offset + limit]), total


def my_open_cases(user: User) -> list[MediationCase]:
    """A mediator's open cases (those of their studios and committee), by deadline."""
    return list(filter_cases(user, CaseFilters(open_only=True)).prefetch_related("mediators"))


def visible_studios(user: Viewer) -> QuerySet[Studio]:
    """The bureau's active studios with their mediators: for whoever may open the mediation
    pages (`can_see_mediation`), a 403 for anyone else."""
    require(can_see_mediation(user), _("Your role has no access to mediation."))
    return (
        Studio.objects.filter(is_active=True)
        .select_related("host_unit")
        .prefetch_related("memberships__person")
        .order_by("code")
    )


@dataclass(frozen=True)
class Forums:
    """The studios and committees a person may accept cases for."""

    studios: list[Studio]
    committees: list[Unit]


def forums_for(user: Viewer) -> Forums:
    """Every active studio and committee for the command centre; a mediator's own studios and
    committee; nothing for anyone else (`can_open_mediation_case`)."""
    studios = Studio.objects.filter(is_active=True).order_by("code")
    committees = Unit.objects.filter(kind=UnitKind.COMMITTEE, is_active=True).order_by("code")
    if can_open_mediation_case(user, ()):
        return Forums(list(studios), list(committees))
    if not isinstance(user, User) or not can_mediate(user, {user.pk}):
        return Forums([], [])
    committee = committees.filter(pk=user.unit_id) if user.unit_id else committees.none()
    return Forums(
        list(studios.filter(memberships__person=user)),
        list(committee),
    )


__all__ = ["DUE_SOON", "Clock"]


def agreement_of(user: Viewer, number: str) -> Agreement:
    """The agreement of case `number` if `user` may see the case and it has one, else
    NotFound; with the case, its studio or committee, terms and visits."""
    case = access_case(user, number)
    agreement = (
        Agreement.objects.filter(case=case)
        .prefetch_related(
            Prefetch("terms", queryset=AgreementTerm.objects.select_related("performance_by")),
            Prefetch("visits", queryset=AgreementVisit.objects.select_related("recorded_by")),
        )
        .first()
    )
    if agreement is None:
        raise NotFound(_("Case %(number)s has no agreement.") % {"number": case.number})
    agreement.case = case
    return agreement
