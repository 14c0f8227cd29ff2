"""Every body the API takes is one JSON object (`jieban.api.api.JsonObjects`): anything else is
a 400 naming the body, before any handler runs, for every operation that takes one.

The operations are read from the OpenAPI document, so an endpoint added later is covered
without a line here; the document itself says, for each, whether a body must be sent, and
that is exactly when its schema has a field that must be given.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

import pytest

from jieban.api.api import api
from jieban.tickets.models import Ticket, TicketEvent
from tests.conftest import ApiClient, Cast, dispatch, new_ticket

NOT_OBJECTS = ['"garbage"', "12", "12.5", "true", "null", "[null]", "[]", '[{"note": "x"}]', "{"]
# What each path parameter is filled with: an operation with a parameter not named here fails
# `test_every_path_parameter_has_a_value` until it is given one.
PATH_VALUES = {
    "number": "<ticket>",
    "when": "2026-03-03",
    "month": "2026-07",
    "kind": "daily",
    "pk": "1",
}


@functools.cache
def schema() -> dict[str, Any]:
    return api.get_openapi_schema()


def json_operations() -> list[tuple[str, str]]:
    """(method, path) of every operation that takes a JSON body."""
    found = []
    for path, operations in schema()["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody")
            if body and "application/json" in body["content"]:
                found.append((method, path))
    return found


def body_schema(method: str, path: str) -> dict[str, Any]:
    """The schema of the operation's JSON body, its references followed."""
    document = schema()
    operation = document["paths"][path][method]
    found = operation["requestBody"]["content"]["application/json"]["schema"]
    while "$ref" in found or "allOf" in found:
        if "allOf" in found:
            (found,) = found["allOf"]
        else:
            name = found["$ref"].rsplit("/", 1)[1]
            found = document["components"]["schemas"][name]
    return found


OPERATIONS = json_operations()


def filled(path: str, ticket: Ticket) -> str:
    def value(match: re.Match[str]) -> str:
        given = PATH_VALUES[match.group(1)]
        return ticket.number if given == "<ticket>" else given

    return re.sub(r"\{(\w+)\}", value, path).removeprefix("/api/v1")


def send(client: ApiClient, method: str, path: str, raw: str) -> Any:
    call = getattr(client.client, method)
    return call(f"/api/v1{path}", data=raw, content_type="application/json", **client.headers)


def state() -> tuple[list[tuple[str, int]], int]:
    return list(Ticket.objects.values_list("status", "version")), TicketEvent.objects.count()


def test_it_finds_the_operations_it_checks() -> None:
    # The checks below mean nothing if the document lists none: these take a body.
    assert ("post", "/api/v1/tickets") in OPERATIONS
    assert ("post", "/api/v1/tickets/{number}/close") in OPERATIONS
    assert ("put", "/api/v1/calendar/{when}") in OPERATIONS
    assert len(OPERATIONS) >= 15


def test_every_path_parameter_has_a_value() -> None:
    names = {name for _method, path in OPERATIONS for name in re.findall(r"\{(\w+)\}", path)}
    assert names <= set(PATH_VALUES)


@pytest.mark.parametrize("method, path", OPERATIONS)
def test_a_body_that_is_not_an_object_is_a_400(cast: Cast, method: str, path: str) -> None:
    # A ticket every action could apply to as far as its state goes, and a caller who may do
    # almost everything: nothing but the body stands in the way.
    ticket = dispatch(cast, new_ticket(cast.dispatcher))
    client = ApiClient(cast.admin)
    before = state()
    for raw in NOT_OBJECTS:
        response = send(client, method, filled(path, ticket), raw)
        assert response.status_code == 400, (path, raw, response.content)
        assert response.json()["field"] == "body"
    assert state() == before


@pytest.mark.parametrize("method, path", OPERATIONS)
def test_a_body_must_be_sent_exactly_when_a_field_must_be_given(
    cast: Cast, method: str, path: str
) -> None:
    required = bool(body_schema(method, path).get("required"))
    document = schema()["paths"][path][method]["requestBody"]
    assert document.get("required", False) is required, path
    ticket = dispatch(cast, new_ticket(cast.dispatcher))
    response = send(ApiClient(cast.admin), method, filled(path, ticket), "")
    if required:
        assert response.status_code == 400, (path, response.content)
    else:
        # No body: the operation runs (its own answer, whatever the state allows).
        assert response.status_code != 400 or response.json()["field"] not in (None, "body")


