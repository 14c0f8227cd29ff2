"""What the two interfaces (pages and API) share about a request: its authenticated type, who
sent it from behind the reverse proxies, its id, access line and metrics, the probes answered
first, the refusal of addresses no page or endpoint could read, answers no cache keeps, and
who the history records as acting."""

from __future__ import annotations

import ipaddress
import logging
import time
from collections.abc import Callable

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.urls import resolve
from django.utils.cache import patch_cache_control
from django.utils.functional import SimpleLazyObject, empty
from django.utils.translation import gettext as _

from jieban.inputs import printable
from jieban.ops.metrics import observe_request
from jieban.org.history import ACTING_REQUEST
from jieban.org.models import User
from jieban.request_log import REQUEST_ID, REQUEST_ID_HEADER, begin_request, end_request

access_log = logging.getLogger("jieban.access")


class AuthenticatedRequest(HttpRequest):
    """A request that passed authentication (`login_required`, the API's token or session):
    its user is a person, never the anonymous visitor. Annotate views and handlers with it."""

    user: User


def client_address(request: HttpRequest) -> str:
    """The address a request came from, as the login lockouts read it (django-axes: the
    connection's address unless configured otherwise), for limits per address."""
    return get_client_ip_address(request) or ""


class BehindTrustedProxies:
    """A request that comes from one of the reverse proxies in JIEBAN_TRUSTED_PROXIES is taken
    to be from the client the proxies name, and to be HTTPS when they say so; from anywhere
    else, both headers are ignored, whoever sends them (README "Behind a proxy").

    The client is the right-most address of `X-Forwarded-For` that is not a trusted proxy:
    each proxy appends the address it was reached from, so what stands left of that was sent
    by the client and may be forged. `REMOTE_ADDR` becomes that address, so the lockouts and
    the tries per address, the history and the logs all read the one client. `X-Forwarded-
    Proto: https` makes the request secure (the CSRF check then compares the origin with the
    HTTPS address itself): Django's own SECURE_PROXY_SSL_HEADER would believe anyone's.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        proxies = settings.JIEBAN_TRUSTED_PROXIES
        if proxies and _within(request.META.get("REMOTE_ADDR", ""), proxies):
            client = _forwarded_client(request.META.get("HTTP_X_FORWARDED_FOR", ""), proxies)
            if client:
                request.META["REMOTE_ADDR"] = client
            if request.META.get("HTTP_X_FORWARDED_PROTO", "").strip().lower() == "https":
                request.META["wsgi.url_scheme"] = "https"
        return self.get_response(request)


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _within(address: str, networks: list[Network]) -> bool:
    try:
        parsed = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(parsed in network for network in networks)


def _forwarded_client(forwarded_for: str, proxies: list[Network]) -> str:
    """The right-most address of `forwarded_for` that is not a trusted proxy; empty when there
    is none, or when a malformed entry comes before it (then nothing left of it is known)."""
    for entry in reversed(forwarded_for.split(",")):
        try:
            address = ipaddress.ip_address(entry.strip())
        except ValueError:
            return ""
        if not any(address in network for network in proxies):
            return str(address)
    return ""


# The API's answers are JSON; every other address is a page's.
API_PATH = "/api/"
NUL = "\x00"


class RefuseNulInAddresses:
    """A path or query string holding NUL (U+0000) is a 400 before any view runs: no ticket
    number, code, date or search holds one, and PostgreSQL refuses it in a query, wherever
    the text would go. The API answers as it does any bad input, naming the parameter; a page
    in plain text. Other control characters in a query go to what reads it: a filter refuses
    them naming its field, the search ignores them (`jieban.tickets.selectors`)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        field = self._holding_nul(request)
        if field is None:
            return self.get_response(request)
        message = _(
            "The address contains a character that is not accepted (U+0000), in %(field)s."
        ) % {"field": field}
        if request.path_info.startswith(API_PATH):
            return JsonResponse({"detail": message, "field": field}, status=400)
        return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")

    @staticmethod
    def _holding_nul(request: HttpRequest) -> str | None:
        """The name of the first part of the address that holds NUL, or None."""
        if NUL in request.path_info:
            return "path"
        for name, values in request.GET.lists():
            if any(NUL in text for text in (name, *values)):
                return printable(name) or "query"
        return None


