"""The login page, the language switch and logging out."""

from __future__ import annotations

from django.test import Client

from tests.conftest import PASSWORD, Cast


class TestLoginPage:
    def test_it_renders_in_chinese_by_default(self, client: Client) -> None:
        response = client.get("/login/")
        assert response.status_code == 200
        html = response.content.decode()
        assert '<html lang="zh-Hans">' in html
        assert "登录" in html
        assert "捷办 <span>Jieban</span>" in html
        # The switch offers the other language, named in that language.
        assert 'name="language" value="en"' in html

    def test_it_renders_in_english_after_set_language(self, client: Client) -> None:
        response = client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
        assert response.status_code == 302
        assert response["Location"] == "/login/"
        html = client.get("/login/").content.decode()
        assert '<html lang="en">' in html
        assert "Log in" in html
        assert "登录" not in html
        assert 'name="language" value="zh-hans"' in html

    def test_it_switches_back_to_chinese(self, client: Client) -> None:
        client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
        client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/login/"})
        assert "登录" in client.get("/login/").content.decode()

    def test_it_shows_an_error_for_a_wrong_password(self, client: Client, cast: Cast) -> None:
        response = client.post("/login/", {"username": "dispatcher", "password": "wrong"})
        assert response.status_code == 200
        html = response.content.decode()
        assert 'class="alert error"' in html
        assert "_auth_user_id" not in client.session

    def test_it_logs_in_and_goes_home(self, client: Client, cast: Cast) -> None:
        response = client.post("/login/", {"username": "dispatcher", "password": PASSWORD})
        assert response.status_code == 302
        assert response["Location"] == "/"
        home = client.get("/").content.decode()
        assert "dispatcher · 调度员" in home

    def test_it_sends_anonymous_visitors_to_login(self, client: Client) -> None:
        for path in ["/", "/tickets/", "/tickets/new/", "/inbox/", "/calendar/"]:
            response = client.get(path)
            assert response.status_code == 302, path
            assert response["Location"].startswith("/login/?next="), path

    def test_it_logs_out_with_a_post(self, client: Client, cast: Cast) -> None:
        client.force_login(cast.dispatcher)
        assert 'action="/logout/"' in client.get("/").content.decode()
        response = client.post("/logout/")
        assert response.status_code == 302
        assert client.get("/").status_code == 302
