"""`jieban serve` is a real gunicorn server over a durable SQLite file."""

from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import process_env, run_jieban, set_up_process_bureau

# Its own processes on a SQLite database of their own: the same in both runs.
pytestmark = pytest.mark.sqlite_only


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    tmp_path = tmp_path_factory.mktemp("served")
    env = process_env(str(tmp_path), JIEBAN_SWEEP_SECONDS="1")
    set_up_process_bureau(env)
    token = run_jieban(env, "token", "create", "d").strip()
    port = free_port()
    # To a file: a pipe nobody reads would fill with the access lines and stall the server.
    with (tmp_path / "server.log").open("ab") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "jieban", "serve", "--port", str(port), "--workers", "1"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        # Under a loaded CI machine gunicorn may take a while to boot its workers.
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/login/", timeout=5)
                break
            except OSError:  # refused, reset or timed out: not up yet
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield base, token, tmp_path
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_it_serves_the_api_and_commits_durably(served: tuple[str, str, Path]) -> None:
    base, token, data_dir = served
    request = urllib.request.Request(
        f"{base}/api/v1/tickets",
        data=json.dumps({"channel": "phone", "content": "噪音扰民"}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 201
        number = json.load(response)["number"]
    database = sqlite3.connect(data_dir / "jieban.sqlite3")
    try:
        assert database.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        found = database.execute("SELECT count(*) FROM tickets_ticket WHERE number = ?", (number,))
        assert found.fetchone()[0] == 1
    finally:
        database.close()
    assert (data_dir / "secret_key").exists()
    assert "gunicorn" in response.headers["Server"]


def test_every_connection_syncs_fully(served: tuple[str, str, Path]) -> None:
    _base, _token, data_dir = served
    env = process_env(str(data_dir))
    probe = (
        "from django.db import connection\n"
        "with connection.cursor() as c:\n"
        "    c.execute('PRAGMA synchronous'); print(c.fetchone()[0])\n"
        "    c.execute('PRAGMA journal_mode'); print(c.fetchone()[0])"
    )
    # 2 is FULL: a commit is on disk before it is acknowledged.
    assert run_jieban(env, "shell", "-v0", "-c", probe).split() == ["2", "wal"]


def test_the_worker_runs_beside_the_server(served: tuple[str, str, Path]) -> None:
    base, token, _data_dir = served
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    # A 12345 platform's ticket whose deadline has already passed: the worker must order it.
    body = {
        "channel": "hotline_12345",
        "external_id": "late-1",
        "content": "噪音扰民",
        "unit": "PS",
        "received_at": "2026-01-05T09:00:00+08:00",
        "due_at": "2026-01-06T18:00:00+08:00",
    }
    request = urllib.request.Request(
        f"{base}/api/v1/tickets", data=json.dumps(body).encode(), headers=headers, method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        number = json.load(response)["number"]
    orders: list[dict[str, object]] = []
    for _ in range(150):
        listing = urllib.request.Request(
            f"{base}/api/v1/supervision-orders?ticket={number}", headers=headers
        )
        with urllib.request.urlopen(listing, timeout=30) as response:
            orders = json.load(response)["items"]
        if orders:
            break
        time.sleep(0.2)
    assert [(order["ticket"], order["reason"], order["level"]) for order in orders] == [
        (number, "overdue", 1)
    ]
