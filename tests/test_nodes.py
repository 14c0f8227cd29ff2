"""Jieban past one machine, for real (docs/deploy.md): two `jieban serve` nodes (gunicorn, each
with a data directory of its own) and two `jieban worker` processes, against one PostgreSQL
database made for the test and one S3-compatible server (moto) the test starts.

Traffic is spread over both nodes as a load balancer would: a person logs in on one and goes on
on the other with the same session (one secret key for all); tickets are registered on both,
their photos uploaded through the API and the pages of the node that did not register them,
and every photo reads back byte for byte from both nodes. The tickets came from the 12345
platform already overdue, so the two workers, started together, sweep the same tickets at the
same time: exactly one supervision order per ticket, and each webhook notification reaches the
receiver (a local HTTP server) exactly once. The statistics, read through the replica router
(the replica is the primary's own database here), count every ticket on both nodes."""

from __future__ import annotations

import contextlib
import datetime as dt
import http.client
import json
import secrets
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import psycopg
import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from tests.conftest import PROCESS_PASSWORD, process_env, run_jieban
from tests.s3_server import free_port, keys, running_s3_server, s3_settings

pytestmark = pytest.mark.postgres_only

TICKETS = 30
WITH_PHOTOS = 8
# Every node is given the same key: sessions, password-reset links and signed values made by
# one node are good on the other.
SECRET_KEY = "the-same-secret-key-on-every-node-" + "k" * 30
# How long the test waits at the most for a node to boot or for the workers to finish.
BOOT_SECONDS = 60
SWEEP_SECONDS = 40


# The database migrated and a bureau set up (`set_up_process_bureau`'s, in one process): a
# command centre, a station, a dispatcher `d` with PROCESS_PASSWORD; the dispatcher's API token.
SET_UP = f"""
from django.core.management import call_command
from jieban.org.actions import create_person, create_unit
from jieban.org.models import ApiToken
call_command("migrate", interactive=False, verbosity=0)
create_unit(code="CC", kind="centre", name="指挥中心")
create_unit(code="PS", kind="station", name="派出所")
person = create_person(username="d", role="dispatcher", unit="CC", password="{PROCESS_PASSWORD}")
print(ApiToken.issue(person)[1])
"""


# ---------------------------------------------------------------------------------------------
# What the test starts: a database, a webhook receiver, processes


@contextlib.contextmanager
def fresh_database() -> Iterator[str]:
    """A new, empty PostgreSQL database on the test run's server, dropped at the end."""
    server = django_settings.DATABASES["default"]
    host, port = server["HOST"] or "127.0.0.1", server["PORT"] or 5432
    user, password = server["USER"], server.get("PASSWORD") or ""
    name = f"jieban_nodes_{secrets.token_hex(4)}"
    admin = {"host": host, "port": port, "user": user, "password": password, "dbname": "postgres"}
    with psycopg.connect(**admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    credentials = f"{user}:{password}" if password else user
    try:
        yield f"postgres://{credentials}@{host}:{port}/{name}"
    finally:
        with psycopg.connect(**admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class WebhookReceiver:
    """A webhook endpoint that counts the arrivals of each notification (by its event id)."""

    arrivals: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @contextlib.contextmanager
    def running(self) -> Iterator[str]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    receiver.arrivals[json.loads(body)["id"]] += 1
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}/hook"
        finally:
            server.shutdown()
            server.server_close()


@dataclass
class Processes:
    """The `jieban` processes the test started, each with its log file; all stopped at the end."""

    running: list[tuple[subprocess.Popen[bytes], Path]] = field(default_factory=list)

    def start(self, env: dict[str, str], log: Path, *args: str) -> subprocess.Popen[bytes]:
        with log.open("wb") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", "jieban", *args],
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        self.running.append((process, log))
        return process

    def logs(self) -> str:
        return "\n".join(
            f"--- {log.name}\n{log.read_text(errors='replace')}" for _p, log in self.running
        )

    def stop_all(self) -> None:
        for process, _log in self.running:
            if process.poll() is None:
                process.terminate()
        for process, _log in self.running:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


# ---------------------------------------------------------------------------------------------
# A browser's cookies, sent to whichever node the request goes to


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Visitor:
    """One person's client: their cookies (a session made on one node goes to every node, as
    behind a load balancer with one name) and, for the API, their token."""

    token: str = ""
    cookies: dict[str, str] = field(default_factory=dict)

    def call(
        self,
        node: int,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        bearer: bool = False,
    ) -> Answer:
        sent = dict(headers or {})
        if bearer:
            sent["Authorization"] = f"Bearer {self.token}"
        elif self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        connection = http.client.HTTPConnection("127.0.0.1", node, timeout=30)
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            answer = Answer(response.status, response.headers, response.read())
        finally:
            connection.close()
        for header in answer.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return answer

    def post_form(
        self, node: int, path: str, fields: dict[str, str], files: dict[str, tuple[str, bytes]]
    ) -> Answer:
        fields = {**fields, "csrfmiddlewaretoken": self.cookies["csrftoken"]}
        body, content_type = multipart(fields, files)
        return self.call(node, "POST", path, body=body, headers={"Content-Type": content_type})


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts: list[bytes] = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
            f"{value}\r\n".encode()
        )
    for name, (filename, content) in files.items():
        parts.append(
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
            ).encode()
            + content
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def wait_until_up(node: int, processes: Processes) -> None:
    deadline = time.monotonic() + BOOT_SECONDS
    while True:
        with contextlib.suppress(OSError):
            if Visitor().call(node, "GET", "/login/").status == 200:
                return
        assert time.monotonic() < deadline, f"node on {node} did not start\n{processes.logs()}"
        time.sleep(0.2)


