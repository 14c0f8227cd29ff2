"""A 12345 platform for the exchange's tests: its configuration in Jieban, the orders it sends,
signed requests to Jieban's addresses, and a real HTTP server on 127.0.0.1 playing the platform
(it takes messages, failing, timing out or answering 500 as told, and serves orders to pull).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from jieban.exchange.models import (
    CategoryMapping,
    CodeKind,
    CodeMapping,
    Platform,
    PlatformMode,
    UnitMapping,
)
from jieban.org.models import Unit
from jieban.tickets.models import Category
from tests.conftest import local

SECRET = "platform-secret-1"
CODE = "sz12345"
# A Wednesday with working days around it.
NOW = local(2026, 3, 11, 10)


def make_platform(
    *, base_url: str = "http://127.0.0.1:9/", mode: str = PlatformMode.PUSH
) -> Platform:
    """The city's platform, with its mapping tables: C01 is noise, D01 is station A, result
    0 is resolved, call outcome 1 is satisfied and 3 dissatisfied."""
    platform = Platform.objects.create(
        code=CODE, name="市12345平台", base_url=base_url, secret=SECRET, mode=mode
    )
    CategoryMapping.objects.create(
        platform=platform, code="C01", category=Category.objects.get(code="renovation_noise")
    )
    UnitMapping.objects.create(platform=platform, code="D01", unit=Unit.objects.get(code="PS-A"))
    CodeMapping.objects.create(platform=platform, kind=CodeKind.RESULT, theirs="0", ours="resolved")
    CodeMapping.objects.create(platform=platform, kind=CodeKind.VISIT, theirs="1", ours="satisfied")
    CodeMapping.objects.create(
        platform=platform, kind=CodeKind.VISIT, theirs="3", ours="dissatisfied"
    )
    return platform


def order(number: str, **fields: Any) -> dict[str, Any]:
    """An order as the platform sends it, received an hour ago, due in five days."""
    now = timezone.now()
    values: dict[str, Any] = {
        "number": number,
        "revision": 1,
        "received_at": (now - dt.timedelta(hours=1)).isoformat(),
        "caller_name": "李四",
        "caller_phone": "13900001111",
        "content": "小区门口夜间施工噪音扰民",
        "address": "幸福路 8 号",
        "category": "C01",
        "department": "D01",
        "deadline": (now + dt.timedelta(days=5)).isoformat(),
    }
    values.update(fields)
    return values


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def signed_post(
    path: str, data: dict[str, Any], *, secret: str = SECRET, age: dt.timedelta = dt.timedelta(),
    code: str = CODE,
) -> Any:  # fmt: skip
    """POST `data` to `/api/v1/exchange/<code>/<path>` signed as the platform does."""
    body = json.dumps(data, ensure_ascii=False).encode()
    timestamp = str(int((timezone.now() - age).timestamp()))
    return Client().post(
        f"/api/v1/exchange/{code}/{path}",
        body,
        content_type="application/json",
        HTTP_X_JIEBAN_TIMESTAMP=timestamp,
        HTTP_X_JIEBAN_SIGNATURE=signature(secret, timestamp, body),
    )


def push_orders(*orders: dict[str, Any]) -> list[dict[str, Any]]:
    response = signed_post("orders", {"orders": list(orders)})
    assert response.status_code == 200, response.content
    return list(response.json()["results"])


def push_events(*events: dict[str, Any]) -> list[dict[str, Any]]:
    response = signed_post("events", {"events": list(events)})
    assert response.status_code == 200, response.content
    return list(response.json()["results"])


class Peer:
    """The platform's own server: takes messages at /messages (refusing, failing or stalling
    the first ones as `script` says: "500", "slow", then "ok" for the rest), drops a message id
    it already has, and serves `/orders?cursor=` from `pages`."""

    def __init__(self, script: list[str] | None = None) -> None:
        self.script = list(script or [])
        self.requests = 0
        self.accepted: dict[str, dict[str, Any]] = {}
        self.duplicates = 0
        self.bad_signatures = 0
        self.pages: dict[str, tuple[list[dict[str, Any]], str]] = {}
        self.pull_failures = 0
        self.lock = threading.Lock()
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with peer.lock:
                    peer.requests += 1
                    step = peer.script.pop(0) if peer.script else "ok"
                if step == "500":
                    self.send_response(500)
                    self.end_headers()
                    return
                timestamp = self.headers["X-Jieban-Timestamp"]
                expected = signature(SECRET, timestamp, body)
                if not hmac.compare_digest(expected, self.headers["X-Jieban-Signature"]):
                    peer.bad_signatures += 1
                    self.send_response(401)
                    self.end_headers()
                    return
                message = json.loads(body)
                assert message["id"] == self.headers["X-Jieban-Message-Id"]
                with peer.lock:
                    if message["id"] in peer.accepted:
                        peer.duplicates += 1
                    else:
                        peer.accepted[message["id"]] = message
                if step == "slow":
                    # Taken, but the answer comes after Jieban stopped waiting: a retry
                    # brings the same id again, which the platform drops.
                    time.sleep(1.5)
                answer = json.dumps({"received": message["id"]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(answer)

            def do_GET(self) -> None:
                query = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
                cursor = query.get("cursor", [""])[0]
                if peer.pull_failures:
                    peer.pull_failures -= 1
                    self.send_response(500)
                    self.end_headers()
                    return
                orders, next_cursor = peer.pages.get(cursor, ([], cursor))
                body = json.dumps({"orders": orders, "cursor": next_cursor}).encode()
                timestamp = str(int(timezone.now().timestamp()))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("X-Jieban-Timestamp", timestamp)
                self.send_header("X-Jieban-Signature", signature(SECRET, timestamp, body))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Peer:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def peer(settings: Any) -> Iterator[Peer]:
    settings.JIEBAN_EXCHANGE_TIMEOUT = 1
    with Peer() as running:
        yield running
