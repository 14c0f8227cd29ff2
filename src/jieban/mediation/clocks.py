"""The cases' clocks: the due-soon warning, sent once per case and deadline to the people of
its studio or committee (an extended case is warned again before its new deadline); and the
follow-up call of an agreement, warned once `VISIT_DUE_SOON` before its last day ends."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from jieban.mediation.models import (
    DUE_SOON,
    OPEN_STATUSES,
    VISIT_DUE_SOON,
    Agreement,
    MediationCase,
    StudioMediator,
)
from jieban.notify.outbox import Message, notify_all
from jieban.org.models import Role, User


def _people(case: MediationCase) -> list[User]:
    """Who is warned: the studio's mediators, or the committee's."""
    if case.studio_id is not None:
        ids = StudioMediator.objects.filter(studio_id=case.studio_id).values("person_id")
        return list(User.objects.filter(pk__in=ids, is_active=True))
    assert case.committee_id is not None  # a case has a studio or a committee (constraint)
    return list(User.objects.filter(unit_id=case.committee_id, role=Role.MEDIATOR, is_active=True))


def sweep_due_soon(
    now: dt.datetime,
    *,
    batch: int = 200,
    should_stop: Callable[[], bool] | None = None,
) -> list[str]:
    """Warn a case's people once per deadline when it falls within `DUE_SOON`."""
    warned: list[str] = []
    seen: set[int] = set()
    horizon = now + DUE_SOON
    due = Q(status__in=OPEN_STATUSES, due_at__gte=now, due_at__lte=horizon)
    unwarned = Q(warned_due_at__isnull=True) | ~Q(warned_due_at=F("due_at"))
    while not (should_stop and should_stop()):
        candidates = list(
            MediationCase.objects.filter(due, unwarned)
            .exclude(pk__in=seen)
            .order_by("due_at", "pk")
            .values_list("pk", flat=True)[:batch]
        )
        if not candidates:
            break
        seen.update(candidates)
        with transaction.atomic():
            rows = MediationCase.objects.filter(pk__in=candidates)
            if connection.features.has_select_for_update_skip_locked:
                # Another worker holds these rows: leave them to it rather than wait.
                rows = rows.select_for_update(skip_locked=True)
            # Re-checked under the lock: each deadline is warned about once, by one worker.
            cases = list(rows.filter(due, unwarned).order_by("due_at", "pk"))
            messages = []
            for case in cases:
                case.warned_due_at = case.due_at
                with override(settings.LANGUAGE_CODE):
                    title = _("Mediation case due soon: %(case)s by %(due)s") % {
                        "case": case.number,
                        "due": timezone.localtime(case.due_at).strftime("%Y-%m-%d %H:%M"),
                    }
                messages.append(
                    Message(
                        "mediation_due_soon",
                        recipients=_people(case),
                        title=title,
                        body=f"{case.applicant_name} / {case.respondent_name}",
                        payload={"case": case.number, "due_at": case.due_at.isoformat()},
                    )
                )
                warned.append(case.number)
            MediationCase.objects.bulk_update(cases, ["warned_due_at"], batch_size=batch)
            notify_all(messages)
    return warned


def sweep_visits_due_soon(
    now: dt.datetime,
    *,
    batch: int = 200,
    should_stop: Callable[[], bool] | None = None,
) -> list[str]:
    """Warn a case's people once when its agreement's follow-up call, not yet done, falls due
    within `VISIT_DUE_SOON` (it is due by the end of `visit_due_on`, local time)."""
    warned: list[str] = []
    seen: set[int] = set()
    today = timezone.localdate(now)
    # Due by the end of day D: within the horizon once now >= end of D - VISIT_DUE_SOON,
    # i.e. D <= the local day of now + VISIT_DUE_SOON, minus one day at the day's start.
    last_day = timezone.localdate(now + VISIT_DUE_SOON - dt.timedelta(days=1))
    due = Q(visited_at__isnull=True, visit_due_on__gte=today, visit_due_on__lte=last_day)
    unwarned = Q(warned_visit_on__isnull=True) | ~Q(warned_visit_on=F("visit_due_on"))
    while not (should_stop and should_stop()):
        candidates = list(
            Agreement.objects.filter(due, unwarned)
            .exclude(pk__in=seen)
            .order_by("visit_due_on", "pk")
            .values_list("pk", flat=True)[:batch]
        )
        if not candidates:
            break
        seen.update(candidates)
        with transaction.atomic():
            rows = Agreement.objects.filter(pk__in=candidates)
            if connection.features.has_select_for_update_skip_locked:
                rows = rows.select_for_update(skip_locked=True, of=("self",))
            # Re-checked under the lock: each follow-up is warned about once, by one worker.
            agreements = list(
                rows.filter(due, unwarned).select_related("case").order_by("visit_due_on", "pk")
            )
            messages = []
            for agreement in agreements:
                agreement.warned_visit_on = agreement.visit_due_on
                case = agreement.case
                with override(settings.LANGUAGE_CODE):
                    title = _("Follow-up call due: %(case)s by %(due)s") % {
                        "case": case.number,
                        "due": agreement.visit_due_on.isoformat(),
                    }
                messages.append(
                    Message(
                        "mediation_visit_due",
                        recipients=_people(case),
                        title=title,
                        body=f"{case.applicant_name} / {case.respondent_name}",
                        payload={
                            "case": case.number,
                            "visit_due_on": agreement.visit_due_on.isoformat(),
                        },
                    )
                )
                warned.append(case.number)
            Agreement.objects.bulk_update(agreements, ["warned_visit_on"], batch_size=batch)
            notify_all(messages)
    return warned
