"""`jieban serve [--host --port]`: the production server (gunicorn), not Django's runserver."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from gunicorn.app.base import BaseApplication

from jieban.conf import env_bool, env_int, env_str
from jieban.files import UMASK


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


class Command(BaseCommand):
    help = "Serve Jieban with gunicorn."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=env_str("JIEBAN_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=env_int("JIEBAN_PORT", 8000))
        parser.add_argument(
            "--workers",
            type=int,
            default=env_int("JIEBAN_WEB_WORKERS", (os.cpu_count() or 1) + 1),
            help="gunicorn worker processes",
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=env_int("JIEBAN_WEB_THREADS", 4),
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
