"""Intake benchmark: `jieban serve` under wrk, then a ticket-by-ticket check of the database.

Run by `make bench`. It builds a throw-away data directory (SQLite, WAL, synchronous=FULL),
migrates it, creates a command centre, a dispatcher and an API token with the `jieban`
command, serves the application with `jieban serve` (gunicorn) on a free port, and lets wrk
POST unique tickets to /api/v1/tickets (bench/post_ticket.lua). Afterwards it stops the server
and checks that the database holds exactly the acknowledged tickets: every 201 is there, and
nothing else is. Requests that wrk abandoned in flight when its time ran out are replayed with
the same external_id, as a real channel retries after a time-out: 200 means the server had
committed it, 201 that it had not; either way it is then acknowledged and must be there once.

With `--postgres SERVER_URL` (e.g. postgres://postgres@127.0.0.1:5432/postgres) the server
runs on PostgreSQL instead, in a database `bench_intake` of that server made anew for the run
(dropped first if it is there) and dropped after a run that passed.

Exit status: 0 when the check passes (and the rate reaches --min-rate), 1 otherwise.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
LUA = HERE / "post_ticket.lua"
CHANNEL = "open311"
RUN_TAG = "r"


def jieban_command() -> list[str]:
    beside = Path(sys.executable).with_name("jieban")
    return [str(beside)] if beside.exists() else [sys.executable, "-m", "jieban"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_jieban(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [*jieban_command(), *args], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"bench: `jieban {' '.join(args)}` failed")
    return done.stdout


def prepare_data(env: dict[str, str]) -> str:
    """Migrate the run's database and make a bureau, its command centre, a dispatcher and the
    dispatcher's API token (the token, returned), with the `jieban` command."""
    run_jieban(env, "migrate", "--noinput")
    run_jieban(env, "unit", "add", "BENCH", "--kind", "bureau", "--name", "压测县公安局")
    run_jieban(
        env, "unit", "add", "BENCH-CC", "--kind", "centre", "--name", "指挥中心",
        "--parent", "BENCH",
    )  # fmt: skip
    run_jieban(
        env, "user", "create", "bench", "--role", "dispatcher", "--unit", "BENCH-CC",
        "--password", "bench-password",
    )  # fmt: skip
    return run_jieban(env, "token", "create", "bench", "--name", "bench").strip()


