"""Reads the mediation pages and the API share; every one starts from `visible_cases`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Case, Count, Prefetch, Q, QuerySet, When
from django.utils import timezone
from django.utils.translation import gettext as _

from jieban.errors import InvalidInput, NotFound
from jieban.mediation.access import access_case, visible_cases, visible_handovers
from jieban.mediation.models import (
    DUE_SOON,
    OPEN_STATUSES,
    Agreement,
    AgreementTerm,
    AgreementVisit,
    CaseStatus,
    Clock,
    DisputeType,
    Handover,
    HandoverStatus,
    MediationCase,
    Studio,
)
from jieban.org.actors import Viewer
from jieban.org.models import CommitteeLevel, Unit, UnitKind, User
from jieban.org.permissions import (
    can_mediate,
    can_open_mediation_case,
    can_see_handovers,
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


@dataclass(frozen=True)
class HandoverCounts:
    """One committee level's hand-overs (公调对接): handed over, the committee's answers, how
    the accepted ones ended, and how many went back to the station after a failed mediation."""

    level: str
    label: str
    handed_over: int
    pending: int
    accepted: int
    declined: int
    succeeded: int
    failed: int
    returned: int


def handover_counts(
    user: Viewer, *, start: dt.datetime | None = None, end: dt.datetime | None = None
) -> list[HandoverCounts]:
    """The hand-overs `user` may see, handed over in [start, end), counted per committee
    level (town, village, group, in that order, zero rows included): one query."""
    handovers = visible_handovers(user)
    if start is not None:
        handovers = handovers.filter(handed_over_at__gte=start)
    if end is not None:
        handovers = handovers.filter(handed_over_at__lt=end)
    rows = {
        row["level"]: row
        for row in handovers.order_by()
        .values("level")
        .annotate(
            handed_over=Count("pk"),
            pending=Count("pk", filter=Q(status=HandoverStatus.PENDING)),
            accepted=Count("pk", filter=Q(status=HandoverStatus.ACCEPTED)),
            declined=Count("pk", filter=Q(status=HandoverStatus.DECLINED)),
            succeeded=Count("pk", filter=Q(case__status=CaseStatus.SUCCEEDED)),
            failed=Count("pk", filter=Q(case__status=CaseStatus.FAILED)),
            returned=Count("pk", filter=Q(returned_at__isnull=False)),
        )
    }
    counted = ("handed_over", "pending", "accepted", "declined", "succeeded", "failed", "returned")
    return [
        HandoverCounts(
            level=level.value,
            label=str(level.label),
            **{name: int(rows.get(level.value, {}).get(name, 0)) for name in counted},
        )
        for level in CommitteeLevel
    ]


def handover_list(user: Viewer, *, pending_only: bool = False) -> QuerySet[Handover]:
    """The hand-overs `user` may see (403 for whoever may not open the page), waiting ones
    first by their deadline, then the answered ones newest first."""
    require(can_see_handovers(user), _("Your role does not see hand-overs."))
    handovers = visible_handovers(user).select_related(
        "ticket", "station", "committee", "case", "handed_over_by"
    )
    if pending_only:
        return handovers.filter(status=HandoverStatus.PENDING).order_by("answer_due_at", "pk")
    return handovers.order_by(
        Case(When(status=HandoverStatus.PENDING, then=0), default=1),
        Case(When(status=HandoverStatus.PENDING, then="answer_due_at"), default=None),
        # Waiting ones due at the same time: the first handed over first, as `pending_only`.
        Case(When(status=HandoverStatus.PENDING, then="pk"), default=None),
        "-handed_over_at",
        "-pk",
    )


def handovers_of_ticket(user: Viewer, ticket_id: int) -> list[Handover]:
    """A ticket's hand-overs `user` may see, newest first: the ticket page's hand-over panel."""
    return list(
        visible_handovers(user)
        .filter(ticket_id=ticket_id)
        .select_related("committee", "case")
        .order_by("-handed_over_at", "-pk")
    )
