"""The demo's police–mediation hand-overs (公调对接), made through the real actions at the
moment the demo is loaded: this morning's disputes the stations handed to their communities'
committees, some already accepted (a case opened), one declined, the rest waiting for the
committee's answer. The actions stamp the real time, so a demo dated elsewhere (`--now`) has
none: a hand-over is never dated after the demo's now."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from jieban.mediation.handovers import accept_handover, decline_handover, hand_over
from jieban.mediation.models import DisputeType
from jieban.org.models import Role, Unit, UnitKind, User
from jieban.tickets.models import Status, Ticket

# Categories of the demo whose disputes a committee mediates, and their dispute type.
DISPUTES = {
    "neighbour_dispute": DisputeType.NEIGHBOURS,
    "family_dispute": DisputeType.MARRIAGE_FAMILY,
    "property_dispute": DisputeType.PROPERTY_MANAGEMENT,
}
HANDED_OVER = 6
# Of those, in order: accepted, declined, and the rest waiting.
ACCEPTED = 3
DECLINED = 1
# How close to the real time the demo's now must be for hand-overs to be made.
REAL_TIME = dt.timedelta(minutes=10)
DECLINE_REASON = "当事人一方在外地务工，近期无法到场调解，请派出所先行处理。"


def village_committee(community: Unit) -> Unit | None:
    """The people's mediation committee of a demo community (`QC-C0101` → `QC-TW0101`)."""
    return Unit.objects.filter(
        kind=UnitKind.COMMITTEE, code=community.code.replace("QC-C", "QC-TW", 1)
    ).first()


def hand_over_disputes(now: dt.datetime) -> int:
    """Hand the oldest disputes the stations are handling to their communities' committees;
    returns how many (none when the demo is dated away from the real time)."""
    if abs(timezone.now() - now) > REAL_TIME:
        return 0
    tickets = (
        Ticket.objects.filter(
            status=Status.IN_PROGRESS,
            category__code__in=DISPUTES,
            unit__kind=UnitKind.STATION,
            grid__parent__kind=UnitKind.COMMUNITY,
        )
        .select_related("unit", "grid__parent", "category")
        .order_by("registered_at", "pk")
    )
    made = 0
    for ticket in tickets:
        if made == HANDED_OVER:
            break
        assert ticket.grid is not None and ticket.grid.parent is not None
        committee = village_committee(ticket.grid.parent)
        station = User.objects.filter(unit=ticket.unit, role=Role.UNIT_HANDLER).first()
        mediator = User.objects.filter(unit=committee, role=Role.MEDIATOR).first()
        if committee is None or station is None or mediator is None:
            continue
        handover = hand_over(
            ticket.number,
            committee=committee.code,
            by=station,
            dispute_type=DISPUTES[ticket.category.code],
            note="双方矛盾由来已久，派出所已做初步工作，请调委会组织调解。",
        )
        if made < ACCEPTED:
            accept_handover(handover.pk, by=mediator)
        elif made < ACCEPTED + DECLINED:
            decline_handover(handover.pk, reason=DECLINE_REASON, by=mediator)
        made += 1
    return made
