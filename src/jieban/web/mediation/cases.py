"""The mediation pages: the case list, a new case, and the case page with its actions. Every
read starts from the access rule (`jieban.mediation.access`); every write is one domain
action, whose error goes back on the form that caused it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from jieban.errors import Conflict, InvalidInput
from jieban.http import AuthenticatedRequest
from jieban.mediation.access import access_case, case_people, shown_phone
from jieban.mediation.actions import (
    ACTION_LABELS,
    Action,
    CaseDraft,
    available_actions,
    extend_case,
    fail_case,
    log_session,
    open_case,
    succeed_case,
    withdraw_case,
)
from jieban.mediation.models import MediationCase
from jieban.mediation.selectors import (
    CaseFilters,
    case_page,
    forums_for,
)
from jieban.org.actors import Viewer
from jieban.web.errors import answers_domain_errors, put_domain_error
from jieban.web.forms import localized_name
from jieban.web.mediation.forms import (
    CaseFilterForm,
    CaseForm,
    ExtendForm,
    FailForm,
    SessionForm,
    SucceedForm,
    WithdrawForm,
)
from jieban.web.tickets.saved_filters import TRUE_VALUES

PAGE = 50

ACTION_FORMS: dict[str, type[forms.Form]] = {
    Action.SESSION: SessionForm,
    Action.SUCCEED: SucceedForm,
    Action.FAIL: FailForm,
    Action.WITHDRAW: WithdrawForm,
    Action.EXTEND: ExtendForm,
}


@login_required
@require_http_methods(["GET", "HEAD"])
@answers_domain_errors
def case_list(request: AuthenticatedRequest) -> HttpResponse:
    """The cases one may see, by deadline; filters by status, type, due soon, overdue."""
    form = CaseFilterForm(request.GET)
    form.is_valid()  # lenient fields: the domain says what is wrong
    status, dispute_type = request.GET.get("status", ""), request.GET.get("dispute_type", "")
    due_soon = (request.GET.get("due_soon") or "").lower() in TRUE_VALUES
    overdue = (request.GET.get("overdue") or "").lower() in TRUE_VALUES
    try:
        page = max(int(request.GET.get("page") or 1), 1)
    except ValueError:
        page = 1
    cases: list[MediationCase] = []
    total = 0
    error: InvalidInput | None = None
    try:
        filters = CaseFilters(
            status=status, dispute_type=dispute_type, due_soon=due_soon, overdue=overdue
        )
        cases, total = case_page(request.user, filters, offset=(page - 1) * PAGE, limit=PAGE)
    except InvalidInput as exc:
        error = exc
    params = {
        name: value
        for name, value in (
            ("status", status),
            ("dispute_type", dispute_type),
            ("due_soon", "true" if due_soon else ""),
            ("overdue", "true" if overdue else ""),
        )
        if value
    }
    context = {
        "form": form,
        "error": error,
        "cases": cases,
        "total": total,
        "page": page,
        "next_page": f"?{urlencode({**params, 'page': page + 1})}" if page * PAGE < total else "",
        "previous_page": f"?{urlencode({**params, 'page': page - 1})}" if page > 1 else "",
        "may_open": bool(_forum_choices(request.user)),
        "filtered": bool(params),
    }
    return render(request, "web/mediation/list.html", context, status=400 if error else 200)


def _forum_choices(user: Viewer) -> list[tuple[str, str]]:
    forums = forums_for(user)
    return [(f"studio:{studio.code}", studio.name) for studio in forums.studios] + [
        (
            f"committee:{unit.code}",
            f"{localized_name(unit)} ({unit.get_level_display()})",
        )
        for unit in forums.committees
    ]


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@answers_domain_errors
def case_new(request: AuthenticatedRequest) -> HttpResponse:
    """Accept a case for one of the studios or committees one may accept cases for."""
    choices = _forum_choices(request.user)
    if not choices:
        raise PermissionDenied(_("Your role may not accept mediation cases."))
    if request.method != "POST":
        form = CaseForm(forums=choices, initial={"source": "application"})
        return render(request, "web/mediation/new.html", {"form": form})
    form = CaseForm(request.POST, forums=choices)
    form.is_valid()
    data = form.cleaned_data
    kind, _sep, code = (data.get("forum") or "").partition(":")
    draft = CaseDraft(
        source=data.get("source", ""),
        applicant_name=data.get("applicant_name", ""),
        applicant_phone=data.get("applicant_phone", ""),
        respondent_name=data.get("respondent_name", ""),
        respondent_phone=data.get("respondent_phone", ""),
        dispute_type=data.get("dispute_type", ""),
        amount=data.get("amount", ""),
        facts=data.get("facts", ""),
        studio=code if kind == "studio" else "",
        committee=code if kind == "committee" else "",
        mediators=[name for name in (data.get("mediators") or "").split(",") if name.strip()],
        ticket=data.get("ticket", ""),
    )
    if form.errors:
        # A value the form could not take (an unknown choice): the form says which.
        return render(request, "web/mediation/new.html", {"form": form}, status=400)
    try:
        case = open_case(draft, by=request.user)
    except (InvalidInput, Conflict) as exc:
        if exc.field in ("studio", "committee"):
            exc.field = "forum"
        status = put_domain_error(form, exc)
        return render(request, "web/mediation/new.html", {"form": form}, status=status)
    return redirect("web:mediation_case", number=case.number)


def _case_page(
    request: AuthenticatedRequest,
    number: str,
    *,
    posted: tuple[str, forms.Form] | None = None,
    message: str = "",
    status: int = 200,
) -> HttpResponse:
    user = request.user
    case = access_case(user, number)
    people = case_people(case)
    now = timezone.now()
    actions = available_actions(user, case, people)
    action_forms = []
    blank = {"held_on": timezone.localdate(now).isoformat(), "days": "30"}
    for action in actions:
        if action not in ACTION_FORMS:
            continue  # the agreement's actions: on its own page
        form = posted[1] if posted and posted[0] == action else ACTION_FORMS[action](initial=blank)
        action_forms.append({"action": action, "label": ACTION_LABELS[action], "form": form})
    context = {
        "case": case,
        "applicant_phone": shown_phone(user, case.applicant_phone, people),
        "respondent_phone": shown_phone(user, case.respondent_phone, people),
        "mediators": list(case.mediators.all()),
        "sessions": list(case.sessions.select_related("recorded_by")),
        "events": list(case.events.select_related("actor")),
        "action_forms": action_forms,
        "agreement": case.agreement_or_none,
        "may_record_agreement": Action.AGREEMENT in actions,
        "posted": posted[0] if posted else "",
        "message": message,
    }
    return render(request, "web/mediation/detail.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD"])
@answers_domain_errors
def case_detail(request: AuthenticatedRequest, number: str) -> HttpResponse:
    """A case one may see: its parties, clock, sessions, history and the actions one may take."""
    return _case_page(request, number)


def _days(value: str) -> int:
    try:
        return int((value or "").strip())
    except ValueError:
        raise InvalidInput(_("An extension is 1 to 30 days."), field="days") from None


ACTIONS: dict[str, Callable[[str, dict[str, Any], AuthenticatedRequest, int | None], Any]] = {
    Action.SESSION: lambda number, data, request, version: log_session(
        number,
        held_on=data.get("held_on", ""),
        attendees=data.get("attendees", ""),
        discussion=data.get("discussion", ""),
        agreed=data.get("agreed", ""),
        by=request.user,
        expected_version=version,
    ),
    Action.SUCCEED: lambda number, data, request, version: succeed_case(
        number, conclusion=data.get("conclusion", ""), by=request.user, expected_version=version
    ),
    Action.FAIL: lambda number, data, request, version: fail_case(
        number,
        route=data.get("route", ""),
        conclusion=data.get("conclusion", ""),
        by=request.user,
        expected_version=version,
    ),
    Action.WITHDRAW: lambda number, data, request, version: withdraw_case(
        number, reason=data.get("reason", ""), by=request.user, expected_version=version
    ),
    Action.EXTEND: lambda number, data, request, version: extend_case(
        number,
        days=_days(data.get("days", "")),
        consent=data.get("consent", ""),
        by=request.user,
        expected_version=version,
    ),
}


@login_required
@require_POST
@answers_domain_errors
def case_action(request: AuthenticatedRequest, number: str, action: str) -> HttpResponse:
    """One action on the case; bad input puts the page back with the message on its field."""
    if action not in ACTIONS:
        raise Http404(action)
    form = ACTION_FORMS[action](request.POST)
    form.is_valid()
    try:
        version = int(request.POST.get("version") or "")
    except ValueError:
        version = None
    try:
        ACTIONS[action](number, form.cleaned_data, request, version)
    except Conflict as exc:
        return _case_page(request, number, message=exc.message, status=409)
    except InvalidInput as exc:
        status = put_domain_error(form, exc)
        return _case_page(request, number, posted=(action, form), status=status)
    return redirect("web:mediation_case", number=number)
