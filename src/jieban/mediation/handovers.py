"""The police–mediation hand-over (公调对接), shaped like `tickets/transitions.py`.

The station handling a dispute ticket hands it to a people's mediation committee (town,
village or group level) with a printed referral; the committee accepts or declines within one
working day (`ANSWER_WITHIN_WORKING_DAYS`, by the working-day calendar). Accepting opens the
mediation case at the committee; declining sends the ticket back to the station. What each
step does to the ticket is `jieban.tickets.handover`; how a case's conclusion reaches the
ticket is `handover_outcomes`. Each function checks access (404), the permission (403) and
the table (409), and writes the hand-over and the ticket's event in one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, override

from jieban.errors import Conflict, InvalidInput
from jieban.inputs import check_text, clean_text, printable
from jieban.mediation.access import access_handover, committee_people
from jieban.mediation.actions import CaseDraft, open_case
from jieban.mediation.models import (
    CaseSource,
    DisputeType,
    Handover,
    HandoverStatus,
)
from jieban.notify.outbox import Message, notify_all
from jieban.org.actors import Actor, person_of
from jieban.org.models import Role, Unit, UnitKind, User
from jieban.org.permissions import can_answer_handover, can_hand_over, require
from jieban.tickets.access import access_ticket
from jieban.tickets.handover import record_case_opened, resolve_by_handover, return_declined
from jieban.tickets.models import Status, Ticket
from jieban.tickets.transitions import ALLOWED as TICKET_ALLOWED
from jieban.tickets.transitions import Action as TicketAction
from jieban.workcalendar.workdays import compute_deadline

# The committee answers by the end of the next working day after the hand-over.
ANSWER_WITHIN_WORKING_DAYS = 1
# A party the referral does not name (a case needs both parties' names).
UNKNOWN_PARTY = "不详"
MAX_TEXT = 4000


class HandoverAction:
    ACCEPT = "accept"
    DECLINE = "decline"


# The one table of allowed answers: status → action → new status.
ALLOWED: dict[str, dict[str, str]] = {
    HandoverStatus.PENDING: {
        HandoverAction.ACCEPT: HandoverStatus.ACCEPTED,
        HandoverAction.DECLINE: HandoverStatus.DECLINED,
    },
}

ACTION_LABELS = {
    HandoverAction.ACCEPT: gettext_lazy("Accept the dispute"),
    HandoverAction.DECLINE: gettext_lazy("Decline"),
}


def answer_deadline(handed_over_at: dt.datetime) -> dt.datetime:
    """When the committee must have answered a hand-over made at `handed_over_at`."""
    return compute_deadline(handed_over_at, ANSWER_WITHIN_WORKING_DAYS).due_at


def _committee(code: str) -> Unit:
    code = (code or "").strip()
    check_text(code, field="committee")
    if not code:
        raise InvalidInput(_("Name the mediation committee."), field="committee")
    unit = Unit.objects.filter(code=code, is_active=True).first()
    if unit is None:
        raise InvalidInput(
            _("No unit %(code)s.") % {"code": printable(code)[:40]}, field="committee"
        )
    if unit.kind != UnitKind.COMMITTEE:
        raise InvalidInput(
            _("%(unit)s is not a people's mediation committee.") % {"unit": unit.name},
            field="committee",
        )
    return unit


def _station_people(unit_id: int) -> list[User]:
    return list(
        User.objects.filter(
            unit_id=unit_id, role__in=(Role.UNIT_HANDLER, Role.UNIT_LEADER), is_active=True
        )
    )


def _committee_people(unit_id: int) -> list[User]:
    return list(User.objects.filter(pk__in=committee_people(unit_id)))


def hand_over(
    number: str,
    *,
    committee: str,
    by: Actor,
    dispute_type: str = DisputeType.OTHER,
    respondent: str = "",
    note: str = "",
) -> Handover:
    """Hand the dispute of ticket `number` to the mediation committee `committee` (a code):
    the ticket's handling is resolved, and the committee has one working day to answer."""
    dispute_type = dispute_type or DisputeType.OTHER
    if dispute_type not in DisputeType.values:
        raise InvalidInput(
            _("The dispute type must be one of: %(choices)s.")
            % {"choices": ", ".join(DisputeType.values)},
            field="dispute_type",
        )
    respondent = clean_text(respondent, field="respondent", label=_("The respondent"), limit=80)
    note = clean_text(note, field="note", label=_("The note for the committee"), limit=MAX_TEXT)
    with transaction.atomic():
        ticket = access_ticket(by, number, for_update=True)
        require(
            can_hand_over(by, ticket.unit_id),
            _("Only the handlers and leaders of the station handling it may hand it over."),
        )
        unit = _committee(committee)
        if TicketAction.HANDOVER not in TICKET_ALLOWED.get(ticket.status, {}):
            raise Conflict(
                _(
                    "Ticket %(number)s is “%(status)s”: only a dispute the station is handling "
                    "can be handed over."
                )
                % {"number": ticket.number, "status": Status(ticket.status).label}
            )
        assert ticket.unit_id is not None  # in progress: held by a unit (constraint)
        now = timezone.now()
        handover = Handover.objects.create(
            ticket=ticket,
            station_id=ticket.unit_id,
            committee=unit,
            level=unit.level,
            dispute_type=dispute_type,
            respondent_name=respondent,
            note=note,
            handed_over_by=person_of(by),
            handed_over_at=now,
            answer_due_at=answer_deadline(now),
        )
        resolve_by_handover(ticket, by=by, now=now, committee=unit.code, handover=handover.pk)
        with override(settings.LANGUAGE_CODE):
            title = _("Dispute handed over for mediation: %(ticket)s, answer by %(due)s") % {
                "ticket": ticket.number,
                "due": timezone.localtime(handover.answer_due_at).strftime("%Y-%m-%d %H:%M"),
            }
        notify_all(
            [
                Message(
                    "handover_received",
                    recipients=_committee_people(unit.pk),
                    title=title,
                    body=ticket.title,
                    payload={"handover": handover.pk, "ticket": ticket.number},
                )
            ]
        )
    return handover


