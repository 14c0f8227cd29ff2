"""The Prometheus metrics of /metrics (prometheus_client).

Two kinds. The requests, counted by each web process as it answers them
(`observe_request`): under `jieban serve` gunicorn runs several processes, so they count in
prometheus_client's multiprocess mode, in files under `PROMETHEUS_MULTIPROC_DIR` (set by
`jieban serve` to `<data dir>/metrics`, emptied at each start, a dead process's files merged
by gunicorn's `child_exit`), and a scrape of any process sums them all. Without that
directory (runserver, tests, another WSGI server) they count in this process alone.

And what the database holds, read at scrape time, the same whichever process or host is
scraped: each worker's last sweep (its heartbeat), the outboxes' backlogs, the tickets by
status (as a worker last counted them, `jieban.ops.tally`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from django.db import DatabaseError
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

from jieban.ops.heartbeat import beats
from jieban.ops.outboxes import backlog
from jieban.ops.tally import ticket_counts

MULTIPROCESS_DIRECTORY = "PROMETHEUS_MULTIPROC_DIR"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

# This process's own metrics; in multiprocess mode their values go to the shared files.
PROCESS = CollectorRegistry(auto_describe=True)
HTTP_REQUESTS = Counter(
    "jieban_http_requests",
    "Requests answered, by method, route (the URL pattern) and status.",
    ["method", "route", "status"],
    registry=PROCESS,
)
HTTP_DURATION = Histogram(
    "jieban_http_request_duration_seconds",
    "Seconds from a request's arrival to its answer, by route (the URL pattern).",
    ["route"],
    registry=PROCESS,
)


def observe_request(*, method: str, route: str, status: int, seconds: float) -> None:
    """Count one answered request. `route` is the URL pattern, never the path, so that ticket
    numbers do not each make a series; a method no route knows counts as "other"."""
    HTTP_REQUESTS.labels(method if method in METHODS else "other", route, str(status)).inc()
    HTTP_DURATION.labels(route).observe(seconds)


class _Scrape:
    """What one scrape exposes: the requests of every process, then the database's figures."""

    def collect(self) -> Iterator[Metric]:
        if os.environ.get(MULTIPROCESS_DIRECTORY):
            yield from MultiProcessCollector(None).collect()
        else:
            yield from PROCESS.collect()
        yield from _database_metrics()


def _database_metrics() -> Iterator[Metric]:
    up = GaugeMetricFamily(
        "jieban_database_up", "Whether the database answered this scrape's reads (1) or not (0)."
    )
    try:
        figures = list(_database_figures())
    except DatabaseError:
        up.add_metric([], 0)
        yield up
        return
    up.add_metric([], 1)
    yield up
    yield from figures


def _database_figures() -> Iterator[Metric]:
    duration = GaugeMetricFamily(
        "jieban_sweep_duration_seconds", "Seconds the worker's last sweep took.", labels=["worker"]
    )
    finished = GaugeMetricFamily(
        "jieban_sweep_last_finished_timestamp_seconds",
        "When the worker's last sweep finished (Unix time).",
        labels=["worker"],
    )
    jobs = GaugeMetricFamily(
        "jieban_sweep_job_duration_seconds",
        "Seconds each job of the worker's last sweep took.",
        labels=["worker", "job"],
    )
    for beat in beats():
        duration.add_metric([beat.worker], beat.seconds)
        finished.add_metric([beat.worker], beat.sweep_finished_at.timestamp())
        for job, seconds in sorted(beat.job_seconds.items()):
            jobs.add_metric([beat.worker, job], seconds)
    yield from (duration, finished, jobs)

    waiting = GaugeMetricFamily(
        "jieban_outbox_backlog", "Messages not delivered yet, by outbox.", labels=["outbox"]
    )
    for outbox, count in backlog().items():
        waiting.add_metric([outbox], count)
    yield waiting

    tickets = GaugeMetricFamily(
        "jieban_tickets",
        "Tickets by status, as a worker last counted them (at most once a minute).",
        labels=["status"],
    )
    counted_at = GaugeMetricFamily(
        "jieban_tickets_counted_timestamp_seconds",
        "When the tickets by status were last counted (Unix time).",
    )
    tally = ticket_counts()
    if tally is not None and tally.counted_at is not None:
        for status, count in sorted(tally.counts.items()):
            tickets.add_metric([status], count)
        counted_at.add_metric([], tally.counted_at.timestamp())
    yield from (tickets, counted_at)


def exposition() -> bytes:
    """The text exposition of one scrape."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Scrape())
    return generate_latest(registry)