class NoStore:
    """Every answer of a page or the API is `Cache-Control: no-store`: they carry residents'
    names, phones and complaints, which no browser cache or proxy may keep after the person
    logs out (nor show on the back button of a shared computer). The vendored static files,
    served before this by WhiteNoise, keep their long caching."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        patch_cache_control(response, no_store=True)
        return response


class RecordChangesAsTheRequestsPerson:
    """Changes recorded in the history while this request runs are recorded as done by its
    person (`jieban.org.history`), read when the change is recorded: an API call's person is
    known only once its bearer token is checked, after every middleware. Nobody logged in (a
    command, the worker) is recorded as no person, the system.

    django-auditlog's own middleware does this by connecting and disconnecting a signal
    receiver on every request, about 0.15 ms, on the intake path too; this sets one context
    variable that a receiver connected once reads.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        token = ACTING_REQUEST.set(request)
        try:
            return self.get_response(request)
        finally:
            ACTING_REQUEST.reset(token)


# The operator's probes (`jieban.web.ops_views`): answered by `AnswerProbesFirst`, logged only
# when they fail (a load balancer asks every few seconds).
PROBES = frozenset({"/healthz", "/metrics"})
# A request no URL pattern matched: its count and line name no path (a scanner's would each
# make a series).
UNMATCHED = "<unmatched>"
STATIC = "<static>"


class ObserveRequests:
    """Every request gets an id (`jieban.request_log`: the incoming `X-Request-ID` when
    well-formed, else a new one), set on every log record made while it is handled and on the
    answer's `X-Request-ID`; on its way out, one access line (method, route, path, status,
    milliseconds, the person's id, the request id) and its count and seconds in the metrics,
    by route: the URL pattern, never the path, which holds ticket numbers. First in the
    middleware, so that every answer is counted, a refusal by a middleware too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        # The id is set when Django starts handling a request and cleared once the answer is
        # sent: Django's own record of a 4xx or 5xx, written after the middleware returned,
        # carries it too.
        request_started.connect(begin_request, dispatch_uid="jieban.request_id")
        request_finished.connect(end_request, dispatch_uid="jieban.request_id")

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        started = time.perf_counter()
        response = self.get_response(request)
        seconds = time.perf_counter() - started
        response[REQUEST_ID_HEADER] = REQUEST_ID.get()
        route = route_of(request)
        observe_request(
            method=request.method or "", route=route, status=response.status_code, seconds=seconds
        )
        if request.path_info not in PROBES or response.status_code >= 300:
            self._log(request, response, route, seconds)
        return response

    @staticmethod
    def _log(request: HttpRequest, response: HttpResponseBase, route: str, seconds: float) -> None:
        milliseconds = round(seconds * 1000, 1)
        person = _person_id(request)
        access_log.info(
            "%s %s %s %.1f ms",
            request.method,
            request.path,
            response.status_code,
            milliseconds,
            extra={
                "method": request.method,
                "route": route,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": milliseconds,
                "user_id": person,
            },
        )


def route_of(request: HttpRequest) -> str:
    """The URL pattern that answered (`/tickets/<str:number>/`), or what stands for none."""
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return "/" + str(match.route)
    if request.path_info.startswith("/" + str(settings.STATIC_URL).lstrip("/")):
        return STATIC
    return UNMATCHED


def _person_id(request: HttpRequest) -> int | None:
    """The id of the request's person if the request looked them up (a page's session, the
    API's token); never a session read for the log's sake alone."""
    user = request.__dict__.get("user")
    if isinstance(user, SimpleLazyObject):
        # The session's person, if something looked them up (`empty` if nothing did).
        user = user.__dict__.get("_wrapped", empty)
    return user.pk if isinstance(user, User) else None


class AnswerProbesFirst:
    """/healthz and /metrics answered before the middleware below, which would refuse a Host
    not in `JIEBAN_ALLOWED_HOSTS` (a load balancer and Prometheus call a node by its address),
    read a session or redirect: their views are found in the URL configuration as any other,
    and need none of that. Nothing but a probe's exact path takes this way."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.path_info not in PROBES:
            return self.get_response(request)
        match = resolve(request.path_info)
        request.resolver_match = match
        response: HttpResponseBase = match.func(request, *match.args, **match.kwargs)
        return response
