"""A succeeded case's agreement (调解协议书): recording it, its printed sheet, the signed scan,
each term's performance and the follow-up calls. Every read starts from the access rule; every
write is one domain action whose bad input goes back on the form that caused it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from jieban.errors import Conflict, DomainError, InvalidInput
from jieban.http import AuthenticatedRequest
from jieban.mediation.access import access_case, case_people, shown_phone
from jieban.mediation.actions import (
    Action,
    AgreementDraft,
    TermDraft,
    attach_scan,
    available_actions,
    may_close,
    record_agreement,
    record_performance,
    record_visit,
)
from jieban.mediation.models import Agreement, MediationCase
from jieban.mediation.selectors import agreement_of
from jieban.web.errors import answers_domain_errors, put_domain_error
from jieban.web.mediation.forms import (
    TERM_ROWS,
    AgreementForm,
    PerformanceForm,
    ScanForm,
    VisitForm,
)
from jieban.web.pages import bureau_heading


def _version(request: AuthenticatedRequest) -> int | None:
    try:
        return int(request.POST.get("version") or "")
    except ValueError:
        return None


def _agreement_page(
    request: AuthenticatedRequest,
    number: str,
    *,
    form: forms.Form | None = None,
    posted: str = "",
    message: str = "",
    status: int = 200,
) -> HttpResponse:
    """The agreement page: the form to record it, or the agreement with its terms, their
    performance, the follow-up calls, the scan and what is left before the case closes."""
    user = request.user
    case = access_case(user, number)
    people = case_people(case)
    actions = available_actions(user, case, people)
    agreement: Agreement | None = None
    if Agreement.objects.filter(case=case).exists():
        agreement = agreement_of(user, number)
    today = timezone.localdate().isoformat()
    context: dict[str, Any] = {
        "case": case,
        "agreement": agreement,
        "applicant_phone": shown_phone(user, case.applicant_phone, people),
        "respondent_phone": shown_phone(user, case.respondent_phone, people),
        "message": message,
        "posted": posted,
    }
    if agreement is None:
        if Action.AGREEMENT in actions:
            context["agreement_form"] = (
                form
                if posted == Action.AGREEMENT
                else AgreementForm(initial={"facts": case.facts, "signed_on": today})
            )
        return render(request, "web/mediation/agreement.html", context, status=status)
    terms = list(agreement.terms.all())
    term_forms: list[forms.Form | None] = []
    for term in terms:
        if Action.PERFORM not in actions:
            break
        if posted == f"{Action.PERFORM}-{term.position}" and form is not None:
            term_form = form
        else:
            term_form = PerformanceForm(
                initial={
                    "term": term.position,
                    "performance": term.performance,
                    "performed_on": today,
                },
                prefix=f"term{term.position}",
            )
        term_forms.append(term_form)
    context.update(
        terms=list(zip(terms, term_forms or [None] * len(terms), strict=True)),
        visits=list(agreement.visits.all()),
        missing_performance=[term.position for term in terms if not term.performance],
        closable=may_close(case),
        visit_form=(
            (form if posted == Action.VISIT else VisitForm(initial={"visited_on": today}))
            if Action.VISIT in actions
            else None
        ),
        scan_form=(
            (form if posted == Action.SCAN else ScanForm()) if Action.SCAN in actions else None
        ),
    )
    return render(request, "web/mediation/agreement.html", context, status=status)


def _refused(
    request: AuthenticatedRequest, number: str, form: forms.Form, posted: str, exc: DomainError
) -> HttpResponse:
    if isinstance(exc, Conflict):
        return _agreement_page(request, number, message=exc.message, status=409)
    status = put_domain_error(form, exc)
    return _agreement_page(request, number, form=form, posted=posted, status=status)


def _term_field(field: str | None) -> str | None:
    """`terms.2.due_on` (the domain's name) as the form's `term_2_due_on`."""
    if field and field.startswith("terms."):
        return "term_" + field.removeprefix("terms.").replace(".", "_")
    return field


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@answers_domain_errors
def agreement_page(request: AuthenticatedRequest, number: str) -> HttpResponse:
    """The agreement of a case one may see; its mediators record it once the case succeeds."""
    if request.method != "POST":
        return _agreement_page(request, number)
    form = AgreementForm(request.POST)
    form.is_valid()
    data = form.cleaned_data
    terms = [
        TermDraft(
            obligor=data.get(f"term_{row}_obligor", ""),
            content=data.get(f"term_{row}_content", ""),
            method=data.get(f"term_{row}_method", ""),
            due_on=data.get(f"term_{row}_due_on", ""),
        )
        for row in range(1, TERM_ROWS + 1)
        if any(
            data.get(f"term_{row}_{part}") for part in ("obligor", "content", "method", "due_on")
        )
    ]
    draft = AgreementDraft(
        facts=data.get("facts", ""),
        applicant_responsibility=data.get("applicant_responsibility", ""),
        respondent_responsibility=data.get("respondent_responsibility", ""),
        signed_on=data.get("signed_on", ""),
        terms=terms,
    )
    if form.errors:
        return _agreement_page(request, number, form=form, posted=Action.AGREEMENT, status=400)
    try:
        record_agreement(number, draft=draft, by=request.user, expected_version=_version(request))
    except InvalidInput as exc:
        exc.field = _term_field(exc.field)
        return _refused(request, number, form, Action.AGREEMENT, exc)
    except Conflict as exc:
        return _refused(request, number, form, Action.AGREEMENT, exc)
    messages.success(request, _("The agreement is recorded."))
    return redirect("web:mediation_agreement", number=number)


@login_required
@require_POST
@answers_domain_errors
def agreement_performance(request: AuthenticatedRequest, number: str) -> HttpResponse:
    """One term's performance (履行), recorded or updated."""
    try:
        position = int(request.POST.get("term") or "")
    except ValueError:
        raise Http404("term") from None
    prefix = f"term{position}"
    form = PerformanceForm(request.POST, prefix=prefix)
    form.is_valid()
    data = form.cleaned_data
    posted = f"{Action.PERFORM}-{position}"
    if form.errors:
        return _agreement_page(request, number, form=form, posted=posted, status=400)
    try:
        record_performance(
            number,
            term=position,
            performance=data.get("performance", ""),
            performed_on=data.get("performed_on", ""),
            note=data.get("note", ""),
            by=request.user,
            expected_version=_version(request),
        )
    except (InvalidInput, Conflict) as exc:
        return _refused(request, number, form, posted, exc)
    return redirect("web:mediation_agreement", number=number)


@login_required
@require_POST
@answers_domain_errors
def agreement_visit(request: AuthenticatedRequest, number: str) -> HttpResponse:
    """A follow-up call (回访) to the parties."""
    form = VisitForm(request.POST)
    form.is_valid()
    data = form.cleaned_data
    answer = data.get("satisfied", "")
    if form.errors:
        return _agreement_page(request, number, form=form, posted=Action.VISIT, status=400)
    try:
        record_visit(
            number,
            visited_on=data.get("visited_on", ""),
            called=data.get("called", ""),
            statement=data.get("statement", ""),
            satisfied={"yes": True, "no": False}.get(answer),
            by=request.user,
            expected_version=_version(request),
        )
    except (InvalidInput, Conflict) as exc:
        return _refused(request, number, form, Action.VISIT, exc)
    return redirect("web:mediation_agreement", number=number)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@answers_domain_errors
def agreement_scan(request: AuthenticatedRequest, number: str) -> HttpResponseBase:
    """The signed scan: opened (GET) by whoever sees the case, attached (POST) by its people."""
    if request.method != "POST":
        agreement = agreement_of(request.user, number)
        if not agreement.scan:
            raise Http404("scan")
        inline = agreement.scan_type.startswith("image/") or agreement.scan_type.endswith("pdf")
        return FileResponse(
            agreement.scan.open("rb"),
            as_attachment=not inline,
            filename=agreement.scan_name,
            content_type=agreement.scan_type,
        )
    form = ScanForm(request.POST, request.FILES)
    form.is_valid()
    upload = form.cleaned_data.get("scan")
    try:
        if upload is None:
            raise InvalidInput(_("Choose the file of the signed scan."), field="scan")
        attach_scan(number, upload=upload, by=request.user, expected_version=_version(request))
    except (InvalidInput, Conflict) as exc:
        return _refused(request, number, form, Action.SCAN, exc)
    messages.success(request, _("The signed scan is attached."))
    return redirect("web:mediation_agreement", number=number)


@login_required
@require_safe
@answers_domain_errors
def agreement_print(request: AuthenticatedRequest, number: str) -> HttpResponse:
    """调解协议书 on A4: the parties, facts, responsibilities, terms, and lines to sign and seal."""
    agreement = agreement_of(request.user, number)
    case: MediationCase = agreement.case
    people = case_people(case)
    context = {
        "agreement": agreement,
        "case": case,
        "bureau": bureau_heading(),
        "applicant_phone": shown_phone(request.user, case.applicant_phone, people),
        "respondent_phone": shown_phone(request.user, case.respondent_phone, people),
        "mediators": list(case.mediators.all()),
        "forum": case.studio.name if case.studio else case.committee.name,  # type: ignore[union-attr]
    }
    return render(request, "web/mediation/agreement_print.html", context)