def counts(database: str) -> tuple[int, int, int]:
    """Supervision orders, the tickets they are on, and webhook notifications not yet delivered."""
    with psycopg.connect(database) as connection:
        orders, tickets = connection.execute(
            "SELECT count(*), count(DISTINCT ticket_id) FROM tickets_supervisionorder"
        ).fetchone() or (0, 0)
        (pending,) = connection.execute(
            "SELECT count(*) FROM notify_notification"
            " WHERE gateway = 'webhook' AND state <> 'delivered'"
        ).fetchone() or (0,)
    return orders, tickets, pending


def webhook_events(database: str) -> list[str]:
    with psycopg.connect(database) as connection:
        rows = connection.execute(
            "SELECT event_id FROM notify_notification WHERE gateway = 'webhook'"
        ).fetchall()
    return sorted(str(event_id) for (event_id,) in rows)


# ---------------------------------------------------------------------------------------------


def test_two_nodes_and_two_workers_share_one_database_and_one_bucket(tmp_path: Path) -> None:
    receiver = WebhookReceiver()
    processes = Processes()
    # moto keeps one store per test process, whatever server: this test's own folder in it.
    prefix = f"nodes-{secrets.token_hex(4)}"
    with (
        fresh_database() as database,
        running_s3_server() as s3,
        receiver.running() as webhook,
    ):
        shared = {
            "DATABASE_URL": database,
            "JIEBAN_REPLICA_DATABASE_URL": database,
            "JIEBAN_SECRET_KEY": SECRET_KEY,
            **s3_settings(s3, prefix),
            "JIEBAN_WEBHOOK_URL": webhook,
            "JIEBAN_SWEEP_SECONDS": "1",
            # Small batches: the two workers take turns on the same tickets.
            "JIEBAN_SWEEP_BATCH": "5",
        }
        environments = [
            process_env(str(tmp_path / name), **shared) for name in ("a", "b", "w1", "w2")
        ]
        try:
            nodes = [free_port(), free_port()]
            for env, port, name in zip(environments, nodes, ("a", "b"), strict=False):
                processes.start(
                    env, tmp_path / f"serve-{name}.log",
                    "serve", "--port", str(port), "--workers", "1", "--no-worker",
                )  # fmt: skip
            # While they boot: migrated once, from one node, as an upgrade does
            # (docs/deploy.md), and the bureau set up, in one process.
            token = run_jieban(environments[0], "shell", "-v0", "-c", SET_UP).strip()
            for port in nodes:
                wait_until_up(port, processes)
            run_on_both_nodes(nodes, token, s3, prefix, tmp_path)
            # Both workers start together on the same overdue tickets and pending notifications.
            for env, name in zip(environments[2:], ("w1", "w2"), strict=True):
                processes.start(env, tmp_path / f"worker-{name}.log", "worker")
            deadline = time.monotonic() + SWEEP_SECONDS
            while counts(database) != (TICKETS, TICKETS, 0):
                assert time.monotonic() < deadline, f"{counts(database)}\n{processes.logs()}"
                time.sleep(0.3)
            # Exactly one order per ticket; each notification delivered once, and only once.
            assert counts(database) == (TICKETS, TICKETS, 0)
            events = webhook_events(database)
            assert len(events) >= TICKETS
            time.sleep(1)  # a second delivery, were there one, would have arrived by now
            assert sorted(receiver.arrivals) == events
            assert set(receiver.arrivals.values()) == {1}
            for name in ("w1", "w2"):
                assert "worker: sweeping every 1 s" in (tmp_path / f"worker-{name}.log").read_text()
        finally:
            processes.stop_all()
    # Every node used the one key given, none generated its own into its data directory.
    for name in ("a", "b", "w1", "w2"):
        assert not (tmp_path / name / "secret_key").exists()


