"""The menu: the back office for administrators, the site's name and icon on every page."""

from __future__ import annotations

from django.test import Client

from tests.conftest import Cast


def test_administrators_find_the_back_office_in_the_menu(client: Client, cast: Cast) -> None:
    client.force_login(cast.admin)
    html = client.get("/").content.decode()
    assert 'data-testid="menu-admin"' in html and 'href="/admin/"' in html
    assert "管理后台" in html
    admin = client.get("/admin/").content.decode()
    assert "捷办管理后台" in admin


def test_nobody_else_is_offered_it(client: Client, cast: Cast) -> None:
    for person in (cast.dispatcher, cast.supervisor, cast.leader, cast.handler_a):
        client.force_login(person)
        assert 'data-testid="menu-admin"' not in client.get("/").content.decode()


def test_every_page_has_the_icon(client: Client, cast: Cast) -> None:
    assert 'rel="icon"' in client.get("/login/").content.decode()
    client.force_login(cast.dispatcher)
    html = client.get("/").content.decode()
    assert 'rel="icon" href="/static/web/favicon.svg"' in html
    assert client.get("/static/web/favicon.svg").status_code == 200