def wait_until_up(base: str, token: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("bench: the server exited during start-up")
        try:
            request = urllib.request.Request(
                f"{base}/api/v1/categories", headers={"Authorization": f"Bearer {token}"}
            )
            with urllib.request.urlopen(request, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise SystemExit("bench: the server did not answer within 60 s")


def post_ticket(base: str, token: str, external_id: str) -> int:
    """POST one ticket with `external_id` (a replay of an abandoned request); the status."""
    body = {
        "channel": CHANNEL,
        "external_id": external_id,
        "category": "noise",
        "content": f"楼上住户深夜大声喧哗，影响休息（压测重发 {external_id}）",
        "resident_name": "张三",
        "resident_phone": "13900000000",
    }
    request = urllib.request.Request(
        f"{base}/api/v1/tickets",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def figures(output: str) -> dict[str, float]:
    values: dict[str, float] = {}
    for line in output.splitlines():
        if line.startswith("bench: ") and "thread" not in line:
            for key, value in re.findall(r"(\w+)=([0-9.]+)", line):
                values[key] = float(value)
    return values


# The database a run on PostgreSQL makes anew (`--postgres`).
POSTGRES_DATABASE = "bench_intake"


def postgres_url(server: str) -> str:
    """The URL of the run's own database on the PostgreSQL server `server`."""
    return urlsplit(server)._replace(path=f"/{POSTGRES_DATABASE}").geturl()


def psql(server: str, statement: str) -> list[list[str]]:
    """Run `statement` on `server` with psql; the rows, each a list of its columns' texts."""
    done = subprocess.run(
        ["psql", server, "-q", "-At", "-F", "\t", "-c", statement],
        capture_output=True,
        text=True,
        check=True,
    )
    return [line.split("\t") for line in done.stdout.splitlines()]


def server_env(
    data_dir: Path,
    *,
    workers: int | None,
    web_threads: int | None,
    database_url: str | None = None,
) -> dict[str, str]:
    """The environment of a `jieban` run on SQLite in `data_dir` (never the caller's database),
    or in `database_url`, quiet, with the web server's workers and threads when given."""
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    if database_url:
        env["DATABASE_URL"] = database_url
    env.update(
        JIEBAN_DATA_DIR=str(data_dir),
        JIEBAN_LOG_LEVEL="WARNING",
        JIEBAN_ACCESS_LOG="",
        # The worker's daily backup, due at a fresh data directory's first sweep, is not
        # what is measured.
        JIEBAN_BACKUP_DAILY="false",
        DJANGO_SETTINGS_MODULE="jieban.settings",
    )
    if workers is not None:
        env["JIEBAN_WEB_WORKERS"] = str(workers)
    if web_threads is not None:
        env["JIEBAN_WEB_THREADS"] = str(web_threads)
    return env


def server_settings(env: dict[str, str]) -> str:
    workers = env.get("JIEBAN_WEB_WORKERS") or "default"
    threads = env.get("JIEBAN_WEB_THREADS") or "default"
    database = "PostgreSQL" if env.get("DATABASE_URL") else "SQLite WAL synchronous=FULL"
    return f"jieban serve, gunicorn workers={workers} threads={threads}, {database}"


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def session_cpu_seconds(session: int) -> float:
    """The CPU time (user + system) used so far by the processes of one session: the server
    started with `start_new_session=True`, its gunicorn master and workers. A figure that a
    machine shared with other work changes less than the rate does."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        # After the command's name: state, ppid, pgrp, session, ..., utime (12th), stime.
        if int(fields[3]) == session:
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=20, help="seconds of load (20)")
    parser.add_argument("--connections", type=int, default=8, help="open connections (8)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (2)")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers")
    parser.add_argument("--web-threads", type=int, default=None, help="threads per worker")
    parser.add_argument(
        "--min-rate",
        type=float,
        default=0.0,
        help="fail below this many tickets per second (default: no limit)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    parser.add_argument(
        "--postgres",
        metavar="SERVER_URL",
        help=f"run on this PostgreSQL server, in a database {POSTGRES_DATABASE} made anew",
    )
    args = parser.parse_args()

    wrk = shutil.which("wrk")
    if wrk is None:
        print("bench: wrk is not installed (scripts/test-services wrk)", file=sys.stderr)
        return 1

    data_dir = Path(tempfile.mkdtemp(prefix="jieban-bench-"))
    out_dir = data_dir / "wrk"
    out_dir.mkdir()
    database_url = None
    if args.postgres:
        psql(args.postgres, f'DROP DATABASE IF EXISTS "{POSTGRES_DATABASE}" WITH (FORCE)')
        psql(args.postgres, f'CREATE DATABASE "{POSTGRES_DATABASE}"')
        database_url = postgres_url(args.postgres)
    env = server_env(
        data_dir, workers=args.workers, web_threads=args.web_threads, database_url=database_url
    )

    print(f"bench: data directory {data_dir}")
    print(f"bench: server         {server_settings(env)}")
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
    try:
        wait_until_up(base, token, server)
        # Warm every worker up (imports, URL resolver, first connection) with reads only.
        subprocess.run(
            [
                wrk,
                "-t",
                str(args.threads),
                "-c",
                str(args.connections),
                "-d",
                "2s",
                "-H",
                f"Authorization: Bearer {token}",
                f"{base}/api/v1/categories",
            ],
            capture_output=True,
            check=False,
        )
        command = [
            wrk,
            "-t",
            str(args.threads),
            "-c",
            str(args.connections),
            "-d",
            f"{args.duration}s",
            "--timeout",
            "10s",
            "--latency",
            "-s",
            str(LUA),
            f"{base}/api/v1/tickets",
        ]
        print("bench: " + " ".join(command))
        cpu_before = session_cpu_seconds(server.pid)
        load = subprocess.run(
            command,
            env={**env, "BENCH_TOKEN": token, "BENCH_RUN": RUN_TAG, "BENCH_OUT": str(out_dir)},
            capture_output=True,
            text=True,
            check=False,
        )
        server_cpu = session_cpu_seconds(server.pid) - cpu_before
        sys.stdout.write(load.stdout)
        sys.stderr.write(load.stderr)
        if load.returncode != 0:
            print("bench: wrk failed", file=sys.stderr)
            return 1
        ok = check(load.stdout, out_dir, data_dir, base, token, args, server_cpu=server_cpu)
    finally:
        stop(server)
        if ok and not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
            if args.postgres:
                psql(args.postgres, f'DROP DATABASE IF EXISTS "{POSTGRES_DATABASE}" WITH (FORCE)')
        else:
            print(
                f"bench: data kept in {data_dir}"
                + (f" and {database_url}" if args.postgres else "")
            )
    return 0 if ok else 1


def check(
    wrk_output: str,
    out_dir: Path,
    data_dir: Path,
    base: str,
    token: str,
    args: argparse.Namespace,
    *,
    server_cpu: float,
) -> bool:
    values = figures(wrk_output)
    sent_by_thread = {
        int(thread): int(sent)
        for thread, sent in re.findall(r"bench: thread (\d+) sent=(\d+)", wrk_output)
    }
    acknowledged: set[str] = set()
    replays = 0
    for path in out_dir.glob("answered-*.txt"):
        for line in path.read_text().splitlines():
            status, external_id = line.split(" ", 1)
            if status == "201":
                if external_id in acknowledged:
                    print(f"bench: FAIL: {external_id} created twice", file=sys.stderr)
                    return False
                acknowledged.add(external_id)
            else:
                replays += 1
    answered = set(acknowledged)
    sent = {
        f"bench-{RUN_TAG}-{thread}-{number}"
        for thread, count in sent_by_thread.items()
        for number in range(1, count + 1)
    }
    # Requests wrk sent but never saw answered: it abandons them when its time is up.
    in_flight = sorted(sent - answered)
    non2xx = int(values.get("non2xx", 0))
    # Give the server a moment to finish what it was doing, then retry like a channel would.
    time.sleep(1.0)
    retried: dict[int, int] = {}
    for external_id in in_flight:
        status = post_ticket(base, token, external_id)
        retried[status] = retried.get(status, 0) + 1
        if status in (200, 201):
            acknowledged.add(external_id)

    stored_ids = f"SELECT external_id FROM tickets_ticket WHERE channel = '{CHANNEL}'"
    intake_events = "SELECT count(*) FROM tickets_ticketevent WHERE kind = 'intake'"
    if args.postgres:
        stored_list = [row[0] for row in psql(postgres_url(args.postgres), stored_ids)]
        events = int(psql(postgres_url(args.postgres), intake_events)[0][0])
    else:
        with sqlite3.connect(data_dir / "jieban.sqlite3") as connection:
            stored_list = [row[0] for row in connection.execute(stored_ids)]
            (events,) = connection.execute(intake_events).fetchone()
    count, stored = len(stored_list), set(stored_list)
    lost = acknowledged - stored
    extra = stored - acknowledged
    seconds = values.get("duration_s", float(args.duration))
    rate = values.get("acknowledged", 0) / seconds if seconds else 0.0

    print()
    print(f"bench: machine        {os.cpu_count()} CPUs, {cpu_model()}")
    print(f"bench: load average   {load_average()} (after the run)")
    print(f"bench: date           {dt.datetime.now().astimezone().isoformat(timespec='seconds')}")
    print(
        f"bench: load           {args.connections} connections, {args.threads} wrk threads, "
        f"{seconds:.1f} s"
    )
    print(f"bench: tickets/s      {rate:.1f}")
    print(
        f"bench: latency        p50 {values.get('p50_ms', 0):.2f} ms, "
        f"p99 {values.get('p99_ms', 0):.2f} ms"
    )
    print(f"bench: acknowledged   {int(values.get('acknowledged', 0))} (201 during the run)")
    answered_count = values.get("answered", 0)
    if answered_count:
        print(
            f"bench: server CPU     {server_cpu:.1f} s, {server_cpu / answered_count * 1000:.2f} ms"
            " a request (user + system, every server process)"
        )
    print(f"bench: non-2xx        {non2xx}")
    print(
        f"bench: in flight      {len(in_flight)} abandoned by wrk at the end, replayed: "
        + (", ".join(f"{code}×{n}" for code, n in sorted(retried.items())) or "none")
    )
    print(f"bench: database       {count} tickets of channel {CHANNEL}, {events} intake events")

    ok = True
    if non2xx or replays:
        print(
            f"bench: FAIL: {non2xx} non-2xx answers, {replays} unexpected replays", file=sys.stderr
        )
        ok = False
    if any(status not in (200, 201) for status in retried):
        print("bench: FAIL: a replay of an abandoned request did not succeed", file=sys.stderr)
        ok = False
    if lost or extra or count != len(acknowledged) or events != count:
        print(
            f"bench: FAIL: {len(lost)} acknowledged tickets lost, {len(extra)} extra, "
            f"{count} stored for {len(acknowledged)} acknowledged, {events} intake events",
            file=sys.stderr,
        )
        for external_id in sorted(lost)[:5]:
            print(f"bench:   lost {external_id}", file=sys.stderr)
        for external_id in sorted(extra)[:5]:
            print(f"bench:   extra {external_id}", file=sys.stderr)
        ok = False
    else:
        print(f"bench: OK: the database holds exactly the {count} acknowledged tickets")
    if rate < args.min_rate:
        print(
            f"bench: FAIL: {rate:.1f} tickets/s is below --min-rate {args.min_rate}",
            file=sys.stderr,
        )
        ok = False
    return ok


if __name__ == "__main__":
    raise SystemExit(main())
