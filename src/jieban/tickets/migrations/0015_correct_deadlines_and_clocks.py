"""Correct existing tickets to the clock rules of issue 9 (DESIGN.md, "Clocks").

Before, each supervision order moved the ticket's `due_at` to the order's deadline, so a late
ticket stopped looking late. A ticket's `due_at` goes back to the deadline of its last dispatch
(or of the dissatisfied call that reopened it), read from its events; orders keep their own
deadlines and history is not rewritten (a ticket with more than three orders keeps them, but
gets no more: the sweep escalates it instead). The new clocks are filled in: dispatch (new
tickets, from registration), signing for it (from dispatch), the follow-up call (from
resolution), and the sweep's `watch_at`.
"""

import datetime as dt
import zoneinfo

from django.conf import settings
from django.db import migrations
from django.db.models import F

BATCH = 2000


def _moment(text):
    return dt.datetime.fromisoformat(text) if text else None


def correct_deadlines(apps, schema_editor):
    Ticket = apps.get_model("tickets", "Ticket")
    TicketEvent = apps.get_model("tickets", "TicketEvent")
    supervised = list(
        TicketEvent.objects.filter(kind="supervise")
        .values_list("ticket_id", flat=True)
        .distinct()
    )
    for start in range(0, len(supervised), BATCH):
        ids = supervised[start : start + BATCH]
        deadline_of = {}
        events = (
            TicketEvent.objects.filter(ticket_id__in=ids, kind__in=["dispatch", "supervise", "return"])
            .order_by("ticket_id", "at", "id")
            .values_list("ticket_id", "kind", "payload")
        )
        for ticket_id, kind, payload in events:
            if kind == "dispatch":
                deadline_of[ticket_id] = _moment(payload.get("due_at"))
            elif kind == "return":
                deadline_of[ticket_id] = None
            elif payload.get("reason") == "dissatisfied":
                # The reopened ticket's new handling round ends with this order.
                deadline_of[ticket_id] = _moment(payload.get("due_at"))
        changed = []
        for ticket in Ticket.objects.filter(pk__in=ids).only("pk", "due_at"):
            due = deadline_of.get(ticket.pk, ticket.due_at)
            if due is not None and due != ticket.due_at:
                ticket.due_at = due
                changed.append(ticket)
        Ticket.objects.bulk_update(changed, ["due_at"])


def _day_bounds(day, zone):
    start = dt.datetime.combine(day, dt.time(), tzinfo=zone)
    return start, start + dt.timedelta(days=1)


def fill_clocks(apps, schema_editor):
    # The deadline rule itself, as the app computes it (a pure function of the calendar).
    from jieban.workcalendar.workdays import compute_deadline

    Ticket = apps.get_model("tickets", "Ticket")
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    Ticket.objects.filter(status="new").update(
        dispatch_due_at=F("registered_at")
        + dt.timedelta(hours=settings.JIEBAN_DISPATCH_WITHIN_HOURS)
    )
    # One UPDATE per local day: deadlines depend only on the day a clock started.
    for field, source, days, statuses in (
        ("accept_due_at", "dispatched_at", 1, None),
        ("visit_due_at", "resolved_at", settings.JIEBAN_VISIT_WITHIN_DAYS, ["resolved"]),
    ):
        started = Ticket.objects.filter(**{f"{source}__isnull": False})
        if statuses:
            started = started.filter(status__in=statuses)
        moments = started.values_list(source, flat=True)
        days_seen = sorted({moment.astimezone(zone).date() for moment in moments.iterator()})
        for day in days_seen:
            low, high = _day_bounds(day, zone)
            due = compute_deadline(low, days).due_at
            started.filter(**{f"{source}__gte": low, f"{source}__lt": high}).update(**{field: due})


def fill_watch(apps, schema_editor):
    # The sweep's rule for when to look next (a pure function).
    from jieban.tickets.supervision import watch_from

    Ticket = apps.get_model("tickets", "Ticket")
    SupervisionOrder = apps.get_model("tickets", "SupervisionOrder")
    running = Ticket.objects.filter(status__in=["dispatched", "in_progress"])
    ids = list(running.values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        orders = SupervisionOrder.objects.filter(ticket_id__in=batch)
        open_order = {
            order.ticket_id: order
            for order in orders.filter(fulfilled_at__isnull=True, superseded_by__isnull=True)
            .order_by("issued_at", "pk")
        }
        ordered = set(
            orders.filter(reason="overdue", breached_due_at__isnull=False).values_list(
                "ticket_id", "breached_due_at"
            )
        )
        changed = []
        for ticket in Ticket.objects.filter(pk__in=batch).only("pk", "due_at", "escalated_at"):
            order = open_order.get(ticket.pk)
            ticket.watch_at = watch_from(
                due_at=ticket.due_at,
                due_ordered=(ticket.pk, ticket.due_at) in ordered,
                order_due_at=order.due_at if order else None,
                order_level=order.level if order else None,
                escalated=ticket.escalated_at is not None,
            )
            changed.append(ticket)
        Ticket.objects.bulk_update(changed, ["watch_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0014_clocks_escalation_extensions"),
    ]

    operations = [
        migrations.RunPython(correct_deadlines, migrations.RunPython.noop),
        migrations.RunPython(fill_clocks, migrations.RunPython.noop),
        migrations.RunPython(fill_watch, migrations.RunPython.noop),
    ]
