"""`kill -9` in the middle of intake: every acknowledged ticket is there once, the database whole.

The real server (`jieban serve`: gunicorn and the worker beside it) runs on a database of its
own, SQLite in the SQLite run of the suite and PostgreSQL in the PostgreSQL run. Threads post
tickets to it over plain HTTP with an API token, each with a unique `external_id`, as a 12345
platform does; a moment into the load the server's whole process group gets SIGKILL, with
requests in flight. The server is started again, and the requests whose answer never came are
sent again with the same `external_id`, as a channel retries: 200 if the first one had been
committed, 201 if not. Then:

- every acknowledged ticket (a 201 during the load, a 200 or 201 on the replay) is stored
  exactly once, and nothing else is; each has its one intake event;
- no running number of a day is beyond its day's counter;
- the database's own checks are clean, right after the crash and at the end: on SQLite
  `PRAGMA integrity_check`, `PRAGMA foreign_key_check` and the FTS5 search indexes'
  `integrity-check`; on PostgreSQL amcheck's `bt_index_check` of every B-tree index (when the
  server has amcheck), and no row of any foreign key pointing at nothing.

Bounded: two seconds of load with eight threads, about half a minute in all per database.
Alone: `pytest tests/test_crash.py` (SQLite), `DATABASE_URL=postgres://… pytest …` (PostgreSQL).
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
import psycopg
import pytest

from tests.conftest import process_env, run_jieban

CHANNEL = "open311"
THREADS = 8
LOAD_SECONDS = 2.0
REQUEST_TIMEOUT = 30
SERVE = [sys.executable, "-m", "jieban", "serve", "--workers", "2", "--threads", "4"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    """`jieban serve` in a process group of its own (gunicorn's arbiter, its workers and the
    background worker), so that one signal reaches them all."""

    env: dict[str, str]
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self, token: str) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [*SERVE, "--port", str(self.port)],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 90
        while True:
            assert self.process.poll() is None, "the server exited:\n" + self.log_text()
            try:
                if get(self.port, token, "/api/v1/categories") == 200:
                    return
            except OSError:  # refused or reset: not up yet
                pass
            assert time.monotonic() < deadline, "the server did not come up:\n" + self.log_text()
            time.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL to the whole group: no handler runs, no transaction is finished."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


def get(port: int, token: str, path: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        return connection.getresponse().status
    finally:
        connection.close()


def post_ticket(port: int, token: str, external_id: str) -> int:
    """POST one ticket; its status, or OSError / HTTPException when no answer came."""
    body = {
        "channel": CHANNEL,
        "external_id": external_id,
        "content": f"小区门口夜间施工噪音扰民（{external_id}）",
        "resident_name": "王女士",
        "resident_phone": "13900001111",
    }
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    try:
        connection.request(
            "POST",
            "/api/v1/tickets",
            body=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


@dataclass
class Load:
    """What the threads sent and what came back."""

    answers: dict[str, int] = field(default_factory=dict)
    unanswered: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self, port: int, token: str, thread: int) -> None:
        number = 0
        while not self.stop.is_set():
            number += 1
            external_id = f"crash-{thread}-{number}"
            try:
                status: int | None = post_ticket(port, token, external_id)
            except (OSError, http.client.HTTPException):
                status = None
            with self.lock:
                if status is None:
                    self.unanswered.append(external_id)
                else:
                    self.answers[external_id] = status


@dataclass
class Database:
    """The server's database, as the test reads it: its tickets and its own checks."""

    query: Callable[[str], list[tuple[Any, ...]]]
    checks: Callable[[], list[str]]


# The channel's dispatcher and its token, made in one process (each `jieban` command costs
# Django's start-up, seconds on a loaded CI machine).
SET_UP = """
from jieban.org.actions import create_person, create_unit
from jieban.org.models import ApiToken
create_unit(code="CC", kind="centre", name="指挥中心")
person = create_person(username="channel", role="dispatcher", unit="CC", password="x" * 12)
print(ApiToken.issue(person, name="12345")[1])
"""


def crash_during_intake(env: dict[str, str], tmp_path: Path, database: Database) -> None:
    run_jieban(env, "migrate", "--noinput", "-v0")
    token = run_jieban(env, "shell", "-v0", "-c", SET_UP).strip()
    server = Server(env, free_port(), tmp_path / "server.log")
    load = Load()
    try:
        server.start(token)
        threads = [
            threading.Thread(target=load.run, args=(server.port, token, thread))
            for thread in range(THREADS)
        ]
        for thread in threads:
            thread.start()
        time.sleep(LOAD_SECONDS)
        server.kill()
        load.stop.set()
        for thread in threads:
            thread.join(timeout=REQUEST_TIMEOUT + 5)
        assert database.checks() == [], "right after the crash"

        server.start(token)
        replayed = {
            external_id: post_ticket(server.port, token, external_id)
            for external_id in load.unanswered
        }
    finally:
        server.stop()

    assert set(load.answers.values()) == {201}, server.log_text()
    assert load.unanswered, "the crash caught no request in flight"
    assert set(replayed.values()) <= {200, 201}, replayed
    acknowledged = sorted([*load.answers, *replayed])
    stored = database.query(
        "SELECT t.external_id, count(e.id) FROM tickets_ticket t"
        " LEFT JOIN tickets_ticketevent e ON e.ticket_id = t.id AND e.kind = 'intake'"
        f" WHERE t.channel = '{CHANNEL}' GROUP BY t.id, t.external_id ORDER BY t.external_id"
    )
    assert sorted(external_id for external_id, _events in stored) == acknowledged
    assert {events for _external_id, events in stored} == {1}
    counters = {
        str(day).replace("-", ""): last
        for day, last in database.query(
            "SELECT day, last FROM tickets_dailysequence WHERE prefix = 'JB'"
        )
    }
    numbers = [number for (number,) in database.query("SELECT number FROM tickets_ticket")]
    beyond = [number for number in numbers if int(number[11:]) > counters[number[2:10]]]
    assert beyond == []
    assert database.checks() == [], "after the restart"
    assert len(load.answers) >= THREADS, "hardly any load before the crash"