def _answer(pk: int, *, by: Actor, action: str, expected_version: int | None) -> Handover:
    """The hand-over `pk`, locked, once access, permission, table and version allow
    `action` on it."""
    handover = access_handover(by, pk, for_update=True)
    require(
        can_answer_handover(by, handover.committee_id),
        _("Only the mediators of the committee it was handed to may answer it."),
    )
    if action not in ALLOWED.get(handover.status, {}):
        raise Conflict(
            _("This hand-over is now “%(status)s”: “%(action)s” is not possible. Reload it.")
            % {
                "status": HandoverStatus(handover.status).label,
                "action": ACTION_LABELS[action],
            }
        )
    if expected_version is not None and expected_version != handover.version:
        raise Conflict(_("This hand-over was answered by someone else. Reload it."))
    return handover


def _tell_station(handover: Handover, title: str) -> None:
    people = [handover.handed_over_by] if handover.handed_over_by else []
    notify_all(
        [
            Message(
                "handover_answered",
                recipients=[person for person in people if person.is_active],
                title=title,
                ticket_id=handover.ticket_id,
                payload={"handover": handover.pk, "status": handover.status},
            )
        ]
    )


def accept_handover(
    pk: int,
    *,
    by: Actor,
    mediators: Sequence[str] = (),
    expected_version: int | None = None,
) -> Handover:
    """The committee accepts: a mediation case opens at it, for the ticket's dispute."""
    with transaction.atomic():
        handover = _answer(
            pk, by=by, action=HandoverAction.ACCEPT, expected_version=expected_version
        )
        ticket = Ticket.objects.select_for_update().get(pk=handover.ticket_id)
        facts = ticket.content
        if handover.note:
            facts = f"{facts}\n\n{handover.note}"
        case = open_case(
            CaseDraft(
                source=CaseSource.TICKET,
                committee=handover.committee.code,
                ticket=ticket.number,
                applicant_name=ticket.resident_name or UNKNOWN_PARTY,
                applicant_phone=ticket.resident_phone,
                respondent_name=handover.respondent_name or UNKNOWN_PARTY,
                dispute_type=handover.dispute_type,
                facts=facts,
                mediators=list(mediators),
            ),
            by=by,
            handed_over=ticket,
        )
        now = case.accepted_at
        handover.status = HandoverStatus.ACCEPTED
        handover.case = case
        handover.answered_by = person_of(by)
        handover.answered_at = now
        handover.version += 1
        handover.save()
        record_case_opened(
            ticket, by=by, now=now, committee=handover.committee.code, case=case.number
        )
        with override(settings.LANGUAGE_CODE):
            title = _("%(committee)s accepted the dispute of %(ticket)s: case %(case)s") % {
                "committee": handover.committee.name,
                "ticket": ticket.number,
                "case": case.number,
            }
        _tell_station(handover, title)
    return handover


