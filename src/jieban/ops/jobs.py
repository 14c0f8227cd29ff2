"""The ops app's part in the worker: each finished sweep recorded as the worker's heartbeat
(`AFTER_SWEEP`); the tickets counted by status for /metrics at most once a
`JIEBAN_METRICS_TICKETS_SECONDS`; and, last, the daily backup (README, "Backups"), at the first
sweep after `JIEBAN_BACKUP_HOUR` (local time) when the newest backup in `JIEBAN_BACKUP_DIR` is
older than that hour, keeping the newest `JIEBAN_BACKUP_KEEP`. A backup that fails is tried
again an hour later, not at every sweep, and says so once in the worker's log."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from django.conf import settings

from jieban.ops.archives import BackupError, BackupStopped
from jieban.ops.backup import take_daily_backup
from jieban.ops.heartbeat import record_sweep
from jieban.ops.tally import tally_tickets
from jieban.worker.registry import Job, Line, Outcome, Sweep

log = logging.getLogger("jieban.ops")
RETRY_AFTER = dt.timedelta(hours=1)


class _Failures:
    """When this process's last daily backup failed."""

    last: dt.datetime | None = None


def daily_backup(now: dt.datetime, should_stop: Callable[[], bool]) -> Outcome:
    """Take the day's backup when it is due, then remove the oldest beyond the ones kept."""
    if not settings.JIEBAN_BACKUP_DAILY:
        return Outcome()
    if _Failures.last is not None and now - _Failures.last < RETRY_AFTER:
        return Outcome()
    try:
        daily = take_daily_backup(
            settings.JIEBAN_BACKUP_DIR,
            now=now,
            hour=settings.JIEBAN_BACKUP_HOUR,
            keep=settings.JIEBAN_BACKUP_KEEP,
            should_stop=should_stop,
        )
    except BackupStopped:
        return Outcome(lines=[Line(95, "backup: stopped, the worker is stopping")])
    except BackupError as exc:
        _Failures.last = now
        log.error("daily backup failed (tried again in an hour): %s", exc.message)
        line = Line(95, f"backup failed: {exc.message}", headline=True)
        return Outcome(counts={"backup": None}, lines=[line], notable=True)
    _Failures.last = None
    if daily.backup is None:
        return Outcome(counts={"backup": None, "backups_removed": []})
    backup = daily.backup
    removed = f"; old backups removed: {len(daily.removed)}" if daily.removed else ""
    return Outcome(
        counts={"backup": backup.path, "backups_removed": daily.removed},
        lines=[Line(95, f"backup taken: {backup.path} ({backup.summary()}){removed}", True)],
        notable=True,
    )


def tally(now: dt.datetime, should_stop: Callable[[], bool]) -> Outcome:
    counted = tally_tickets(now)
    return Outcome(lines=[Line(90, f"tickets by status counted: {'yes' if counted else 'no'}")])


def record(sweep: Sweep) -> None:
    record_sweep(
        worker=sweep.worker,
        started_at=sweep.started_at,
        finished_at=sweep.finished_at,
        seconds=sweep.seconds,
        job_seconds=sweep.job_seconds,
    )


JOBS = [Job("ticket-tally", tally, order=90), Job("backup", daily_backup, order=95)]
AFTER_SWEEP = [record]
