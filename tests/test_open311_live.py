"""The Open311 server over real HTTP: a client speaking raw HTTP (urllib) to a running server,
as a civic app would, in XML and in JSON."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlencode
from xml.etree import ElementTree

from jieban.exchange.open311 import issue_open311_key
from jieban.tickets.models import Channel, Ticket
from tests.conftest import Cast


def call(url: str, form: dict[str, str] | None = None) -> tuple[int, str, bytes]:
    """(status, content type, body) of a GET, or of a form-encoded POST when `form` is given."""
    data = urlencode(form).encode("utf-8") if form is not None else None
    request = urllib.request.Request(url, data=data)
    if data is not None:
        request.add_header("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read()


def test_it_serves_a_client_over_http(live_cast: Cast, live_server: Any) -> None:
    base = f"{live_server.url}/open311/v2"
    _key, api_key = issue_open311_key("城市随手拍", by=live_cast.admin)

    status, content_type, body = call(f"{base}/services.xml")
    assert (status, content_type) == (200, "text/xml; charset=utf-8")
    codes = [item.findtext("service_code") for item in ElementTree.fromstring(body)]
    assert "renovation_noise" in codes

    form = {
        "api_key": api_key,
        "service_code": "renovation_noise",
        "lat": "30.274085",
        "long": "120.155070",
        "description": "楼上装修噪音很大",
        "first_name": "三",
        "last_name": "张",
        "phone": "13812341234",
    }
    status, content_type, body = call(f"{base}/requests.xml", form)
    assert (status, content_type) == (201, "text/xml; charset=utf-8")
    root = ElementTree.fromstring(body)
    number = root.findtext("request/service_request_id")
    assert number and Ticket.objects.get(number=number).channel == Channel.OPEN311

    status, content_type, body = call(f"{base}/requests/{number}.json")
    assert (status, content_type) == (200, "application/json; charset=utf-8")
    (shown,) = json.loads(body)
    assert shown["service_request_id"] == number and shown["status"] == "open"
    assert "张" not in body.decode("utf-8") and "13812341234" not in body.decode("utf-8")

    status, _type, body = call(f"{base}/requests.json?status=open&service_code=renovation_noise")
    assert status == 200 and [item["service_request_id"] for item in json.loads(body)] == [number]

    status, content_type, body = call(f"{base}/requests.xml", {**form, "api_key": "o311_wrong"})
    assert (status, content_type) == (403, "text/xml; charset=utf-8")
    assert ElementTree.fromstring(body).findtext("error/code") == "403"
    assert Ticket.objects.count() == 1
