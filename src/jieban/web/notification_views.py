"""The in-app notifications behind the bell: the list, opening one, marking all read."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from jieban.http import AuthenticatedRequest
from jieban.notify import outbox
from jieban.web.errors import answers_domain_errors

SHOWN = 100


@login_required
@require_safe
def notifications(request: AuthenticatedRequest) -> HttpResponse:
    rows = outbox.inbox(request.user, limit=SHOWN)
    unread = sum(1 for row in rows if row.read_at is None)
    return render(request, "web/notifications.html", {"notifications": rows, "unread": unread})


@login_required
@require_safe
@answers_domain_errors
def notification_open(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Opening a notification marks it read and goes to its ticket (or mediation case)."""
    notification = outbox.open_notification(request.user, pk)
    if notification.ticket is not None:
        return redirect("web:ticket_detail", number=notification.ticket.number)
    case = notification.payload.get("case") if isinstance(notification.payload, dict) else None
    if isinstance(case, str) and case:
        return redirect("web:mediation_case", number=case)
    return redirect("web:notifications")


@login_required
@require_POST
def notifications_read(request: AuthenticatedRequest) -> HttpResponse:
    count = outbox.mark_read(request.user)
    messages.success(request, _("%(count)d notification(s) marked read.") % {"count": count})
    return redirect("web:notifications")