# --- SQLite ----------------------------------------------------------------------------------

FTS_INDEXES = ("tickets_ticket_search", "tickets_ticket_short_search")


def sqlite_database(path: Path) -> Database:
    def query(sql: str) -> list[tuple[Any, ...]]:
        with sqlite3.connect(path) as connection:
            return connection.execute(sql).fetchall()

    def checks() -> list[str]:
        problems: list[str] = []
        with sqlite3.connect(path) as connection:
            found = [row[0] for row in connection.execute("PRAGMA integrity_check")]
            if found != ["ok"]:
                problems.extend(found)
            problems.extend(str(row) for row in connection.execute("PRAGMA foreign_key_check"))
            for index in FTS_INDEXES:
                try:
                    connection.execute(
                        f"INSERT INTO {index} ({index}, rank) VALUES ('integrity-check', 1)"
                    )
                except sqlite3.DatabaseError as exc:
                    problems.append(f"{index}: {exc}")
        return problems

    return Database(query, checks)


@pytest.mark.sqlite_only
def test_sqlite_keeps_every_acknowledged_ticket_through_kill_9(tmp_path: Path) -> None:
    env = process_env(str(tmp_path), JIEBAN_SERVE_WORKER="true")
    crash_during_intake(env, tmp_path, sqlite_database(tmp_path / "jieban.sqlite3"))


# --- PostgreSQL ------------------------------------------------------------------------------


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A database of its own on the suite's PostgreSQL server, dropped afterwards."""
    suite = os.environ["DATABASE_URL"]
    config = dj_database_url.parse(suite)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"{config['NAME']}_crash_{worker}"
    server = urlsplit(suite)._replace(path="/postgres").geturl()
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    yield urlsplit(suite)._replace(path=f"/{name}").geturl()
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


FOREIGN_KEYS = """
    SELECT c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text, f.attname
    FROM pg_constraint c
    JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
    JOIN pg_attribute f ON f.attrelid = c.confrelid AND f.attnum = c.confkey[1]
    WHERE c.contype = 'f' AND cardinality(c.conkey) = 1
      AND c.connamespace = 'public'::regnamespace
"""
BTREE_INDEXES = """
    SELECT i.indexrelid::regclass::text FROM pg_index i
    JOIN pg_class c ON c.oid = i.indexrelid
    JOIN pg_am am ON am.oid = c.relam
    WHERE am.amname = 'btree' AND c.relnamespace = 'public'::regnamespace AND i.indisvalid
"""


def postgres_database(url: str) -> Database:
    def query(sql: str) -> list[tuple[Any, ...]]:
        with psycopg.connect(url) as connection:
            return connection.execute(sql).fetchall()

    def checks() -> list[str]:
        problems: list[str] = []
        with psycopg.connect(url, autocommit=True) as connection:
            keys = connection.execute(FOREIGN_KEYS).fetchall()
            assert keys, "no foreign keys found to check"
            for table, column, target, target_column in keys:
                (dangling,) = connection.execute(
                    f'SELECT count(*) FROM {table} r WHERE r."{column}" IS NOT NULL AND NOT'
                    f' EXISTS (SELECT 1 FROM {target} t WHERE t."{target_column}" = r."{column}")'
                ).fetchone() or (0,)
                if dangling:
                    problems.append(f"{table}.{column}: {dangling} rows point at nothing")
            amcheck = connection.execute(
                "SELECT 1 FROM pg_available_extensions WHERE name = 'amcheck'"
            ).fetchone()
            if amcheck:
                connection.execute("CREATE EXTENSION IF NOT EXISTS amcheck")
                indexes = connection.execute(BTREE_INDEXES).fetchall()
                assert indexes, "no B-tree indexes found to check"
                for (index,) in indexes:
                    try:
                        connection.execute("SELECT bt_index_check(%s::regclass, true)", [index])
                    except psycopg.Error as exc:
                        problems.append(f"{index}: {exc}")
        return problems

    return Database(query, checks)


@pytest.mark.postgres_only
def test_postgresql_keeps_every_acknowledged_ticket_through_kill_9(
    tmp_path: Path, postgres_url: str
) -> None:
    env = process_env(str(tmp_path), DATABASE_URL=postgres_url, JIEBAN_SERVE_WORKER="true")
    crash_during_intake(env, tmp_path, postgres_database(postgres_url))
