"""Behind reverse proxies (JIEBAN_TRUSTED_PROXIES, `jieban.http.BehindTrustedProxies`): a
request from a trusted proxy is from the client its X-Forwarded-For names (the right-most
address that is not a proxy, whatever the client put left of it) and HTTPS when it says so;
from anywhere else the headers change nothing. The limits per address then count each client,
not the proxy."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory

from jieban.conf import ConfigurationError, env_networks
from jieban.http import BehindTrustedProxies
from tests.conftest import PASSWORD, Cast

PROXIES = [ipaddress.ip_network("10.0.0.0/24"), ipaddress.ip_network("fd00::/64")]


def seen(settings: Any, remote: str, **headers: str) -> tuple[str, bool]:
    """The address and whether secure, as a view behind the middleware sees the request."""
    settings.JIEBAN_TRUSTED_PROXIES = PROXIES
    found: list[tuple[str, bool]] = []

    def view(request: HttpRequest) -> HttpResponse:
        found.append((request.META["REMOTE_ADDR"], request.is_secure()))
        return HttpResponse()

    request = RequestFactory().get("/", REMOTE_ADDR=remote, **headers)
    BehindTrustedProxies(view)(request)
    return found[0]


@pytest.mark.parametrize(
    ("remote", "forwarded_for", "client"),
    [
        ("10.0.0.5", "203.0.113.9", "203.0.113.9"),
        # Forged on the left by the client: the proxy appended the address it really saw.
        ("10.0.0.5", "6.6.6.6, 203.0.113.9", "203.0.113.9"),
        # Two proxies in a row: the first one's address is skipped as well.
        ("10.0.0.5", "203.0.113.9, 10.0.0.7", "203.0.113.9"),
        ("fd00::1", "2001:db8::42", "2001:db8::42"),
        # Only proxies, or rubbish before the client: the proxy's address stays.
        ("10.0.0.5", "10.0.0.8", "10.0.0.5"),
        ("10.0.0.5", "203.0.113.9, not-an-address", "10.0.0.5"),
        # Not from a proxy: whatever it says is ignored.
        ("198.51.100.7", "203.0.113.9", "198.51.100.7"),
    ],
)
def test_the_client_is_the_one_the_proxies_name(
    settings: Any, remote: str, forwarded_for: str, client: str
) -> None:
    assert seen(settings, remote, HTTP_X_FORWARDED_FOR=forwarded_for)[0] == client


def test_https_only_when_a_trusted_proxy_says_so(settings: Any) -> None:
    assert seen(settings, "10.0.0.5", HTTP_X_FORWARDED_PROTO="https")[1]
    assert not seen(settings, "10.0.0.5", HTTP_X_FORWARDED_PROTO="http")[1]
    assert not seen(settings, "198.51.100.7", HTTP_X_FORWARDED_PROTO="https")[1]


def test_without_trusted_proxies_nothing_changes(settings: Any) -> None:
    settings.JIEBAN_TRUSTED_PROXIES = []
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="203.0.113.9")
    BehindTrustedProxies(lambda request: HttpResponse())(request)
    assert request.META["REMOTE_ADDR"] == "10.0.0.5"
    assert not request.is_secure()


def test_a_login_form_posted_over_https_through_the_proxy_passes_the_csrf_check(
    cast: Cast, settings: Any
) -> None:
    """No JIEBAN_CSRF_TRUSTED_ORIGINS needed: the request is HTTPS, its origin its own."""
    settings.JIEBAN_TRUSTED_PROXIES = PROXIES
    client = Client(enforce_csrf_checks=True, REMOTE_ADDR="10.0.0.5")
    # As nginx passes them on (docs/deploy.md): the Host people typed, the client, the scheme.
    proxied = {
        "HTTP_HOST": "testserver",
        "HTTP_X_FORWARDED_PROTO": "https",
        "HTTP_X_FORWARDED_FOR": "203.0.113.9",
    }
    client.get("/login/", **proxied)
    form = {
        "username": "dispatcher",
        "password": PASSWORD,
        "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
    }
    origin = {"HTTP_ORIGIN": "https://testserver", "HTTP_REFERER": "https://testserver/login/"}
    assert client.post("/login/", form, **proxied, **origin).status_code == 302
    # The same post, not through a trusted proxy, is plain HTTP from an HTTPS origin: refused.
    settings.JIEBAN_TRUSTED_PROXIES = []
    assert client.post("/login/", form, **proxied, **origin).status_code == 403


def test_failed_logins_count_against_each_client_not_the_proxy(cast: Cast, settings: Any) -> None:
    settings.JIEBAN_TRUSTED_PROXIES = PROXIES
    settings.JIEBAN_LOGIN_FAILURES_PER_ADDRESS = 3
    settings.JIEBAN_LOGIN_FAILURES = 100

    def log_in(client_address: str, password: str) -> int:
        response = Client(REMOTE_ADDR="10.0.0.5").post(
            "/login/",
            {"username": "handler_a", "password": password},
            HTTP_X_FORWARDED_FOR=client_address,
        )
        return response.status_code

    for _ in range(3):
        log_in("203.0.113.9", "wrong")
    assert log_in("203.0.113.9", PASSWORD) == 429
    # Another resident behind the same proxy is not locked out with the first.
    assert log_in("203.0.113.10", PASSWORD) == 302


def test_a_malformed_list_stops_the_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIEBAN_TRUSTED_PROXIES", "10.0.0.5, proxy.example.org")
    with pytest.raises(ConfigurationError, match="JIEBAN_TRUSTED_PROXIES"):
        env_networks("JIEBAN_TRUSTED_PROXIES", [])
    monkeypatch.setenv("JIEBAN_TRUSTED_PROXIES", "10.0.0.5, 10.0.1.0/24")
    assert [str(net) for net in env_networks("JIEBAN_TRUSTED_PROXIES", [])] == [
        "10.0.0.5/32",
        "10.0.1.0/24",
    ]
