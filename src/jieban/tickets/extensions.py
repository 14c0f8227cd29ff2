"""Extensions (延期): the holding unit asks for more time before its deadline passes, and the
command centre approves or rejects.

A request names 1 to 10 working days and the reason; it is refused once the deadline has
passed (a late ticket stays late) and while another request waits. Approval moves `due_at` to
23:59:59 of the Nth working day after the current deadline's day; rejection leaves it. A
pending request ends undecided when the ticket is resolved or leaves the unit
(`transitions.cancel_pending_extension`). Each step is an event and a notification.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from jieban.errors import Conflict, InvalidInput
from jieban.inputs import clean_text
from jieban.notify.outbox import notify
from jieban.org.actors import Actor, Viewer, is_system, person_of
from jieban.org.models import CENTRE_ROLES, User
from jieban.org.permissions import (
    can_decide_extension,
    can_work_unit_tickets,
    require,
    sees_whole_bureau,
)
from jieban.tickets.access import access_ticket, visible_tickets
from jieban.tickets.events import extension_decision_payload, extension_request_payload
from jieban.tickets.models import (
    CLOCK_RUNNING,
    EventKind,
    Extension,
    ExtensionStatus,
    Ticket,
    TicketEvent,
)
from jieban.tickets.supervision import Recipients, rewatch
from jieban.workcalendar.workdays import compute_deadline

MIN_DAYS, MAX_DAYS = 1, 10
MAX_TEXT = 4000


def _days(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not MIN_DAYS <= value <= MAX_DAYS:
        raise InvalidInput(
            _("Ask for %(min)d to %(max)d working days.") % {"min": MIN_DAYS, "max": MAX_DAYS},
            field="days",
        )
    return value


def _text(value: str | None, *, field: str, required: bool, label: str) -> str:
    return clean_text(value, field=field, label=label, limit=MAX_TEXT, required=required)


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def pending_extension(ticket: Ticket) -> Extension | None:
    return Extension.objects.filter(ticket=ticket, status=ExtensionStatus.PENDING).first()


def latest_extension(ticket: Ticket) -> Extension | None:
    """The pending request, or else the last one decided: what the ticket shows."""
    return (
        Extension.objects.filter(ticket=ticket)
        .select_related("requested_by", "decided_by")
        .order_by("-requested_at", "-pk")
        .first()
    )


def latest_extensions(ticket_ids: Iterable[int]) -> dict[int, Extension]:
    """Each ticket's pending request, or else its last one, for a whole list in one query."""
    latest: dict[int, Extension] = {}
    rows = Extension.objects.filter(ticket_id__in=list(ticket_ids)).order_by("requested_at", "pk")
    for extension in rows:
        latest[extension.ticket_id] = extension
    return latest


def request_extension(number: str, *, days: object, reason: str | None, by: Actor) -> Extension:
    """The holding unit asks for `days` more working days, before its deadline passes."""
    with transaction.atomic():
        ticket = access_ticket(by, number, for_update=True)
        require(
            can_work_unit_tickets(by, ticket.unit_id),
            _("Only the unit holding the ticket may ask for more time."),
        )
        asked = _days(days)
        text = _text(reason, field="reason", required=True, label=_("The reason"))
        if ticket.status not in CLOCK_RUNNING or ticket.due_at is None:
            raise Conflict(
                _("Ticket %(number)s is not being handled: there is no deadline to extend.")
                % {"number": ticket.number}
            )
        now = timezone.now()
        if now > ticket.due_at:
            raise Conflict(
                _(
                    "The deadline of %(number)s passed at %(due)s: more time must be asked "
                    "before the deadline, and a late ticket stays late."
                )
                % {"number": ticket.number, "due": _local(ticket.due_at)}
            )
        if pending_extension(ticket) is not None:
            raise Conflict(
                _("Ticket %(number)s already has a request for more time waiting for a decision.")
                % {"number": ticket.number}
            )
        assert ticket.unit_id is not None  # the clock runs
        try:
            with transaction.atomic():
                extension = Extension.objects.create(
                    ticket=ticket,
                    unit_id=ticket.unit_id,
                    days=asked,
                    reason=text,
                    requested_by=person_of(by),
                    requested_at=now,
                    due_at_before=ticket.due_at,
                )
        except IntegrityError as exc:  # one pending request per ticket, even racing
            raise Conflict(
                _("Ticket %(number)s already has a request for more time waiting for a decision.")
                % {"number": ticket.number}
            ) from exc
        ticket.version += 1
        ticket.save(update_fields=["version"])
        TicketEvent.objects.create(
            ticket=ticket,
            kind=EventKind.EXTENSION_REQUEST,
            actor=person_of(by),
            at=now,
            from_status=ticket.status,
            to_status=ticket.status,
            payload=extension_request_payload(days=asked, reason=text, due_at=ticket.due_at),
        )
        with override(settings.LANGUAGE_CODE):
            title = _("%(unit)s asks %(days)d more working days on %(ticket)s") % {
                "unit": ticket.unit.name if ticket.unit else "",
                "days": asked,
                "ticket": ticket.number,
            }
        notify(
            "extension_request",
            recipients=list(User.objects.filter(role__in=CENTRE_ROLES, is_active=True)),
            title=title,
            body=text,
            ticket_id=ticket.pk,
            payload={"ticket": ticket.number, "days": asked},
        )
        return extension


