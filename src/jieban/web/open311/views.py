"""The GeoReport v2 resources, each in XML and JSON (`.xml`, `.json` at the end of the path).

GET needs no key, as the specification says; POST Service Request needs the application's
`api_key` (`jieban open311 key create NAME`) and is exempt from the pages' CSRF check, since it
is a machine's call authenticated by its key, not a browser's with a session. Every domain
error is the specification's error list with its HTTP status (`_answers_in_errors`): 403 for a
missing, unknown or revoked key, 429 once an address sent too many wrong keys, 404 for what
does not exist, 400 for anything else.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from jieban.errors import DomainError, Forbidden, NotFound, Throttled
from jieban.exchange.open311 import (
    ServiceRequestDraft,
    active_service,
    application_of,
    check_jurisdiction,
    submit_service_request,
)
from jieban.exchange.open311_selectors import (
    open311_request,
    open311_requests,
    open311_services,
    request_query,
)
from jieban.http import client_address
from jieban.web.open311 import answers

# `attribute[CODE]=value`, and `attribute[CODE][]=value` once per value of a multivaluelist.
ATTRIBUTE = re.compile(r"^attribute\[([^\]]+)\](\[\])?$")
# POST Service Request's arguments, as ServiceRequestDraft names them.
DRAFT_FIELDS = (
    "service_code",
    "lat",
    "long",
    "address_string",
    "address_id",
    "description",
    "media_url",
    "email",
    "first_name",
    "last_name",
    "phone",
)

View = Callable[..., HttpResponse]


def _answers_in_errors(view: View) -> View:
    """Wrap a resource so that a domain error is the specification's error list: 403 and 404
    as they are, every other error 400 ("basically 400 for any other error")."""

    @functools.wraps(view)
    def wrapped(
        request: HttpRequest, *args: Any, response_format: str, **kwargs: Any
    ) -> HttpResponse:
        try:
            check_jurisdiction(
                request.POST.get("jurisdiction_id") or request.GET.get("jurisdiction_id")
            )
            return view(request, *args, response_format=response_format, **kwargs)
        except DomainError as exc:
            status = exc.status_code if isinstance(exc, Forbidden | NotFound | Throttled) else 400
            answer = answers.errors(response_format, status, [_naming_the_argument(exc)])
            if isinstance(exc, Throttled):
                answer["Retry-After"] = str(exc.retry_after)
            return answer

    return wrapped


def _naming_the_argument(exc: DomainError) -> str:
    """The error's message, led by the argument it is about when it does not name it."""
    if exc.field and exc.field not in exc.message:
        return f"{exc.field}: {exc.message}"
    return exc.message


@require_safe
@_answers_in_errors
def services(request: HttpRequest, *, response_format: str) -> HttpResponse:
    """GET Service List: the active categories."""
    records = [answers.service(category) for category in open311_services()]
    return answers.listing(response_format, "services", records)


@require_safe
@_answers_in_errors
def service_definition(
    request: HttpRequest, *, service_code: str, response_format: str
) -> HttpResponse:
    """GET Service Definition: one service's attributes (none), 404 for an unknown code."""
    category = active_service(service_code)
    return answers.single(
        response_format, "service_definition", answers.service_definition(category)
    )


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
@_answers_in_errors
def service_requests(request: HttpRequest, *, response_format: str) -> HttpResponse:
    """GET Service Requests (filtered, at most 1000 of 90 days), or POST Service Request."""
    if request.method == "POST":
        return _post_service_request(request, response_format)
    query = request_query(
        service_request_id=request.GET.get("service_request_id"),
        service_code=request.GET.get("service_code"),
        start_date=request.GET.get("start_date"),
        end_date=request.GET.get("end_date"),
        status=request.GET.get("status"),
        now=timezone.now(),
    )
    records = [answers.service_request(ticket) for ticket in open311_requests(query)]
    return answers.listing(response_format, "service_requests", records)


def _post_service_request(request: HttpRequest, response_format: str) -> HttpResponse:
    key = application_of(request.POST.get("api_key", ""), address=client_address(request))
    draft = ServiceRequestDraft(
        **{name: request.POST.get(name, "") for name in DRAFT_FIELDS},
        attributes={
            found.group(1): request.POST.getlist(name)
            for name in request.POST
            if (found := ATTRIBUTE.match(name))
        },
    )
    ticket = submit_service_request(draft, key=key)
    return answers.listing(
        response_format, "service_requests", [answers.created(ticket)], status=201
    )


@require_safe
@_answers_in_errors
def service_request(
    request: HttpRequest, *, service_request_id: str, response_format: str
) -> HttpResponse:
    """GET Service Request: a list of one, as the specification shows it; 404 for a ticket
    that did not come in through Open311."""
    ticket = open311_request(service_request_id)
    return answers.listing(response_format, "service_requests", [answers.service_request(ticket)])
