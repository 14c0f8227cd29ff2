"""What /healthz answers a load balancer: is the database reachable, has some worker finished a
sweep lately, is neither outbox stuck. Three cheap reads (a trivial query, the workers' few
heartbeat rows, two index probes), each failure named; nothing counted, no host named."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection

from jieban.ops.heartbeat import last_sweep_finished
from jieban.ops.outboxes import stuck

log = logging.getLogger("jieban.health")

OK = "ok"
FAIL = "fail"
# Not checked: the database, which every other check reads, is not reachable.
UNKNOWN = "unknown"


@dataclass
class Health:
    """Each check's status and what it saw; `ok` when every check passed."""

    checks: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(check["status"] == OK for check in self.checks.values())

    def as_json(self) -> dict[str, Any]:
        return {"status": OK if self.ok else FAIL, "checks": self.checks}


def check_health(now: dt.datetime) -> Health:
    """The three checks at `now`."""
    health = Health()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        log.warning("health: the database is not reachable", exc_info=True)
        health.checks = {
            "database": {"status": FAIL},
            "worker": {"status": UNKNOWN},
            "outbox": {"status": UNKNOWN},
        }
        return health
    health.checks["database"] = {"status": OK}
    checks: tuple[tuple[str, Callable[[dt.datetime], dict[str, Any]]], ...] = (
        ("worker", _worker),
        ("outbox", _outbox),
    )
    for name, check in checks:
        try:
            health.checks[name] = check(now)
        except DatabaseError:  # reachable, but this read failed (a table missing, a timeout)
            log.warning("health: the %s check failed", name, exc_info=True)
            health.checks[name] = {"status": FAIL}
    return health


def _worker(now: dt.datetime) -> dict[str, Any]:
    latest = last_sweep_finished()
    if latest is None:
        return {"status": FAIL, "seconds_since_sweep": None}
    seconds = max(0, round((now - latest).total_seconds()))
    recent = seconds <= settings.JIEBAN_HEALTH_SWEEP_SECONDS
    return {"status": OK if recent else FAIL, "seconds_since_sweep": seconds}


def _outbox(now: dt.datetime) -> dict[str, Any]:
    found = stuck(now - dt.timedelta(seconds=settings.JIEBAN_HEALTH_OUTBOX_SECONDS))
    return {"status": FAIL if found else OK, "stuck": found}
