"""What Jieban writes is for its own user only (README "Files"): the data directory 0700, every
file in it 0600 (the database, its WAL and shared memory, the intake lock, the secret key,
attachments and their directories), whatever the umask it was started with."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import process_env

# Its own processes on a SQLite database of their own: the same in both runs.
pytestmark = pytest.mark.sqlite_only

OPEN_UMASK = 0o022

# Run in a fresh process with the umask it was started with (not through the `jieban`
# command, which makes its own umask private): each writer must ask for its modes itself.
# While the database is still open (its WAL and shared memory exist), it prints every path
# under the data directory with its mode.
WRITERS = """
import json, os, sys
import django
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

os.environ["DJANGO_SETTINGS_MODULE"] = "jieban.settings"
django.setup()
call_command("migrate", verbosity=0)

from django.db import connection
from jieban.intake.actions import TicketDraft, add_attachment, register_ticket
from jieban.org.actions import create_person, create_unit

create_unit(code="CC", kind="centre", name="指挥中心")
dispatcher = create_person(username="d", role="dispatcher", unit="CC", password="long-enough-1")
ticket, _created = register_ticket(
    TicketDraft(channel="phone", content="楼上装修噪音", resident_phone="13812341234"),
    by=dispatcher,
)
photo = SimpleUploadedFile("现场.png", b"\\x89PNG\\r\\n\\x1a\\n")
add_attachment(ticket.number, photo, by=dispatcher)
assert connection.vendor == "sqlite"
root = sys.argv[1]
modes = {}
for folder, folders, files in os.walk(root):
    for name in folders + files:
        path = os.path.join(folder, name)
        modes[os.path.relpath(path, root)] = os.stat(path).st_mode
modes["."] = os.stat(root).st_mode
print(json.dumps(modes))
"""


def open_modes(modes: dict[str, int]) -> dict[str, str]:
    """The paths whose mode is not the private one for their type, with their modes."""
    return {
        path: oct(mode & 0o777)
        for path, mode in modes.items()
        if mode & 0o777 != (0o700 if stat.S_ISDIR(mode) else 0o600)
    }


def test_every_writer_makes_its_files_private_whatever_the_umask(tmp_path: Path) -> None:
    data = tmp_path / "data"
    result = subprocess.run(
        [sys.executable, "-c", WRITERS, str(data)],
        env=process_env(str(data)),
        umask=OPEN_UMASK,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    modes = json.loads(result.stdout.strip().splitlines()[-1])
    names = set(modes)
    assert {
        ".",
        "jieban.sqlite3",
        "jieban.sqlite3-wal",
        "jieban.sqlite3-shm",
        "jieban.sqlite3.intake-lock",
        "secret_key",
        "attachments",
    } <= names
    stored = [name for name in names if name.startswith("attachments/") and name.endswith(".png")]
    assert len(stored) == 1, names
    # The attachment sits two directories down (day, ticket), each made for it.
    assert stored[0].count("/") == 3
    assert open_modes(modes) == {}


def test_a_data_directory_left_open_is_closed_at_the_start(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    database = data / "jieban.sqlite3"
    for path in (database, data / "jieban.sqlite3-wal", data / "secret_key"):
        path.write_text("" if path != data / "secret_key" else "an-old-key")
        path.chmod(0o644)
    result = subprocess.run(
        [sys.executable, "-m", "jieban", "check"],
        env=process_env(str(data)),
        umask=OPEN_UMASK,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert data.stat().st_mode & 0o777 == 0o700
    for path in (database, data / "jieban.sqlite3-wal", data / "secret_key"):
        assert path.stat().st_mode & 0o777 == 0o600, path


def test_every_jieban_command_creates_files_private(tmp_path: Path) -> None:
    # The umask the command runs with, whatever the shell's: anything a library writes (a
    # backup next to the database, a file an operator's command saves) is private too.
    result = subprocess.run(
        [sys.executable, "-m", "jieban", "shell", "-c", "import os; print(oct(os.umask(0)))"],
        env=process_env(str(tmp_path / "data")),
        umask=OPEN_UMASK,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "0o77"


def test_the_wsgi_application_creates_files_private(tmp_path: Path) -> None:
    # Loaded by another WSGI server than `jieban serve` (uwsgi, a gunicorn of one's own).
    script = "import os, jieban.wsgi; print(oct(os.umask(0)))"
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=process_env(str(tmp_path / "data")),
        umask=OPEN_UMASK,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "0o77"
    assert os.stat(tmp_path / "data").st_mode & 0o777 == 0o700
