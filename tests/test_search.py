"""Full-text search (`q`) in Chinese: FTS5 trigram on SQLite, pg_trgm on PostgreSQL.

The same tests run on both: the answers must be the same whichever database holds the tickets.
"""

from __future__ import annotations

import importlib
import itertools
import sqlite3
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.db.models import Q
from django.test import Client

from jieban.intake.actions import TicketDraft, register_tickets
from jieban.org.models import Unit
from jieban.tickets import search_words, selectors, transitions
from jieban.tickets.models import Ticket
from jieban.tickets.selectors import SEARCHED_TEXT, TicketFilters, filter_tickets, fts5_phrase
from tests.conftest import Cast, new_ticket


def found(user: Any, q: str) -> set[str]:
    return set(filter_tickets(user, TicketFilters(q=q)).values_list("number", flat=True))


def counted(user: Any, q: str, limit: int = 100, **filters: str) -> selectors.Total:
    """The list's total for a search (and other filters), as the list counts it."""
    return selectors.count_tickets(user, TicketFilters(q=q, **filters), limit=limit)


def every_word_common(monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL's statistics call every word common (tickets too few to make one so)."""
    monkeypatch.setattr(selectors, "PG_COMMON_ESTIMATE", 0)
    monkeypatch.setattr(selectors, "COMMON_SHARE", 0)


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
        # Two characters: shorter than a trigram, answered by the index of characters and pairs.
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
            # NUL never reaches a search: an address holding it is refused (test_inputs.py).
            "\x07装修噪音\x1f",
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
                    " WHERE name LIKE 'tickets_ticket_search%%'"
                    " OR name LIKE 'tickets_ticket_short_search%%'"
                    " OR name = 'ticket_caller_phone_idx'"
                )
                names = {name for _type, name in cursor.fetchall()}
                expected = {
                    "tickets_ticket_search",
                    "tickets_ticket_search_inserted",
                    "tickets_ticket_search_updated",
                    "tickets_ticket_search_deleted",
                    "tickets_ticket_short_search",
                    "tickets_ticket_short_search_inserted",
                    "tickets_ticket_short_search_updated",
                    "tickets_ticket_short_search_deleted",
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


# Texts that put words at the very start and end of each column, pairs that only exist across
# two columns (漏|水, 物|业), ASCII and non-ASCII case, characters LIKE would read as wildcards,
# and characters of one, two, three and four UTF-8 bytes.
SHORT_WORD_TEXTS = [
    {"title": "噪音扰民", "content": "楼上噪音", "address": "噪音社区", "resident_name": "欧阳"},
    {"title": "楼上漏", "content": "水管爆裂漏", "address": "小区物", "resident_name": "业主"},
    {
        "title": "WiFi 故障",
        "content": "Free wifi 100%_off \\ 'quoted' \"double\" *star* (a) x:y",
        "address": "A栋B座",
        "resident_name": "Zoë",
    },
    {
        "title": "Éé ＡＢａｂ",
        "content": "🚗停车难，停车场满了。e\u0301",
        "address": "",
        "resident_name": "",
    },
    {"title": "空", "content": "水", "address": "3 栋 502", "resident_name": "王"},
]


def reference(text: str) -> set[str]:
    """What a search for fewer than three characters has always meant: the whole number, or
    `icontains` on each searched text column."""
    condition = Q(number=text)
    for name in SEARCHED_TEXT:
        condition |= Q(**{f"{name}__icontains": text})
    return set(Ticket.objects.filter(condition).values_list("number", flat=True))


def short_queries(rows: list[dict[str, str]]) -> set[str]:
    """Every one- and two-character substring of the texts, the pairs across two columns, both
    cases of each, and a few absent ones: each a query as the search keeps it (no whitespace
    at either end)."""
    queries = {"火箭", "x", "Ｚ", "%", "_", "%_", "\\", "''"}
    for row in rows:
        values = [row[name] for name in SEARCHED_TEXT]
        for value in values:
            for start in range(len(value)):
                queries.update({value[start : start + 1], value[start : start + 2]})
        for left, right in itertools.pairwise(values):
            if left and right:
                queries.add(left[-1] + right[0])
    queries |= {query.upper() for query in queries} | {query.lower() for query in queries}
    return {query for query in queries if query and query == query.strip()}


class TestShortSearch:
    """One or two characters (most Chinese words): an index of characters and pairs (SQLite's
    FTS5, PostgreSQL's GIN), with exactly the answers of `icontains`."""

    @pytest.fixture
    def written(self, cast: Cast) -> list[Ticket]:
        return [new_ticket(cast.dispatcher, **texts) for texts in SHORT_WORD_TEXTS]

    @pytest.mark.parametrize(
        ("few", "many"),
        [(1000, 20_000), (1, 10**9), (1, 1)],
        ids=["fetched-and-sorted", "walk-collected", "walk-reading-text"],
    )
    def test_it_finds_what_icontains_finds(
        self,
        cast: Cast,
        written: list[Ticket],
        few: int,
        many: int,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        # Each of the three plans on SQLite; on PostgreSQL, through the index (the first two)
        # or reading the text.
        monkeypatch.setattr(selectors, "FEW_MATCHES", few)
        monkeypatch.setattr(selectors, "MANY_MATCHES", many)
        monkeypatch.setattr(selectors, "PG_MANY_MATCHES", many)
        # PostgreSQL walks a word its statistics call common without counting its matches.
        monkeypatch.setattr(selectors, "PG_COMMON_ESTIMATE", 0 if many == 1 else 10**9)
        monkeypatch.setattr(selectors, "COMMON_SHARE", 0 if many == 1 else 1)
        queries = short_queries(SHORT_WORD_TEXTS)
        assert len(queries) > 200
        answers = {query: (found(cast.dispatcher, query), reference(query)) for query in queries}
        assert {query: pair for query, pair in answers.items() if pair[0] != pair[1]} == {}
        # Not a vacuous comparison: most queries find something.
        assert sum(1 for searched, _expected in answers.values() if searched) > len(queries) / 2

    def test_it_finds_words_at_either_end_but_not_across_columns(
        self, cast: Cast, written: list[Ticket]
    ) -> None:
        user = cast.dispatcher
        noise, leak, wifi, parking, empty = (ticket.number for ticket in written)
        assert found(user, "噪音") == {noise}
        assert found(user, "扰民") == {noise}
        assert found(user, "欧阳") == {noise}
        # 漏 ends the title and 水 begins the content; 物 ends the address, 业 begins the name.
        assert found(user, "漏水") == set()
        assert found(user, "物业") == set()
        assert found(user, "漏") == {leak}
        assert found(user, "水") == {leak, empty}
        assert found(user, "WI") == {wifi}
        assert found(user, "%_") == {wifi}
        assert found(user, "停车") == {parking}
        assert found(user, "🚗停") == {parking}
        assert found(user, "火箭") == set()

    def test_it_finds_a_whole_number(self, cast: Cast, written: list[Ticket]) -> None:
        user = cast.dispatcher
        ticket = written[0]
        Ticket.objects.filter(pk=ticket.pk).update(number="J9")
        assert found(user, "J9") == {"J9"}
        # Fewer than three characters are not looked for inside numbers.
        assert found(user, "J") == set()

    def test_it_follows_changes_to_the_text(self, cast: Cast, written: list[Ticket]) -> None:
        user = cast.dispatcher
        noise = written[0]
        Ticket.objects.filter(pk=noise.pk).update(title="广场舞")
        assert found(user, "场舞") == {noise.number}
        assert found(user, "扰民") == set()
        Ticket.objects.filter(pk=noise.pk).update(content="")
        assert found(user, "楼上") == {written[1].number}
        transitions.close_ticket(noise.number, note="已现场答复。", by=user)
        assert found(user, "场舞") == {noise.number}
        Ticket.objects.filter(pk=noise.pk).delete()
        assert found(user, "场舞") == set()
        assert found(user, "噪") == set()

    def test_it_respects_the_access_rule(self, cast: Cast, written: list[Ticket]) -> None:
        noise = written[0]
        transitions.dispatch_ticket(
            noise.number, unit=Unit.objects.get(code="PS-A"), by=cast.dispatcher
        )
        assert found(cast.handler_a, "噪音") == {noise.number}
        assert found(cast.handler_b, "噪音") == set()
        assert found(cast.outsider, "噪") == set()

    def test_it_counts_what_icontains_finds(self, cast: Cast, written: list[Ticket]) -> None:
        user = cast.dispatcher
        dispatched = written[1]
        transitions.dispatch_ticket(dispatched.number, unit=Unit.objects.get(code="PS-A"), by=user)
        for query in ("水", "噪音", "火箭", "栋", "WI"):
            expected = len(reference(query))
            assert selectors.count_tickets(user, TicketFilters(q=query), limit=100) == (
                selectors.Total(expected)
            )
        # With another filter, and past the limit.
        assert selectors.count_tickets(
            user, TicketFilters(q="水", status="dispatched"), limit=100
        ) == selectors.Total(1)
        assert selectors.count_tickets(user, TicketFilters(q="水"), limit=1) == selectors.Total(
            1, exact=False
        )

    @pytest.mark.postgres_only
    def test_postgresql_counts_a_common_word_among_the_newest_tickets(
        self, cast: Cast, written: list[Ticket], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        user = cast.dispatcher
        every_word_common(monkeypatch)
        # 水 is in the second and the fifth ticket (the newest).
        assert counted(user, "水") == selectors.Total(2)
        # Among the newest three only the fifth holds it: at least one, and no more is said.
        monkeypatch.setattr(selectors, "COUNTED_NEWEST", 3)
        assert counted(user, "水") == selectors.Total(1, exact=False, at_least=True)
        assert counted(user, "水", limit=0) == selectors.Total(0, exact=False)
        assert found(user, "水") == {written[1].number, written[4].number}

    @pytest.mark.postgres_only
    def test_postgresql_reads_its_index_of_characters_and_pairs(
        self, cast: Cast, written: list[Ticket]
    ) -> None:
        # So few tickets would be read whole; as the search reads them, the planner shows the
        # index serves the search's own expression (an expression that differed in anything
        # would not: the plan would be a scan).
        with selectors._through_the_index(), connection.cursor() as cursor:
            cursor.execute(
                f"EXPLAIN SELECT id FROM tickets_ticket WHERE {selectors.SHORT_WORDS_HELD}",
                ["噪音"],
            )
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "Bitmap Index Scan on ticket_short_words_idx" in plan


def short_index_migration() -> Any:
    """The migration that makes the index for short searches: its SQL is what the triggers
    run."""
    package, _explicit = MigrationLoader.migrations_module("tickets")
    return importlib.import_module(f"{package}.0010_search_bigrams")


def index_words(cursor: Any, schema: str, table: str) -> set[tuple[str, int]]:
    """Every (word, ticket id) an FTS5 index of characters and pairs holds."""
    cursor.execute(
        f"CREATE VIRTUAL TABLE temp.{table}_words USING fts5vocab({schema}, {table}, instance)"
    )
    cursor.execute(f"SELECT term, doc FROM temp.{table}_words")
    words = set(cursor.fetchall())
    cursor.execute(f"DROP TABLE temp.{table}_words")
    return words


def live_and_fresh_words(cursor: Any) -> tuple[set[tuple[str, int]], set[tuple[str, int]]]:
    """The words the live index holds, and those an index made afresh from the tickets by the
    triggers' own SQL would hold."""
    migration = short_index_migration()
    cursor.execute(
        "CREATE VIRTUAL TABLE temp.fresh_words USING fts5("
        "words, content='', tokenize='ascii', detail='none')"
    )
    cursor.execute(
        "INSERT INTO temp.fresh_words (rowid, words) SELECT id,"
        f" {migration.ticket_words('tickets_ticket')} FROM tickets_ticket"
    )
    live = index_words(cursor, "main", migration.TABLE)
    fresh = index_words(cursor, "temp", "fresh_words")
    cursor.execute("DROP TABLE temp.fresh_words")
    return live, fresh


@pytest.mark.sqlite_only
class TestShortSearchIndex:
    """The SQLite index behind short searches: kept whole by its triggers, whoever writes."""

    def test_it_holds_what_a_fresh_index_would(self, cast: Cast) -> None:
        tickets = [new_ticket(cast.dispatcher, **texts) for texts in SHORT_WORD_TEXTS]
        Ticket.objects.filter(pk=tickets[0].pk).update(content="改过的内容", address="新地址")
        Ticket.objects.filter(pk=tickets[1].pk).delete()
        Ticket.objects.filter(pk=tickets[2].pk).update(status="closed")
        migration = short_index_migration()
        with connection.cursor() as cursor:
            live, fresh = live_and_fresh_words(cursor)
            cursor.execute(
                f"INSERT INTO {migration.TABLE} ({migration.TABLE}, rank)"
                " VALUES ('integrity-check', 1)"
            )
        assert live == fresh
        assert {ticket for _word, ticket in live} == set(
            Ticket.objects.values_list("pk", flat=True)
        )

    def test_its_migration_indexes_the_tickets_there_are(self, cast: Cast) -> None:
        ticket = new_ticket(cast.dispatcher, content="水管爆裂")
        migration = short_index_migration()
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {migration.TABLE} ({migration.TABLE}) VALUES ('delete-all')"
            )
            assert found(cast.dispatcher, "爆裂") == set()
            # Run again, as after a migration that rebuilt tickets_ticket: it starts afresh.
            for statement in migration.SQLITE:
                cursor.execute(statement)
        assert found(cast.dispatcher, "爆裂") == {ticket.number}

    def test_its_triggers_need_no_function_of_the_application(self) -> None:
        # A plain sqlite3 connection, as the command line would have: Jieban's code is not
        # there, yet writes go through and the index follows them.
        migration = short_index_migration()
        plain = sqlite3.connect(":memory:")
        plain.execute(
            "CREATE TABLE tickets_ticket (id INTEGER PRIMARY KEY, number TEXT, title TEXT,"
            " content TEXT, address TEXT, resident_name TEXT)"
        )
        for statement in migration.SQLITE:
            plain.execute(statement)
        plain.execute(
            "INSERT INTO tickets_ticket VALUES (1, 'JB1', '漏水', '楼上卫生间', '', 'Ab'),"
            " (2, 'JB2', '停车', '车位', '', '')"
        )
        plain.execute("UPDATE tickets_ticket SET content = '楼下' WHERE id = 1")
        plain.execute("DELETE FROM tickets_ticket WHERE id = 2")

        def matches(word: str) -> list[int]:
            rows = plain.execute(
                f"SELECT rowid FROM {migration.TABLE} WHERE {migration.TABLE}"
                " MATCH '\"' || hex(lower(?)) || '\"'",
                [word],
            )
            return [row[0] for row in rows]

        assert matches("漏水") == [1]
        assert matches("楼下") == [1]
        assert matches("卫生") == []
        assert matches("停车") == []
        assert matches("aB") == [1]
        assert matches("漏") == [1]
        assert matches("卫") == []
        assert matches("车") == []
        plain.close()


@pytest.mark.sqlite_only
class TestShortSearchFromABatch:
    """An intake batch writes its tickets' words itself (`tickets/search_words.py`), with the
    insert trigger set aside: the words must be exactly the trigger's."""

    def test_it_makes_the_triggers_words(self, db: Any) -> None:
        migration = short_index_migration()
        texts = [text for row in SHORT_WORD_TEXTS for text in row.values()]
        texts += ["", "a", "ÄbC Ｘ", "e\u0301", "🚗", "漏水漏水"]
        with connection.cursor() as cursor:
            for text in texts:
                cursor.execute(f"SELECT {migration.column_words('%s')}", [text])
                (expected,) = cursor.fetchone()
                assert search_words.column_words(text) == expected, text

    def test_it_holds_what_a_fresh_index_would(self, cast: Cast) -> None:
        drafts = [TicketDraft(channel="phone", **texts) for texts in SHORT_WORD_TEXTS]
        made = [result.ticket for result in register_tickets(drafts, by=cast.dispatcher)]
        assert all(ticket is not None for ticket in made)
        user = cast.dispatcher
        assert found(user, "噪音") == {made[0].number}  # type: ignore[union-attr]
        assert found(user, "🚗停") == {made[3].number}  # type: ignore[union-attr]
        # The trigger takes the words out again when a batch's ticket changes or goes.
        Ticket.objects.filter(pk=made[0].pk).update(title="广场舞")  # type: ignore[union-attr]
        Ticket.objects.filter(pk=made[1].pk).delete()  # type: ignore[union-attr]
        with connection.cursor() as cursor:
            live, fresh = live_and_fresh_words(cursor)
            cursor.execute(f"SELECT count(*) FROM {search_words.FLAG}")
            (flags,) = cursor.fetchone()
        assert live == fresh
        assert len({ticket for _word, ticket in live}) == len(made) - 1
        # The trigger stands aside only inside the batch's own transaction.
        assert flags == 0
        later = new_ticket(user, title="丢狗")
        assert found(user, "丢狗") == {later.number}

    def test_a_batch_that_fails_leaves_the_trigger_working(self, cast: Cast) -> None:
        new_ticket(cast.dispatcher, channel="phone", external_id="T-1")
        drafts = [
            TicketDraft(channel="phone", content="狗叫", external_id="T-2"),
            TicketDraft(channel="phone", content="狗叫", external_id="T-1"),
        ]
        results = register_tickets(drafts, by=cast.dispatcher)
        assert [result.status for result in results] == [201, 200]
        with (
            pytest.raises(RuntimeError),
            transaction.atomic(),
            search_words.words_written_here([]),
        ):
            raise RuntimeError("the batch failed")
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {search_words.FLAG}")
            assert cursor.fetchone() == (0,)
        assert found(cast.dispatcher, "狗叫") == {results[0].ticket.number}  # type: ignore[union-attr]
        later = new_ticket(cast.dispatcher, title="丢猫")
        assert found(cast.dispatcher, "丢猫") == {later.number}


@pytest.mark.postgres_only
def test_postgresql_counts_a_common_phrase_among_the_newest_tickets(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three characters or more: a phrase the statistics call common (at ten million
    tickets, 噪音扰 in one in ten) is counted among the newest tickets, not up to the limit
    through the whole table; any other is counted exactly."""
    import datetime as dt

    import time_machine

    from tests.conftest import local

    user = cast.dispatcher
    contents = ["夜里噪音扰民", "楼道灯坏了", "噪音扰民严重", "占道经营", "又是噪音扰民"]
    written = []
    for hours, content in enumerate(contents):
        with time_machine.travel(local(2026, 3, 2, 9) + dt.timedelta(hours=hours), tick=False):
            written.append(new_ticket(user, content=content))
    holding = {written[0].number, written[2].number, written[4].number}
    assert found(user, "噪音扰") == holding
    # So few tickets: not common; counted exactly, and past the limit.
    assert counted(user, "噪音扰") == selectors.Total(3)
    assert counted(user, "噪音扰", limit=2) == selectors.Total(2, exact=False)
    every_word_common(monkeypatch)
    # Common, but every ticket is among the newest counted: exact.
    assert counted(user, "噪音扰") == selectors.Total(3)
    # Among the newest two only the fifth holds it: at least one, and no more is said.
    monkeypatch.setattr(selectors, "COUNTED_NEWEST", 2)
    assert counted(user, "噪音扰") == selectors.Total(1, exact=False, at_least=True)
    # With another filter beside it.
    assert counted(user, "噪音扰", status="dispatched") == (
        selectors.Total(0, exact=False, at_least=True)
    )
    assert found(user, "噪音扰") == holding


def test_a_text_without_cased_letters_is_uncased() -> None:
    assert selectors.uncased("噪音扰民") and selectors.uncased("3栋502") and selectors.uncased("")
    for cased in ("WiFi", "噪音a", "Éé", "ß", "ǅ", "Ⓐ"):
        assert not selectors.uncased(cased), cased


@pytest.mark.postgres_only
def test_postgresql_matches_an_uncased_phrase_with_like_and_a_cased_one_with_ilike(
    cast: Cast,
) -> None:
    user = cast.dispatcher
    for content in ("楼上噪音扰民", "Free WiFi 坏了", "free wifi 又坏了", "无关"):
        new_ticket(user, content=content)
    for phrase, operator in (("噪音扰", " LIKE "), ("WIFI", " ILIKE "), ("i 坏", " ILIKE ")):
        rows = filter_tickets(user, TicketFilters(q=phrase))
        sql = str(rows.query)
        assert operator in sql and (operator == " ILIKE " or " ILIKE " not in sql), sql
        assert set(rows.values_list("number", flat=True)) == reference(phrase), phrase
    assert len(found(user, "WIFI")) == 2


@pytest.mark.postgres_only
def test_planner_settings_hold_for_their_block_only_even_inside_a_transaction(
    db: Any,
) -> None:
    def setting() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('enable_bitmapscan')")
            return str(cursor.fetchone()[0])

    with transaction.atomic():
        assert setting() == "on"
        with selectors._planner_settings(enable_bitmapscan="off"):
            assert setting() == "off"
        assert setting() == "on"
