"""`jieban serve` with two gunicorn processes: /metrics sums the requests both answered (the
multiprocess files under the data directory, emptied at each start), the answers carry their
request id, and the access lines are JSON.

The database is left empty (migrating a fresh SQLite file takes some 13 s here): the login page
and the requests' counts need none, and /metrics then says `jieban_database_up 0` instead of
failing. /healthz is tests/test_health.py's."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import process_env
from tests.test_serve import free_port


def get(url: str, **headers: str) -> tuple[int, bytes, dict[str, str]]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


@contextmanager
def serving(data_dir: Path, log: Path) -> Iterator[tuple[str, list[int]]]:
    """The server on a free port, and the count of the answers received from it."""
    env = process_env(str(data_dir))
    port = free_port()
    with log.open("ab") as errors:
        server = subprocess.Popen(
            [sys.executable, "-m", "jieban", "serve", "--port", str(port), "--workers", "2",
             "--threads", "2", "--no-worker"],
            env=env, stdout=subprocess.DEVNULL, stderr=errors,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    answers = [0]
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                get(f"{base}/login/")
                answers[0] += 1
                break
            except OSError:  # not up yet
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield base, answers
    finally:
        server.terminate()
        server.wait(timeout=30)


def requests_counted(base: str) -> tuple[float, float]:
    """The requests /metrics counts in all, and those of /login/ answered 200."""
    status, body, _headers = get(f"{base}/metrics")
    assert status == 200
    total = logins = 0.0
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            if sample.name == "jieban_database_up":
                assert sample.value == 0  # not migrated: said, not a failure
            elif sample.name == "jieban_http_requests_total":
                total += sample.value
                if sample.labels == {"method": "GET", "route": "/login/", "status": "200"}:
                    logins += sample.value
    return total, logins


# Its own processes on a SQLite database of their own: the same in both runs.
@pytest.mark.sqlite_only
def test_metrics_sum_the_requests_of_every_process(tmp_path: Path) -> None:
    metrics_dir = tmp_path / "metrics"
    log = tmp_path / "server.log"

    with serving(tmp_path, log) as (base, answers):
        # Until both processes have answered some (each counts in its own file).
        deadline = time.monotonic() + 20
        while len({path.name.split("_")[-1] for path in metrics_dir.glob("counter_*.db")}) < 2:
            assert time.monotonic() < deadline, "one process answered everything"
            for _ in range(10):
                assert get(f"{base}/login/")[0] == 200
                answers[0] += 1
        # Each scrape, by either process, counts the answers of both, scrapes before it too.
        logins = answers[0]
        for scrapes in range(4):
            assert requests_counted(base) == (logins + scrapes, logins)
            answers[0] += 1

        status, _body, headers = get(f"{base}/login/", **{"X-Request-ID": "probe-1"})
        assert (status, headers["X-Request-ID"]) == (200, "probe-1")

    # The access lines: JSON, with their route and request id.
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    (probe,) = [line for line in lines if line.get("request_id") == "probe-1"]
    assert (probe["logger"], probe["route"], probe["status"]) == ("jieban.access", "/login/", 200)

    # A new start counts afresh: the last run's files are gone.
    with serving(tmp_path, log) as (base, answers):
        assert requests_counted(base) == (1.0, 1.0)
