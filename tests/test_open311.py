"""The Open311 GeoReport v2 server: its four resources in JSON and XML, the filters of GET
Service Requests, POST Service Request with its errors, and the privacy rule (only requests
that came in through Open311, never a resident's name, phone or email)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from urllib.parse import urlencode
from xml.etree import ElementTree

import pytest
import time_machine
from django.test import Client

from jieban.exchange import open311_selectors
from jieban.exchange.models import Open311Request
from jieban.exchange.open311 import issue_open311_key, revoke_open311_key
from jieban.tickets import transitions
from jieban.tickets.models import Category, Channel, Ticket
from tests.conftest import Cast, dispatch, local, new_ticket

# A Wednesday in March 2026, with working days around it.
NOW = local(2026, 3, 11, 10)
BASE = "/open311/v2"
REQUEST = {
    "service_code": "renovation_noise",
    "lat": "30.274085",
    "long": "120.155070",
    "address_string": "甲一社区 3 栋",
    "description": "楼上装修噪音很大，晚上十点还在施工。",
    "media_url": "https://example.org/photos/42.jpg",
    "email": "resident@example.org",
    "first_name": "三",
    "last_name": "张",
    "phone": "13812341234",
}
PRIVATE = ("张三", "13812341234", "1234", "resident@example.org", "三 张")


@pytest.fixture
def api_key(cast: Cast) -> str:
    _key, raw = issue_open311_key("城市随手拍", by=cast.admin)
    return raw


def post(fmt: str = "json", **fields: Any) -> Any:
    """POST Service Request, form-encoded as the specification says."""
    return Client().post(
        f"{BASE}/requests.{fmt}",
        data=urlencode(fields, doseq=True),
        content_type="application/x-www-form-urlencoded; charset=utf-8",
    )


def submit(api_key: str, **fields: Any) -> Ticket:
    response = post(api_key=api_key, **{**REQUEST, **fields})
    assert response.status_code == 201, response.content
    (answer,) = response.json()
    return Ticket.objects.get(number=answer["service_request_id"])


def get(path: str, **params: Any) -> Any:
    return Client().get(f"{BASE}/{path}", params)


def xml(response: Any) -> ElementTree.Element:
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ElementTree.fromstring(response.content)


def errors_of(response: Any) -> list[dict[str, Any]]:
    if response["Content-Type"].startswith("text/xml"):
        root = xml(response)
        assert root.tag == "errors"
        return [
            {"code": int(item.findtext("code") or 0), "description": item.findtext("description")}
            for item in root.findall("error")
        ]
    return list(response.json())


def numbers(response: Any) -> list[str]:
    return [item["service_request_id"] for item in response.json()]


class TestServices:
    def test_it_lists_the_active_categories_as_services_in_json(self, db: Any) -> None:
        Category.objects.filter(code="fraud_check").update(is_active=False)
        response = get("services.json")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json; charset=utf-8"
        services = {item["service_code"]: item for item in response.json()}
        assert "fraud_check" not in services
        assert services["renovation_noise"] == {
            "service_code": "renovation_noise",
            "service_name": "装修噪音",
            "description": None,
            "metadata": False,
            "type": "realtime",
            "keywords": "Renovation noise",
            "group": "噪音扰民",
        }

    def test_it_lists_them_in_xml(self, db: Any) -> None:
        root = xml(get("services.xml"))
        assert root.tag == "services"
        service = next(
            item for item in root.findall("service") if item.findtext("service_code") == "noise"
        )
        assert [child.tag for child in service] == [
            "service_code", "service_name", "description", "metadata", "type", "keywords", "group",
        ]  # fmt: skip
        assert service.findtext("service_name") == "噪音扰民"
        assert service.findtext("metadata") == "false"
        assert service.findtext("type") == "realtime"
        assert service.findtext("group") == ""

    def test_it_names_them_in_english_when_asked(self, db: Any) -> None:
        response = Client().get(f"{BASE}/services.json", HTTP_ACCEPT_LANGUAGE="en")
        services = {item["service_code"]: item for item in response.json()}
        assert services["renovation_noise"]["service_name"] == "Renovation noise"
        assert services["renovation_noise"]["keywords"] == "装修噪音"
        assert services["renovation_noise"]["group"] == "Noise disturbance"

    def test_it_defines_a_service_without_attributes(self, db: Any) -> None:
        response = get("services/renovation_noise.json")
        assert response.status_code == 200
        assert response.json() == {"service_code": "renovation_noise", "attributes": []}
        root = xml(get("services/renovation_noise.xml"))
        assert root.tag == "service_definition"
        assert root.findtext("service_code") == "renovation_noise"
        attributes = root.find("attributes")
        assert attributes is not None and list(attributes) == []

    @pytest.mark.parametrize("fmt", ["json", "xml"])
    def test_an_unknown_service_is_not_found(self, db: Any, fmt: str) -> None:
        response = get(f"services/potholes.{fmt}")
        assert response.status_code == 404
        (error,) = errors_of(response)
        assert error["code"] == 404
        assert "potholes" in error["description"]

    def test_the_services_take_no_post(self, db: Any) -> None:
        assert Client().post(f"{BASE}/services.json").status_code == 405


class TestPostServiceRequest:
    def test_it_registers_a_ticket_of_channel_open311(self, cast: Cast, api_key: str) -> None:
        with time_machine.travel(NOW, tick=False):
            response = post(
                api_key=api_key,
                **REQUEST,
                **{"attribute[floor]": "5", "attribute[hours][]": ["22", "23"]},
                jurisdiction_id="anything.example",
                device_id="tt222111",
            )
        assert response.status_code == 201
        assert response["Content-Type"] == "application/json; charset=utf-8"
        (answer,) = response.json()
        assert set(answer) == {"service_request_id", "service_notice", "account_id"}
        assert (
            "5 working days" in answer["service_notice"] or "5 个工作日" in answer["service_notice"]
        )
        ticket = Ticket.objects.get(number=answer["service_request_id"])
        assert ticket.channel == Channel.OPEN311
        assert ticket.category.code == "renovation_noise"
        assert ticket.content == REQUEST["description"]
        assert ticket.address == "甲一社区 3 栋"
        assert ticket.resident_name == "张三"
        assert ticket.resident_phone == "13812341234"
        assert ticket.received_at == NOW
        assert ticket.registered_by is None  # the system, for the application
        extra = ticket.open311
        assert extra.key.name == "城市随手拍"
        assert (extra.lat, extra.long) == (30.274085, 120.15507)
        assert extra.media_url == REQUEST["media_url"]
        assert extra.email == "resident@example.org"
        assert extra.attributes == {"floor": "5", "hours": ["22", "23"]}
        assert ticket.events.get().kind == "intake"

    def test_it_answers_in_xml(self, cast: Cast, api_key: str) -> None:
        response = post("xml", api_key=api_key, **REQUEST)
        assert response.status_code == 201
        root = xml(response)
        assert root.tag == "service_requests"
        (request,) = root.findall("request")
        assert [child.tag for child in request] == [
            "service_request_id", "service_notice", "account_id",
        ]  # fmt: skip
        assert Ticket.objects.filter(number=request.findtext("service_request_id")).exists()

    def test_an_address_alone_or_an_address_id_alone_locates_it(
        self, cast: Cast, api_key: str
    ) -> None:
        by_address = submit(api_key, lat="", long="")
        assert by_address.address == "甲一社区 3 栋"
        assert by_address.open311.lat is None
        by_id = submit(api_key, lat="", long="", address_string="", address_id="A-545483")
        assert by_id.address == "address_id A-545483"
        assert by_id.open311.address_id == "A-545483"
        by_position = submit(api_key, address_string="")
        assert by_position.address == "WGS-84 30.274085, 120.155070"

    def test_without_a_description_it_is_its_service(self, cast: Cast, api_key: str) -> None:
        ticket = submit(api_key, description="")
        assert ticket.content == "装修噪音"

    @pytest.mark.parametrize("fmt", ["json", "xml"])
    @pytest.mark.parametrize(
        "sent",
        [{}, {"api_key": ""}, {"api_key": "o311_not-a-key"}],
        ids=["missing", "empty", "unknown"],
    )
    def test_it_refuses_a_missing_or_unknown_key(
        self, cast: Cast, api_key: str, fmt: str, sent: dict[str, str]
    ) -> None:
        response = post(fmt, **REQUEST, **sent)
        assert response.status_code == 403
        (error,) = errors_of(response)
        assert error["code"] == 403
        assert "api_key" in error["description"]
        assert not Ticket.objects.exists()

    def test_it_refuses_a_revoked_key(self, cast: Cast, api_key: str) -> None:
        submit(api_key)
        revoke_open311_key("城市随手拍", by=cast.admin)
        response = post(api_key=api_key, **REQUEST)
        assert response.status_code == 403
        (error,) = errors_of(response)
        assert "revoked" in error["description"] or "吊销" in error["description"]
        assert Ticket.objects.count() == 1

    @pytest.mark.parametrize("fmt", ["json", "xml"])
    def test_an_unknown_service_code_is_not_found(self, cast: Cast, api_key: str, fmt: str) -> None:
        response = post(fmt, api_key=api_key, **{**REQUEST, "service_code": "potholes"})
        assert response.status_code == 404
        (error,) = errors_of(response)
        assert error["code"] == 404 and "service_code" in error["description"]
        assert not Ticket.objects.exists()

    @pytest.mark.parametrize(
        ("fields", "named"),
        [
            ({"service_code": ""}, "service_code"),
            ({"lat": "", "long": "", "address_string": ""}, "lat"),
            ({"long": ""}, "long"),
            ({"lat": ""}, "lat"),
            ({"lat": "north"}, "lat"),
            ({"lat": "90.5"}, "lat"),
            ({"long": "nan"}, "long"),
            ({"long": "-inf"}, "long"),
            ({"description": "噪音\x00"}, "description"),
            ({"description": "很" * 4001}, "description"),
            ({"address_string": "幸福路\x07"}, "address_string"),
            ({"address_string": "路" * 301}, "address_string"),
            ({"media_url": "javascript:alert(1)"}, "media_url"),
            ({"email": "not an email"}, "email"),
            ({"phone": "call me"}, "phone"),
            ({"first_name": "名" * 61}, "first_name"),
            ({"attribute[floor]": "5\x1b"}, "attribute[floor]"),
        ],
    )
    def test_it_refuses_bad_input_naming_the_argument(
        self, cast: Cast, api_key: str, fields: dict[str, str], named: str
    ) -> None:
        for fmt in ("json", "xml"):
            response = post(fmt, api_key=api_key, **{**REQUEST, **fields})
            assert response.status_code == 400, response.content
            (error,) = errors_of(response)
            assert error["code"] == 400
            assert named in error["description"], error
        assert not Ticket.objects.exists()
        assert not Open311Request.objects.exists()


@pytest.fixture
def hotline(cast: Cast) -> Ticket:
    """A resident's call to the hotline: never shown by the Open311 server."""
    return new_ticket(cast.dispatcher, channel="hotline_12345", external_id="12345-0001")


