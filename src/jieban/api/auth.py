"""API authentication: a browser session (with CSRF) or `Authorization: Bearer <token>`."""

from __future__ import annotations

import functools
from typing import Any, NoReturn

from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth.signals import user_login_failed
from django.db import connection
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError
from ninja.security import APIKeyCookie, HttpBearer

from jieban.errors import Throttled
from jieban.org.lockouts import API_TOKEN, Lockout
from jieban.org.models import ApiToken, User, hash_token


@functools.cache
def _token_user_sql() -> str:
    """The active user of an unrevoked token, in one statement written once per process.

    Every API call authenticates, so this skips the ORM's query compilation (the costliest
    part of a request on the intake path); `raw()` still converts the values as the ORM does.
    """
    quote = connection.ops.quote_name
    user, token = User._meta, ApiToken._meta
    columns = ", ".join(f"u.{quote(item.column)}" for item in user.concrete_fields)
    return (
        f"SELECT {columns} FROM {quote(user.db_table)} u"
        f" JOIN {quote(token.db_table)} t"
        f" ON t.{quote(token.get_field('user').column)} = u.{quote(user.pk.column)}"
        f" WHERE t.{quote(token.get_field('key_hash').column)} = %s"
        f" AND t.{quote(token.get_field('revoked_at').column)} IS NULL"
        f" AND u.{quote(user.get_field('is_active').column)} = %s"
    )


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = next(iter(User.objects.raw(_token_user_sql(), [hash_token(token), True])), None)
        if found is None:
            refuse_wrong_token(request)
        request.user = found
        return found


def refuse_wrong_token(request: HttpRequest) -> NoReturn:
    """A wrong or revoked token: a 401, counted against the request's address; once the
    address has sent too many (`jieban.org.lockouts`), a 429 that says so.

    A client that sends a token means that token: a wrong one is refused whatever the method,
    never a fall through to the session's CSRF check (403). Only wrong tokens are counted and
    refused: a valid one still works from a locked address, so the request that succeeds pays
    nothing for this (a token has 256 random bits; counting is against noise, not guessing).
    """
    credentials = {"username": API_TOKEN}
    if AxesProxyHandler.is_allowed(request, credentials):
        user_login_failed.send(sender=BearerToken, credentials=credentials, request=request)
    lockout: Lockout | None = getattr(request, "jieban_lockout", None)
    if lockout is None:
        raise AuthenticationError()
    raise Throttled(
        _(
            "Too many wrong or revoked API tokens from your address: wrong tokens from it are"
            " refused for %(minutes)d more minutes (a valid token still works). Check the token"
            " you send as 'Authorization: Bearer …'; an administrator can lift the lock."
        )
        % {"minutes": lockout.minutes_left},
        retry_after=max(1, int((lockout.until - timezone.now()).total_seconds())),
        field="Authorization",
    )


class SessionUser(APIKeyCookie):
    """The logged-in page user; ninja checks the CSRF token on unsafe methods."""

    param_name = "sessionid"

    def _get_key(self, request: HttpRequest) -> str | None:
        # No session cookie, no session to forge a request with: nothing for CSRF to protect,
        # and the client is told 401 (log in or send a token), not 403 "CSRF check Failed".
        if self.param_name not in request.COOKIES:
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_active:
            return user
        return None
