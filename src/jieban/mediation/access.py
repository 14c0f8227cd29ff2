"""The one access rule for mediation: who may see which case. Every page and endpoint calls it.

The command centre and the bureau's leaders see every case. A studio's people (its mediators)
see the studio's cases; a committee's people (the people of the committee's unit) see the
committee's cases; a station's people see the cases of the disputes it handed over. Nobody else
sees any: a case you may not see does not exist for you. Hand-overs follow the same rule: the
committee's people see what was handed to it, the station's people what it handed over.
"""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from jieban.errors import NotFound
from jieban.inputs import printable, unstorable_character
from jieban.mediation.models import Handover, MediationCase, Studio, StudioMediator
from jieban.org.actors import Viewer
from jieban.org.models import Role, User
from jieban.org.permissions import can_mediate, sees_whole_bureau
from jieban.tickets.access import mask_phone


def visible_cases(user: Viewer) -> QuerySet[MediationCase]:
    """The cases `user` may see, as a queryset to filter further."""
    cases = MediationCase.objects.all()
    conditions = case_conditions(user)
    if conditions is None:
        return cases
    return cases.filter(reduce(or_, conditions)) if conditions else cases.none()


def case_conditions(user: Viewer) -> list[Q] | None:
    """The rule as conditions on a case, any of which lets `user` see it: None for every case
    (the bureau), an empty list for none."""
    if sees_whole_bureau(user):  # the system too
        return None
    if not isinstance(user, User) or not user.is_active:
        return []
    # Subqueries that do not depend on the case, so the database reads each once (a few ids),
    # not once per case.
    conditions = [Q(studio_id__in=StudioMediator.objects.filter(person=user).values("studio_id"))]
    if user.unit_id is not None:
        handed_over = Handover.objects.filter(station=user.unit_id, case__isnull=False)
        conditions += [Q(committee_id=user.unit_id), Q(pk__in=handed_over.values("case_id"))]
    return conditions


def visible_handovers(user: Viewer) -> QuerySet[Handover]:
    """The hand-overs `user` may see: sent by their station or to their committee."""
    handovers = Handover.objects.all()
    if sees_whole_bureau(user):  # the system too
        return handovers
    if not isinstance(user, User) or not user.is_active or user.unit_id is None:
        return handovers.none()
    return handovers.filter(Q(station_id=user.unit_id) | Q(committee_id=user.unit_id))


def access_handover(user: Viewer, pk: int, *, for_update: bool = False) -> Handover:
    """The hand-over `pk` if `user` may see it, else NotFound; locked when `for_update`."""
    handovers = visible_handovers(user).select_related("ticket", "committee", "station", "case")
    if for_update:
        handovers = handovers.select_for_update(of=("self",))
    try:
        return handovers.get(pk=pk)
    except Handover.DoesNotExist:
        raise NotFound(_("No hand-over %(id)s.") % {"id": pk}) from None


def access_case(user: Viewer, number: str, *, for_update: bool = False) -> MediationCase:
    """The case `number` if `user` may see it, else NotFound; locked when `for_update`."""
    if unstorable_character(number) is not None:
        raise NotFound(_("No mediation case %(number)s.") % {"number": printable(number)})
    cases = visible_cases(user).select_related("studio", "committee", "ticket")
    if for_update:
        cases = cases.select_for_update(of=("self",))
    try:
        return cases.get(number=number)
    except MediationCase.DoesNotExist:
        raise NotFound(_("No mediation case %(number)s.") % {"number": number}) from None


def studio_people(studio: Studio) -> set[int]:
    """The ids of a studio's mediators."""
    return set(studio.memberships.values_list("person_id", flat=True))


def committee_people(committee_id: int) -> set[int]:
    """The ids of the mediators of a committee's unit."""
    people = User.objects.filter(unit_id=committee_id, role=Role.MEDIATOR, is_active=True)
    return set(people.values_list("pk", flat=True))


def case_people(case: MediationCase) -> set[int]:
    """The ids of the people who work `case`: its studio's or its committee's mediators."""
    if case.studio is not None:
        return studio_people(case.studio)
    assert case.committee_id is not None  # a case has a studio or a committee (constraint)
    return committee_people(case.committee_id)


def shown_phone(user: Viewer, phone: str, people: set[int]) -> str:
    """A party's phone as `user` is shown it: whole for the case's mediators (`people`),
    masked for everyone else, as a resident's phone on a ticket."""
    return phone if can_mediate(user, people) else mask_phone(phone)
