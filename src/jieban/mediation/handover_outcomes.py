"""How a case handed over from a ticket ends for the ticket: a failed mediation sends the
dispute back to the station (a new handling round), any other conclusion makes the ticket's
follow-up call due. Apart from `handovers` so that the case actions can call it."""

from __future__ import annotations

import datetime as dt

from jieban.mediation.models import CaseStatus, Handover, MediationCase
from jieban.org.actors import Actor
from jieban.tickets.handover import release_follow_up, return_failed
from jieban.tickets.models import Ticket


def conclude_handover(case: MediationCase, *, by: Actor, now: dt.datetime) -> None:
    """`case` (locked by the caller) just concluded: tell its ticket, if it was handed over."""
    handover = Handover.objects.select_for_update().filter(case=case).first()
    if handover is None or case.ticket_id is None:
        return
    ticket = Ticket.objects.select_for_update().get(pk=case.ticket_id)
    if case.status == CaseStatus.FAILED:
        returned = return_failed(
            ticket,
            by=by,
            now=now,
            committee=handover.committee.code,
            case=case.number,
            route=case.failure_route,
            conclusion=case.conclusion,
        )
        if returned:
            handover.returned_at = now
            handover.save(update_fields=["returned_at"])
    else:
        release_follow_up(ticket, by=by, now=now, case=case.number, outcome=case.status)
