"""Full-text search (`q`) in Chinese: FTS5 trigram on SQLite, pg_trgm on PostgreSQL.

The same tests run on both: the answers must be the same whichever database holds the tickets.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client

from jieban.org.models import Unit
from jieban.tickets import transitions
from jieban.tickets.models import Ticket
from jieban.tickets.selectors import TicketFilters, filter_tickets, fts5_phrase
from tests.conftest import Cast, new_ticket


def found(user: Any, q: str) -> set[str]:
    return set(filter_tickets(user, TicketFilters(q=q)).values_list("number", flat=True))


@pytest.fixture
def tickets(cast: Cast) -> dict[str, Ticket]:
    return {
        "noise": new_ticket(
            cast.dispatcher,
            content="楼上装修噪音很大，晚上十点还在施工。",
            address="甲一社区 3 栋 502",
            resident_name="张三",
            resident_phone="13812341234",
        ),
        "dogs": new_ticket(
            cast.dispatcher,
            title="小区内有人遛狗不拴绳",
            content="孩子被吓哭了，请派人处理。",
            address="滨江花园 12 栋",
            resident_name="欧阳明月",
            resident_phone="13900005678",
            category="dangerous_dogs",
        ),
        "wifi": new_ticket(
            cast.dispatcher,
            content="Free WiFi 路由器被盗，损失 100%。",
            address="乙二社区服务站",
            resident_name="",
            resident_phone="",
            category="other",
        ),
    }


class TestSearch:
    def test_it_finds_chinese_substrings_in_the_text(
        self, cast: Cast, tickets: dict[str, Ticket]
    ) -> None:
        user = cast.dispatcher
        assert found(user, "装修噪音") == {tickets["noise"].number}
        assert found(user, "噪音很大") == {tickets["noise"].number}
        # Two characters: shorter than a trigram, answered by a scan.
        assert found(user, "遛狗") == {tickets["dogs"].number}
        assert found(user, "噪音") == {tickets["noise"].number}
        assert found(user, "吓哭了") == {tickets["dogs"].number}
        assert found(user, "装修噪声") == set()

    def test_it_finds_the_address_and_the_name(
        self, cast: Cast, tickets: dict[str, Ticket]
    ) -> None:
        user = cast.dispatcher
        assert found(user, "甲一社区") == {tickets["noise"].number}
        assert found(user, "3 栋 502") == {tickets["noise"].number}
        assert found(user, "12 栋") == {tickets["dogs"].number}
        assert found(user, "欧阳明") == {tickets["dogs"].number}
        assert found(user, "张三") == {tickets["noise"].number}

    def test_it_ignores_case_and_trims(self, cast: Cast, tickets: dict[str, Ticket]) -> None:
        user = cast.dispatcher
        assert found(user, "wifi") == {tickets["wifi"].number}
        assert found(user, "  FREE wifi  ") == {tickets["wifi"].number}

    def test_it_finds_a_number_whole_or_in_part(
        self, cast: Cast, tickets: dict[str, Ticket]
    ) -> None:
        user = cast.dispatcher
        number = tickets["dogs"].number
        assert found(user, number) == {number}
        assert found(user, number.lower()) == {number}
        assert found(user, number[-5:]) == {number}
        # Two characters of a number are not a search for every number that holds them.
        assert found(user, "JB") == set()

    def test_it_does_not_search_phones(self, cast: Cast, tickets: dict[str, Ticket]) -> None:
        # A phone is looked up by its exact number by those who may see it, not searched.
        user = cast.dispatcher
        for q in ("13812341234", "1381234", "5678", "139"):
            assert found(user, q) == set(), q
        # Unless someone typed it into the text, where it is text like any other.
        typed = new_ticket(cast.dispatcher, content="请回电 13700001111，白天不在家。")
        assert found(user, "13700001111") == {typed.number}

    def test_it_takes_percent_and_underscore_literally(
        self, cast: Cast, tickets: dict[str, Ticket]
    ) -> None:
        user = cast.dispatcher
        assert found(user, "%") == {tickets["wifi"].number}
        assert found(user, "00%") == {tickets["wifi"].number}
        assert found(user, "_") == set()
        assert found(user, "%%%") == set()

    @pytest.mark.parametrize(
        "q",
        [
            '"',
            '""',
            '"""',
            '"装修',
            "AND OR",
            "OR",
            "NOT 装修",
            "*",
            "装修*",
            ")",
            "(装修",
            "NEAR(装修 噪音)",
            "title:装修",
            "^装修",
            "x' OR 1=1 --",
            "\\",
            "\x00装修噪音\x1f",
            "装" * 500,
            "{}[]:+-",
        ],
    )
    def test_it_takes_any_input_as_plain_text(
        self, client: Client, cast: Cast, tickets: dict[str, Ticket], q: str
    ) -> None:
        user = cast.dispatcher
        matched = found(user, q)
        assert matched <= {ticket.number for ticket in tickets.values()}
        client.force_login(user)
        assert client.get("/tickets/", {"q": q}).status_code == 200
        assert client.get("/api/v1/tickets", {"q": q}).status_code == 200

    def test_it_matches_syntax_only_as_written(
        self, cast: Cast, tickets: dict[str, Ticket]
    ) -> None:
        user = cast.dispatcher
        # Words FTS5 would read as operators are looked for as they stand.
        assert found(user, "装修 OR 遛狗") == set()
        assert found(user, "NOT 装修") == set()
        assert found(user, "装修*") == set()
        # Control characters are dropped, not passed on.
        assert found(user, "\x00装修噪音\x1f") == {tickets["noise"].number}

    def test_it_quotes_a_phrase_for_fts5(self) -> None:
        assert fts5_phrase("装修噪音") == '"装修噪音"'
        assert fts5_phrase('a"b') == '"a""b"'

    def test_it_respects_the_access_rule(self, cast: Cast, tickets: dict[str, Ticket]) -> None:
        transitions.dispatch_ticket(
            tickets["noise"].number, unit=Unit.objects.get(code="PS-A"), by=cast.dispatcher
        )
        assert found(cast.handler_a, "装修噪音") == {tickets["noise"].number}
        assert found(cast.handler_b, "装修噪音") == set()
        assert found(cast.outsider, "装修噪音") == set()

    def test_it_combines_with_the_other_filters(
        self, cast: Cast, tickets: dict[str, Ticket]
    ) -> None:
        transitions.dispatch_ticket(
            tickets["noise"].number, unit=Unit.objects.get(code="PS-A"), by=cast.dispatcher
        )
        user = cast.dispatcher
        narrowed = filter_tickets(user, TicketFilters(q="社区", status="new"))
        assert set(narrowed.values_list("number", flat=True)) == {tickets["wifi"].number}
        narrowed = filter_tickets(user, TicketFilters(q="甲一社区", status="dispatched"))
        assert set(narrowed.values_list("number", flat=True)) == {tickets["noise"].number}

    def test_it_follows_changes_to_the_text(self, cast: Cast, tickets: dict[str, Ticket]) -> None:
        user = cast.dispatcher
        noise = tickets["noise"]
        # The triggers (SQLite) keep the index in the same transaction as the change.
        Ticket.objects.filter(pk=noise.pk).update(title="广场舞音响扰民")
        assert found(user, "广场舞") == {noise.number}
        Ticket.objects.filter(pk=noise.pk).update(address="丙三小区")
        assert found(user, "甲一社区") == set()
        assert found(user, "丙三小区") == {noise.number}
        # A status change leaves the text, and the index, as they were.
        transitions.close_ticket(noise.number, note="已现场答复。", by=user)
        assert found(user, "广场舞") == {noise.number}
        Ticket.objects.filter(pk=noise.pk).delete()
        assert found(user, "广场舞") == set()

    @pytest.mark.sqlite_only
    def test_it_keeps_the_sqlite_index_whole(self, cast: Cast, tickets: dict[str, Ticket]) -> None:
        Ticket.objects.filter(pk=tickets["dogs"].pk).delete()
        with connection.cursor() as cursor:
            # FTS5's own consistency check: raises if the index and the tickets disagree.
            cursor.execute(
                "INSERT INTO tickets_ticket_search (tickets_ticket_search, rank)"
                " VALUES ('integrity-check', 1)"
            )
            cursor.execute("SELECT count(*) FROM tickets_ticket_search")
            assert cursor.fetchone()[0] == Ticket.objects.count()