class TestGetServiceRequest:
    def test_it_shows_the_request_from_its_ticket(self, cast: Cast, api_key: str) -> None:
        with time_machine.travel(NOW, tick=False):
            ticket = submit(api_key)
        response = get(f"requests/{ticket.number}.json")
        assert response.status_code == 200
        assert response.json() == [
            {
                "service_request_id": ticket.number,
                "status": "open",
                "status_notes": None,
                "service_name": "装修噪音",
                "service_code": "renovation_noise",
                "description": REQUEST["description"],
                "agency_responsible": None,
                "service_notice": response.json()[0]["service_notice"],
                "requested_datetime": "2026-03-11T10:00:00+08:00",
                "updated_datetime": "2026-03-11T10:00:00+08:00",
                "expected_datetime": None,
                "address": "甲一社区 3 栋",
                "address_id": None,
                "zipcode": None,
                "lat": 30.274085,
                "long": 120.15507,
                "media_url": "https://example.org/photos/42.jpg",
            }
        ]

    def test_it_shows_it_in_xml(self, cast: Cast, api_key: str) -> None:
        with time_machine.travel(NOW, tick=False):
            # U+FFFF is no character XML may hold: left out of the XML, kept in the ticket.
            ticket = submit(api_key, description="楼上装修\uffff噪音")
        root = xml(get(f"requests/{ticket.number}.xml"))
        assert root.tag == "service_requests"
        (request,) = root.findall("request")
        assert [child.tag for child in request] == [
            "service_request_id", "status", "status_notes", "service_name", "service_code",
            "description", "agency_responsible", "service_notice", "requested_datetime",
            "updated_datetime", "expected_datetime", "address", "address_id", "zipcode", "lat",
            "long", "media_url",
        ]  # fmt: skip
        assert request.findtext("service_request_id") == ticket.number
        assert request.findtext("status") == "open"
        assert request.findtext("requested_datetime") == "2026-03-11T10:00:00+08:00"
        assert request.findtext("lat") == "30.274085"
        assert request.findtext("status_notes") == ""
        assert request.findtext("description") == "楼上装修噪音"

    def test_it_follows_the_ticket_to_its_result(self, cast: Cast, api_key: str) -> None:
        with time_machine.travel(NOW, tick=False):
            ticket = submit(api_key)
        with time_machine.travel(NOW + dt.timedelta(hours=1), tick=False):
            dispatched = dispatch(cast, ticket)
        (shown,) = get(f"requests/{ticket.number}.json").json()
        assert shown["status"] == "open"
        assert shown["agency_responsible"] == "甲派出所"
        assert dispatched.due_at is not None
        assert shown["expected_datetime"] == dispatched.due_at.isoformat()
        assert shown["expected_datetime"].endswith("+08:00")
        assert shown["updated_datetime"] == "2026-03-11T11:00:00+08:00"
        with time_machine.travel(NOW + dt.timedelta(days=1), tick=False):
            transitions.accept_ticket(ticket.number, by=cast.handler_a)
            transitions.resolve_ticket(ticket.number, result="已劝导施工方停工", by=cast.handler_a)
        (shown,) = get(f"requests/{ticket.number}.json").json()
        assert shown["status"] == "closed"
        assert shown["status_notes"] == "已劝导施工方停工"
        assert shown["updated_datetime"] == "2026-03-12T10:00:00+08:00"

    def test_an_invalid_request_is_closed_without_the_bureaus_note(
        self, cast: Cast, api_key: str
    ) -> None:
        ticket = submit(api_key)
        transitions.invalidate_ticket(ticket.number, reason="内部：恶意重复", by=cast.dispatcher)
        (shown,) = get(f"requests/{ticket.number}.json").json()
        assert shown["status"] == "closed"
        assert "内部" not in (shown["status_notes"] or "")

    @pytest.mark.parametrize("fmt", ["json", "xml"])
    def test_a_ticket_of_another_channel_is_not_found(
        self, cast: Cast, hotline: Ticket, fmt: str
    ) -> None:
        response = get(f"requests/{hotline.number}.{fmt}")
        assert response.status_code == 404
        (error,) = errors_of(response)
        assert error["code"] == 404 and hotline.number in error["description"]
        assert get(f"requests/JB20990101-9999.{fmt}").status_code == 404


