"""The workers' heartbeat: each finished sweep recorded against its worker (`host:pid`), read
by /healthz (has some worker swept lately?) and /metrics (how long the sweeps take)."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import F, Max

from jieban.ops.models import WorkerBeat

# A worker that has not swept for this long is gone (restarted, its host retired): its row is
# dropped, so that /metrics does not carry every pid that ever ran.
FORGET_AFTER = dt.timedelta(days=1)


def record_sweep(
    *,
    worker: str,
    started_at: dt.datetime,
    finished_at: dt.datetime,
    seconds: float,
    job_seconds: dict[str, float],
) -> None:
    """Record one finished sweep of `worker`, and forget the workers silent for a day."""
    values = {
        "sweep_started_at": started_at,
        "sweep_finished_at": finished_at,
        "seconds": round(seconds, 3),
        "job_seconds": job_seconds,
    }
    mine = WorkerBeat.objects.filter(worker=worker)
    with transaction.atomic():
        if not mine.update(sweeps=F("sweeps") + 1, **values):
            try:
                with transaction.atomic():
                    WorkerBeat.objects.create(worker=worker, sweeps=1, **values)
            except IntegrityError:
                # Two sweeps of one process at once (threads): the other wrote the row first.
                mine.update(sweeps=F("sweeps") + 1, **values)
        WorkerBeat.objects.filter(sweep_finished_at__lt=finished_at - FORGET_AFTER).delete()


def last_sweep_finished() -> dt.datetime | None:
    """When the latest sweep of any worker finished, or None if none has."""
    latest: dt.datetime | None = WorkerBeat.objects.aggregate(latest=Max("sweep_finished_at"))[
        "latest"
    ]
    return latest


def beats() -> list[WorkerBeat]:
    """Every worker's last sweep, by worker."""
    return list(WorkerBeat.objects.order_by("worker"))
