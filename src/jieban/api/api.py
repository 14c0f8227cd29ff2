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

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.operation import Operation

from jieban.api.auth import BearerToken, SessionUser
from jieban.api.routers import calendar, notifications, org, stats, supervision, tickets
from jieban.errors import DomainError


class JiebanAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Operation) -> str:
        # The ids date from when every handler lived in `jieban.api.views`: kept, so clients
        # generated from the OpenAPI document keep their method names.
        return f"jieban_api_views_{operation.view_func.__name__}"


api = JiebanAPI(
    title="Jieban API",
    version="1",
    urls_namespace="api",
    auth=[BearerToken(), SessionUser()],
    docs_url="/docs",
)

# The order of registration is the order of the paths in the OpenAPI document.
api.add_router("", tickets.router)
api.add_router("", org.router)
api.add_router("", calendar.router)
api.add_router("", supervision.router)
api.add_router("", notifications.router)
api.add_router("", stats.router)


def _error(
    request: HttpRequest, status: int, detail: str, field: str | None = None
) -> HttpResponse:
    return api.create_response(request, {"detail": detail, "field": field}, status=status)


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return _error(request, exc.status_code, exc.message, exc.field)


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
    if isinstance(exc.__cause__, RequestDataTooBig):
        return _error(request, 413, _("The request body is too large."), "body")
    if exc.status_code == 400:
        return _error(request, 400, _("The request body is not valid JSON."), "body")
    return _error(request, exc.status_code, str(exc))
