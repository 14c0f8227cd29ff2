"""Benchmark: what each request pays for its id, its access line and its count in the metrics
(`jieban.http.ObserveRequests`), and what a scrape of /metrics and a /healthz cost.

In one process through Django's test client, over a fresh SQLite database in a throw-away data
directory, with the metrics in prometheus_client's multiprocess mode (files, as under
`jieban serve`) and the access lines in JSON to /dev/null: the login page answered N times with
the middleware and N times without it, alternating in rounds; then /healthz and /metrics.

    .venv/bin/python bench/observe.py [--requests 2000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path


def per_request(client: object, path: str, count: int) -> float:
    """Microseconds per request, the median of five runs of `count / 5`."""
    assert client.get(path).status_code == 200  # type: ignore[attr-defined]
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(count // 5):
            client.get(path)  # type: ignore[attr-defined]
        runs.append((time.perf_counter() - started) / (count // 5) * 1e6)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    options = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="jieban-observe-"))
    (data_dir / "metrics").mkdir()
    os.environ.update(
        JIEBAN_DATA_DIR=str(data_dir),
        PROMETHEUS_MULTIPROC_DIR=str(data_dir / "metrics"),
        JIEBAN_LOG_FORMAT="json",
        DJANGO_SETTINGS_MODULE="jieban.settings",
    )
    os.environ.pop("DATABASE_URL", None)
    sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - the access lines, for the whole run
    try:
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command
        from django.test import Client, override_settings
        from django.utils import timezone

        from jieban.ops.heartbeat import record_sweep
        from jieban.ops.tally import tally_tickets

        call_command("migrate", verbosity=0)
        # A worker's sweep (for /healthz to answer 200) and its count of the tickets.
        now = timezone.now()
        record_sweep(worker="bench:1", started_at=now, finished_at=now, seconds=1.0,
                     job_seconds={"orders": 1.0})  # fmt: skip
        tally_tickets(now)
        client = Client(HTTP_HOST="localhost")
        client.get("/login/")  # warm up
        without = [name for name in settings.MIDDLEWARE if name != "jieban.http.ObserveRequests"]
        observed, bare = [], []
        for _ in range(3):
            observed.append(per_request(client, "/login/", options.requests))
            with override_settings(MIDDLEWARE=without):
                bare.append(per_request(Client(HTTP_HOST="localhost"), "/login/", options.requests))
        health = per_request(client, "/healthz", 500)
        scrape = per_request(client, "/metrics", 500)
    finally:
        sys.stderr = sys.__stderr__
        shutil.rmtree(data_dir)
    print(f"login page with ObserveRequests:    {min(observed):8.1f} µs a request")
    print(f"login page without it:              {min(bare):8.1f} µs a request")
    print(f"what each request pays:             {min(observed) - min(bare):8.1f} µs")
    print(f"/healthz (SQLite, an empty outbox): {health:8.1f} µs")
    print(f"/metrics (one process's files):     {scrape:8.1f} µs")


if __name__ == "__main__":
    main()
