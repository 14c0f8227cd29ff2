"""Benchmark: `jieban backup` and `jieban restore` of a demo bureau with attachments.

Builds (once, kept under bench/out/) a demo of N tickets with A attachments of 100 KB in a
throw-away data directory on SQLite, or, with --postgres, in a database of its own on that
server; then times `jieban backup` and `jieban restore` into an empty data directory (and
database), each as the operator runs it, and prints the database's size, the archive's size
and the seconds each took. Everything runs as separate `jieban` processes.

    .venv/bin/python bench/backup.py [--tickets 20000] [--attachments 200]
    .venv/bin/python bench/backup.py --postgres postgres://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent

ATTACH = """
import random
from django.core.files.uploadedfile import SimpleUploadedFile
from jieban.intake.actions import add_attachments
from jieban.org.models import User
from jieban.tickets.models import Ticket

admin = User.objects.get(username="admin")
numbers = Ticket.objects.exclude(status__in=["closed", "invalid", "merged"]).values_list(
    "number", flat=True
)[:{count}]
chance = random.Random(7)
for index, number in enumerate(numbers):
    photo = SimpleUploadedFile(f"photo-{{index}}.jpg", chance.randbytes(100_000))
    add_attachments(number, [photo], by=admin)
"""


def jieban(env: dict[str, str], *args: str) -> tuple[str, float]:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "jieban", *args], env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise SystemExit(f"jieban {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout, time.perf_counter() - started


def environment(data_dir: Path, database_url: str | None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env.update(JIEBAN_DATA_DIR=str(data_dir), JIEBAN_BACKUP_DAILY="false")
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def postgres(server: str, statement: str) -> None:
    subprocess.run(["psql", server, "-q", "-c", statement], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=20_000)
    parser.add_argument("--attachments", type=int, default=200)
    parser.add_argument("--postgres", help="a PostgreSQL server's URL (its /postgres database)")
    args = parser.parse_args()

    vendor = "postgresql" if args.postgres else "sqlite"
    out = HERE / "out" / f"backup-{vendor}-{args.tickets}-{args.attachments}"
    source_dir, restored_dir, backups = out / "source", out / "restored", out / "backups"
    source_url = restored_url = None
    if args.postgres:
        names = (f"bench_backup_{args.tickets}_{args.attachments}", "bench_backup_restored")
        source_url, restored_url = (
            urlsplit(args.postgres)._replace(path=f"/{name}").geturl() for name in names
        )
    source = environment(source_dir, source_url)
    if not (source_dir / "ready").exists():
        shutil.rmtree(out, ignore_errors=True)
        if args.postgres:
            postgres(args.postgres, f'DROP DATABASE IF EXISTS "{names[0]}" WITH (FORCE)')
            postgres(args.postgres, f'CREATE DATABASE "{names[0]}"')
        print(f"building the demo: {args.tickets:,} tickets, {args.attachments} attachments")
        jieban(source, "migrate", "--noinput", "-v0")
        jieban(source, "demo", "--tickets", str(args.tickets))
        jieban(source, "shell", "-v0", "-c", ATTACH.format(count=args.attachments))
        (source_dir / "ready").touch()
    shutil.rmtree(backups, ignore_errors=True)
    shutil.rmtree(restored_dir, ignore_errors=True)
    if args.postgres:
        postgres(args.postgres, f'DROP DATABASE IF EXISTS "{names[1]}" WITH (FORCE)')
        postgres(args.postgres, f'CREATE DATABASE "{names[1]}"')

    output, backup_seconds = jieban(source, "backup", "--to", str(backups))
    archive = Path(output.splitlines()[0])
    print(f"backup:  {backup_seconds:6.1f} s  {output.splitlines()[1]}")
    database = source_dir / "jieban.sqlite3"
    if not args.postgres:
        print(f"         the SQLite database: {database.stat().st_size / 2**20:.1f} MB")
    print(f"         the archive: {archive.stat().st_size / 2**20:.1f} MB")
    _, restore_seconds = jieban(environment(restored_dir, restored_url), "restore", str(archive))
    print(f"restore: {restore_seconds:6.1f} s  (into an empty data directory and database)")
    if args.postgres:
        postgres(args.postgres, f'DROP DATABASE IF EXISTS "{names[1]}" WITH (FORCE)')


if __name__ == "__main__":
    main()
