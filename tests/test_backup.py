"""`jieban backup` and `jieban restore` (README, "Backups"), and the worker's daily backup.

The main test runs Jieban as separate processes on a data directory (and, in the PostgreSQL
run, a database) of its own: a busy demo bureau is backed up while a writer registers tickets
with attachments, destroyed, restored into an empty one, and compared table by table and file
by file with the archive. The others run in this process on the test database.
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
import psycopg
import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from jieban.ops import jobs
from jieban.ops.archives import DATABASE_MEMBERS, MANIFEST, BackupStopped
from jieban.ops.backup import Backup, take_backup
from jieban.ops.databases import row_counts
from jieban.tickets.defaults import create_default_categories
from jieban.tickets.models import Attachment, Category, Ticket
from jieban.worker.registry import registered_jobs
from tests.conftest import Cast, local, new_ticket, process_env, run_jieban

ON_POSTGRES = "postgresql" in connection.settings_dict["ENGINE"]
WRITER_PREFIX = "BACKUP-W"

# --- Jieban as separate processes -------------------------------------------------------------

SET_UP = r"""
import hashlib, io, json, random
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from jieban.intake.actions import add_attachments
from jieban.org.models import User
from jieban.tickets.models import Ticket

call_command("migrate", verbosity=0)
call_command("demo", "--tickets", "300", "--cases", "20", stdout=io.StringIO())
admin = User.objects.get(username="admin")
numbers = Ticket.objects.exclude(status__in=["closed", "invalid", "merged"]).order_by("number")
files = [
    ("现场照片.jpg", bytes(range(256)) * 40),
    ("report.pdf", b"%PDF-1.4\n" + random.Random(5).randbytes(300_000)),
    ("说明.txt", "楼上装修噪音，晚上十点还在施工。".encode()),
    ("说明.txt", b"the same name again: the storage picks another"),
]
stored = {}
for ticket, (name, content) in zip(numbers[:4], files):
    (attachment,) = add_attachments(ticket.number, [SimpleUploadedFile(name, content)], by=admin)
    stored[attachment.file.name] = hashlib.sha256(content).hexdigest()
print(json.dumps(stored))
"""

# Registers tickets, each with an attachment, one transaction each, until the stop file
# appears; prints each ticket's external id once it is committed.
WRITER = rf"""
import os, pathlib, time
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from jieban.intake.actions import TicketDraft, register_ticket
from jieban.org.models import User

dispatcher = User.objects.get(username="dispatcher")
stop = pathlib.Path(os.environ["WRITER_STOP"])
number = 0
while not stop.exists():
    number += 1
    external_id = f"{WRITER_PREFIX}{{number:05d}}"
    draft = TicketDraft(
        channel="hotline_12345",
        external_id=external_id,
        content="小区门口夜间烧烤油烟扰民。",
        resident_name="李四",
        resident_phone="13900001111",
        attachments=[SimpleUploadedFile(external_id + ".txt", external_id.encode() * 100)],
    )
    register_ticket(draft, by=dispatcher)
    print(external_id, flush=True)
    time.sleep(0.01)  # busy, not flooding
"""

CHANGE = """
from jieban.intake.actions import TicketDraft, register_ticket
from jieban.org.models import User
ticket, _ = register_ticket(
    TicketDraft(channel="walk_in", content="恢复之后登记的工单。"),
    by=User.objects.get(username="dispatcher"),
)
print(ticket.number)
"""


class Writer:
    """`WRITER` in a process of its own, its committed external ids read as they come."""

    def __init__(self, env: dict[str, str], stop: Path) -> None:
        self.stop = stop
        self.ids: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "jieban", "shell", "-v0", "-c", WRITER],
            env={**env, "WRITER_STOP": str(stop)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.startswith(WRITER_PREFIX):
                self.ids.append(line.strip())

    def wait_for(self, count: int) -> int:
        deadline = time.monotonic() + 60
        while len(self.ids) < count:
            assert self.process.poll() is None, self.process.stderr and self.process.stderr.read()
            assert time.monotonic() < deadline, "the writer registers nothing"
            time.sleep(0.05)
        return len(self.ids)

    def finish(self) -> list[str]:
        self.stop.touch()
        self.process.wait(timeout=60)
        self.reader.join(timeout=10)
        assert self.process.returncode == 0, self.process.stderr and self.process.stderr.read()
        return self.ids


class Bureau:
    """A Jieban run as processes: its environment, and its database read row by row."""

    def __init__(self, data_dir: Path, database_url: str | None) -> None:
        self.data_dir = data_dir
        self.database_url = database_url
        settings = {"DATABASE_URL": database_url} if database_url else {}
        self.env = process_env(str(data_dir), **settings)

    @property
    def attachments(self) -> Path:
        return self.data_dir / "attachments"

    def tables(self) -> dict[str, list[str]]:
        """Every table's rows, each row as text, sorted."""
        if self.database_url:
            return postgres_tables(self.database_url)
        return sqlite_tables(self.data_dir / "jieban.sqlite3")

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        if self.database_url:
            with psycopg.connect(self.database_url) as database:
                return database.execute(sql).fetchall()
        with closing(sqlite3.connect(self.data_dir / "jieban.sqlite3")) as database:
            return database.execute(sql).fetchall()

    def stored_files(self) -> dict[str, str]:
        """The attachments' storage: name → SHA-256."""
        return {
            path.relative_to(self.attachments).as_posix(): sha256(path.read_bytes())
            for path in self.attachments.rglob("*")
            if path.is_file()
        }


