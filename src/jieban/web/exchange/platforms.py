"""The exchange page (`/exchange/`): per 12345 platform the last successful pull, push and
delivery, today's orders in and messages out, the messages not delivered yet (with their last
error and a retry-now button), those failing for more than a day, and the orders waiting for a
mapping with the code shown. For `can_manage_exchange`; every write is one domain action."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from jieban.exchange.actions import apply_waiting_orders, retry_message
from jieban.exchange.selectors import exchange_board
from jieban.http import AuthenticatedRequest
from jieban.web.errors import answers_domain_errors


@login_required
@require_GET
@answers_domain_errors
def exchange(request: AuthenticatedRequest) -> HttpResponse:
    """The exchange page."""
    return render(request, "web/exchange/index.html", {"board": exchange_board(request.user)})


@login_required
@require_POST
@answers_domain_errors
def message_retry(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Retry one undelivered message now (at the next delivery run, seconds away)."""
    retry_message(pk, by=request.user)
    messages.success(request, _("The message will be delivered again in a moment."))
    return redirect("web:exchange")


@login_required
@require_POST
@answers_domain_errors
def apply_waiting(request: AuthenticatedRequest) -> HttpResponse:
    """Take in the orders whose mapping was added since they came."""
    applied = apply_waiting_orders(by=request.user)
    messages.success(
        request,
        ngettext(
            "%(count)d waiting order was taken in.",
            "%(count)d waiting orders were taken in.",
            applied,
        )
        % {"count": applied},
    )
    return redirect("web:exchange")
