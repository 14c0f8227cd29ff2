"""The JSON API under /api/v1/: one `NinjaAPI` with its authentication, a router per area, and
the one mapping of errors to HTTP.

Each area's handlers live in `jieban/api/routers/<area>.py`, which defines
`router = Router()`; they are thin: parse the input, call the domain, return an output builder's
dict. Output builders several routers share are in `jieban.api.serializers`, the typed shapes in
`jieban.api.schemas` (a new area may keep its own next to its router). To add an area
(mediation, the 12345 exchange, ...): write `routers/<area>.py`, then add one line below,
`api.add_router("", <area>.router)`. Its operations inherit the authentication and the error
mapping here; a domain error they raise (`jieban.errors`) becomes its HTTP status with no
`except` in the handler.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.operation import Operation
from ninja.parser import Parser

from jieban.api.auth import BearerToken, SessionUser
from jieban.api.routers import (
    batch,
    calendar,
    community,
    dispatch_rules,
    exchange,
    mediation,
    notifications,
    org,
    stats,
    studios,
    suggestions,
    supervision,
    tickets,
    track,
)
from jieban.errors import DomainError, InvalidInput, Throttled
from jieban.inputs import check_every_text


class NotAnObject(ValueError):
    """The body is JSON, but not the object every body of this API is."""


class JsonObjects(Parser):
    """Every request body is one JSON object: anything else is a 400 before a handler runs.

    Django Ninja reads a body that is not an object (`12`, `"garbage"`, `[null]`, `null`) as
    "no fields given", so an action whose fields are all optional would run on it: a `close`
    with the body `12` closed the ticket. Here such a body is refused, as is any text in it
    that holds a control character or a lone surrogate (`jieban.inputs`), named by its path.
    An empty body is no body: an operation takes one only when its fields are all optional.
    """

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        try:
            data = json.loads(request.body)
        except (ValueError, RecursionError):
            raise ValueError("not JSON") from None
        if not isinstance(data, dict):
            raise NotAnObject(type(data).__name__)
        check_every_text(data)
        return data


class JiebanAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Operation) -> str:
        # The ids date from when every handler lived in `jieban.api.views`: kept, so clients
        # generated from the OpenAPI document keep their method names.
        return f"jieban_api_views_{operation.view_func.__name__}"


AUTHENTICATION = [BearerToken(), SessionUser()]


def for_people_logged_in(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The OpenAPI document and its browsable docs (`/openapi.json`, `/docs`), like every
    endpoint, for a logged-in session or a valid token only: anyone else gets the 401 every
    endpoint answers. The document names every operation and field the bureau exposes."""

    @functools.wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            person = next((found for way in AUTHENTICATION if (found := way(request))), None)
        except AuthenticationError:
            person = None
        if person is None:
            return on_authentication_error(request, AuthenticationError())
        return view(request, *args, **kwargs)

    return guarded


api = JiebanAPI(
    title="Jieban API",
    version="1",
    urls_namespace="api",
    auth=AUTHENTICATION,
    docs_url="/docs",
    docs_decorator=for_people_logged_in,
    parser=JsonObjects(),
)

# The order of registration is the order of the paths in the OpenAPI document.
# Before the tickets' router: its `/tickets/{number}` would take `/tickets/batch`.
api.add_router("", batch.router)
api.add_router("", tickets.router)
api.add_router("", suggestions.router)
api.add_router("", org.router)
api.add_router("", calendar.router)
api.add_router("", supervision.router)
api.add_router("", notifications.router)
api.add_router("", stats.router)
api.add_router("", community.router)
api.add_router("", studios.router)
api.add_router("", mediation.router)
api.add_router("", track.router)
api.add_router("", exchange.router)
api.add_router("", dispatch_rules.router)


def _error(
    request: HttpRequest, status: int, detail: str, field: str | None = None
) -> HttpResponse:
    return api.create_response(request, {"detail": detail, "field": field}, status=status)


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    response = _error(request, exc.status_code, exc.message, exc.field)
    if isinstance(exc, Throttled):
        response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    first = exc.errors[0] if exc.errors else {}
    wrappers = ("body", "payload", "query", "path", "filters")
    location = [str(part) for part in first.get("loc", ()) if part not in wrappers]
    field = ".".join(location) or None
    message = str(first.get("msg", _("Invalid input.")))
    if first.get("type") == "missing":
        message = _("This field is required.")
    detail = f"{field}: {message}" if field else message
    return _error(request, 400, detail, field)


@api.exception_handler(RequestDataTooBig)
def on_body_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return _error(request, 413, _("The request body is too large."), "body")


@api.exception_handler(AuthenticationError)
def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, _("Log in, or send a valid token as 'Authorization: Bearer …'."))


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    cause = exc.__cause__
    if isinstance(cause, RequestDataTooBig):
        return _error(request, 413, _("The request body is too large."), "body")
    if isinstance(cause, InvalidInput):
        return _error(request, 400, cause.message, cause.field)
    if isinstance(cause, NotAnObject):
        return _error(request, 400, _("The request body must be a JSON object."), "body")
    if exc.status_code == 400:
        return _error(request, 400, _("The request body is not valid JSON."), "body")
    return _error(request, exc.status_code, str(exc))
