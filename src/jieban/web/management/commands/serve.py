"""`jieban serve [--host --port]`: the production server (gunicorn), not Django's runserver."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from gunicorn.app.base import BaseApplication
from prometheus_client import multiprocess

from jieban.conf import env_bool, env_int, env_str
from jieban.files import UMASK, private_directory


class JiebanServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        # In the gunicorn worker, after it forked: each worker builds its own application.
        from jieban.wsgi import application

        return application


def fresh_metrics_directory() -> None:
    """The directory where the web processes count requests (`PROMETHEUS_MULTIPROC_DIR`, set by
    `jieban.cli`), private and emptied: the counts of an earlier run's processes, whose pids a
    new process may reuse, must not be added to this run's."""
    name = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not name:
        return
    directory = private_directory(Path(name))
    for counts in directory.glob("*.db"):
        counts.unlink()


def merge_dead_worker(_arbiter: Any, worker: Any) -> None:
    """gunicorn's `child_exit`: a web process that ended (restarted, killed) has its live gauges
    dropped; its counters stay counted."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)


class Command(BaseCommand):
    help = "Serve Jieban with gunicorn."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=env_str("JIEBAN_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=env_int("JIEBAN_PORT", 8000))
        parser.add_argument(
            "--workers",
            type=int,
            # Twice the cores and one (gunicorn's advice), one request at a time each: a
            # request's Python holds its process's interpreter lock, so processes, not threads,
            # use the cores. Intake on 2 cores: 212-225 tickets/s with 3 processes of 4
            # threads, 166-285 with 5 of 2 (a process that won most kept-alive connections
            # was the limit), 294-296 with 5 of 1 (bench/RESULTS.md). Behind the proxy of
            # docs/deploy.md, which buffers slow clients, as gunicorn's sync workers want.
            default=env_int("JIEBAN_WEB_WORKERS", 2 * (os.cpu_count() or 1) + 1),
            help="gunicorn worker processes",
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=env_int("JIEBAN_WEB_THREADS", 1),
            help="threads per worker",
        )
        parser.add_argument(
            "--no-worker",
            action="store_true",
            default=not env_bool("JIEBAN_SERVE_WORKER", True),
            help="do not start `jieban worker` beside the server (run it separately)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Jieban on http://{options['host']}:{options['port']}/")
        self.stdout.flush()
        fresh_metrics_directory()
        # The single-box default: the background worker runs beside the web processes, started
        # and stopped with them (a child process, so gunicorn's forks never inherit its thread).
        worker = None
        if not options["no_worker"]:
            worker = subprocess.Popen([sys.executable, "-m", "jieban", "worker"])

        def stop_worker(_arbiter: Any) -> None:
            if worker is not None and worker.poll() is None:
                worker.terminate()
                try:
                    worker.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    worker.kill()

        JiebanServer(
            {
                "on_exit": stop_worker,
                "child_exit": merge_dead_worker,
                "bind": f"{options['host']}:{options['port']}",
                "workers": options["workers"],
                "threads": options["threads"],
                "worker_class": "gthread" if options["threads"] > 1 else "sync",
                "accesslog": env_str("JIEBAN_ACCESS_LOG", "") or None,
                "errorlog": "-",
                "loglevel": "warning",
                "timeout": 60,
                # gunicorn's own files (its workers' heartbeat files, a unix socket): private too.
                "umask": UMASK,
                "graceful_timeout": 20,
            }
        ).run()
