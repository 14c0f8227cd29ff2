"""Logging in, on the login page and the back office's. A login locked out for too many
failures (`jieban.org.lockouts`) is refused with its reason on the form, shown again, as a 429.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from jieban.org.lockouts import ACCOUNT, Lockout


def lockout_message(lockout: Lockout) -> str:
    """What a locked-out person reads: what is locked, for how long, and who can lift it."""
    minutes = lockout.minutes_left
    if lockout.on == ACCOUNT:
        text = ngettext(
            "Too many failed logins for this account: it is locked for %(minutes)d more"
            " minute. Try again then, or ask an administrator to lift the lock.",
            "Too many failed logins for this account: it is locked for %(minutes)d more"
            " minutes. Try again then, or ask an administrator to lift the lock.",
            minutes,
        )
    else:
        text = ngettext(
            "Too many failed logins from your network address: logins from it are locked for"
            " %(minutes)d more minute. Try again then, or ask an administrator to lift the lock.",
            "Too many failed logins from your network address: logins from it are locked for"
            " %(minutes)d more minutes. Try again then, or ask an administrator to lift the"
            " lock.",
            minutes,
        )
    return text % {"minutes": minutes}


class SaysWhenLockedOut(AuthenticationForm):
    """A login form that, when axes refused the login or this failure locked it, says so
    instead of "wrong username or password"."""

    def clean(self) -> dict[str, Any]:
        try:
            return super().clean()
        except ValidationError:
            lockout: Lockout | None = getattr(self.request, "jieban_lockout", None)
            if lockout is not None and getattr(self.request, "axes_locked_out", False):
                raise ValidationError(lockout_message(lockout), code="locked_out") from None
            raise


class LoginForm(SaysWhenLockedOut):
    """The login page's form."""


class AdminLoginForm(SaysWhenLockedOut, AdminAuthenticationForm):
    """The back office's login form."""


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponseBase | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponseBase:
    """axes's answer to a locked-out login (`AXES_LOCKOUT_CALLABLE`): the page the login view
    rendered, whose form says why, as a 429; the API's own 429 as it is; else the reason in
    plain text."""
    if original_response is not None and original_response.status_code in (200, 429):
        original_response.status_code = 429
        return original_response
    lockout: Lockout | None = getattr(request, "jieban_lockout", None)
    text = lockout_message(lockout) if lockout else _("Too many failed logins: try again later.")
    return HttpResponse(text, status=429, content_type="text/plain; charset=utf-8")
