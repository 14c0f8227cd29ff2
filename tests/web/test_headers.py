"""The headers every answer carries (README "Headers"): a Content-Security-Policy that runs only
Jieban's own scripts and styles, `Cache-Control: no-store` on pages and API answers, and a 400
for a request naming a Host Jieban does not serve."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from jieban.conf import ConfigurationError, allowed_hosts
from tests.conftest import ApiClient, Cast, new_ticket

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "jieban" / "web" / "templates"


def policy(response: Any) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = [part.split() for part in header.split(";") if part.strip()]
    return {name: values for name, *values in directives}


class TestContentSecurityPolicy:
    def test_pages_run_only_jiebans_own_scripts_and_styles(self, cast: Cast) -> None:
        ticket = new_ticket(cast.dispatcher)
        client = Client()
        client.force_login(cast.dispatcher)
        for path in (
            "/",
            f"/tickets/{ticket.number}/",
            "/stats/",
            f"/tickets/{ticket.number}/print/",
        ):
            response = client.get(path)
            assert response.status_code == 200, path
            directives = policy(response)
            assert directives["script-src"] == ["'self'"], path
            assert directives["style-src"] == ["'self'"], path
            assert directives["default-src"] == ["'self'"], path
            assert directives["object-src"] == ["'none'"], path
            assert directives["frame-ancestors"] == ["'none'"], path
            assert directives["base-uri"] == ["'none'"], path

    def test_the_login_page_and_the_api_carry_it_too(self, cast: Cast) -> None:
        assert policy(Client().get("/login/"))["script-src"] == ["'self'"]
        assert policy(ApiClient(cast.dispatcher).get("/tickets"))["script-src"] == ["'self'"]

    @pytest.mark.parametrize(
        "path", sorted(str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.html"))
    )
    def test_no_template_holds_inline_script_style_or_handler(self, path: str) -> None:
        html = (TEMPLATES / path).read_text(encoding="utf-8")
        scripts = re.findall(r"<script\b[^>]*>", html)
        # A script element either loads a file of ours or holds data (json_script).
        assert all("src=" in tag or "application/json" in tag for tag in scripts), scripts
        assert not re.search(r"\son[a-z]+\s*=", html), "an inline event handler"
        assert not re.search(r"<style\b|\sstyle\s*=", html), "an inline style"
        assert "javascript:" not in html


class TestNoStore:
    def test_pages_and_api_answers_are_not_stored(self, cast: Cast) -> None:
        ticket = new_ticket(cast.dispatcher)
        client = Client()
        client.force_login(cast.dispatcher)
        answers = [
            client.get("/"),
            client.get(f"/tickets/{ticket.number}/"),
            client.get("/tickets/export.xlsx"),
            ApiClient(cast.dispatcher).get(f"/tickets/{ticket.number}"),
            ApiClient(None).get("/tickets"),  # 401
            Client().get("/login/"),
        ]
        for response in answers:
            assert "no-store" in response["Cache-Control"], response

    def test_static_files_keep_their_caching(self) -> None:
        response = Client().get("/static/web/site.css")
        assert response.status_code == 200
        assert "no-store" not in response.get("Cache-Control", "")


class TestAllowedHosts:
    @pytest.mark.parametrize("host", ["localhost", "127.0.0.1:8000", "[::1]:8000"])
    def test_it_serves_the_hosts_it_is_configured_for(self, host: str) -> None:
        assert Client(HTTP_HOST=host).get("/login/").status_code == 200

    @pytest.mark.parametrize("path", ["/login/", "/", "/api/v1/tickets", "/api/v1/openapi.json"])
    def test_another_host_is_a_400(self, path: str) -> None:
        assert Client(HTTP_HOST="evil.example").get(path).status_code == 400

    def test_the_hosts_come_from_the_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("JIEBAN_ALLOWED_HOSTS", "jieban.example.gov.cn, .bureau.example")
        assert allowed_hosts("JIEBAN_ALLOWED_HOSTS", ["localhost"]) == [
            "jieban.example.gov.cn",
            ".bureau.example",
        ]
        monkeypatch.setenv("JIEBAN_ALLOWED_HOSTS", "")
        assert allowed_hosts("JIEBAN_ALLOWED_HOSTS", ["localhost"]) == ["localhost"]

    def test_any_host_is_refused_at_the_start(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("JIEBAN_ALLOWED_HOSTS", "jieban.example.gov.cn,*")
        with pytest.raises(ConfigurationError, match="not \\*"):
            allowed_hosts("JIEBAN_ALLOWED_HOSTS", ["localhost"])
