"""The ticket list: filters, masked phones, keyset pages, bad filters, and its query count."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.db import connection
from django.test import Client

from jieban.org.models import Unit
from jieban.tickets import transitions
from jieban.tickets.selectors import Total
from jieban.web import pages
from jieban.web.tickets import lists
from tests.conftest import Cast, local, new_ticket
from tests.web.conftest import dispatched, dispatched_at, supervised


def numbers(html: str) -> list[str]:
    return re.findall(r'<a href="/tickets/(JB\d{8}-\d{4})/">', html)


def link(html: str, rel: str) -> str | None:
    """The query string of the page's `rel` (next or prev) link."""
    match = re.search(rf'rel="{rel}" href="([^"]+)"', html)
    return match.group(1).replace("&amp;", "&") if match else None


def total(html: str) -> tuple[str, str]:
    """(whether exact, the total as the heading says it)."""
    match = re.search(r'data-testid="total" data-exact="(\w+)"[^>]*>([^<]*)<', html)
    assert match, "no total"
    return match.group(1), match.group(2)


class TestTicketListPage:
    def test_it_masks_phones(self, client: Client, cast: Cast) -> None:
        new_ticket(cast.dispatcher, resident_phone="13812341234")
        client.force_login(cast.dispatcher)
        html = client.get("/tickets/").content.decode()
        assert "138****1234" in html
        assert "13812341234" not in html

    def test_it_shows_the_columns(self, client: Client, cast: Cast) -> None:
        ticket = dispatched(cast)
        client.force_login(cast.dispatcher)
        html = client.get("/tickets/").content.decode()
        assert numbers(html) == [ticket.number]
        for text in ("装修噪音", "甲派出所", "已交办", ticket.title):
            assert text in html

    def test_it_filters_by_status_unit_channel_category_and_text(
        self, client: Client, cast: Cast
    ) -> None:
        fresh = new_ticket(cast.dispatcher, content="狗在小区里乱跑", category="dangerous_dogs")
        at_a = dispatched(cast, "PS-A")
        at_b = dispatched(cast, "PS-B", channel="walk_in")
        client.force_login(cast.dispatcher)
        cases = {
            "status=new": [fresh.number],
            "status=dispatched&unit=PS-B": [at_b.number],
            "unit=PS-A": [at_a.number],
            "channel=walk_in": [at_b.number],
            "category=dangerous_dogs": [fresh.number],
            "q=乱跑": [fresh.number],
            f"q={at_a.number}": [at_a.number],
        }
        for query, expected in cases.items():
            response = client.get(f"/tickets/?{query}")
            assert response.status_code == 200, query
            assert numbers(response.content.decode()) == expected, query

    def test_it_filters_by_time_received(self, client: Client, cast: Cast) -> None:
        early = new_ticket(cast.dispatcher, received_at=local(2026, 3, 2))
        late = new_ticket(cast.dispatcher, received_at=local(2026, 3, 9))
        client.force_login(cast.dispatcher)
        html = client.get("/tickets/?received_from=2026-03-05").content.decode()
        assert late.number in numbers(html) and early.number not in numbers(html)
        html = client.get("/tickets/?received_to=2026-03-02").content.decode()
        assert numbers(html) == [early.number]

    def test_it_filters_overdue_tickets(self, client: Client, cast: Cast) -> None:
        with time_machine.travel(local(2026, 7, 1), tick=False):
            late = dispatched(cast)
        with time_machine.travel(local(2026, 7, 20), tick=False):
            dispatched(cast)
            client.force_login(cast.dispatcher)
            html = client.get("/tickets/?overdue=1").content.decode()
        assert numbers(html) == [late.number]
        assert 'class="badge overdue"' in html
        assert 'name="overdue" id="id_overdue" checked' in html

    def test_it_filters_due_soon_tickets(self, client: Client, cast: Cast) -> None:
        # Due Monday 9 March and Thursday 12 March at the end of the day.
        soon = dispatched_at(cast, local(2026, 3, 2))
        later = dispatched_at(cast, local(2026, 3, 5))
        client.force_login(cast.dispatcher)
        with time_machine.travel(local(2026, 3, 6, 12), tick=False):
            html = client.get("/tickets/?due_soon=1").content.decode()
            assert numbers(html) == [soon.number]
            assert html.count('<span class="badge due-soon">即将到期</span>') == 1
            assert 'name="due_soon" id="id_due_soon" checked' in html
            # Unfiltered, the badge marks the one that is due soon.
            html = client.get("/tickets/").content.decode()
        assert numbers(html) == [later.number, soon.number]
        assert html.count('<span class="badge due-soon">即将到期</span>') == 1
        assert html.index(soon.number) < html.index('<span class="badge due-soon">')

    def test_it_badges_the_supervision_level(self, client: Client, cast: Cast) -> None:
        supervised(cast, breaches=2)
        dispatched(cast)
        client.force_login(cast.dispatcher)
        html = client.get("/tickets/").content.decode()
        assert html.count('<span class="badge level level-2">重点办</span>') == 1
        assert 'class="badge level level-1"' not in html

    def test_it_keeps_the_filters_in_the_form(self, client: Client, cast: Cast) -> None:
        client.force_login(cast.dispatcher)
        html = client.get("/tickets/?status=new&q=噪音").content.decode()
        assert '<option value="new" selected>' in html
        assert 'value="噪音"' in html

    def test_it_shows_a_list_of_statuses_as_itself(self, client: Client, cast: Cast) -> None:
        # The grid map's "open tickets" click-through: the picker says open, not "any status".
        client.force_login(cast.dispatcher)
        html = client.get("/tickets/?status=new,dispatched,in_progress,resolved").content.decode()
        assert '<option value="new,dispatched,in_progress,resolved" selected>未结（未归档）' in html
        html = client.get("/tickets/?status=resolved,closed").content.decode()
        assert '<option value="resolved,closed" selected>已办结、已归档</option>' in html

    @pytest.mark.parametrize(
        ("query", "message"),
        [
            ("status=bogus", "未知状态 bogus。"),
            ("unit=NOWHERE", "未知单位 NOWHERE。"),
            ("category=nothing", "未知类别 nothing。"),
            ("channel=pigeon", "未知来源渠道 pigeon。"),
            ("received_from=yesterday", "yesterday 不是日期"),
            ("cursor=%21%21", "分页游标无效：不是本系统给出的。"),
        ],
    )
    def test_it_shows_bad_filters_as_a_message(
        self, client: Client, cast: Cast, query: str, message: str
    ) -> None:
        new_ticket(cast.dispatcher)
        client.force_login(cast.dispatcher)
        response = client.get(f"/tickets/?{query}")
        assert response.status_code == 400
        html = response.content.decode()
        assert message in html
        assert numbers(html) == []

    def test_it_pages_with_a_cursor(
        self, client: Client, cast: Cast, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(lists, "LIST_PAGE_SIZE", 2)
        made = [new_ticket(cast.dispatcher, received_at=local(2026, 3, day)) for day in (1, 2, 3)]
        client.force_login(cast.dispatcher)
        html = client.get("/tickets/?status=new").content.decode()
        assert numbers(html) == [made[2].number, made[1].number]
        link = re.search(r'rel="next" href="([^"]+)"', html)
        assert link is not None
        next_url = link.group(1).replace("&amp;", "&")
        assert "status=new" in next_url
        html = client.get(f"/tickets/{next_url}").content.decode()
        assert numbers(html) == [made[0].number]
        assert 'rel="next"' not in html

    def test_it_goes_back_a_page_with_the_filters(
        self, client: Client, cast: Cast, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(lists, "LIST_PAGE_SIZE", 2)
        made = [new_ticket(cast.dispatcher, received_at=local(2026, 3, day)) for day in range(1, 6)]
        dispatched(cast)  # not new: filtered out on every page
        client.force_login(cast.dispatcher)
        first = client.get("/tickets/?status=new").content.decode()
        assert numbers(first) == [made[4].number, made[3].number]
        assert link(first, "prev") is None
        second = client.get(f"/tickets/{link(first, 'next')}").content.decode()
        assert numbers(second) == [made[2].number, made[1].number]
        third = client.get(f"/tickets/{link(second, 'next')}").content.decode()
        assert numbers(third) == [made[0].number]
        assert link(third, "next") is None
        back = link(third, "prev")
        assert back is not None and "status=new" in back and "cursor=" not in back
        html = client.get(f"/tickets/{back}").content.decode()
        assert numbers(html) == [made[2].number, made[1].number]
        assert link(html, "next") == link(second, "next") and link(html, "next") is not None
        html = client.get(f"/tickets/{link(html, 'prev')}").content.decode()
        assert numbers(html) == [made[4].number, made[3].number]
        assert link(html, "prev") is None
        assert "status=new" in (link(html, "next") or "")

    def test_it_goes_back_to_the_first_page_when_nothing_newer_is_left(
        self, client: Client, cast: Cast, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(lists, "LIST_PAGE_SIZE", 2)
        made = [new_ticket(cast.dispatcher, received_at=local(2026, 3, day)) for day in (1, 2, 3)]
        client.force_login(cast.dispatcher)
        first = client.get("/tickets/?status=new").content.decode()
        second = client.get(f"/tickets/{link(first, 'next')}").content.decode()
        back = link(second, "prev")
        # The two newer tickets leave the filter before the person goes back.
        for ticket in made[1:]:
            transitions.dispatch_ticket(
                ticket.number, unit=Unit.objects.get(code="PS-A"), by=cast.dispatcher
            )
        html = client.get(f"/tickets/{back}").content.decode()
        assert numbers(html) == [made[0].number]
        assert link(html, "prev") is None and link(html, "next") is None

    def test_it_counts_the_tickets_exactly(self, client: Client, cast: Cast) -> None:
        for _ in range(3):
            new_ticket(cast.dispatcher)
        dispatched(cast)
        client.force_login(cast.dispatcher)
        assert total(client.get("/tickets/").content.decode()) == ("true", "共 4 件")
        assert total(client.get("/tickets/?status=new").content.decode()) == ("true", "共 3 件")
        assert total(client.get("/tickets/?status=closed").content.decode()) == ("true", "共 0 件")
        # An outsider counts only what they may see.
        client.force_login(cast.outsider)
        assert total(client.get("/tickets/").content.decode()) == ("true", "共 0 件")

    def test_it_says_more_than_past_the_exact_count(
        self, client: Client, cast: Cast, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(pages, "COUNT_EXACTLY_UP_TO", 3)
        for _ in range(4):
            new_ticket(cast.dispatcher)
        client.force_login(cast.dispatcher)
        assert total(client.get("/tickets/").content.decode()) == ("false", "超过 3 件")
        dispatched(cast)
        # Up to the limit it is exact again.
        assert total(client.get("/tickets/?status=dispatched").content.decode()) == (
            "true",
            "共 1 件",
        )
        monkeypatch.setattr(pages, "COUNT_EXACTLY_UP_TO", 5)
        assert total(client.get("/tickets/").content.decode()) == ("true", "共 5 件")

    def test_it_writes_large_counts_with_separators(
        self, client: Client, cast: Cast, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        client.force_login(cast.dispatcher)
        for counted, expected in (
            (Total(1234), ("true", "共 1,234 件")),
            (Total(10000, exact=False), ("false", "超过 10,000 件")),
            (Total(1234, exact=False, at_least=True), ("false", "至少 1,234 件")),
        ):
            monkeypatch.setattr(
                pages, "count_tickets", lambda *args, counted=counted, **kw: counted
            )
            assert total(client.get("/tickets/").content.decode()) == expected

    def test_it_counts_a_search(self, client: Client, cast: Cast) -> None:
        for _ in range(3):
            new_ticket(cast.dispatcher, content="狗在小区里乱跑，吓到孩子。")
        dispatched(cast, content="小区里的狗乱跑。")
        new_ticket(cast.dispatcher)
        client.force_login(cast.dispatcher)
        for query, expected in (
            ("q=乱跑", "共 4 件"),
            ("q=乱跑&status=new", "共 3 件"),
            ("q=吓到孩子", "共 3 件"),
            ("q=狗", "共 4 件"),
            ("q=火箭", "共 0 件"),
        ):
            assert total(client.get(f"/tickets/?{query}").content.decode()) == (
                "true",
                expected,
            ), query
        # Only what the person may see.
        client.force_login(cast.handler_a)
        assert total(client.get("/tickets/?q=乱跑").content.decode()) == ("true", "共 1 件")

    def test_a_search_past_the_exact_count(
        self, client: Client, cast: Cast, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(pages, "COUNT_EXACTLY_UP_TO", 2)
        for _ in range(3):
            new_ticket(cast.dispatcher, content="狗在小区里乱跑。")
        dispatched(cast, content="小区里的狗乱跑。")  # the newest match
        client.force_login(cast.dispatcher)
        assert total(client.get("/tickets/?q=乱跑").content.decode()) == ("false", "超过 2 件")
        html = client.get("/tickets/?q=乱跑&status=new").content.decode()
        if connection.vendor == "sqlite":
            # Counted through the index: of its three newest matches, two are new; the
            # oldest match was not looked at.
            assert total(html) == ("false", "至少 2 件")
        else:
            assert total(html) == ("false", "超过 2 件")
        html = client.get("/tickets/?q=乱跑&status=dispatched").content.decode()
        if connection.vendor == "sqlite":
            assert total(html) == ("false", "至少 1 件")
        else:
            assert total(html) == ("true", "共 1 件")
        # With no more matches than it counts, the index's count is exact.
        monkeypatch.setattr(pages, "COUNT_EXACTLY_UP_TO", 4)
        html = client.get("/tickets/?q=乱跑&status=new").content.decode()
        assert total(html) == ("true", "共 3 件")

    def test_it_shows_an_outsider_nothing(self, client: Client, cast: Cast) -> None:
        new_ticket(cast.dispatcher)
        dispatched(cast, "PS-A")
        client.force_login(cast.outsider)
        html = client.get("/tickets/").content.decode()
        assert numbers(html) == []
        client.force_login(cast.handler_b)
        assert numbers(client.get("/tickets/").content.decode()) == []

    def test_it_runs_a_fixed_number_of_queries(
        self, client: Client, cast: Cast, django_assert_num_queries: object
    ) -> None:
        for _ in range(5):
            dispatched(cast)
            new_ticket(cast.dispatcher)
        client.force_login(cast.dispatcher)
        # session, user, the bell, one page of tickets (its ids, then their rows), their
        # count, the calendar overrides that place the due-soon horizon (the page has running
        # clocks), units and categories for the filters, the person's saved filters
        with django_assert_num_queries(10):  # type: ignore[operator]
            response = client.get("/tickets/")
        assert len(numbers(response.content.decode())) == 10
        # A filter by unit costs one lookup more, whatever the number of rows.
        with django_assert_num_queries(11):  # type: ignore[operator]
            client.get("/tickets/?unit=PS-A")
