"""/healthz for a load balancer: 200 when the database answers, some worker swept lately and no
outbox is stuck; 503 naming the failing check otherwise. No login, any Host."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from jieban.exchange.actions import receive_orders
from jieban.exchange.models import Platform, PlatformMessage
from jieban.notify.models import Gateway, Notification
from jieban.notify.outbox import deliver_due, notify
from jieban.ops.heartbeat import record_sweep
from jieban.ops.models import WorkerBeat
from jieban.ops.outboxes import backlog, stuck
from jieban.tickets import transitions
from jieban.worker.runner import run_sweep
from tests.conftest import Cast, local, process_env, run_jieban
from tests.platform_peer import make_platform
from tests.platform_peer import order as platform_order

NOW = local(2026, 3, 11, 10)


def health(client: Client | None = None, **headers: str) -> tuple[int, dict[str, Any]]:
    response = (client or Client()).get("/healthz", **headers)
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    return response.status_code, json.loads(response.content)


def beat(moment: dt.datetime) -> None:
    """A sweep of a worker on another host, finished at `moment`."""
    record_sweep(
        worker="node-2:4242", started_at=moment, finished_at=moment, seconds=0.5, job_seconds={}
    )


@pytest.fixture
def swept(cast: Cast) -> None:
    """A real sweep finished at NOW, by this process as a worker."""
    with time_machine.travel(NOW, tick=False):
        run_sweep()


def test_it_is_ok_when_a_worker_swept_and_nothing_is_stuck(swept: None) -> None:
    with time_machine.travel(NOW + dt.timedelta(seconds=30), tick=False):
        status, body = health()
    assert status == 200
    assert body == {
        "status": "ok",
        "checks": {
            "database": {"status": "ok"},
            "worker": {"status": "ok", "seconds_since_sweep": 30},
            "outbox": {"status": "ok", "stuck": []},
        },
    }


def test_the_sweep_records_its_worker_and_each_jobs_seconds(swept: None) -> None:
    beat = WorkerBeat.objects.get()
    assert beat.worker == f"{socket.gethostname()}:{os.getpid()}"
    assert beat.sweep_started_at == beat.sweep_finished_at == NOW  # the clock stood still
    assert {"orders", "rollups", "delivery", "ticket-tally"} <= set(beat.job_seconds)
    assert beat.sweeps == 1
    with time_machine.travel(NOW + dt.timedelta(minutes=1), tick=False):
        run_sweep()
    beat.refresh_from_db()
    assert (beat.sweeps, beat.sweep_finished_at) == (2, NOW + dt.timedelta(minutes=1))


def test_a_sweep_stopped_half_way_is_no_heartbeat(cast: Cast) -> None:
    run_sweep(should_stop=lambda: True)
    assert not WorkerBeat.objects.exists()


def test_it_fails_naming_the_worker_when_no_sweep_finished_lately(swept: None) -> None:
    with time_machine.travel(NOW + dt.timedelta(seconds=300), tick=False):
        assert health()[0] == 200
    with time_machine.travel(NOW + dt.timedelta(seconds=301), tick=False):
        status, body = health()
    assert status == 503
    assert body["status"] == "fail"
    assert body["checks"]["worker"] == {"status": "fail", "seconds_since_sweep": 301}
    assert body["checks"]["database"]["status"] == body["checks"]["outbox"]["status"] == "ok"


def test_it_fails_when_no_worker_ever_swept(cast: Cast) -> None:
    status, body = health()
    assert status == 503
    assert body["checks"]["worker"] == {"status": "fail", "seconds_since_sweep": None}


def test_the_threshold_is_a_setting(swept: None, settings: Any) -> None:
    settings.JIEBAN_HEALTH_SWEEP_SECONDS = 60
    with time_machine.travel(NOW + dt.timedelta(seconds=61), tick=False):
        assert health()[0] == 503


def test_it_fails_when_a_notification_has_been_due_long_undelivered(
    swept: None, cast: Cast, settings: Any
) -> None:
    settings.JIEBAN_WEBHOOK_URL = "http://127.0.0.1:9/closed"
    with time_machine.travel(NOW, tick=False):
        notify("test", recipients=[cast.dispatcher], title="有新工单")
    # Some worker sweeps, but nothing tries the notification (its delivery fails before).
    later = NOW + dt.timedelta(seconds=900)
    beat(later)
    # Still due for under JIEBAN_HEALTH_OUTBOX_SECONDS: not stuck yet.
    with time_machine.travel(later - dt.timedelta(seconds=1), tick=False):
        assert health()[0] == 200
    with time_machine.travel(later + dt.timedelta(seconds=1), tick=False):
        status, body = health()
    assert status == 503
    assert body["checks"]["outbox"] == {"status": "fail", "stuck": ["notifications"]}
    assert body["checks"]["worker"]["status"] == "ok"


def test_a_refused_delivery_retried_later_is_not_stuck(
    swept: None, cast: Cast, settings: Any
) -> None:
    # The webhook's receiver is down: each attempt fails and the next is set later (backoff).
    # The outbox works; the receiver does not. That is the backlog's to show, not a dead node.
    settings.JIEBAN_WEBHOOK_URL = "http://127.0.0.1:9/closed"
    with time_machine.travel(NOW, tick=False):
        notify("test", recipients=[cast.dispatcher], title="有新工单")
    (webhook,) = Notification.objects.filter(gateway=Gateway.WEBHOOK)
    tries = 0
    while webhook.next_attempt_at - NOW <= dt.timedelta(seconds=900):
        with time_machine.travel(webhook.next_attempt_at, tick=False):
            assert deliver_due().failed == 1
        webhook.refresh_from_db()
        tries += 1
    # Tried 10 s, 20 s … 640 s apart: never due for long, though undelivered for 21 minutes.
    moment = webhook.next_attempt_at - dt.timedelta(seconds=1)
    beat(moment)
    with time_machine.travel(moment, tick=False):
        status, body = health()
    assert tries == 7
    assert (status, body["checks"]["outbox"]) == (200, {"status": "ok", "stuck": []})


def test_it_fails_when_a_platform_message_is_stuck_unless_the_platform_is_off(
    swept: None, cast: Cast
) -> None:
    with time_machine.travel(NOW, tick=False):
        platform = make_platform()
        (taken,) = receive_orders(platform, [platform_order("SZ-H1")])
        transitions.accept_ticket(taken["ticket"], by=cast.handler_a)  # queues its message
    later = NOW + dt.timedelta(seconds=901)
    beat(later)
    with time_machine.travel(later, tick=False):
        status, body = health()
        assert (status, body["checks"]["outbox"]) == (
            503,
            {"status": "fail", "stuck": ["exchange"]},
        )
        # Switched off, its messages wait by the operator's choice.
        Platform.objects.update(is_active=False)
        assert health()[0] == 200


def test_it_answers_a_load_balancer_calling_by_address(swept: None) -> None:
    # Not in JIEBAN_ALLOWED_HOSTS: any page would be a 400.
    assert Client().get("/login/", HTTP_HOST="10.1.2.3:8000").status_code == 400
    with time_machine.travel(NOW, tick=False):
        status, body = health(HTTP_HOST="10.1.2.3:8000")
    assert (status, body["status"]) == (200, "ok")


def test_it_takes_no_session_and_sets_no_cookie(swept: None, cast: Cast) -> None:
    client = Client()
    client.force_login(cast.dispatcher)
    with time_machine.travel(NOW, tick=False):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert not response.cookies
    assert client.post("/healthz").status_code == 405


def test_it_reads_a_few_rows(swept: None) -> None:
    with CaptureQueriesContext(connection) as queries, time_machine.travel(NOW, tick=False):
        assert health()[0] == 200
    # SELECT 1, the latest heartbeat, pending notifications, active platforms (none: no more).
    assert len(queries) == 4, [query["sql"] for query in queries]


# Its own process, given a database nothing listens on: the same in both runs.
@pytest.mark.sqlite_only
def test_it_fails_when_the_database_is_not_reachable(tmp_path: Any) -> None:
    # A process whose database is a closed port: nothing listens on 127.0.0.1:9 (discard).
    env = process_env(
        str(tmp_path),
        DATABASE_URL="postgres://postgres@127.0.0.1:9/jieban",
        JIEBAN_LOG_LEVEL="ERROR",
    )
    probe = (
        "from django.test import Client\n"
        "response = Client().get('/healthz')\n"
        "print(response.status_code, response.content.decode())"
    )
    status, body = run_jieban(env, "shell", "-v0", "-c", probe).split(" ", 1)
    assert status == "503"
    assert json.loads(body) == {
        "status": "fail",
        "checks": {
            "database": {"status": "fail"},
            "worker": {"status": "unknown"},
            "outbox": {"status": "unknown"},
        },
    }


def plans(queries: list[str]) -> list[str]:
    """Each query's plan as the database would run it."""
    explain = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    found = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE notify_notification; ANALYZE exchange_platformmessage")
        for sql in queries:
            cursor.execute(explain + sql)
            found.append("\n".join(str(row) for row in cursor.fetchall()))
    return found