def sqlite_tables(path: Path) -> dict[str, list[str]]:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as database:
        names = [
            name
            for (name,) in database.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND sql NOT LIKE 'CREATE VIRTUAL TABLE%'"
            )
        ]
        return {
            name: sorted(repr(row) for row in database.execute(f'SELECT * FROM "{name}"'))
            for name in names
        }


def postgres_tables(url: str) -> dict[str, list[str]]:
    tables = {}
    with psycopg.connect(url) as database:
        names = database.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        ).fetchall()
        for (name,) in names:
            with database.cursor().copy(f'COPY public."{name}" TO STDOUT') as copy:
                content = b"".join(bytes(block) for block in copy)
            tables[name] = sorted(content.decode().splitlines())
    return tables


def dumped_tables(dump: Path) -> dict[str, list[str]]:
    """The rows of each table in a pg_dump file, as `COPY … TO STDOUT` writes them."""
    script = subprocess.run(
        ["pg_restore", "--data-only", "--file=-", str(dump)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    tables: dict[str, list[str]] = {}
    current: str | None = None
    for line in script.split("\n"):
        if current is None:
            match = re.match(r"^COPY public\.(\S+) \(.*\) FROM stdin;$", line)
            if match:
                current = match.group(1).strip('"')
                tables[current] = []
        elif line == "\\.":
            current = None
        else:
            tables[current].append(line)
    return {name: sorted(rows) for name, rows in tables.items()}


def archived_tables(archive: Path, unpacked: Path) -> dict[str, list[str]]:
    """The rows of each table in the archive's database copy, read without Jieban's code."""
    with tarfile.open(archive) as backup:
        if ON_POSTGRES:
            backup.extract(DATABASE_MEMBERS["postgresql"], unpacked, filter="data")
            return dumped_tables(unpacked / DATABASE_MEMBERS["postgresql"])
        backup.extract(DATABASE_MEMBERS["sqlite"], unpacked, filter="data")
        return sqlite_tables(unpacked / DATABASE_MEMBERS["sqlite"])


def read_manifest(archive: Path) -> dict[str, Any]:
    with tarfile.open(archive) as backup:
        member = backup.extractfile(MANIFEST)
        assert member is not None
        return json.loads(member.read())


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


@pytest.fixture
def process_databases() -> Iterator[tuple[str | None, str | None]]:
    """In the PostgreSQL run, two empty databases on the suite's server, the bureau's and the
    one it is restored into, dropped at the end; in the SQLite run, none (each data
    directory has its own)."""
    if not ON_POSTGRES:
        yield None, None
        return
    suite = os.environ["DATABASE_URL"]
    prefix = f"{dj_database_url.parse(suite)['NAME']}_restore_{uuid.uuid4().hex[:8]}"
    names = (f"{prefix}_a", f"{prefix}_b")
    server = urlsplit(suite)._replace(path="/postgres").geturl()
    with psycopg.connect(server, autocommit=True) as admin:
        for name in names:
            admin.execute(f'CREATE DATABASE "{name}"')
    yield tuple(urlsplit(suite)._replace(path=f"/{name}").geturl() for name in names)  # type: ignore[misc]
    with psycopg.connect(server, autocommit=True) as admin:
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def destroy(bureau: Bureau) -> None:
    """The data directory removed, and the database emptied."""
    shutil.rmtree(bureau.data_dir)
    if bureau.database_url:
        with psycopg.connect(bureau.database_url, autocommit=True) as database:
            database.execute("DROP SCHEMA public CASCADE")
            database.execute("CREATE SCHEMA public")
        assert bureau.tables() == {}


def test_it_restores_a_busy_bureau_table_by_table_and_file_by_file(
    tmp_path: Path, process_databases: tuple[str | None, str | None]
) -> None:
    first_database, new_database = process_databases
    bureau = Bureau(tmp_path / "data", first_database)
    attached = json.loads(run_jieban(bureau.env, "shell", "-v0", "-c", SET_UP).splitlines()[-1])
    assert len(attached) == 4
    before = bureau.tables()

    # Backed up while a writer registers tickets with attachments.
    writer = Writer(bureau.env, tmp_path / "stop")
    written_before = writer.wait_for(3)
    output = run_jieban(bureau.env, "backup", "--to", str(tmp_path / "backups"))
    writer.wait_for(len(writer.ids) + 3)  # and writes on after it
    written = writer.finish()
    after = bureau.tables()
    stored = bureau.stored_files()

    path_line, summary = output.splitlines()[:2]
    archive = Path(path_line)
    assert re.fullmatch(r"jieban-backup-\d{8}-\d{6}\.tar\.gz", archive.name)
    assert archive.parent == tmp_path / "backups"
    assert archive.stat().st_mode & 0o777 == 0o600
    assert archive.parent.stat().st_mode & 0o777 == 0o700
    assert [path.name for path in archive.parent.iterdir() if path.name.startswith(".")] == [
        ".jieban-backups.lock"
    ]
    manifest = read_manifest(archive)
    assert manifest["vendor"] == ("postgresql" if ON_POSTGRES else "sqlite")
    assert manifest["missing_attachments"] == []
    assert re.fullmatch(
        rf"{len(manifest['tables'])} tables, {sum(manifest['tables'].values()):,} rows, "
        rf"{len(manifest['attachments']):,} attachments \(.* [KM]B\); .* MB",
        summary,
    )
    archived = archived_tables(archive, tmp_path / "unpacked")
    assert {name: len(rows) for name, rows in archived.items() if name in manifest["tables"]} == (
        manifest["tables"]
    )
    # The archive caught the writer at work: between two of its tickets, none half-written.
    caught = sum(WRITER_PREFIX in row for row in archived["tickets_ticket"])
    assert written_before < caught < len(written)
    archived_files = {item["name"]: item["sha256"] for item in manifest["attachments"]}
    assert archived_files.items() <= stored.items()
    assert attached.items() <= archived_files.items()

    # Destroyed, and restored on a new machine: an empty data directory (and database).
    destroy(bureau)
    bureau = Bureau(tmp_path / "new", new_database)
    restored_output = run_jieban(bureau.env, "restore", str(archive))
    assert restored_output.startswith(f"Restored {archive}: taken ")
    assert f"{len(manifest['attachments']):,} attachments" in restored_output
    assert "jieban migrate" not in restored_output

    restored = bureau.tables()
    assert restored == archived
    if ON_POSTGRES:
        # pg_restore leaves the statistics and the visibility map to be made: the restore
        # makes them, or every count and plan would be read blind until autovacuum came by.
        assert bureau.query(
            "SELECT last_vacuum IS NOT NULL AND last_analyze IS NOT NULL"
            " FROM pg_stat_user_tables WHERE relname = 'tickets_ticket'"
        ) == [(True,)]
    # The tables the writer did not touch are as the bureau left them.
    untouched = [name for name in before if before[name] == after[name]]
    assert len(untouched) > 40
    assert {name: restored[name] for name in untouched} == {name: after[name] for name in untouched}
    assert bureau.stored_files() == archived_files
    # The writer's first tickets, each with its intake event and its attachment, and no more.
    numbers = bureau.query(
        f"SELECT external_id FROM tickets_ticket WHERE external_id LIKE '{WRITER_PREFIX}%'"
        " ORDER BY external_id"
    )
    assert [external_id for (external_id,) in numbers] == written[:caught]
    events = bureau.query(
        "SELECT count(*) FROM tickets_ticketevent e JOIN tickets_ticket t ON t.id = e.ticket_id"
        f" WHERE t.external_id LIKE '{WRITER_PREFIX}%' AND e.kind = 'intake'"
    )
    assert events == [(caught,)]
    files = bureau.query("SELECT file FROM tickets_attachment")
    assert {name for (name,) in files} <= archived_files.keys()
    assert len(files) == 4 + caught

    # The restored bureau works on (its numbering, its sequences); restored over with
    # --force, it is the archive's again (a restore without is refused: below).
    run_jieban(bureau.env, "shell", "-v0", "-c", CHANGE)
    changed = bureau.tables()
    assert len(changed["tickets_ticket"]) == len(restored["tickets_ticket"]) + 1
    run_jieban(bureau.env, "restore", str(archive), "--force")
    assert bureau.tables() == archived


# --- in this process, on the test database ---------------------------------------------------


@pytest.fixture
def bureau_backup(transactional_db: Any, cast: Cast, tmp_path: Path) -> Backup:
    """The cast and a ticket with two attachments, backed up into tmp_path/backups."""
    # A transactional test before this one flushed the categories the migrations made.
    create_default_categories(Category)
    new_ticket(
        cast.dispatcher,
        attachments=[
            SimpleUploadedFile("照片.jpg", b"\xff\xd8\xff" + bytes(range(256)) * 8),
            SimpleUploadedFile("note.txt", "噪音".encode()),
        ],
    )
    return take_backup(tmp_path / "backups", now=local(2026, 7, 14, 10))


def attachment_contents() -> dict[str, bytes]:
    return {item.file.name: item.file.read() for item in Attachment.objects.all()}


def test_it_writes_one_archive_with_its_manifest(bureau_backup: Backup) -> None:
    path = bureau_backup.path
    assert path.name == "jieban-backup-20260714-100000.tar.gz"
    with tarfile.open(path) as archive:
        names = archive.getnames()
        members = {name: archive.extractfile(name).read() for name in names}  # type: ignore[union-attr]
    vendor = connection.vendor
    stored = attachment_contents()
    assert names == [
        DATABASE_MEMBERS[vendor],
        *sorted(f"attachments/{name}" for name in stored),
        MANIFEST,
    ]
    manifest = json.loads(members[MANIFEST])
    applied = MigrationRecorder(connection).migration_qs.order_by("id")
    assert manifest["created_at"] == "2026-07-14T10:00:00+08:00"
    assert manifest["jieban_version"] == "0.1.0"
    assert manifest["django_version"].startswith("5.2")
    assert manifest["vendor"] == vendor
    assert manifest["migrations"] == {record.app: record.name for record in applied}
    assert manifest["tables"] == row_counts()
    assert manifest["tables"]["tickets_ticket"] == 1
    assert manifest["database"] == {
        "name": DATABASE_MEMBERS[vendor],
        "size": len(members[DATABASE_MEMBERS[vendor]]),
        "sha256": sha256(members[DATABASE_MEMBERS[vendor]]),
    }
    assert manifest["attachments"] == [
        {"name": name, "size": len(content), "sha256": sha256(content)}
        for name, content in sorted(stored.items())
    ]
    assert manifest["missing_attachments"] == []
    assert manifest["storage"] == "django.core.files.storage.filesystem.FileSystemStorage"

    # The command says where it wrote it, and what it holds.
    out = io.StringIO()
    call_command("backup", "--to", str(path.parent / "elsewhere"), stdout=out)
    written, summary = out.getvalue().splitlines()
    assert Path(written).parent == path.parent / "elsewhere"
    assert Path(written).is_file()
    rows = sum(manifest["tables"].values())
    assert summary.startswith(f"{len(manifest['tables'])} tables, {rows:,} rows, 2 attachments (")

    # A worker asked to stop keeps no half-written backup.
    with pytest.raises(BackupStopped):
        take_backup(path.parent, now=local(2026, 7, 14, 11), should_stop=lambda: True)
    assert sorted(item.name for item in path.parent.iterdir()) == [
        ".jieban-backups.lock",
        "elsewhere",
        path.name,
    ]


def repack(
    source: Path,
    target: Path,
    *,
    change: Callable[[str, bytes], bytes | None] = lambda name, content: content,
    rename: dict[str, str] | None = None,
) -> Path:
    """A copy of the archive `source`, each member changed by `change` (None: left out) and
    renamed by `rename`."""
    with tarfile.open(source) as original, tarfile.open(target, "w:gz") as copy:
        for member in original.getmembers():
            extracted = original.extractfile(member)
            assert extracted is not None
            content = change(member.name, extracted.read())
            if content is not None:
                info = tarfile.TarInfo((rename or {}).get(member.name, member.name))
                info.size = len(content)
                copy.addfile(info, io.BytesIO(content))
    return target


def edited_manifest(edit: Callable[[dict[str, Any]], None]) -> Callable[[str, bytes], bytes]:
    def change(name: str, content: bytes) -> bytes:
        if name != MANIFEST:
            return content
        manifest = json.loads(content)
        edit(manifest)
        return json.dumps(manifest).encode()

    return change


def test_it_refuses_a_damaged_or_foreign_archive_and_changes_nothing(
    bureau_backup: Backup, tmp_path: Path
) -> None:
    good = bureau_backup.path
    content = good.read_bytes()
    tickets = list(Ticket.objects.values_list("number", flat=True))
    files = attachment_contents()
    flipped = bytearray(content)
    flipped[len(content) // 2] ^= 0xFF
    (tmp_path / "flipped.tar.gz").write_bytes(bytes(flipped))
    (tmp_path / "cut.tar.gz").write_bytes(content[: len(content) // 2])
    (tmp_path / "notes.txt").write_text("not a backup")
    first_attachment = f"attachments/{sorted(files)[0]}"
    ours = connection.vendor
    other = "sqlite" if ours == "postgresql" else "postgresql"
    names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}

    def of_the_other_vendor(manifest: dict[str, Any]) -> None:
        manifest["vendor"] = other
        manifest["database"]["name"] = DATABASE_MEMBERS[other]

    cases = {
        tmp_path / "missing.tar.gz": "missing.tar.gz: no such file",
        tmp_path: "is a directory, not a backup",
        tmp_path / "notes.txt": r"is not a Jieban backup \(not a .tar.gz archive\)",
        tmp_path / "cut.tar.gz": "is damaged",
        tmp_path / "flipped.tar.gz": "is damaged",
        repack(
            good,
            tmp_path / "changed.tar.gz",
            change=lambda name, member: member + b"!" if name == first_attachment else member,
        ): f"is damaged: {first_attachment} does not match its SHA-256 in the manifest",
        repack(
            good,
            tmp_path / "short.tar.gz",
            change=lambda name, member: None if name == first_attachment else member,
        ): f"is damaged: {first_attachment} is missing",
        repack(
            good,
            tmp_path / "no-manifest.tar.gz",
            change=lambda name, member: None if name == MANIFEST else member,
        ): "is not a Jieban backup, or is cut short: no manifest.json",
        repack(
            good,
            tmp_path / "future.tar.gz",
            change=edited_manifest(
                lambda manifest: manifest["migrations"].update(tickets="9999_from_the_future")
            ),
        ): "migrations this version does not know \\(tickets 9999_from_the_future\\)",
        repack(
            good,
            tmp_path / "format.tar.gz",
            change=edited_manifest(lambda manifest: manifest.update(format=2)),
        ): "its manifest has format 2",
        # The database under the other vendor's name, its checksum still right.
        repack(
            good,
            tmp_path / "foreign.tar.gz",
            change=edited_manifest(of_the_other_vendor),
            rename={DATABASE_MEMBERS[ours]: DATABASE_MEMBERS[other]},
        ): f"This backup is of a {names[other]} database, and this Jieban's database is "
        f"{names[ours]}: restore it into a Jieban on {names[other]}",
        # A good backup, over a database that holds data, unless told to.
        good: "This Jieban is not empty: .* tables of the database hold rows .*--force",
    }
    for path, message in cases.items():
        force = () if path == good else ("--force",)
        with pytest.raises(CommandError, match=message):
            call_command("restore", str(path), *force)
    assert list(Ticket.objects.values_list("number", flat=True)) == tickets
    assert attachment_contents() == files
    assert not list(django_settings.DATA_DIR.glob(".jieban-restore-*"))


@pytest.mark.postgres_only
def test_it_refuses_to_restore_over_tables_the_backup_has_not(
    bureau_backup: Backup,
) -> None:
    # pg_restore --clean drops the tables it restores, and would leave this one with the
    # restored migrations not knowing it (SQLite's database is replaced whole).
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE from_a_newer_version (id integer)")
    try:
        with pytest.raises(
            CommandError,
            match=r"The database has tables this backup has not \(from_a_newer_version\)",
        ):
            call_command("restore", str(bureau_backup.path), "--force")
        assert Ticket.objects.count() == 1
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE from_a_newer_version")


def test_it_says_what_is_wrong_with_the_directory(tmp_path: Path) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    with pytest.raises(CommandError, match=f"{a_file} is not a directory"):
        call_command("backup", "--to", str(a_file))
    with pytest.raises(CommandError, match=f"{a_file / 'below'} cannot be made: Not a directory"):
        call_command("backup", "--to", str(a_file / "below"))


@pytest.fixture
def daily(settings: Any, tmp_path: Path) -> Iterator[Callable[[], Any]]:
    """The worker's backup job, on, into tmp_path/backups, keeping 2."""
    settings.JIEBAN_BACKUP_DAILY = True
    settings.JIEBAN_BACKUP_DIR = tmp_path / "backups"
    settings.JIEBAN_BACKUP_KEEP = 2
    settings.JIEBAN_BACKUP_HOUR = 2
    (job,) = [job for job in registered_jobs() if job.name == "backup"]
    jobs._Failures.last = None
    yield lambda: job.run(timezone.now(), lambda: False)
    jobs._Failures.last = None


def backups(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.glob("jieban-backup-*"))


def test_the_worker_takes_a_backup_a_day_and_keeps_the_newest(
    transactional_db: Any, daily: Callable[[], Any], tmp_path: Path, settings: Any
) -> None:
    directory = tmp_path / "backups"
    directory.mkdir()
    (directory / "notes.txt").write_text("the operator's own")
    (directory / ".jieban-backup-crashed").mkdir()  # what a crash left

    def at(*moment: int) -> Any:
        with time_machine.travel(local(*moment), tick=False):
            return daily()

    first = at(2026, 7, 14, 1, 0)  # none yet: taken at once
    assert first.counts["backup"] == directory / "jieban-backup-20260714-010000.tar.gz"
    assert first.notable
    assert not (directory / ".jieban-backup-crashed").exists()
    assert at(2026, 7, 14, 1, 30).counts["backup"] is None
    assert at(2026, 7, 14, 2, 0).counts["backup"] is not None  # the day's, at 02:00
    assert at(2026, 7, 14, 23, 59).counts["backup"] is None
    assert at(2026, 7, 15, 1, 59).counts["backup"] is None
    assert backups(directory) == [
        "jieban-backup-20260714-010000.tar.gz",
        "jieban-backup-20260714-020000.tar.gz",
    ]
    outcome = at(2026, 7, 15, 2, 1)
    assert outcome.counts["backups_removed"] == ["jieban-backup-20260714-010000.tar.gz"]
    assert "backup taken: " in outcome.lines[0].text
    # Down for days: the first sweep after takes one, unless another worker sharing the
    # directory is taking it.
    with (directory / ".jieban-backups.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        assert at(2026, 7, 18, 14, 0).counts["backup"] is None
    at(2026, 7, 18, 14, 1)
    assert backups(directory) == [
        "jieban-backup-20260715-020100.tar.gz",
        "jieban-backup-20260718-140100.tar.gz",
    ]
    assert (directory / "notes.txt").exists()
    settings.JIEBAN_BACKUP_DAILY = False
    assert at(2026, 7, 19, 3, 0).counts == {}
    assert len(backups(directory)) == 2


def test_a_failed_daily_backup_is_tried_again_an_hour_later(
    daily: Callable[[], Any], tmp_path: Path, settings: Any
) -> None:
    settings.JIEBAN_BACKUP_DIR = tmp_path / "a-file"
    settings.JIEBAN_BACKUP_DIR.write_text("")

    def at(*moment: int) -> Any:
        with time_machine.travel(local(*moment), tick=False):
            return daily()

    failed = at(2026, 7, 14, 2, 0)
    assert failed.lines[0].text == f"backup failed: {tmp_path / 'a-file'} is not a directory."
    assert failed.lines[0].headline
    assert at(2026, 7, 14, 2, 59).lines == []
    assert at(2026, 7, 14, 3, 0).lines[0].text.startswith("backup failed: ")
