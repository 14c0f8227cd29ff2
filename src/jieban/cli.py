"""The `jieban` command: Django's management commands under one name."""

from __future__ import annotations

import os
import sys

from jieban.files import keep_files_private


def main(argv: list[str] | None = None) -> None:
    keep_files_private()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jieban.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["jieban", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
