"""API authentication: a browser session (with CSRF) or `Authorization: Bearer <token>`."""

from __future__ import annotations

import functools
from typing import Any

from django.db import connection
from django.http import HttpRequest
from ninja.errors import AuthenticationError
from ninja.security import APIKeyCookie, HttpBearer

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
            # A client that sends a token means that token: a wrong or revoked one is a 401,
            # whatever the method, not a fall through to the session's CSRF check (403).
            raise AuthenticationError()
        request.user = found
        return found


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
