"""The bell on every page and the notification list: counts, opening one, marking all read."""

from __future__ import annotations

import re

from django.test import Client

from jieban.notify.models import Notification
from tests.conftest import Cast
from tests.web.conftest import supervised


def unread_shown(html: str) -> int:
    match = re.search(r'<span class="count" data-testid="unread-count">(\d+)</span>', html)
    assert match is not None, "no bell on the page"
    return int(match.group(1))


def open_links(html: str) -> list[str]:
    return re.findall(r'<a class="row" href="(/notifications/\d+/)">', html)


class TestNotificationsPage:
    def test_it_rings_the_bell_on_every_page(self, client: Client, cast: Cast) -> None:
        ticket = supervised(cast, breaches=2)
        client.force_login(cast.handler_a)
        # Two orders on a ticket of the handler's unit: two notifications.
        for path in ("/", "/tickets/", "/inbox/", f"/tickets/{ticket.number}/", "/calendar/"):
            html = client.get(path).content.decode()
            assert unread_shown(html) == 2, path
            assert 'href="/notifications/"' in html, path
            assert "消息通知：2 条未读" in html, path
        client.force_login(cast.handler_b)
        assert unread_shown(client.get("/").content.decode()) == 0

    def test_it_lists_the_notifications_newest_first(self, client: Client, cast: Cast) -> None:
        ticket = supervised(cast, breaches=2)
        client.force_login(cast.handler_a)
        html = client.get("/notifications/").content.decode()
        titles = re.findall(
            r"<strong>(督办单 DB\d{8}-\d{4}（[^）]+）：工单 JB\d{8}-\d{4})</strong>", html
        )
        assert titles == [
            f"督办单 {order.number}（{label}）：工单 {ticket.number}"
            for order, label in zip(
                ticket.orders.order_by("-issued_at"), ["重点办", "督促办"], strict=True
            )
        ]
        assert html.count('<span class="badge unread">未读</span>') == 2
        assert len(open_links(html)) == 2

    def test_it_marks_one_read_when_opened(self, client: Client, cast: Cast) -> None:
        ticket = supervised(cast, breaches=2)
        client.force_login(cast.handler_a)
        first = open_links(client.get("/notifications/").content.decode())[0]
        response = client.get(first)
        assert response.status_code == 302
        assert response["Location"] == f"/tickets/{ticket.number}/"
        html = client.get("/notifications/").content.decode()
        assert unread_shown(html) == 1
        assert html.count('<span class="badge unread">未读</span>') == 1
        # Opening it again changes nothing and still leads to the ticket.
        assert client.get(first)["Location"] == f"/tickets/{ticket.number}/"
        assert unread_shown(client.get("/").content.decode()) == 1

    def test_it_marks_all_read(self, client: Client, cast: Cast) -> None:
        supervised(cast, breaches=2)
        client.force_login(cast.handler_a)
        response = client.post("/notifications/read/")
        assert response.status_code == 302
        assert response["Location"] == "/notifications/"
        html = client.get("/notifications/").content.decode()
        assert "已将 2 条消息标为已读。" in html
        assert unread_shown(html) == 0
        assert 'data-testid="mark-all-read"' not in html
        assert 'class="badge unread"' not in html
        # The other people of the unit still have theirs.
        client.force_login(cast.leader_a)
        assert unread_shown(client.get("/").content.decode()) == 2

    def test_it_keeps_other_peoples_notifications_apart(self, client: Client, cast: Cast) -> None:
        supervised(cast)
        theirs = Notification.objects.filter(recipient=cast.handler_a).get()
        client.force_login(cast.handler_b)
        assert client.get(f"/notifications/{theirs.pk}/").status_code == 404
        assert open_links(client.get("/notifications/").content.decode()) == []
        assert "暂无消息。" in client.get("/notifications/").content.decode()
        client.post("/notifications/read/")
        assert Notification.objects.get(pk=theirs.pk).read_at is None

    def test_it_marks_read_only_by_post(self, client: Client, cast: Cast) -> None:
        supervised(cast)
        client.force_login(cast.handler_a)
        assert client.get("/notifications/read/").status_code == 405
        assert unread_shown(client.get("/").content.decode()) == 1

    def test_it_asks_for_a_login(self, client: Client, cast: Cast) -> None:
        response = client.get("/notifications/")
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")

    def test_it_runs_a_bounded_number_of_queries(
        self, client: Client, cast: Cast, django_assert_max_num_queries: object
    ) -> None:
        for _ in range(4):
            supervised(cast, breaches=2)
        client.force_login(cast.handler_a)
        # session, user, the bell's count, the notifications with their tickets
        with django_assert_max_num_queries(4):  # type: ignore[operator]
            html = client.get("/notifications/").content.decode()
        assert len(open_links(html)) == 8