def approve_extension(number: str, *, note: str | None, by: Actor) -> Extension:
    """The command centre grants the time asked: the deadline moves."""
    return _decide(number, note=note, by=by, approve=True)


def reject_extension(number: str, *, note: str | None, by: Actor) -> Extension:
    """The command centre refuses, saying why: the deadline stays."""
    return _decide(number, note=note, by=by, approve=False)


def _decide(number: str, *, note: str | None, by: Actor, approve: bool) -> Extension:
    with transaction.atomic():
        ticket = access_ticket(by, number, for_update=True)
        require(
            can_decide_extension(by),
            _("Requests for more time are decided by the command centre."),
        )
        if ticket.platform_decides and not is_system(by):
            raise Conflict(
                _(
                    "Ticket %(number)s came from a 12345 platform: the platform decides its "
                    "requests for more time."
                )
                % {"number": ticket.number}
            )
        text = _text(note, field="note", required=not approve, label=_("The note"))
        extension = pending_extension(ticket)
        if extension is None:
            raise Conflict(
                _("Ticket %(number)s has no request for more time waiting for a decision.")
                % {"number": ticket.number}
            )
        assert ticket.due_at is not None  # pending only while the clock runs
        now = timezone.now()
        previous = ticket.due_at
        extension.decided_by = person_of(by)
        extension.decided_at = now
        extension.note = text
        if approve:
            deadline = compute_deadline(ticket.due_at, extension.days)
            extension.status = ExtensionStatus.APPROVED
            extension.due_at_after = deadline.due_at
            ticket.due_at = deadline.due_at
            ticket.due_basis = deadline.basis
            rewatch(ticket)
        else:
            extension.status = ExtensionStatus.REJECTED
        extension.save()
        ticket.version += 1
        ticket.save(update_fields=["due_at", "due_basis", "watch_at", "version"])
        TicketEvent.objects.create(
            ticket=ticket,
            kind=EventKind.EXTENSION_APPROVE if approve else EventKind.EXTENSION_REJECT,
            actor=person_of(by),
            at=now,
            from_status=ticket.status,
            to_status=ticket.status,
            payload=extension_decision_payload(
                days=extension.days,
                note=text,
                due_at=extension.due_at_after,
                previous_due_at=previous,
            ),
        )
        with override(settings.LANGUAGE_CODE):
            if approve:
                title = _("More time granted on %(ticket)s: new deadline %(due)s") % {
                    "ticket": ticket.number,
                    "due": _local(ticket.due_at),
                }
            else:
                title = _("More time refused on %(ticket)s: the deadline stays %(due)s") % {
                    "ticket": ticket.number,
                    "due": _local(ticket.due_at),
                }
        notify(
            "extension_decided",
            recipients=Recipients().of_unit(ticket.unit_id),
            title=title,
            body=text,
            ticket_id=ticket.pk,
            payload={"ticket": ticket.number, "status": extension.status},
        )
        return extension


def pending_extensions(user: Viewer) -> QuerySet[Extension]:
    """Requests waiting for the command centre, oldest first (their deadlines are nearest); a
    platform's ticket's wait for the platform instead."""
    pending = Extension.objects.filter(status=ExtensionStatus.PENDING).exclude(
        ticket__platform_decides=True
    )
    if not sees_whole_bureau(user):
        # The few pending requests first, then which of their tickets `user` may see (not
        # "every visible ticket", which is the whole bureau's million for some).
        ticket_ids = list(pending.values_list("ticket_id", flat=True))
        pending = pending.filter(
            ticket_id__in=visible_tickets(user).filter(pk__in=ticket_ids).values("pk")
        )
    return pending.select_related("ticket", "unit", "requested_by").order_by("requested_at", "pk")
