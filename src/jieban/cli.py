"""The `jieban` command: Django's management commands under one name."""

from __future__ import annotations

import os
import sys

from jieban.conf import data_directory
from jieban.files import keep_files_private

# The long-running commands of a production install log JSON lines by default.
LOGGING_JSON = {"serve", "worker"}


def main(argv: list[str] | None = None) -> None:
    keep_files_private()
    args = sys.argv[1:] if argv is None else argv
    command = args[0] if args else ""
    if command in LOGGING_JSON:
        os.environ.setdefault("JIEBAN_LOG_FORMAT", "json")
    if command == "serve":
        # gunicorn's processes count requests in shared files (README, "Operating: health,
        # metrics and logs"); prometheus_client reads this when first imported, so before
        # Django loads anything.
        os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(data_directory() / "metrics"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jieban.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["jieban", *args])


if __name__ == "__main__":
    main()
