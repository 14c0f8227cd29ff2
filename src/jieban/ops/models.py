"""What the operator's probes read without counting big tables: each worker's last sweep, and
the tickets by status as a worker last counted them."""

from __future__ import annotations

from django.db import models


class WorkerBeat(models.Model):
    """The last finished sweep of one worker process (`host:pid`): when it started and ended,
    its seconds, and each job's. Written at the end of every sweep (`heartbeat.record_sweep`),
    so /healthz tells a worker that stopped sweeping from one that sweeps, however many hosts
    run workers."""

    worker = models.CharField(max_length=255, unique=True)
    sweep_started_at = models.DateTimeField()
    sweep_finished_at = models.DateTimeField(db_index=True)
    seconds = models.FloatField()
    job_seconds = models.JSONField(default=dict)
    sweeps = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.worker} {self.sweep_finished_at:%Y-%m-%d %H:%M:%S}"


class TicketTally(models.Model):
    """The tickets by status, counted by a worker at most once every
    `JIEBAN_METRICS_TICKETS_SECONDS` (one row, pk 1). /metrics reads this row: counting ten
    million tickets takes about a second on PostgreSQL, too much for every scrape of every
    web process."""

    ONE = 1

    counts = models.JSONField(default=dict)
    counted_at = models.DateTimeField(null=True, blank=True)
    seconds = models.FloatField(default=0)

    def __str__(self) -> str:
        return f"tickets counted at {self.counted_at}"
