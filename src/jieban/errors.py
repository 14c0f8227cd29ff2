"""The domain error hierarchy; the API and the pages map it to HTTP once."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error the domain layer raises on purpose."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(DomainError):
    """The caller sent something malformed or referring to nothing (HTTP 400)."""

    status_code = 400


class NotFound(DomainError):
    """The object does not exist, or the caller may not see it (HTTP 404)."""

    status_code = 404


class Forbidden(DomainError):
    """The caller can see the object but their role may not do this (HTTP 403)."""

    status_code = 403


class Conflict(DomainError):
    """The transition is not allowed from the current state, or the state is stale (HTTP 409)."""

    status_code = 409


class Throttled(DomainError):
    """Too many failed attempts from the caller: refused for a while (HTTP 429). `retry_after`
    says in how many seconds to try again."""

    status_code = 429

    def __init__(self, message: str, *, retry_after: int, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.retry_after = retry_after


class Unauthenticated(DomainError):
    """The caller did not prove who it is: a partner's request without a valid signature, or
    one too old (HTTP 401)."""

    status_code = 401
