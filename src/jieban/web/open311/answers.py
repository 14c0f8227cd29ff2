"""The GeoReport v2 documents, written as the specification shows them.

A document is a list of records (`<services><service>…`, `<service_requests><request>…`,
`<errors><error>…`) or one record (`<service_definition>`), each record an ordered list of
fields. XML: UTF-8 with its declaration, no namespace, an empty element for a missing value,
`true`/`false`, nested lists as elements. JSON: the same by the Spark convention the
specification names (a list of objects, null for a missing value). Datetimes are W3C, in the
bureau's time with its offset.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any, TypeAlias
from xml.etree import ElementTree

from django.http import HttpResponse
from django.utils import timezone

from jieban.exchange.models import Open311Request
from jieban.exchange.open311 import service_notice
from jieban.exchange.open311_selectors import public_status, status_notes
from jieban.inputs import printable
from jieban.tickets.models import Category, Ticket
from jieban.web.forms import localized_name

Value: TypeAlias = "str | int | float | bool | list[Record] | None"
Record: TypeAlias = list[tuple[str, Value]]

JSON = "json"
XML = "xml"
CONTENT_TYPES = {
    JSON: "application/json; charset=utf-8",
    XML: "text/xml; charset=utf-8",
}
# Characters XML 1.0 cannot hold beyond those no text may hold (`printable`): the two
# noncharacters at the end of the Basic Multilingual Plane.
NOT_IN_XML = re.compile("[\ufffe\uffff]")
# The element each list's items are written as, by the list's name.
ITEMS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
}


def w3c(moment: dt.datetime | None) -> str | None:
    """`moment` in the W3C format, in the bureau's time with its offset
    (2026-07-14T09:05:00+08:00)."""
    if moment is None:
        return None
    return timezone.localtime(moment).isoformat(timespec="seconds")


def _text(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    # XML 1.0 cannot hold the control characters that text stored before they were refused
    # might have, nor U+FFFE and U+FFFF; nothing else is dropped.
    return NOT_IN_XML.sub("", printable(str(value)))


def _element(parent: ElementTree.Element, name: str, value: Value) -> None:
    element = ElementTree.SubElement(parent, name)
    if isinstance(value, list):
        for record in value:
            _record(ElementTree.SubElement(element, ITEMS[name]), record)
    else:
        element.text = _text(value)


def _record(element: ElementTree.Element, record: Record) -> None:
    for name, value in record:
        _element(element, name, value)


def _as_json(value: Value) -> Any:
    if isinstance(value, list):
        return [{name: _as_json(item) for name, item in record} for record in value]
    return value


def _answer(
    response_format: str, root: ElementTree.Element, data: Any, status: int
) -> HttpResponse:
    if response_format == XML:
        body = '<?xml version="1.0" encoding="utf-8"?>\n' + ElementTree.tostring(
            root, encoding="unicode"
        )
    else:
        body = json.dumps(data, ensure_ascii=False)
    return HttpResponse(
        body.encode("utf-8"), status=status, content_type=CONTENT_TYPES[response_format]
    )


def listing(
    response_format: str, root: str, records: list[Record], *, status: int = 200
) -> HttpResponse:
    """A list of records: `<root><item>…</item>…</root>`, or a JSON list of objects."""
    element = ElementTree.Element(root)
    for record in records:
        _record(ElementTree.SubElement(element, ITEMS[root]), record)
    return _answer(response_format, element, _as_json(records), status)


def single(response_format: str, root: str, record: Record) -> HttpResponse:
    """One record: `<root>…</root>`, or a JSON object."""
    element = ElementTree.Element(root)
    _record(element, record)
    return _answer(response_format, element, {name: _as_json(value) for name, value in record}, 200)


def errors(response_format: str, status: int, descriptions: list[str]) -> HttpResponse:
    """The specification's error list: one `<error>` per description, its code the HTTP
    status."""
    records: list[Record] = [
        [("code", status), ("description", description)] for description in descriptions
    ]
    return listing(response_format, "errors", records, status=status)


def service(category: Category) -> Record:
    """A category as a service of GET Service List. No service has attributes (metadata
    false); the keywords are its name in the other language, the group its parent's name."""
    name = localized_name(category)
    other_name = category.name_en if name == category.name else category.name
    return [
        ("service_code", category.code),
        ("service_name", name),
        ("description", None),
        ("metadata", False),
        ("type", "realtime"),
        ("keywords", other_name or None),
        ("group", localized_name(category.parent) if category.parent else None),
    ]


def service_definition(category: Category) -> Record:
    """GET Service Definition: the service's code and its attributes (none)."""
    return [("service_code", category.code), ("attributes", [])]


def created(ticket: Ticket) -> Record:
    """POST Service Request's answer: the new request's id (no token: the service is
    realtime) and what happens to it."""
    return [
        ("service_request_id", ticket.number),
        ("service_notice", service_notice(ticket.category)),
        ("account_id", None),
    ]


def service_request(ticket: Ticket) -> Record:
    """A request as GET Service Requests shows it, from its ticket: never the resident's
    name, phone or email."""
    try:
        extra: Open311Request | None = ticket.open311
    except Open311Request.DoesNotExist:
        extra = None  # sent through the JSON API as channel open311, not through this server
    updated = getattr(ticket, "updated_at", None) or ticket.registered_at
    return [
        ("service_request_id", ticket.number),
        ("status", public_status(ticket)),
        ("status_notes", status_notes(ticket)),
        ("service_name", localized_name(ticket.category)),
        ("service_code", ticket.category.code),
        ("description", ticket.content),
        ("agency_responsible", localized_name(ticket.unit) if ticket.unit else None),
        ("service_notice", service_notice(ticket.category)),
        ("requested_datetime", w3c(ticket.received_at)),
        ("updated_datetime", w3c(updated)),
        ("expected_datetime", w3c(ticket.due_at)),
        ("address", ticket.address or None),
        ("address_id", extra.address_id or None if extra else None),
        ("zipcode", None),
        ("lat", extra.lat if extra else None),
        ("long", extra.long if extra else None),
        ("media_url", extra.media_url or None if extra else None),
    ]
