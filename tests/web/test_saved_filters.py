"""Saved filters on the ticket list: save the current filters under a name, list them as links,
delete them; each person sees only their own."""

from __future__ import annotations

import re
from typing import Any

from django.db import connection
from django.test import Client

from jieban.web.models import SavedFilter
from jieban.web.tickets import saved_filters
from jieban.web.tickets.saved_filters import filter_query, save_filter
from tests.conftest import Cast, new_ticket
from tests.web.conftest import dispatched


def links(html: str) -> dict[str, str]:
    """The saved filters a page lists: name → href."""
    found = re.findall(
        r'<li class="saved-filter">\s*<a href="([^"]+)"[^>]*>([^<]+)</a>', html, flags=re.DOTALL
    )
    return {name: href.replace("&amp;", "&") for href, name in found}


def save(client: Client, name: str, query: str) -> Any:
    return client.post("/tickets/filters/", {"name": name, "query": query})


class TestSavedFilters:
    def test_it_saves_the_current_filters_and_lists_them(self, client: Client, cast: Cast) -> None:
        client.force_login(cast.dispatcher)
        html = client.get("/tickets/?status=dispatched&unit=PS-A").content.decode()
        # The form that saves carries the filters shown, without the page cursor.
        assert 'name="query" value="status=dispatched&amp;unit=PS-A"' in html
        response = save(client, "甲所在办", "unit=PS-A&status=dispatched&cursor=abc&q=")
        assert response.status_code == 302
        assert response["Location"] == "/tickets/?status=dispatched&unit=PS-A"
        saved = SavedFilter.objects.get()
        assert (saved.owner, saved.name, saved.query) == (
            cast.dispatcher,
            "甲所在办",
            "status=dispatched&unit=PS-A",
        )
        page = client.get(response["Location"]).content.decode()
        assert "已保存筛选“甲所在办”。" in page
        assert links(page) == {"甲所在办": "/tickets/?status=dispatched&unit=PS-A"}
        # The one in use is marked.
        assert 'aria-current="true">甲所在办</a>' in page

    def test_its_link_shows_the_same_tickets(self, client: Client, cast: Cast) -> None:
        at_a = dispatched(cast, "PS-A")
        dispatched(cast, "PS-B")
        new_ticket(cast.dispatcher)
        client.force_login(cast.dispatcher)
        save(client, "甲所", "unit=PS-A&overdue=")
        href = links(client.get("/tickets/").content.decode())["甲所"]
        html = client.get(href).content.decode()
        assert re.findall(r'<a href="/tickets/(JB\d{8}-\d{4})/">', html) == [at_a.number]

    def test_each_person_sees_only_their_own(self, client: Client, cast: Cast) -> None:
        save_filter(cast.dispatcher, name="我的", query="status=new")
        save_filter(cast.supervisor, name="督办的", query="overdue=1")
        client.force_login(cast.supervisor)
        assert links(client.get("/tickets/").content.decode()) == {"督办的": "/tickets/?overdue=1"}
        client.force_login(cast.handler_a)
        html = client.get("/tickets/").content.decode()
        assert links(html) == {}
        assert 'data-testid="saved-filters"' not in html

    def test_it_deletes_only_ones_own(self, client: Client, cast: Cast) -> None:
        mine, _created = save_filter(cast.dispatcher, name="我的", query="status=new")
        theirs, _created = save_filter(cast.supervisor, name="别人的", query="status=new")
        client.force_login(cast.dispatcher)
        response = client.post(f"/tickets/filters/{theirs.pk}/delete/")
        assert response.status_code == 404
        assert SavedFilter.objects.filter(pk=theirs.pk).exists()
        response = client.post(f"/tickets/filters/{mine.pk}/delete/", {"query": "status=new"})
        assert response.status_code == 302
        assert response["Location"] == "/tickets/?status=new"
        assert not SavedFilter.objects.filter(pk=mine.pk).exists()
        assert client.get(f"/tickets/filters/{theirs.pk}/delete/").status_code == 405

    def test_saving_under_the_same_name_replaces(self, client: Client, cast: Cast) -> None:
        client.force_login(cast.dispatcher)
        save(client, "今天", "status=new")
        response = save(client, " 今天 ", "status=dispatched")
        assert response.status_code == 302
        assert list(SavedFilter.objects.values_list("name", "query")) == [
            ("今天", "status=dispatched")
        ]
        assert "已更新筛选“今天”。" in client.get(response["Location"]).content.decode()

    def test_it_refuses_a_missing_name_and_keeps_the_list(self, client: Client, cast: Cast) -> None:
        new_ticket(cast.dispatcher)
        client.force_login(cast.dispatcher)
        response = save(client, "  ", "status=new")
        assert response.status_code == 400
        html = response.content.decode()
        assert re.search(r'id="id_saved_name_error" role="alert">请为此筛选命名。<', html)
        # The list the person was looking at is still there, with its filters.
        assert '<option value="new" selected>' in html
        assert len(re.findall(r'<a href="/tickets/(JB\d{8}-\d{4})/">', html)) == 1
        assert not SavedFilter.objects.exists()

    def test_it_refuses_nothing_to_save_and_filters_the_list_refuses(
        self, client: Client, cast: Cast
    ) -> None:
        client.force_login(cast.dispatcher)
        response = save(client, "空的", "cursor=abc")
        assert response.status_code == 400
        assert "请先选择筛选条件" in response.content.decode()
        response = save(client, "坏的", "unit=NOWHERE")
        assert response.status_code == 400
        assert "未知单位 NOWHERE。" in response.content.decode()
        response = save(client, "长" * 61, "status=new")
        assert response.status_code == 400
        assert not SavedFilter.objects.exists()

    def test_it_keeps_a_bounded_number_per_person(
        self, client: Client, cast: Cast, monkeypatch: Any
    ) -> None:
        monkeypatch.setattr(saved_filters, "MAX_SAVED_FILTERS", 2)
        client.force_login(cast.dispatcher)
        assert save(client, "一", "status=new").status_code == 302
        assert save(client, "二", "status=closed").status_code == 302
        response = save(client, "三", "status=resolved")
        assert response.status_code == 400
        assert "您已有 2 个保存的筛选" in response.content.decode()
        # Replacing one is still allowed.
        assert save(client, "二", "status=resolved").status_code == 302
        assert SavedFilter.objects.count() == 2

    def test_it_needs_a_login_and_a_post(self, client: Client, cast: Cast) -> None:
        assert save(client, "x", "status=new").status_code == 302
        assert not SavedFilter.objects.exists()
        client.force_login(cast.dispatcher)
        assert client.get("/tickets/filters/").status_code == 405

    def test_the_query_string_is_canonical(self) -> None:
        assert filter_query({"unit": "PS-A", "status": "new"}) == "status=new&unit=PS-A"
        assert filter_query({"overdue": "on", "due_soon": "0", "cursor": "x"}) == "overdue=1"
        assert (
            filter_query({"q": " 装修 噪音 ", "other": "1"})
            == "q=%E8%A3%85%E4%BF%AE+%E5%99%AA%E9%9F%B3"
        )

    def test_the_list_reads_them_in_one_query(
        self, client: Client, cast: Cast, django_assert_num_queries: object
    ) -> None:
        for index in range(5):
            save_filter(cast.dispatcher, name=f"筛选 {index}", query=f"q=第{index}")
        for _ in range(3):
            dispatched(cast)
        client.force_login(cast.dispatcher)
        # As without saved filters: session, user, the bell, the page of tickets (its ids,
        # then their rows), their count, the due-soon horizon, units and categories, and the
        # saved filters, however many.
        with django_assert_num_queries(10):  # type: ignore[operator]
            html = client.get("/tickets/").content.decode()
        assert len(links(html)) == 5
        # Following one costs what its filters cost: here no lookup, and no running clock on
        # the page, so no due-soon horizon either; on SQLite the search counts its matches
        # first, to choose its plan, and its total is counted through the index (its
        # matches, then those kept); on PostgreSQL the same two through its index, each after
        # asking the planner how common the word is (two queries) and in a transaction that
        # sets how it reads the index and sets it back after (here a savepoint: four queries
        # each time).
        searched = 10 if connection.vendor == "sqlite" else 21
        with django_assert_num_queries(searched):  # type: ignore[operator]
            client.get(links(html)["筛选 1"])
