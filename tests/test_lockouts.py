"""Guessing passwords and tokens: accounts and addresses locked after too many failures, the
lock lifted by an administrator or by time, the login pages and the API saying so."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from jieban.org.models import ChangeRecord, User
from tests.conftest import PASSWORD, ApiClient, Cast

START = dt.datetime(2026, 7, 14, 9, 0, tzinfo=dt.UTC)


def log_in(client: Client, username: str, password: str, **extra: Any) -> Any:
    return client.post("/login/", {"username": username, "password": password}, **extra)


def fail(client: Client, username: str, times: int, **extra: Any) -> Any:
    response = None
    for _ in range(times):
        response = log_in(client, username, "wrong-password", **extra)
    return response


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


class TestTheLoginPage:
    def test_it_refuses_the_right_password_after_five_wrong_ones(self, cast: Cast) -> None:
        client = Client()
        response = fail(client, "dispatcher", 4)
        assert response.status_code == 200  # a wrong password, not yet a lock
        assert "锁定" not in response.content.decode()
        response = fail(client, "dispatcher", 1)
        assert response.status_code == 429
        html = response.content.decode()
        assert "该账号登录失败次数过多" in html and "15" in html
        assert 'name="password"' in html  # the form is shown again, not a bare error page
        response = log_in(client, "dispatcher", PASSWORD)
        assert response.status_code == 429
        assert "该账号登录失败次数过多" in response.content.decode()
        assert not logged_in(client)

    def test_it_says_so_in_english(self, cast: Cast) -> None:
        client = Client()
        client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
        response = fail(client, "dispatcher", 5)
        assert response.status_code == 429
        html = response.content.decode()
        assert "Too many failed logins for this account" in html
        assert "ask an administrator to lift the lock" in html
        assert 'name="username"' in html

    def test_a_success_before_the_limit_clears_the_accounts_failures(self, cast: Cast) -> None:
        client = Client()
        fail(client, "dispatcher", 4)
        assert log_in(client, "dispatcher", PASSWORD).status_code == 302
        client.post("/logout/")
        fail(client, "dispatcher", 4)
        assert log_in(client, "dispatcher", PASSWORD).status_code == 302

    def test_the_lock_holds_one_account_not_the_others(self, cast: Cast) -> None:
        client = Client()
        fail(client, "dispatcher", 5)
        assert log_in(client, "supervisor", PASSWORD).status_code == 302

    def test_it_locks_an_account_guessed_from_several_addresses(self, cast: Cast) -> None:
        client = Client()
        for number in range(5):
            fail(client, "dispatcher", 1, REMOTE_ADDR=f"10.0.0.{number + 1}")
        response = log_in(client, "dispatcher", PASSWORD, REMOTE_ADDR="10.0.0.9")
        assert response.status_code == 429 and not logged_in(client)

    def test_it_locks_an_address_that_tries_many_accounts(self, cast: Cast, settings: Any) -> None:
        settings.JIEBAN_LOGIN_FAILURES_PER_ADDRESS = 6
        client = Client()
        for name in ("dispatcher", "supervisor", "leader"):
            fail(client, name, 2, REMOTE_ADDR="10.1.1.1")  # 2 each: no account is locked
        response = log_in(client, "handler_a", PASSWORD, REMOTE_ADDR="10.1.1.1")
        assert response.status_code == 429
        assert "您所在网络地址的登录失败次数过多" in response.content.decode()
        # Another address is not held back.
        assert log_in(Client(), "handler_a", PASSWORD, REMOTE_ADDR="10.1.1.2").status_code == 302

    def test_the_lock_ends_fifteen_minutes_after_the_last_failure(self, cast: Cast) -> None:
        client = Client()
        with time_machine.travel(START, tick=False):
            fail(client, "dispatcher", 5)
        with time_machine.travel(START + dt.timedelta(minutes=14, seconds=59), tick=False):
            response = log_in(client, "dispatcher", PASSWORD)
            assert response.status_code == 429
            assert "1 分钟" in response.content.decode()
        # Trying while locked did not prolong it.
        with time_machine.travel(START + dt.timedelta(minutes=15, seconds=1), tick=False):
            assert log_in(client, "dispatcher", PASSWORD).status_code == 302


class TestTheBackOfficeLogin:
    def test_it_refuses_the_right_password_after_five_wrong_ones(self, cast: Cast) -> None:
        client = Client()
        for _ in range(5):
            response = client.post(
                "/admin/login/", {"username": "admin", "password": "wrong-password"}
            )
        assert response.status_code == 429
        html = response.content.decode()
        assert "该账号登录失败次数过多" in html
        assert 'class="errornote"' in html and 'name="password"' in html
        response = client.post("/admin/login/", {"username": "admin", "password": PASSWORD})
        assert response.status_code == 429 and not logged_in(client)

    def test_the_lock_counts_both_logins_together(self, cast: Cast) -> None:
        client = Client()
        fail(client, "admin", 3)
        for _ in range(2):
            client.post("/admin/login/", {"username": "admin", "password": "wrong"})
        assert log_in(client, "admin", PASSWORD).status_code == 429


class TestLiftingALock:
    def test_an_administrator_lifts_it_in_the_back_office(self, cast: Cast) -> None:
        fail(Client(), "dispatcher", 5)
        office = Client()
        office.force_login(cast.admin)
        response = office.post(
            "/admin/org/user/",
            {"action": "lift_lockouts", "_selected_action": [cast.dispatcher.pk]},
            follow=True,
        )
        assert "dispatcher" in response.content.decode()
        assert log_in(Client(), "dispatcher", PASSWORD).status_code == 302
        # The history says who lifted it.
        record = ChangeRecord.objects.filter(object_pk=str(cast.dispatcher.pk)).first()
        assert record is not None and record.actor == cast.admin
        assert record.changes == {"failed_logins": ["5", "0"]}

    def test_axes_own_back_office_page_lifts_it_too(self, cast: Cast) -> None:
        from axes.models import AccessAttempt

        fail(Client(), "dispatcher", 5)
        office = Client()
        office.force_login(cast.admin)
        attempt = AccessAttempt.objects.get(username="dispatcher")
        assert office.get("/admin/axes/accessattempt/").status_code == 200
        office.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
        assert log_in(Client(), "dispatcher", PASSWORD).status_code == 302

    def test_the_command_lifts_an_accounts_lock(self, cast: Cast) -> None:
        fail(Client(), "dispatcher", 5)
        out = StringIO()
        call_command("user", "unlock", "dispatcher", stdout=out)
        assert out.getvalue().startswith("unlocked")
        assert log_in(Client(), "dispatcher", PASSWORD).status_code == 302

    def test_the_command_lifts_an_addresss_lock(self, cast: Cast, settings: Any) -> None:
        settings.JIEBAN_LOGIN_FAILURES_PER_ADDRESS = 4
        for name in ("dispatcher", "supervisor"):
            fail(Client(), name, 2, REMOTE_ADDR="10.2.2.2")
        assert log_in(Client(), "leader", PASSWORD, REMOTE_ADDR="10.2.2.2").status_code == 429
        call_command("user", "unlock", "--address", "10.2.2.2", stdout=StringIO())
        assert log_in(Client(), "leader", PASSWORD, REMOTE_ADDR="10.2.2.2").status_code == 302

    def test_axes_own_command_is_reachable(self, cast: Cast) -> None:
        fail(Client(), "dispatcher", 5)
        call_command("axes_reset_username", "dispatcher", stdout=StringIO())
        assert log_in(Client(), "dispatcher", PASSWORD).status_code == 302

    def test_the_command_refuses_a_malformed_address(self, cast: Cast) -> None:
        from django.core.management.base import CommandError

        with pytest.raises(CommandError, match="不是 IP 地址"):
            call_command("user", "unlock", "--address", "10.2.2", stdout=StringIO())

    def test_only_an_administrator_may_lift_a_lock(self, cast: Cast) -> None:
        from jieban.errors import Forbidden
        from jieban.org.lockouts import lift_lockout

        with pytest.raises(Forbidden):
            lift_lockout(username="dispatcher", by=cast.dispatcher)


class TestTheApiTokenCheck:
    def test_wrong_tokens_from_one_address_are_throttled(self, cast: Cast, settings: Any) -> None:
        settings.JIEBAN_LOGIN_FAILURES_PER_ADDRESS = 4
        wrong = ApiClient(None, raw_token="jb_wrong-token")
        for _ in range(3):
            assert wrong.get("/tickets").status_code == 401
        response = wrong.get("/tickets")
        assert response.status_code == 429
        body = response.json()
        assert body["field"] == "Authorization"
        assert "API 令牌" in body["detail"] and "15" in body["detail"]
        assert 0 < int(response["Retry-After"]) <= 15 * 60
        assert wrong.post("/tickets/JB20260714-0001/accept").status_code == 429
        # A valid token still works from that address; another address is not held back.
        assert ApiClient(cast.dispatcher).get("/tickets").status_code == 200
        other = wrong.client.get("/api/v1/tickets", REMOTE_ADDR="10.3.3.3", **wrong.headers)
        assert other.status_code == 401

    def test_the_message_follows_the_language(self, cast: Cast, settings: Any) -> None:
        settings.JIEBAN_LOGIN_FAILURES_PER_ADDRESS = 1
        wrong = ApiClient(None, raw_token="jb_wrong-token")
        response = wrong.client.get("/api/v1/tickets", HTTP_ACCEPT_LANGUAGE="en", **wrong.headers)
        assert response.status_code == 429
        assert "Too many wrong or revoked API tokens" in response.json()["detail"]

    def test_the_throttle_ends_with_time(self, cast: Cast, settings: Any) -> None:
        settings.JIEBAN_LOGIN_FAILURES_PER_ADDRESS = 2
        wrong = ApiClient(None, raw_token="jb_wrong-token")
        with time_machine.travel(START, tick=False):
            assert [wrong.get("/tickets").status_code for _ in range(3)] == [401, 429, 429]
        with time_machine.travel(START + dt.timedelta(minutes=16), tick=False):
            assert wrong.get("/tickets").status_code == 401

    def test_wrong_tokens_do_not_lock_the_addresss_logins(self, cast: Cast, settings: Any) -> None:
        settings.JIEBAN_LOGIN_FAILURES_PER_ADDRESS = 2
        wrong = ApiClient(None, raw_token="jb_wrong-token")
        for _ in range(3):
            wrong.get("/tickets")
        assert log_in(Client(), "dispatcher", PASSWORD).status_code == 302

    def test_a_revoked_token_counts_as_wrong(self, cast: Cast, settings: Any) -> None:
        from jieban.org.models import ApiToken

        settings.JIEBAN_LOGIN_FAILURES_PER_ADDRESS = 1
        token, raw = ApiToken.issue(cast.dispatcher)
        ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
        assert ApiClient(None, raw_token=raw).get("/tickets").status_code == 429

    def test_a_good_token_costs_no_query_for_this(
        self, cast: Cast, django_assert_num_queries: Any
    ) -> None:
        api = ApiClient(cast.dispatcher)
        api.get("/units")
        # The token's one query and the units': nothing counts or checks failures.
        with django_assert_num_queries(2):
            assert api.get("/units").status_code == 200


def test_the_limits_are_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from jieban.conf import ConfigurationError, env_positive_int

    monkeypatch.setenv("JIEBAN_LOGIN_FAILURES", "0")
    with pytest.raises(ConfigurationError, match="JIEBAN_LOGIN_FAILURES must be 1 or more"):
        env_positive_int("JIEBAN_LOGIN_FAILURES", 5)
    monkeypatch.setenv("JIEBAN_LOGIN_FAILURES", "8")
    assert env_positive_int("JIEBAN_LOGIN_FAILURES", 5) == 8


def test_a_deactivated_person_cannot_log_in(cast: Cast) -> None:
    User.objects.filter(pk=cast.dispatcher.pk).update(is_active=False)
    assert log_in(Client(), "dispatcher", PASSWORD).status_code == 200
