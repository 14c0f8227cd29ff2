"""The input rules (`jieban.inputs`, README "Input rules"): every class of input that once
crashed the server is a 400 naming the field, through the API, the domain and the address.

Dates at the edges of what Python and the databases hold, control characters and lone
surrogates in text, ids beyond 64 bits, NUL in an address. The pages' side of the same rules is
in tests/web/test_input_pages.py, the bodies that are not objects in test_api_bodies.py.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from typing import Any

import pytest
import time_machine

from jieban import inputs
from jieban.errors import InvalidInput
from jieban.notify import outbox
from jieban.tickets import transitions
from jieban.tickets.models import Ticket, TicketEvent
from jieban.tickets.selectors import decode_cursor, encode_cursor
from tests.conftest import ApiClient, Cast, dispatch, local, new_ticket

# A moment well inside the range, where each test stands.
NOW = local(2026, 7, 14, 10)
# Dates no input may name: the ends of what Python holds, and just outside the range.
EDGE_DAYS = ["0001-01-01", "9999-12-31", "1999-12-31", "2101-01-01"]
EDGE_MOMENTS = [
    "0001-01-01T00:00:00",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59",
    "9999-12-31T23:59:59-12:00",
    "1999-12-31T23:59:59+08:00",
]


def cursor_of(raw: str) -> str:
    """A cursor as this server writes them, around any text."""
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def tickets_count() -> tuple[int, int]:
    return Ticket.objects.count(), TicketEvent.objects.count()


@pytest.fixture
def api(cast: Cast) -> ApiClient:
    client = ApiClient(cast.dispatcher)
    return client


class TestTheRules:
    @pytest.mark.parametrize("code", [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
    def test_it_refuses_each_control_character(self, code: int) -> None:
        with pytest.raises(InvalidInput) as refused:
            inputs.check_text(f"楼上{chr(code)}噪音", field="content", label="内容")
        assert refused.value.field == "content"
        assert f"U+{code:04X}" in refused.value.message

    @pytest.mark.parametrize("text", ["a\tb", "第一行\n第二行", "a\r\nb", "普通文字", ""])
    def test_it_keeps_tabs_and_line_breaks(self, text: str) -> None:
        assert inputs.check_text(text, field="content") == text

    def test_it_refuses_a_lone_surrogate(self) -> None:
        with pytest.raises(InvalidInput, match="U\\+D800"):
            inputs.check_text("a\ud800b", field="title")

    def test_printable_drops_what_it_refuses(self) -> None:
        assert inputs.printable("a\x00b\x07c\ud800d\te\nf\x7f") == "abcd\te\nf"

    def test_clean_text_trims_and_checks_length(self) -> None:
        assert inputs.clean_text("  x  ", field="f", label="F", limit=3) == "x"
        with pytest.raises(InvalidInput, match="4"):
            inputs.clean_text("xxxx", field="f", label="F", limit=3)
        with pytest.raises(InvalidInput):
            inputs.clean_text(" ", field="f", label="F", limit=3, required=True)

    def test_moments_are_in_range_by_the_local_day(self) -> None:
        assert inputs.moment_in_range(local(2000, 1, 1, 0, 0))
        assert not inputs.moment_in_range(local(2000, 1, 1, 0, 0) - dt.timedelta(seconds=1))
        assert inputs.moment_in_range(local(2100, 12, 31, 23, 59))
        assert not inputs.moment_in_range(local(2101, 1, 1, 0, 0))
        # The ends of Python's dates compare without overflowing.
        far = dt.timezone(dt.timedelta(hours=-12))
        assert not inputs.moment_in_range(dt.datetime(9999, 12, 31, 23, 59, tzinfo=far))
        assert not inputs.moment_in_range(dt.datetime(1, 1, 1, tzinfo=dt.UTC))

    def test_fits_utf8_never_cuts_a_character(self) -> None:
        assert inputs.fits_utf8("照片" * 10, 10) == "照片照"
        assert inputs.fits_utf8("abc", 10) == "abc"

    def test_ids_are_positive_64_bit_integers(self) -> None:
        assert inputs.is_id(1) and inputs.is_id(2**63 - 1)
        assert not inputs.is_id(0) and not inputs.is_id(2**63) and not inputs.is_id(-1)


class TestDatesInFilters:
    @pytest.mark.parametrize("value", [*EDGE_DAYS, *EDGE_MOMENTS])
    @pytest.mark.parametrize("field", ["received_from", "received_to"])
    def test_the_api_list_refuses_a_date_out_of_range(
        self, cast: Cast, api: ApiClient, field: str, value: str
    ) -> None:
        response = api.get("/tickets", **{field: value})
        assert response.status_code == 400, response.content
        assert response.json()["field"] == field
        assert "2000-01-01" in response.json()["detail"]

    def test_the_ends_of_the_range_are_taken(self, cast: Cast, api: ApiClient) -> None:
        with time_machine.travel(local(2000, 1, 1, 0, 0), tick=False):
            first = new_ticket(cast.dispatcher)
        response = api.get("/tickets", received_from="2000-01-01", received_to="2100-12-31")
        assert response.status_code == 200
        assert [item["number"] for item in response.json()["items"]] == [first.number]
        response = api.get("/tickets", received_from="2000-01-01T00:00:00+08:00")
        assert [item["number"] for item in response.json()["items"]] == [first.number]

    @pytest.mark.parametrize(
        "raw",
        [
            "0001-01-01T00:00:00+00:00|1",
            "0001-01-01T00:00:00|1",
            "9999-12-31T23:59:59.999999+00:00|1",
            "9999-12-31T23:59:59.999999-12:00|1",
            "2026-07-14T10:00:00|1",
            f"2026-07-14T10:00:00+08:00|{2**63}",
            "2026-07-14T10:00:00+08:00|0",
            "2026-07-14T10:00:00+08:00|-5",
            "2026-07-14T10:00:00+08:00|" + "9" * 5000,
        ],
    )
    @pytest.mark.parametrize("path", ["/tickets", "/supervision-orders"])
    def test_a_cursor_it_never_gave_out_is_refused(
        self, cast: Cast, api: ApiClient, path: str, raw: str
    ) -> None:
        response = api.get(path, cursor=cursor_of(raw))
        assert response.status_code == 400, response.content
        assert response.json()["field"] == "cursor"

    def test_a_cursor_it_gave_out_is_taken_back(self) -> None:
        moment = local(2026, 7, 14, 10)
        assert decode_cursor(encode_cursor(moment, 42)) == (moment, 42)


class TestDatesOnIntake:
    @pytest.mark.parametrize(
        "value",
        [
            *EDGE_MOMENTS,
            "1999-12-31T23:59:59",
            "2026-07-15T10:00:01+08:00",  # more than a day ahead (the rule: five minutes)
            "2026-07-14T10:06:00+08:00",
        ],
    )
    def test_received_at_out_of_range_is_refused(
        self, cast: Cast, api: ApiClient, value: str
    ) -> None:
        before = tickets_count()
        with time_machine.travel(NOW, tick=False):
            response = api.post(
                "/tickets", {"channel": "phone", "content": "噪音", "received_at": value}
            )
        assert response.status_code == 400, response.content
        assert response.json()["field"] == "received_at"
        assert tickets_count() == before

    @pytest.mark.parametrize(
        "value", ["2000-01-01T00:00:00+08:00", "2000-01-01T00:00:00", "2026-07-14T10:04:00+08:00"]
    )
    def test_received_at_in_range_is_taken(self, cast: Cast, api: ApiClient, value: str) -> None:
        with time_machine.travel(NOW, tick=False):
            response = api.post(
                "/tickets", {"channel": "phone", "content": "噪音", "received_at": value}
            )
        assert response.status_code == 201, response.content

    @pytest.mark.parametrize("value", ["9999-12-31T23:59:59+08:00", "2101-01-01T00:00:00+08:00"])
    def test_a_channels_deadline_out_of_range_is_refused(
        self, cast: Cast, api: ApiClient, value: str
    ) -> None:
        body = {"channel": "hotline_12345", "content": "噪音", "unit": "PS-A", "due_at": value}
        with time_machine.travel(NOW, tick=False):
            response = api.post("/tickets", body)
        assert response.status_code == 400, response.content
        assert response.json()["field"] == "due_at"


# RFC 3339: a date, "T", a time with optional fraction, and "Z" or an offset of hours and
# minutes (never the seconds of a local mean time such as +08:05:43).
RFC_3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def moments_in(value: Any) -> list[str]:
    """Every string in `value` (a decoded JSON answer) that starts like a date and time."""
    if isinstance(value, dict):
        return [found for item in value.values() for found in moments_in(item)]
    if isinstance(value, list):
        return [found for item in value for found in moments_in(item)]
    if isinstance(value, str) and re.match(r"^\d{4}-\d{2}-\d{2}T", value):
        return [value]
    return []


def test_times_are_written_in_rfc_3339_from_the_first_day_on(cast: Cast, api: ApiClient) -> None:
    with time_machine.travel(NOW, tick=False):
        response = api.post(
            "/tickets",
            {"channel": "phone", "content": "噪音", "received_at": "2000-01-01T00:00:00"},
        )
        number = response.json()["number"]
        dispatch(cast, Ticket.objects.get(number=number))
        answers = [api.get(f"/tickets/{number}").json(), api.get(f"/tickets/{number}/events")]
    assert answers[0]["received_at"] == "2000-01-01T00:00:00+08:00"
    found = moments_in(answers[0]) + moments_in(answers[1].json())
    assert len(found) >= 6
    assert all(RFC_3339.match(value) for value in found), found


class TestPeriods:
    @pytest.mark.parametrize(
        "path",
        [
            "/reports/weekly/9999-W52",
            "/reports/weekly/0001-W01",
            "/reports/daily/9999-12-31",
            "/reports/daily/0001-01-01",
            "/reports/daily/1999-12-31",
            "/reports/monthly/0001-01",
            "/reports/monthly/9999-12",
            "/reports/monthly/2101-01",
        ],
    )
    def test_a_report_period_out_of_range_is_refused(
        self, cast: Cast, api: ApiClient, path: str
    ) -> None:
        for response in (api.get(path), api.post(path)):
            assert response.status_code == 400, response.content
            assert response.json()["field"] == "period"

    @pytest.mark.parametrize(
        "params, field",
        [
            ({"start": "0001-01-01", "end": "0001-02-01"}, "start"),
            ({"start": "9999-12-01", "end": "9999-12-31"}, "start"),
            ({"start": "1999-12-31", "end": "2000-01-02"}, "start"),
            ({"start": "2100-12-01", "end": "2101-01-02"}, "end"),
        ],
    )
    def test_stats_out_of_range_are_refused(
        self, cast: Cast, api: ApiClient, params: dict[str, str], field: str
    ) -> None:
        response = api.get("/stats", **params)
        assert response.status_code == 400, response.content
        assert response.json()["field"] == field

    def test_stats_up_to_the_last_day_are_counted(self, cast: Cast, api: ApiClient) -> None:
        response = api.get("/stats", start="2100-12-01", end="2101-01-01")
        assert response.status_code == 200, response.content

    @pytest.mark.parametrize("month", ["0001-01", "9999-12", "1999-12", "2101-01"])
    def test_a_campaign_month_out_of_range_is_refused(
        self, cast: Cast, api: ApiClient, month: str
    ) -> None:
        for response in (api.get(f"/campaigns/{month}"), api.post(f"/campaigns/{month}/snapshot")):
            assert response.status_code == 400, response.content
            assert response.json()["field"] == "month"

    @pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1999-12-31"])
    def test_a_calendar_override_out_of_range_is_refused(self, cast: Cast, day: str) -> None:
        response = ApiClient(cast.admin).put(
            f"/calendar/{day}", {"kind": "holiday", "source": "通知"}
        )
        assert response.status_code == 400, response.content
        assert response.json()["field"] == "date"


INTAKE = {"channel": "phone", "content": "楼上装修噪音", "category": "noise"}


class TestText:
    @pytest.mark.parametrize(
        "field", ["content", "title", "resident_name", "address", "external_id", "category"]
    )
    @pytest.mark.parametrize("character", ["\x00", "\x07", "\x1b", "\x7f", "\ud800", "\udfff"])
    def test_intake_refuses_a_character_no_text_may_hold(
        self, cast: Cast, api: ApiClient, field: str, character: str
    ) -> None:
        before = tickets_count()
        body = {**INTAKE, field: f"甲{character}乙"}
        response = api.post("/tickets", raw=json.dumps(body))
        assert response.status_code == 400, response.content
        assert response.json()["field"] == field
        assert f"U+{ord(character):04X}" in response.json()["detail"]
        assert tickets_count() == before

    def test_the_domain_refuses_them_for_every_caller(self, cast: Cast) -> None:
        with pytest.raises(InvalidInput) as refused:
            new_ticket(cast.dispatcher, address="3 栋\x08502")
        assert refused.value.field == "address"
        ticket = dispatch(cast, new_ticket(cast.dispatcher))
        transitions.accept_ticket(ticket.number, by=cast.handler_a)
        with pytest.raises(InvalidInput) as refused:
            transitions.resolve_ticket(ticket.number, result="已\x0c处理", by=cast.handler_a)
        assert refused.value.field == "result"

    def test_tabs_and_line_breaks_are_kept(self, cast: Cast, api: ApiClient) -> None:
        body = {**INTAKE, "content": "第一行\r\n第二行\t完"}
        response = api.post("/tickets", body)
        assert response.status_code == 201, response.content
        assert response.json()["content"] == "第一行\r\n第二行\t完"

    @pytest.mark.parametrize(
        "raw, field",
        [
            ('{"channel": "phone", "content": "a\\ud800b"}', "content"),
            ('{"channel": "phone", "content": "ab", "title": "\\udfff"}', "title"),
            ('{"channel": "phone", "content": "ab", "\\ud800": 1}', "body"),
        ],
    )
    def test_a_lone_surrogate_in_json_is_a_400(
        self, cast: Cast, api: ApiClient, raw: str, field: str
    ) -> None:
        before = tickets_count()
        response = api.post("/tickets", raw=raw)
        assert response.status_code == 400, response.content
        assert response.json()["field"] == field
        assert tickets_count() == before

    def test_a_surrogate_deep_in_a_body_names_its_path(self, cast: Cast) -> None:
        response = ApiClient(cast.dispatcher).post(
            "/notifications/read", raw='{"ids": [1, "\\ud800"]}'
        )
        assert response.status_code == 400
        assert response.json()["field"] == "ids.1"

    @pytest.mark.parametrize(
        "path, body, field",
        [
            ("supervise", {"note": "请\x00加快"}, "note"),
            ("dispatch", {"unit": "PS-A\x00"}, "unit"),
            ("repeat-of", {"number": "JB\x00"}, "number"),
        ],
    )
    def test_every_action_refuses_them(
        self, cast: Cast, path: str, body: dict[str, str], field: str
    ) -> None:
        ticket = new_ticket(cast.dispatcher)
        response = ApiClient(cast.admin).post(f"/tickets/{ticket.number}/{path}", body)
        assert response.status_code == 400, response.content
        assert response.json()["field"] == field


class TestAddresses:
    @pytest.mark.parametrize(
        "path, params, field",
        [
            ("/api/v1/tickets/JB%00", {}, "path"),
            ("/api/v1/tickets", {"unit": "\x00"}, "unit"),
            ("/api/v1/tickets", {"category": "a\x00"}, "category"),
            ("/api/v1/tickets", {"q": "\x00噪音"}, "q"),
            ("/api/v1/supervision-orders", {"ticket": "\x00"}, "ticket"),
            ("/api/v1/reports/dai%00ly/2026-07-14", {}, "path"),
        ],
    )
    def test_nul_in_an_address_is_a_400_naming_the_part(
        self, cast: Cast, api: ApiClient, path: str, params: dict[str, str], field: str
    ) -> None:
        response = api.client.get(path, params, **api.headers)
        assert response.status_code == 400, response.content
        assert response.json()["field"] == field

    @pytest.mark.parametrize("field", ["unit", "category", "status", "channel", "received_from"])
    def test_a_filter_refuses_other_control_characters(
        self, cast: Cast, api: ApiClient, field: str
    ) -> None:
        response = api.get("/tickets", **{field: "PS-A\x07"})
        assert response.status_code == 400, response.content
        assert response.json()["field"] == field

    def test_the_search_ignores_other_control_characters(self, cast: Cast, api: ApiClient) -> None:
        ticket = new_ticket(cast.dispatcher, title="装修噪音")
        response = api.get("/tickets", q="\x07装修噪音\x1f")
        assert response.status_code == 200
        assert [item["number"] for item in response.json()["items"]] == [ticket.number]

    def test_a_ticket_number_with_a_control_character_is_no_ticket(
        self, cast: Cast, api: ApiClient
    ) -> None:
        ticket = new_ticket(cast.dispatcher)
        response = api.get(f"/tickets/{ticket.number}%07")
        assert response.status_code == 404


class TestIds:
    @pytest.mark.parametrize("value", [2**63, 2**64, 10**30, 0, -1])
    def test_an_id_out_of_range_in_a_body_is_a_400(self, cast: Cast, value: int) -> None:
        response = ApiClient(cast.dispatcher).post("/notifications/read", {"ids": [value]})
        assert response.status_code == 400, response.content
        assert response.json()["field"] == "ids.0"

    def test_the_largest_id_names_nothing(self, cast: Cast) -> None:
        response = ApiClient(cast.dispatcher).post("/notifications/read", {"ids": [2**63 - 1]})
        assert response.status_code == 200

    def test_the_domain_refuses_them_too(self, cast: Cast) -> None:
        with pytest.raises(InvalidInput) as refused:
            outbox.mark_read(cast.dispatcher, ids=[1, 2**63])
        assert refused.value.field == "ids"

    @pytest.mark.parametrize("value", [2**63, 10**30])
    def test_a_version_out_of_range_is_a_400(self, cast: Cast, api: ApiClient, value: int) -> None:
        ticket = new_ticket(cast.dispatcher)
        response = api.post(
            f"/tickets/{ticket.number}/dispatch", {"unit": "PS-A", "version": value}
        )
        assert response.status_code == 400, response.content
        assert response.json()["field"] == "version"
