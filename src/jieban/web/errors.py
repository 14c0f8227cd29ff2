"""How the pages answer a domain error (`jieban.errors`): decided here, once.

- A view wrapped in `answers_domain_errors` lets the errors it cannot show escape: NotFound is
  the 404 page, Forbidden the 403 page with its message, any other error its status with the
  message as plain text (a download has no page to show it on).
- A page that shows its posted form again puts the error on it with `put_domain_error`: on the
  field it names, or above the form; the page answers with the error's status (400 for bad
  input). It catches only what the person can correct there and lets a Forbidden escape.
- The forms posted into a panel (the ticket page's actions, a follow-up queue row) say why in
  the panel with `refusal`: a Conflict above the form at 409 with a reload (the page is out of
  date: its forms carry the old version), a Forbidden above the form at 403, bad input on its
  field at 400. A ticket gone is the panel's own 404.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase

from jieban.errors import Conflict, DomainError, Forbidden, NotFound

P = ParamSpec("P")
R = TypeVar("R", bound=HttpResponseBase)


def answers_domain_errors(view: Callable[P, R]) -> Callable[P, R | HttpResponse]:
    """Wrap `view` so that a domain error escaping it is the page's answer (see above)."""

    @functools.wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R | HttpResponse:
        try:
            return view(*args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from exc
        except Forbidden as exc:
            raise PermissionDenied(exc.message) from exc
        except DomainError as exc:
            return HttpResponse(
                exc.message, status=exc.status_code, content_type="text/plain; charset=utf-8"
            )

    return wrapped


def put_domain_error(form: forms.Form, exc: DomainError) -> int:
    """Show a domain error on the field it names, or above the form; the page's status."""
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)
    return exc.status_code


@dataclass(frozen=True)
class Refusal:
    """Why a form posted into a panel was refused, as the panel says it."""

    status: int = 400
    message: str = ""
    # The page is out of date: it offers nothing but a reload.
    stale: bool = False


def refusal(form: forms.Form, exc: DomainError) -> Refusal:
    """A Conflict is a stale page (409, reload), a Forbidden a message (403); anything else
    goes on the field it names, at its status."""
    if isinstance(exc, Conflict):
        return Refusal(409, exc.message, stale=True)
    if isinstance(exc, Forbidden):
        return Refusal(403, exc.message)
    return Refusal(put_domain_error(form, exc))
