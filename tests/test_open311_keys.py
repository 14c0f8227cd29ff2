"""The Open311 applications' keys: `jieban open311 key create|revoke|list`, the back office's
page, and who may issue and revoke them (administrators)."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any
from urllib.parse import urlencode

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import Client

from jieban.errors import Forbidden
from jieban.exchange.models import Open311Key, hash_open311_key
from jieban.exchange.open311 import issue_open311_key, revoke_open311_key
from tests.conftest import Cast

REQUEST = {
    "service_code": "noise",
    "address_string": "幸福路 1 号",
    "description": "广场舞音响太吵",
}


def command(*args: str) -> str:
    out = io.StringIO()
    call_command("open311", *args, stdout=out)
    return out.getvalue()


def post_with(key: str) -> int:
    response = Client().post(
        "/open311/v2/requests.json",
        data=urlencode({"api_key": key, **REQUEST}),
        content_type="application/x-www-form-urlencoded",
    )
    return response.status_code


class TestCommand:
    def test_it_prints_the_key_alone_and_the_key_posts(self, db: Any) -> None:
        printed = command("key", "create", "城市随手拍")
        (line,) = printed.splitlines()
        assert printed == line + "\n"
        assert re.fullmatch(r"o311_[A-Za-z0-9_-]{43}", line)
        key = Open311Key.objects.get(name="城市随手拍")
        assert key.key_hash == hash_open311_key(line) and line not in key.key_hash
        assert key.prefix == line[:9]
        assert post_with(line) == 201

    def test_it_revokes_a_key_and_the_key_no_longer_posts(self, db: Any) -> None:
        raw = command("key", "create", "city-app").strip()
        printed = command("key", "revoke", "city-app")
        assert printed.startswith("city-app\trevoked ")
        assert Open311Key.objects.get(name="city-app").revoked_at is not None
        assert post_with(raw) == 403
        # Revoking again changes nothing.
        revoked_at = Open311Key.objects.get(name="city-app").revoked_at
        command("key", "revoke", "city-app")
        assert Open311Key.objects.get(name="city-app").revoked_at == revoked_at

    def test_it_lists_the_keys_without_them(self, db: Any) -> None:
        first = command("key", "create", "b-app").strip()
        command("key", "create", "a-app")
        command("key", "revoke", "a-app")
        lines = command("key", "list").splitlines()
        assert [line.split("\t")[0] for line in lines] == ["a-app", "b-app"]
        assert lines[0].split("\t")[3] != "" and lines[1].split("\t")[3] == ""
        assert lines[1].split("\t")[1] == first[:9] + "…"
        assert first not in "\n".join(lines)

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (("key", "revoke", "nobody"), "nobody"),
            (("key", "create", "bad\x07name"), r"U\+0007"),
            (("key", "create", "x" * 81), "80"),
        ],
    )
    def test_it_refuses_what_it_cannot_do(
        self, db: Any, args: tuple[str, ...], message: str
    ) -> None:
        with pytest.raises(CommandError, match=message):
            command(*args)
        assert not Open311Key.objects.exists()

    def test_it_refuses_a_second_key_of_the_same_name(self, db: Any) -> None:
        command("key", "create", "city-app")
        with pytest.raises(CommandError, match="city-app"):
            command("key", "create", "city-app")
        assert Open311Key.objects.count() == 1


class TestWhoMay:
    def test_only_administrators_issue_and_revoke(self, cast: Cast) -> None:
        for person in (cast.dispatcher, cast.supervisor, cast.leader, cast.handler_a):
            with pytest.raises(Forbidden):
                issue_open311_key("city-app", by=person)
        issue_open311_key("city-app", by=cast.admin)
        with pytest.raises(Forbidden):
            revoke_open311_key("city-app", by=cast.dispatcher)
        assert revoke_open311_key("city-app", by=cast.admin).revoked_at is not None


class TestBackOffice:
    def test_an_administrator_issues_a_key_shown_once(self, cast: Cast) -> None:
        client = Client()
        client.force_login(cast.admin)
        assert client.get("/admin/exchange/open311key/add/").status_code == 200
        response = client.post("/admin/exchange/open311key/add/", {"name": "城市随手拍"})
        assert response.status_code == 302
        shown = client.get(response["Location"]).content.decode()
        raw = re.search(r"o311_[A-Za-z0-9_-]{43}", shown)
        assert raw is not None
        key = Open311Key.objects.get(name="城市随手拍")
        assert key.key_hash == hash_open311_key(raw.group())
        assert post_with(raw.group()) == 201
        page = client.get(f"/admin/exchange/open311key/{key.pk}/change/")
        assert page.status_code == 200
        assert raw.group() not in page.content.decode()
        assert client.get("/admin/exchange/open311request/").status_code == 200

    def test_a_bad_name_is_shown_on_the_form(self, cast: Cast) -> None:
        client = Client()
        client.force_login(cast.admin)
        response = client.post("/admin/exchange/open311key/add/", {"name": "bad\x07name"})
        assert response.status_code == 200
        assert "U+0007" in response.content.decode()
        assert not Open311Key.objects.exists()

    def test_an_administrator_revokes_keys(self, cast: Cast) -> None:
        _key, raw = issue_open311_key("city-app", by=cast.admin)
        key = Open311Key.objects.get(name="city-app")
        client = Client()
        client.force_login(cast.admin)
        response = client.post(
            "/admin/exchange/open311key/",
            {"action": "revoke", "_selected_action": [str(key.pk)]},
        )
        assert response.status_code == 302
        key.refresh_from_db()
        assert key.revoked_at is not None
        assert post_with(raw) == 403

    def test_nobody_else_opens_it(self, cast: Cast) -> None:
        client = Client()
        client.force_login(cast.dispatcher)
        response = client.get("/admin/exchange/open311key/")
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


class TestWrongKeys:
    def post_from(self, address: str, key: str) -> Any:
        return Client(REMOTE_ADDR=address).post(
            "/open311/v2/requests.json",
            data=urlencode({"api_key": key, **REQUEST}),
            content_type="application/x-www-form-urlencoded",
        )

    def test_it_throttles_an_address_after_ten_wrong_keys_in_ten_minutes(self, db: Any) -> None:
        good = command("key", "create", "city-app").strip()
        start = dt.datetime(2026, 3, 11, 2, tzinfo=dt.UTC)
        with time_machine.travel(start, tick=False):
            statuses = [self.post_from("10.0.0.7", f"o311_guess{n}").status_code for n in range(10)]
            assert statuses == [403] * 10
            refused = self.post_from("10.0.0.7", good)
            assert refused.status_code == 429
            assert 0 < int(refused["Retry-After"]) <= 600
            (error,) = refused.json()
            assert error["code"] == 429 and "api_key" in error["description"]
            xml = Client(REMOTE_ADDR="10.0.0.7").post(
                "/open311/v2/requests.xml",
                data=urlencode({"api_key": good, **REQUEST}),
                content_type="application/x-www-form-urlencoded",
            )
            assert xml.status_code == 429 and b"<errors>" in xml.content
            # Another address is not held up by this one.
            assert self.post_from("10.0.0.8", good).status_code == 201
        with time_machine.travel(start + dt.timedelta(minutes=10, seconds=1), tick=False):
            assert self.post_from("10.0.0.7", good).status_code == 201

    def test_a_right_key_counts_nothing(self, db: Any) -> None:
        good = command("key", "create", "city-app").strip()
        statuses = {self.post_from("10.0.0.9", good).status_code for _n in range(12)}
        assert statuses == {201}
