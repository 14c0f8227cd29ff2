"""/metrics for Prometheus: requests by route and status, their seconds, the workers' sweeps, the
outboxes' backlogs and the tickets by status; for the allowed addresses or the token only."""

from __future__ import annotations

import datetime as dt
import ipaddress
from typing import Any

import pytest
import time_machine
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from jieban.notify.outbox import notify
from jieban.ops.heartbeat import record_sweep
from jieban.ops.tally import tally_tickets
from jieban.tickets import transitions
from tests.conftest import Cast, local, new_ticket

NOW = local(2026, 3, 11, 10)
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(client: Client | None = None, **headers: Any) -> Samples:
    response = (client or Client()).get("/metrics", **headers)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/plain; version=")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_it_counts_requests_by_route_and_status(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.handler_a)
    ticket = new_ticket(cast.dispatcher)
    detail = "/tickets/<str:number>/"
    before = scrape()
    assert client.get(f"/tickets/{ticket.number}/").status_code == 404  # not station A's
    transitions.dispatch_ticket(ticket.number, unit=cast.handler_a.unit, by=cast.dispatcher)
    assert client.get(f"/tickets/{ticket.number}/").status_code == 200
    assert client.get(f"/tickets/{ticket.number}/").status_code == 200
    assert client.get("/no/such/page/").status_code == 404
    after = scrape()

    def counted(**labels: str) -> float:
        name = "jieban_http_requests_total"
        return value(after, name, **labels) - value(before, name, **labels)

    assert counted(method="GET", route=detail, status="200") == 2
    assert counted(method="GET", route=detail, status="404") == 1
    assert counted(method="GET", route="<unmatched>", status="404") == 1
    # The scrape before this one is counted too, by its own route.
    assert counted(method="GET", route="/metrics", status="200") == 1
    seconds = "jieban_http_request_duration_seconds_count"
    assert value(after, seconds, route=detail) - value(before, seconds, route=detail) == 3
    # The route, never the path: no series names a ticket.
    assert not any(ticket.number in str(labels) for _name, labels in after)


def test_the_tickets_by_status_are_as_last_counted(cast: Cast) -> None:
    with time_machine.travel(NOW, tick=False):
        for _ in range(2):
            new_ticket(cast.dispatcher)
        dispatched = new_ticket(cast.dispatcher)
        transitions.dispatch_ticket(dispatched.number, unit=cast.handler_a.unit, by=cast.dispatcher)
        assert value(scrape(), "jieban_tickets", status="new") == 0  # not counted yet
        assert tally_tickets(NOW)
        samples = scrape()
    assert value(samples, "jieban_tickets", status="new") == 2
    assert value(samples, "jieban_tickets", status="dispatched") == 1
    assert value(samples, "jieban_tickets", status="closed") == 0
    assert ("jieban_tickets", frozenset({("status", "closed")})) in samples
    assert value(samples, "jieban_tickets_counted_timestamp_seconds") == NOW.timestamp()

    # Counted at most once a minute, whichever worker asks.
    new_ticket(cast.dispatcher)
    assert not tally_tickets(NOW + dt.timedelta(seconds=59))
    assert value(scrape(), "jieban_tickets", status="new") == 2
    assert tally_tickets(NOW + dt.timedelta(seconds=60))
    assert value(scrape(), "jieban_tickets", status="new") == 3


def test_it_shows_each_workers_last_sweep_and_the_backlogs(cast: Cast, settings: Any) -> None:
    record_sweep(
        worker="node-1:100", started_at=NOW, finished_at=NOW + dt.timedelta(seconds=2),
        seconds=2.0, job_seconds={"orders": 1.5, "delivery": 0.5},
    )  # fmt: skip
    record_sweep(
        worker="node-2:200", started_at=NOW, finished_at=NOW + dt.timedelta(seconds=3),
        seconds=3.25, job_seconds={"orders": 3.0},
    )  # fmt: skip
    settings.JIEBAN_WEBHOOK_URL = "http://127.0.0.1:9/closed"
    notify("test", recipients=[cast.dispatcher], title="有新工单")
    samples = scrape()
    assert value(samples, "jieban_sweep_duration_seconds", worker="node-1:100") == 2.0
    assert value(samples, "jieban_sweep_duration_seconds", worker="node-2:200") == 3.25
    assert value(
        samples, "jieban_sweep_job_duration_seconds", worker="node-1:100", job="delivery"
    ) == 0.5  # fmt: skip
    assert value(
        samples, "jieban_sweep_last_finished_timestamp_seconds", worker="node-2:200"
    ) == (NOW + dt.timedelta(seconds=3)).timestamp()  # fmt: skip
    assert value(samples, "jieban_outbox_backlog", outbox="notifications") == 1
    assert ("jieban_outbox_backlog", frozenset({("outbox", "exchange")})) in samples
    assert value(samples, "jieban_database_up") == 1


@pytest.mark.django_db
def test_it_is_for_the_allowed_addresses_and_the_tokens_bearer(settings: Any) -> None:
    client = Client()
    assert client.get("/metrics", REMOTE_ADDR="10.0.0.7").status_code == 404
    # From 127.0.0.1, but through a proxy on this host: the proxy's address, not the client's.
    forwarded = client.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert forwarded.status_code == 404
    assert forwarded.content == b""

    settings.JIEBAN_METRICS_TOKEN = "s3cret-token"
    assert client.get(
        "/metrics", REMOTE_ADDR="10.0.0.7", HTTP_AUTHORIZATION="Bearer s3cret-token"
    ).status_code == 200  # fmt: skip
    for wrong in ("Bearer s3cret", "Bearer 令牌", "Basic s3cret-token", ""):
        response = client.get("/metrics", REMOTE_ADDR="10.0.0.7", HTTP_AUTHORIZATION=wrong)
        assert response.status_code == 404, wrong

    settings.JIEBAN_METRICS_ALLOW = [ipaddress.ip_network("10.0.0.0/24")]
    assert client.get("/metrics", REMOTE_ADDR="10.0.0.7").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404
    assert client.post("/metrics", REMOTE_ADDR="10.0.0.7").status_code == 405


@pytest.mark.django_db
def test_it_answers_prometheus_calling_by_address() -> None:
    response = Client().get("/metrics", HTTP_HOST="10.1.2.3:8000")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