class TestGetServiceRequests:
    def test_it_lists_only_what_came_in_through_open311(
        self, cast: Cast, api_key: str, hotline: Ticket
    ) -> None:
        walk_in = new_ticket(cast.dispatcher, channel="walk_in")
        mine = submit(api_key)
        assert numbers(get("requests.json")) == [mine.number]
        root = xml(get("requests.xml"))
        assert [item.findtext("service_request_id") for item in root.findall("request")] == [
            mine.number
        ]
        asked = get("requests.json", service_request_id=f"{hotline.number},{walk_in.number}")
        assert asked.json() == []

    def test_it_never_shows_a_residents_name_phone_or_email(self, cast: Cast, api_key: str) -> None:
        ticket = submit(api_key)
        answers = [
            get("requests.json"),
            get("requests.xml"),
            get(f"requests/{ticket.number}.json"),
            get(f"requests/{ticket.number}.xml"),
            post(api_key=api_key, **REQUEST),
            post("xml", api_key=api_key, **REQUEST),
        ]
        for response in answers:
            text = response.content.decode("utf-8")
            for private in PRIVATE:
                assert private not in text, (private, text)
        assert ticket.resident_name == "张三"  # kept for the people who call back

    def test_it_shows_the_last_90_days_by_default(self, cast: Cast, api_key: str) -> None:
        with time_machine.travel(NOW - dt.timedelta(days=91), tick=False):
            old = submit(api_key)
        with time_machine.travel(NOW - dt.timedelta(days=89), tick=False):
            recent = submit(api_key)
        with time_machine.travel(NOW, tick=False):
            assert numbers(get("requests.json")) == [recent.number]
            # A service_request_id list overrides every other argument, the dates too.
            asked = get("requests.json", service_request_id=f"{old.number}, {recent.number}")
            assert sorted(numbers(asked)) == sorted([old.number, recent.number])

    def test_it_filters_by_dates(self, cast: Cast, api_key: str) -> None:
        with time_machine.travel(local(2026, 1, 5, 9), tick=False):
            january = submit(api_key)
        with time_machine.travel(local(2026, 2, 5, 9), tick=False):
            february = submit(api_key)
        with time_machine.travel(NOW, tick=False):
            march = submit(api_key)
            both = get(
                "requests.json",
                start_date="2026-01-01T00:00:00+08:00",
                end_date="2026-02-28T00:00:00Z",
            )
            assert numbers(both) == [february.number, january.number]
            # From a start: its 90 days; up to an end: the 90 days before it.
            from_start = get("requests.json", start_date="2026-01-05T01:00:01Z")
            assert numbers(from_start) == [march.number, february.number]
            assert numbers(get("requests.json", end_date="2026-01-31")) == [january.number]
            # Both ends are included.
            exactly = get(
                "requests.json",
                start_date="2026-01-05T09:00:00+08:00",
                end_date="2026-01-05T09:00:00+08:00",
            )
            assert numbers(exactly) == [january.number]

    def test_it_filters_by_service_and_status(self, cast: Cast, api_key: str) -> None:
        with time_machine.travel(NOW, tick=False):
            noise = submit(api_key)
            dogs = submit(api_key, service_code="dangerous_dogs")
            other = submit(api_key, service_code="other")
            dispatch(cast, other)
            transitions.accept_ticket(other.number, by=cast.handler_a)
            transitions.resolve_ticket(other.number, result="已处理", by=cast.handler_a)
            assert numbers(get("requests.json", service_code="dangerous_dogs")) == [dogs.number]
            several = get("requests.json", service_code="noise,renovation_noise,x")
            assert numbers(several) == [noise.number]
            assert numbers(get("requests.json", service_code="renovation_noise")) == [noise.number]
            assert sorted(numbers(get("requests.json", status="open"))) == sorted(
                [noise.number, dogs.number]
            )
            assert numbers(get("requests.json", status="closed")) == [other.number]
            assert len(numbers(get("requests.json", status="open,closed"))) == 3
            closed_noise = get("requests.json", status="closed", service_code="renovation_noise")
            assert closed_noise.json() == []

    def test_it_returns_at_most_the_limit_newest_first(
        self, cast: Cast, api_key: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(open311_selectors, "LIMIT", 2)
        made = []
        for hours in range(3):
            with time_machine.travel(NOW + dt.timedelta(hours=hours), tick=False):
                made.append(submit(api_key).number)
        with time_machine.travel(NOW + dt.timedelta(hours=4), tick=False):
            assert numbers(get("requests.json")) == [made[2], made[1]]

    def test_it_reads_the_list_in_one_query(
        self, cast: Cast, api_key: str, django_assert_num_queries: Any
    ) -> None:
        with time_machine.travel(NOW, tick=False):
            for _round in range(3):
                ticket = submit(api_key)
                dispatch(cast, ticket)
            with django_assert_num_queries(1):
                response = get("requests.json")
        assert len(response.json()) == 3

    @pytest.mark.parametrize(
        ("params", "named"),
        [
            ({"start_date": "yesterday"}, "start_date"),
            ({"start_date": "2026-01-01T00:00:00"}, "start_date"),  # no offset
            ({"end_date": "2026-02-30T00:00:00Z"}, "end_date"),
            ({"end_date": "1900-01-01T00:00:00Z"}, "end_date"),
            ({"start_date": "2026-03-01", "end_date": "2026-02-01"}, "end_date"),
            ({"start_date": "2025-01-01", "end_date": "2026-01-01"}, "end_date"),
            ({"status": "pending"}, "status"),
            ({"service_code": "noise\x01"}, "service_code"),
        ],
    )
    def test_it_refuses_bad_filters_naming_them(
        self, db: Any, params: dict[str, str], named: str
    ) -> None:
        for fmt in ("json", "xml"):
            response = get(f"requests.{fmt}", **params)
            assert response.status_code == 400, response.content
            (error,) = errors_of(response)
            assert error["code"] == 400 and named in error["description"], error


class TestJurisdiction:
    def test_it_is_ignored_unless_configured(self, db: Any) -> None:
        assert get("services.json", jurisdiction_id="elsewhere.example").status_code == 200

    def test_a_configured_one_must_match(self, cast: Cast, api_key: str, settings: Any) -> None:
        settings.JIEBAN_OPEN311_JURISDICTION = "gaj.example.gov.cn"
        assert get("services.json", jurisdiction_id="gaj.example.gov.cn").status_code == 200
        assert get("services.json").status_code == 200
        for response in (
            get("services.xml", jurisdiction_id="elsewhere.example"),
            get("requests.json", jurisdiction_id="elsewhere.example"),
            post(api_key=api_key, **REQUEST, jurisdiction_id="elsewhere.example"),
        ):
            assert response.status_code == 404
            (error,) = errors_of(response)
            assert "jurisdiction_id" in error["description"]
        assert not Ticket.objects.exists()


def test_the_requests_take_neither_put_nor_delete(db: Any) -> None:
    assert Client().put(f"{BASE}/requests.json").status_code == 405
    assert Client().delete(f"{BASE}/requests.json").status_code == 405


def test_the_json_is_utf8_text(cast: Cast, api_key: str) -> None:
    ticket = submit(api_key)
    response = get(f"requests/{ticket.number}.json")
    assert "楼上装修" in response.content.decode("utf-8")
    assert json.loads(response.content)[0]["service_name"] == "装修噪音"
