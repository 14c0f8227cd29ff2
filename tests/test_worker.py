"""`jieban worker` and `jieban sweep --once` as separate processes: SIGTERM mid-sweep stops
cleanly with nothing half-written, and the next sweep finishes the work."""

from __future__ import annotations

import json
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from jieban.worker.registry import registered_jobs
from jieban.worker.runner import Worker
from tests.conftest import process_env, run_jieban, set_up_process_bureau

TICKETS = 600

SETUP = f"""
import datetime as dt
from django.utils import timezone
from jieban.intake.actions import TicketDraft, register_ticket
from jieban.org.models import User
by = User.objects.get(username="d")
now = timezone.now()
for index in range({TICKETS}):
    # A 12345 platform sent these with its own deadline, which has passed.
    register_ticket(
        TicketDraft(
            channel="hotline_12345", external_id=f"H-{{index}}", content="噪音扰民",
            unit="PS", received_at=now - dt.timedelta(days=10),
            due_at=now - dt.timedelta(days=3),
        ),
        by=by,
    )
"""


def counts(database: Path) -> tuple[int, int, int]:
    db = sqlite3.connect(database, timeout=30)
    try:
        orders = db.execute("SELECT count(*) FROM tickets_supervisionorder").fetchone()[0]
        supervised = db.execute(
            "SELECT count(*) FROM tickets_ticket WHERE supervision_level = 1"
        ).fetchone()[0]
        # An order and its ticket are written together: the sweep watches every order's
        # deadline next.
        matching = db.execute(
            "SELECT count(*) FROM tickets_supervisionorder o JOIN tickets_ticket t"
            " ON t.id = o.ticket_id WHERE t.watch_at = o.due_at"
        ).fetchone()[0]
        return orders, supervised, matching
    finally:
        db.close()


# Its own processes on a SQLite database of their own: the same in both runs.
@pytest.mark.sqlite_only
def test_sigterm_during_a_sweep_stops_cleanly(tmp_path: Path) -> None:
    # One ticket a transaction: the sweep takes seconds, and SIGTERM lands inside it.
    env = process_env(str(tmp_path), JIEBAN_SWEEP_BATCH="1")
    set_up_process_bureau(env)
    run_jieban(env, "shell", "-v0", "-c", SETUP)
    database = tmp_path / "jieban.sqlite3"

    worker = subprocess.Popen(
        [sys.executable, "-m", "jieban", "worker", "--interval", "3600"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while counts(database)[0] == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        worker.send_signal(signal.SIGTERM)
        _out, err = worker.communicate(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0, err
    # Its lines are JSON on stderr (the default of `jieban worker`), each naming the worker.
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert lines[-1]["message"] == "worker: stopped"
    assert {line["worker"] for line in lines} == {f"{socket.gethostname()}:{worker.pid}"}
    orders, supervised, matching = counts(database)
    assert 0 < orders < TICKETS, "SIGTERM should land mid-sweep"
    assert orders == supervised == matching

    report = run_jieban(env, "sweep", "--once")
    assert f"supervision orders: {TICKETS - orders}" in report
    assert counts(database) == (TICKETS, TICKETS, TICKETS)
    assert "supervision orders: 0" in run_jieban(env, "sweep", "--once")


def test_stop_ends_the_loop() -> None:
    lines: list[str] = []
    worker = Worker(interval=3600, write=lines.append)
    worker.stop()
    worker.run()
    assert lines[-1] == "worker: stopped"


def test_it_runs_every_apps_jobs_in_the_sweeps_order() -> None:
    jobs = registered_jobs()
    assert [job.name for job in jobs] == [
        "orders",
        "clocks",
        "warnings",
        "mediation",
        "handovers",
        "rollups",
        "publishing",
        "platform-pull",
        "delivery",
        "platform-delivery",
        "imports",
        "ticket-tally",
        "backup",
    ]
    assert [job.name for job in jobs if job.between_sweeps] == [
        "delivery",
        "platform-delivery",
        "imports",
    ]
