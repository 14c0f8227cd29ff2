"""The API fuzzed from its own OpenAPI document: no input is a 5xx, and no answer breaks the
document.

Schemathesis generates requests for every operation from the document the `NinjaAPI` builds,
valid ones and invalid ones (negative mode), and sends them in-process to the whole WSGI
application (every middleware, the real authentication), as four people of the shared cast
with an API token or a browser session. Ticket numbers, units, categories, periods and the like
are drawn now and then from what the database holds, so that the requests reach past "not
found" into the actions. The run is bounded (`EXAMPLES` per operation) and repeatable
(derandomized, at a fixed moment, no example database). Each answer must pass:

- not a server error (no 5xx);
- its status code, content type, headers and body as the document says for that status;
- a request the document calls invalid is refused (4xx), never acted on.

Alone: `pytest tests/test_api_fuzz.py`; more examples: `JIEBAN_FUZZ_EXAMPLES=500 pytest …`.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
import time_machine
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis import checks
from schemathesis.specs.openapi import checks as openapi_checks

from jieban.api.api import api
from jieban.org.models import ApiToken, User
from jieban.tickets.extensions import request_extension
from jieban.tickets.models import Channel, VisitOutcome
from jieban.tickets.supervision import supervise_ticket
from tests.conftest import Cast, local, new_ticket
from tests.web.conftest import dispatched, in_progress, resolved

EXAMPLES = int(os.environ.get("JIEBAN_FUZZ_EXAMPLES", "30"))
# A Wednesday with working days around it; every example runs at this moment.
NOW = local(2026, 3, 11, 10)

schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
# The test sends real credentials; no made-up tokens or cookies in the generated requests.
schema.config.generation.update(with_security_parameters=False, max_examples=EXAMPLES)

CHECKS = [
    checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_headers_conformance,
    openapi_checks.response_schema_conformance,
    openapi_checks.negative_data_rejection,
]
# Django's CSRF secret for the session's requests (cookie and header alike).
CSRF = "fuzzcsrf" * 4


@dataclass
class World:
    """What the examples draw from: values the database holds, and the credentials to use."""

    values: dict[tuple[str, str], list[Any]]
    credentials: list[dict[str, Any]]


@pytest.fixture
def wsgi_app(db: Any) -> Iterator[WSGIHandler]:
    """The whole application, called in the test's transaction. Django's test client does the
    same: a request's end must not close the connection that holds the transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def credentials_of(user: User) -> list[dict[str, Any]]:
    """A bearer token and a logged-in session (with its CSRF token) for `user`."""
    _token, raw = ApiToken.issue(user)
    browser = Client()
    browser.force_login(user)
    return [
        {"headers": {"Authorization": f"Bearer {raw}"}},
        {
            "cookies": {"sessionid": browser.cookies["sessionid"].value, "csrftoken": CSRF},
            "headers": {"X-CSRFToken": CSRF},
        },
    ]


@pytest.fixture
def world(cast: Cast) -> Iterator[World]:
    with time_machine.travel(NOW, tick=True):
        # A ticket in each state, two new (to merge one into the other), one at station B.
        busy = in_progress(cast)
        tickets = [
            new_ticket(cast.dispatcher),
            new_ticket(cast.building_head),
            dispatched(cast),
            dispatched(cast, "PS-B"),
            busy,
            resolved(cast),
        ]
        request_extension(busy.number, days=2, reason="需要协调", by=cast.handler_a)
        supervise_ticket(busy.number, note="请加快办理", by=cast.supervisor)
        numbers = [ticket.number for ticket in tickets]
        today = NOW.date()
        values: dict[tuple[str, str], list[Any]] = {
            ("path", "number"): numbers,
            ("path", "kind"): ["daily", "weekly", "monthly"],
            ("path", "period"): ["2026-03-10", "2026-W10", "2026-02", "2026-03"],
            ("path", "month"): ["2026-03", "2026-02"],
            ("path", "when"): ["2026", "2027", "2026-04-06"],
            ("query", "unit"): ["PS-A", "PS-B"],
            ("query", "ticket"): numbers,
            ("query", "status"): ["new", "dispatched,in_progress", "resolved"],
            ("query", "period"): ["day", "week", "month"],
            ("query", "group_by"): ["unit", "category", "channel", "grid"],
            ("query", "start"): [str(today - dt.timedelta(days=30)), "2026-03-01"],
            ("query", "end"): [str(today + dt.timedelta(days=1)), "2026-04-01"],
            ("query", "received_from"): ["2026-03-01"],
            ("query", "received_to"): ["2026-03-31"],
            ("body", "unit"): ["PS-A", "PS-B", "G-01"],
            ("body", "channel"): [Channel.PHONE, Channel.HOTLINE_12345, Channel.OPEN311],
            ("body", "category"): ["renovation_noise", "noise"],
            ("body", "into"): numbers,
            ("body", "number"): numbers,
            ("body", "outcome"): list(VisitOutcome.values),
            ("body", "days"): [1, 3, 10],
            ("body", "kind"): ["holiday", "workday"],
            ("body", "received_at"): [(NOW - dt.timedelta(hours=2)).isoformat()],
            ("body", "due_at"): [(NOW + dt.timedelta(days=7)).isoformat()],
        }
        credentials = [
            credential
            for user in (cast.admin, cast.dispatcher, cast.supervisor, cast.handler_a)
            for credential in credentials_of(user)
        ]
        yield World(values, credentials)


def from_the_database(case: Any, data: Any, values: dict[tuple[str, str], list[Any]]) -> None:
    """Replace, three times in four, a generated value with one the database knows. Schemathesis
    re-checks the edited case, so a negative example made valid is judged as valid."""
    containers = (("path", case.path_parameters), ("query", case.query), ("body", case.body))
    for location, container in containers:
        if not isinstance(container, dict):
            continue
        for name in sorted(container):
            known = values.get((location, name))
            if known and data.draw(st.integers(0, 3)) > 0:
                container[name] = data.draw(st.sampled_from(known))


@schema.parametrize()
@schema.given(data=st.data())
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    # The database fixture is set up once per operation and grows with its examples: wanted.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_api_answers_every_input_as_documented(
    case: Any, data: Any, wsgi_app: WSGIHandler, world: World
) -> None:
    from_the_database(case, data, world.values)
    credential = data.draw(st.sampled_from(world.credentials))
    response = case.call(app=wsgi_app, **credential)
    case.validate_response(response, checks=CHECKS)