def test_the_outbox_reads_go_through_the_indexes_of_the_undelivered(
    cast: Cast, settings: Any
) -> None:
    # Delivered millions, in small: 10,000 notifications and 10,000 platform messages; and a
    # platform switched off a year ago with its 5,000 messages still waiting.
    platform = make_platform()
    receive_orders(platform, [platform_order("SZ-P1")])
    order = platform.orders.get()
    off = Platform.objects.create(code="old", name="旧平台", secret="x", is_active=False)
    year_ago = NOW - dt.timedelta(days=365)
    Notification.objects.bulk_create(
        Notification(kind="test", gateway=Gateway.WEBHOOK, title="t", state="delivered",
                     created_at=NOW, next_attempt_at=NOW, delivered_at=NOW)
        for _ in range(10_000)
    )  # fmt: skip
    PlatformMessage.objects.bulk_create(
        [PlatformMessage(platform=platform, order=order, kind="accepted", next_attempt_at=None,
                         delivered_at=NOW) for _ in range(10_000)]
        + [PlatformMessage(platform=off, order=order, kind="accepted", next_attempt_at=year_ago)
           for _ in range(5_000)]
    )  # fmt: skip
    with CaptureQueriesContext(connection) as queries:
        assert stuck(NOW) == []
        # What /metrics counts: the backlogs, from the same indexes.
        assert backlog() == {"notifications": 0, "exchange": 0}
    read = [query["sql"] for query in queries if "MIN(" in query["sql"] or "COUNT(" in query["sql"]]
    exchange_due, notifications_due, notifications_count, exchange_count = plans(read)
    for plan in (notifications_due, notifications_count):
        assert "notification_pending_idx" in plan, plan
    for plan in (exchange_due, exchange_count):
        assert "platform_message_waiting_idx" in plan, plan
    for plan in (exchange_due, notifications_due, notifications_count, exchange_count):
        # PostgreSQL's "Seq Scan", SQLite's "SCAN <table>" without an index: the whole table.
        whole_table = [
            line
            for line in plan.splitlines()
            if "Seq Scan" in line or ("SCAN " in line and "USING" not in line)
        ]
        assert whole_table == [], plan
