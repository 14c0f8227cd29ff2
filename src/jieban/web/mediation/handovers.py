"""The hand-over pages (公调对接): handing a ticket's dispute to a committee, the referral to
print, the hand-overs one may see (with the counts by committee level for the bureau), and
the committee's answer. Every read starts from `jieban.mediation.access`; every write is one
domain action, whose error goes back on the form that caused it."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from jieban.errors import Conflict, InvalidInput
from jieban.http import AuthenticatedRequest
from jieban.mediation.access import access_handover
from jieban.mediation.handovers import (
    ACTION_LABELS,
    HandoverAction,
    accept_handover,
    available_answers,
    decline_handover,
    hand_over,
)
from jieban.mediation.selectors import handover_counts, handover_list
from jieban.org.models import Unit, UnitKind
from jieban.org.permissions import can_hand_over, require, sees_whole_bureau
from jieban.tickets.access import access_ticket
from jieban.tickets.models import Status
from jieban.web.errors import answers_domain_errors, put_domain_error
from jieban.web.forms import localized_name
from jieban.web.mediation.forms import HandoverAcceptForm, HandoverDeclineForm, HandoverForm
from jieban.web.pages import bureau_heading

# The hand-overs shown on the page: the waiting ones and the latest answered.
LIST_LIMIT = 200

ANSWER_FORMS: dict[str, type[forms.Form]] = {
    HandoverAction.ACCEPT: HandoverAcceptForm,
    HandoverAction.DECLINE: HandoverDeclineForm,
}


def _committee_choices() -> list[tuple[str, str]]:
    """The active committees, town first, then village, then group, each by code."""
    order = {"town": 0, "village": 1, "group": 2}
    committees = sorted(
        Unit.objects.filter(kind=UnitKind.COMMITTEE, is_active=True),
        key=lambda unit: (order.get(unit.level, 3), unit.code),
    )
    return [
        (unit.code, f"{localized_name(unit)} ({unit.get_level_display()})") for unit in committees
    ]


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@answers_domain_errors
def handover_new(request: AuthenticatedRequest, number: str) -> HttpResponse:
    """Hand the ticket's dispute to a committee; then the referral to print."""
    ticket = access_ticket(request.user, number)
    require(
        can_hand_over(request.user, ticket.unit_id),
        _("Only the handlers and leaders of the station handling it may hand it over."),
    )
    choices = _committee_choices()
    context = {"ticket": ticket, "handing_over": ticket.status == Status.IN_PROGRESS}
    if request.method != "POST":
        form = HandoverForm(committees=choices, initial={"dispute_type": "other"})
        return render(request, "web/mediation/handover_new.html", {**context, "form": form})
    form = HandoverForm(request.POST, committees=choices)
    form.is_valid()
    data = form.cleaned_data
    try:
        handover = hand_over(
            number,
            # Straight from the post: the domain says what is wrong with a code.
            committee=request.POST.get("committee", ""),
            dispute_type=request.POST.get("dispute_type", ""),
            respondent=data.get("respondent", ""),
            note=data.get("note", ""),
            by=request.user,
        )
    except (InvalidInput, Conflict) as exc:
        form.errors.pop("committee", None)
        form.errors.pop("dispute_type", None)
        status = put_domain_error(form, exc)
        return render(
            request, "web/mediation/handover_new.html", {**context, "form": form}, status=status
        )
    return redirect("web:handover", pk=handover.pk)


@login_required
@require_http_methods(["GET", "HEAD"])
@answers_domain_errors
def handover_list_page(request: AuthenticatedRequest) -> HttpResponse:
    """The hand-overs one may see, waiting ones first; the counts by level for the bureau."""
    handovers = list(handover_list(request.user)[:LIST_LIMIT])
    context = {
        "handovers": handovers,
        "counts": handover_counts(request.user) if sees_whole_bureau(request.user) else None,
    }
    return render(request, "web/mediation/handovers.html", context)


def _handover_page(
    request: AuthenticatedRequest,
    pk: int,
    *,
    posted: tuple[str, forms.Form] | None = None,
    message: str = "",
    status: int = 200,
) -> HttpResponse:
    handover = access_handover(request.user, pk)
    answers = [
        {
            "action": action,
            "label": ACTION_LABELS[action],
            "form": posted[1] if posted and posted[0] == action else ANSWER_FORMS[action](),
        }
        for action in available_answers(request.user, handover)
    ]
    context = {"handover": handover, "answers": answers, "message": message}
    return render(request, "web/mediation/handover.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD"])
@answers_domain_errors
def handover_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A hand-over: the dispute, its committee, its deadline, its answer and the case."""
    return _handover_page(request, pk)


@login_required
@require_POST
@answers_domain_errors
def handover_answer(request: AuthenticatedRequest, pk: int, action: str) -> HttpResponse:
    """The committee accepts or declines; bad input puts the page back with the message."""
    if action not in ANSWER_FORMS:
        raise Http404(action)
    form = ANSWER_FORMS[action](request.POST)
    form.is_valid()
    data = form.cleaned_data
    try:
        version = int(request.POST.get("version") or "")
    except ValueError:
        version = None
    try:
        if action == HandoverAction.ACCEPT:
            mediators = [name for name in (data.get("mediators") or "").split(",") if name.strip()]
            accept_handover(pk, mediators=mediators, by=request.user, expected_version=version)
        else:
            decline_handover(
                pk, reason=data.get("reason", ""), by=request.user, expected_version=version
            )
    except Conflict as exc:
        return _handover_page(request, pk, message=exc.message, status=409)
    except InvalidInput as exc:
        status = put_domain_error(form, exc)
        return _handover_page(request, pk, posted=(action, form), status=status)
    return redirect("web:handover", pk=pk)


@login_required
@require_http_methods(["GET", "HEAD"])
@answers_domain_errors
def handover_print(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """委托人民调解书 on one A4 page, on the print sheets' shared template."""
    handover = access_handover(request.user, pk)
    context = {"handover": handover, "ticket": handover.ticket, "bureau": bureau_heading()}
    return render(request, "web/mediation/handover_print.html", context)