def run_on_both_nodes(nodes: list[int], token: str, s3: str, prefix: str, tmp_path: Path) -> None:
    """The traffic of the test, spread over both nodes."""
    person = Visitor(token=token)
    # Logged in on one node, the session goes on on the other.
    assert person.call(nodes[0], "GET", "/login/").status == 200
    login = person.post_form(
        nodes[0], "/login/", {"username": "d", "password": PROCESS_PASSWORD}, {}
    )
    assert login.status == 302, login.body[:2000]
    assert "sessionid" in person.cookies
    assert person.call(nodes[1], "GET", "/tickets/").status == 200

    now = timezone.now()
    numbers = []
    for index in range(TICKETS):
        # From the 12345 platform with its own deadline, which has passed.
        body = {
            "channel": "hotline_12345",
            "external_id": f"N-{index}",
            "content": "楼上深夜噪音扰民",
            "unit": "PS",
            "received_at": (now - dt.timedelta(days=10)).isoformat(),
            "due_at": (now - dt.timedelta(days=3)).isoformat(),
        }
        answer = person.call(
            nodes[index % 2], "POST", "/api/v1/tickets",
            body=json.dumps(body).encode(), headers={"Content-Type": "application/json"},
            bearer=True,
        )  # fmt: skip
        assert answer.status == 201, answer.body
        numbers.append(answer.json()["number"])

    photos: dict[str, bytes] = {}
    for index, number in enumerate(numbers[:WITH_PHOTOS]):
        # Uploaded on the node that did not register it, through the API or the page.
        node = nodes[(index + 1) % 2]
        content = b"\x89PNG\r\n\x1a\n" + secrets.token_bytes(3000)
        photos[number] = content
        if index % 4 < 2:
            body, content_type = multipart({}, {"file": ("现场.png", content)})
            answer = person.call(
                node, "POST", f"/api/v1/tickets/{number}/attachments",
                body=body, headers={"Content-Type": content_type}, bearer=True,
            )  # fmt: skip
            assert answer.status == 201, answer.body
        else:
            answer = person.post_form(
                node, f"/tickets/{number}/attachments/", {}, {"attachments": ("现场.png", content)}
            )
            assert answer.status == 302, answer.body[:2000]

    # Every photo reads back, byte for byte, from both nodes; the bucket holds them all and no
    # node's data directory holds any.
    for number, content in photos.items():
        listing = person.call(nodes[0], "GET", f"/api/v1/tickets/{number}/attachments", bearer=True)
        (attachment,) = listing.json()
        for node in nodes:
            download = person.call(
                node, "GET", f"/tickets/{number}/attachments/{attachment['id']}/"
            )
            assert download.status == 200
            assert download.body == content
    assert len([key for key in keys(s3) if key.startswith(f"{prefix}/")]) == WITH_PHOTOS
    assert not [path for path in tmp_path.rglob("attachments/*") if path.is_file()]

    # The figures, through the replica router, count every ticket on both nodes.
    received = timezone.localdate(now - dt.timedelta(days=10))
    window = urlencode(
        {
            "start": received.isoformat(),
            "end": (timezone.localdate(now) + dt.timedelta(days=1)).isoformat(),
        }
    )
    for node in nodes:
        stats = person.call(node, "GET", f"/api/v1/stats?{window}", bearer=True)
        assert stats.status == 200, stats.body
        assert stats.json()["rows"][0]["total"] == TICKETS