def typed_fields() -> list[tuple[str, str, str, Any]]:
    """(method, path, field, a value of the wrong JSON type) for every body field the document
    types as a number or a yes/no, inside `anyOf` (an optional one) too."""
    wrong = {"integer": [True, "3", 2.5], "boolean": [1, "true"]}
    found = []
    for method, path in OPERATIONS:
        for name, field in body_schema(method, path).get("properties", {}).items():
            types = {item.get("type") for item in field.get("anyOf", [field])}
            for kind in sorted(types & set(wrong)):
                found.extend((method, path, name, value) for value in wrong[kind])
    return found


TYPED_FIELDS = typed_fields()
# A value of the right JSON type for a required field the test does not check.
RIGHT_VALUES: dict[str | None, Any] = {"integer": 1, "boolean": True, "array": [], "number": 1}


def test_it_finds_the_typed_fields_it_checks() -> None:
    fields = {(path, name) for _method, path, name, _value in TYPED_FIELDS}
    assert ("/api/v1/tickets/{number}/supervise", "days") in fields
    assert ("/api/v1/tickets/{number}/repeat-of", "merge") in fields
    assert ("/api/v1/tickets/{number}/accept", "version") in fields


@pytest.mark.parametrize("method, path, name, value", TYPED_FIELDS)
def test_a_value_of_the_wrong_json_type_is_a_400_naming_it(
    cast: Cast, method: str, path: str, name: str, value: Any
) -> None:
    # The fuzzing run found `{"days": true}` taken as one working day: pydantic's lax mode
    # reads `true` as 1 and `"3"` as 3. A body holds what the document says, or is refused.
    ticket = dispatch(cast, new_ticket(cast.dispatcher))
    shape = body_schema(method, path)
    # Every other field given a value of its own type: only `name` is wrong.
    body = {
        field: RIGHT_VALUES.get(shape["properties"][field].get("type"), "x")
        for field in shape.get("required", [])
        if field != name
    }
    body[name] = value
    before = state()
    response = send(ApiClient(cast.admin), method, filled(path, ticket), json.dumps(body))
    assert response.status_code == 400, (path, body, response.content)
    assert response.json()["field"] == name
    assert state() == before


@pytest.mark.parametrize("raw", ["12", '"garbage"', "[null]", "null"])
def test_a_close_with_a_body_that_is_not_an_object_closes_nothing(cast: Cast, raw: str) -> None:
    ticket = new_ticket(cast.dispatcher)
    client = ApiClient(cast.dispatcher)
    response = send(client, "post", f"/tickets/{ticket.number}/close", raw)
    assert response.status_code == 400
    assert response.json()["detail"]
    ticket.refresh_from_db()
    assert ticket.status == "new"


def test_an_accept_with_one_accepts_nothing(cast: Cast) -> None:
    ticket = dispatch(cast, new_ticket(cast.dispatcher))
    client = ApiClient(cast.handler_a)
    assert send(client, "post", f"/tickets/{ticket.number}/accept", "12").status_code == 400
    ticket.refresh_from_db()
    assert ticket.status == "dispatched"
    # The same with no body, or an empty object, accepts it.
    assert send(client, "post", f"/tickets/{ticket.number}/accept", "").status_code == 200


def test_an_approval_needs_no_body_and_a_rejection_its_reason(cast: Cast) -> None:
    ticket = dispatch(cast, new_ticket(cast.dispatcher))
    handler, centre = ApiClient(cast.handler_a), ApiClient(cast.dispatcher)
    asked = handler.post(f"/tickets/{ticket.number}/extension", {"days": 2, "reason": "需协调"})
    assert asked.status_code == 201, asked.content
    rejected = send(centre, "post", f"/tickets/{ticket.number}/extension/reject", "")
    assert rejected.status_code == 400
    approved = send(centre, "post", f"/tickets/{ticket.number}/extension/approve", "")
    assert approved.status_code == 200, approved.content
    assert approved.json()["status"] == "approved"


def test_reading_notifications_takes_no_body_for_all(cast: Cast) -> None:
    client = ApiClient(cast.handler_a)
    response = send(client, "post", "/notifications/read", "")
    assert response.status_code == 200
    assert json.loads(response.content)["unread"] == 0