def decline_handover(
    pk: int, *, reason: str, by: Actor, expected_version: int | None = None
) -> Handover:
    """The committee declines, with its reason: the ticket goes back to the station in
    progress, with a new handling round's deadline."""
    reason = clean_text(
        reason, field="reason", label=_("The reason"), limit=MAX_TEXT, required=True
    )
    with transaction.atomic():
        handover = _answer(
            pk, by=by, action=HandoverAction.DECLINE, expected_version=expected_version
        )
        ticket = Ticket.objects.select_for_update().get(pk=handover.ticket_id)
        now = timezone.now()
        handover.status = HandoverStatus.DECLINED
        handover.decline_reason = reason
        handover.answered_by = person_of(by)
        handover.answered_at = now
        handover.version += 1
        handover.save()
        return_declined(ticket, by=by, now=now, committee=handover.committee.code, reason=reason)
        with override(settings.LANGUAGE_CODE):
            title = _("%(committee)s declined the dispute of %(ticket)s: back with the station") % {
                "committee": handover.committee.name,
                "ticket": ticket.number,
            }
        _tell_station(handover, title)
    return handover


def available_answers(user: Actor, handover: Handover) -> list[str]:
    """The answers `user` may give `handover` now: what the pages offer."""
    if not can_answer_handover(user, handover.committee_id):
        return []
    return list(ALLOWED.get(handover.status, {}))


def flag_overdue_handovers(now: dt.datetime, *, batch: int = 200) -> list[int]:
    """Flag, once each, the hand-overs not answered within their working day: the committee's
    mediators and the station's people are told. Safe from several workers: each is claimed
    with a conditional UPDATE."""
    flagged: list[int] = []
    candidates = list(
        Handover.objects.filter(status=HandoverStatus.PENDING, answer_due_at__lt=now)
        .filter(overdue_flagged_at__isnull=True)
        .order_by("answer_due_at", "pk")
        .values_list("pk", flat=True)[:batch]
    )
    for pk in candidates:
        with transaction.atomic():
            claimed = Handover.objects.filter(
                pk=pk, status=HandoverStatus.PENDING, overdue_flagged_at__isnull=True
            ).update(overdue_flagged_at=now)
            if not claimed:
                continue
            handover = Handover.objects.select_related("ticket", "committee").get(pk=pk)
            with override(settings.LANGUAGE_CODE):
                title = _("Hand-over not answered in time: %(ticket)s at %(committee)s") % {
                    "ticket": handover.ticket.number,
                    "committee": handover.committee.name,
                }
            recipients = _committee_people(handover.committee_id) + _station_people(
                handover.station_id
            )
            notify_all(
                [
                    Message(
                        "handover_overdue",
                        recipients=recipients,
                        title=title,
                        ticket_id=handover.ticket_id,
                        payload={
                            "handover": pk,
                            "answer_due_at": handover.answer_due_at.isoformat(),
                        },
                    )
                ]
            )
            flagged.append(pk)
    return flagged
