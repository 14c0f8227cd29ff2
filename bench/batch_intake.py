"""Batch intake benchmark: `POST /api/v1/tickets/batch` (500 tickets a request) against a real
`jieban serve` on SQLite in its durable mode (WAL, synchronous=FULL), beside the single-ticket
`POST /api/v1/tickets` on the same server with the same clients, then a check of the database.

It builds a throw-away data directory, migrates it, creates a command centre, a dispatcher and
an API token with the `jieban` command (as bench/intake.py does), serves the application, and
lets `--clients` threads post, for `--duration` seconds each:

1. batches of `--size` tickets (unique external ids), counting the tickets acknowledged (201)
   per second of wall time;
2. single tickets, one per request, the same way: the single-ticket figure beside it.

Afterwards it stops the server and checks that the database holds exactly the acknowledged
tickets, each once, each with one intake event. Exit status 0 when the check passes (and the
batch rate reaches --min-rate), 1 otherwise. Do not run it on a loaded machine for figures.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

# The setup and the server's start and stop are bench/intake.py's.
from intake import (  # noqa: E402
    cpu_model,
    free_port,
    jieban_command,
    load_average,
    prepare_data,
    server_env,
    server_settings,
    stop,
    wait_until_up,
)

CHANNEL = "open311"
CONTENT = "楼上住户深夜大声喧哗，影响休息，请派人处理。"


def ticket(external_id: str) -> dict[str, str]:
    return {
        "channel": CHANNEL,
        "external_id": external_id,
        "category": "noise",
        "content": CONTENT,
        "resident_name": "张三",
        "resident_phone": "13900000000",
    }


def post(base: str, token: str, path: str, body: object) -> tuple[int, object]:
    request = urllib.request.Request(
        f"{base}/api/v1{path}",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return int(response.status), json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return int(exc.code), None


def load(
    clients: int, duration: float, send: Callable[[int, int], list[str]]
) -> tuple[float, set[str]]:
    """`clients` threads calling `send(client, round)` until `duration` seconds are up; the
    tickets acknowledged per second, and their external ids."""
    acknowledged: set[str] = set()
    lock = threading.Lock()
    stop_at = time.monotonic() + duration

    def run(client: int) -> None:
        round_ = 0
        while time.monotonic() < stop_at:
            created = send(client, round_)
            round_ += 1
            with lock:
                acknowledged.update(created)

    started = time.monotonic()
    threads = [threading.Thread(target=run, args=(client,)) for client in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    return len(acknowledged) / elapsed, acknowledged


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=20, help="seconds of each load (20)")
    parser.add_argument("--size", type=int, default=500, help="tickets per batch (500)")
    parser.add_argument("--clients", type=int, default=2, help="posting threads (2)")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers")
    parser.add_argument("--web-threads", type=int, default=None, help="threads per worker")
    parser.add_argument(
        "--min-rate", type=float, default=0.0, help="fail below this many batch tickets/s"
    )
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="jieban-bench-batch-"))
    env = server_env(data_dir, workers=args.workers, web_threads=args.web_threads)
    print(f"bench: data directory {data_dir}")
    print(f"bench: server         {server_settings(env)}")
    print(f"bench: machine        {cpu_model()}, {os.cpu_count()} cores")
    print(f"bench: load average   {load_average()} (before the run)")
    token = prepare_data(env)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [*jieban_command(), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        start_new_session=True,
    )
    ok = False
    failures: list[str] = []

    def send_batch(client: int, round_: int) -> list[str]:
        ids = [f"batch-{client}-{round_}-{index}" for index in range(args.size)]
        status, body = post(base, token, "/tickets/batch", {"items": [ticket(i) for i in ids]})
        if status != 200 or not isinstance(body, dict):
            failures.append(f"batch {client}-{round_}: HTTP {status}")
            return []
        results = body["results"]
        created = [i for i, result in zip(ids, results, strict=True) if result["status"] == 201]
        if len(created) != len(ids):
            failures.append(f"batch {client}-{round_}: {len(ids) - len(created)} not created")
        return created

    def send_single(client: int, round_: int) -> list[str]:
        external_id = f"single-{client}-{round_}"
        status, _body = post(base, token, "/tickets", ticket(external_id))
        if status != 201:
            failures.append(f"single {external_id}: HTTP {status}")
            return []
        return [external_id]

    try:
        wait_until_up(base, token, server)
        batch_rate, batch_ids = load(args.clients, args.duration, send_batch)
        single_rate, single_ids = load(args.clients, args.duration, send_single)
        stop(server)
        ok = check(data_dir, batch_ids | single_ids) and not failures
        for failure in failures[:20]:
            print(f"bench: FAIL: {failure}", file=sys.stderr)
        print(
            f"bench: batch  tickets_per_s={batch_rate:.0f} tickets={len(batch_ids)}"
            f" size={args.size} clients={args.clients}"
        )
        print(f"bench: single tickets_per_s={single_rate:.0f} tickets={len(single_ids)}")
        if batch_rate < args.min_rate:
            print(f"bench: FAIL: below --min-rate {args.min_rate:.0f}", file=sys.stderr)
            ok = False
    finally:
        stop(server)
        if ok and not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
        else:
            print(f"bench: data kept in {data_dir}")
    return 0 if ok else 1


def check(data_dir: Path, acknowledged: set[str]) -> bool:
    """The database holds exactly the acknowledged tickets, once each, one intake event each."""
    with sqlite3.connect(data_dir / "jieban.sqlite3") as connection:
        stored = [
            row[0]
            for row in connection.execute(
                "SELECT external_id FROM tickets_ticket WHERE channel = ?", (CHANNEL,)
            )
        ]
        (events,) = connection.execute(
            "SELECT count(*) FROM tickets_ticketevent e JOIN tickets_ticket t"
            " ON t.id = e.ticket_id WHERE t.channel = ? AND e.kind = 'intake'",
            (CHANNEL,),
        ).fetchone()
    lost = acknowledged - set(stored)
    extra = set(stored) - acknowledged
    doubled = len(stored) - len(set(stored))
    print(
        f"bench: check stored={len(stored)} acknowledged={len(acknowledged)}"
        f" lost={len(lost)} extra={len(extra)} doubled={doubled} intake_events={events}"
    )
    return not lost and not extra and not doubled and events == len(stored)


if __name__ == "__main__":
    raise SystemExit(main())