class TestSearchSchema:
    """A later migration that rebuilds tickets_ticket on SQLite drops what Django does not
    know about: the search triggers and the phone index. These tests notice."""

    def test_it_has_the_search_index_and_its_triggers(self, db: Any) -> None:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute(
                    "SELECT type, name FROM sqlite_master"
                    " WHERE name LIKE 'tickets_ticket_search%%' OR name = 'ticket_caller_phone_idx'"
                )
                names = {name for _type, name in cursor.fetchall()}
                expected = {
                    "tickets_ticket_search",
                    "tickets_ticket_search_inserted",
                    "tickets_ticket_search_updated",
                    "tickets_ticket_search_deleted",
                    "ticket_caller_phone_idx",
                }
            else:
                cursor.execute(
                    "SELECT indexname FROM pg_indexes WHERE tablename = 'tickets_ticket'"
                    " AND (indexname LIKE '%%trgm%%' OR indexname = 'ticket_caller_phone_idx')"
                )
                names = {name for (name,) in cursor.fetchall()}
                expected = {
                    "ticket_number_trgm_idx",
                    "ticket_title_trgm_idx",
                    "ticket_content_trgm_idx",
                    "ticket_address_trgm_idx",
                    "ticket_resident_name_trgm_idx",
                    "ticket_caller_phone_idx",
                }
        assert expected <= names
