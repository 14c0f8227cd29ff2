"""Residents follow their own case (/track/): public, no login. The resident enters the
ticket's number and the last four digits of their phone and sees `CaseView`; after resolution
they may say whether they are satisfied. The rules (what is shown, the same "not found" for
any wrong pair, the tries per address) are `jieban.exchange.tracking`'s."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from jieban.errors import DomainError, InvalidInput, NotFound, Throttled
from jieban.exchange.tracking import (
    ANSWERS,
    COMMENT_LIMIT,
    NUMBER_LIMIT,
    AnswerRefused,
    CaseView,
    answer_satisfaction,
    look_up_case,
)
from jieban.http import client_address
from jieban.tickets.models import VisitOutcome
from jieban.web.errors import put_domain_error


class LookUpForm(forms.Form):
    number = forms.CharField(
        label=gettext_lazy("Ticket number"),
        required=False,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "placeholder": "JB20260714-0042",
                "maxlength": NUMBER_LIMIT,
            }
        ),
    )
    phone_last4 = forms.CharField(
        label=gettext_lazy("Last four digits of the phone you called from"),
        required=False,
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "off",
                "pattern": "[0-9]{4}",
                "maxlength": 4,
                "placeholder": "1234",
            }
        ),
    )


class AnswerForm(forms.Form):
    number = forms.CharField(required=False, widget=forms.HiddenInput)
    phone_last4 = forms.CharField(required=False, widget=forms.HiddenInput)
    outcome = forms.ChoiceField(
        label=gettext_lazy("Are you satisfied with how your case was handled?"),
        required=False,
        choices=[(outcome.value, outcome.label) for outcome in ANSWERS],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=gettext_lazy("Comment (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": COMMENT_LIMIT}),
    )


@require_http_methods(["GET", "HEAD", "POST"])
def track(request: HttpRequest) -> HttpResponse:
    """The look-up form; posted, the case (or why not); an answer posted, the case again with
    thanks (or why not)."""
    if request.method == "POST" and "outcome" in request.POST:
        return _answer(request)
    form = LookUpForm(request.POST if request.method == "POST" else None)
    case: CaseView | None = None
    status = 200
    if form.is_bound:
        form.is_valid()
        data = form.cleaned_data
        try:
            case = look_up_case(
                data["number"], data["phone_last4"], address=client_address(request)
            )
        except DomainError as exc:
            status = put_domain_error(form, exc)
    return _page(request, form, case, status=status)


def _answer(request: HttpRequest) -> HttpResponse:
    answer = AnswerForm(request.POST)
    answer.is_valid()
    data = answer.cleaned_data
    look_up = LookUpForm({"number": data["number"], "phone_last4": data["phone_last4"]})
    look_up.is_valid()
    try:
        case = answer_satisfaction(
            data["number"],
            data["phone_last4"],
            outcome=data["outcome"],
            comment=data["comment"],
            address=client_address(request),
        )
    except AnswerRefused as exc:
        return _page(request, look_up, exc.case, refusal=exc.message, status=exc.status_code)
    except InvalidInput as exc:
        if exc.field in ("outcome", "comment"):
            # The answer's own mistake: the case again (a further try), the answer with it.
            status = put_domain_error(answer, exc)
            return _page(request, look_up, _case_again(request, data), answer=answer, status=status)
        status = put_domain_error(look_up, exc)
        return _page(request, look_up, None, status=status)
    except (NotFound, Throttled) as exc:
        # The pair no longer matches, or too many tries: from the look-up again.
        status = put_domain_error(look_up, exc)
        return _page(request, look_up, None, status=status)
    return _page(request, look_up, case, thanks=True)


def _case_again(request: HttpRequest, data: dict[str, str]) -> CaseView | None:
    try:
        return look_up_case(data["number"], data["phone_last4"], address=client_address(request))
    except DomainError:
        return None


def _page(
    request: HttpRequest,
    form: LookUpForm,
    case: CaseView | None,
    *,
    answer: AnswerForm | None = None,
    refusal: str = "",
    thanks: bool = False,
    status: int = 200,
) -> HttpResponse:
    if case is not None and case.may_answer and answer is None:
        last4 = str(request.POST.get("phone_last4", "")).strip()
        answer = AnswerForm(initial={"number": case.number, "phone_last4": last4})
    return render(
        request,
        "web/track.html",
        {
            "form": form,
            "case": case,
            "answer": answer if case is not None and case.may_answer else None,
            "refusal": refusal,
            "thanks": thanks,
            "answered": VisitOutcome(case.answered).label if case and case.answered else "",
        },
        status=status,
    )
