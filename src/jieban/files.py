"""What Jieban writes to disk is for its own user only: its data directory 0700 and every file
in it 0600, whatever the umask of the shell or service manager that started it.

The data directory holds residents' names, phones and complaints (the SQLite database, its
WAL and shared-memory files, attachments) and the secret key. Each writer asks for these modes
itself (`private_directory`, `private_file`, `open_private`, the attachment storage's
`FILE_UPLOAD_*_PERMISSIONS`), and `keep_files_private` sets the process's umask at the start of
every `jieban` command and of the WSGI application, for anything else a library writes there.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import BinaryIO

DIRECTORY_MODE = 0o700
FILE_MODE = 0o600
# Nothing created by the process is readable, writable or searchable by group or others.
UMASK = 0o077


def keep_files_private() -> None:
    """Make every file and directory this process creates from now on private to its user."""
    os.umask(UMASK)


def private_directory(path: Path) -> Path:
    """`path` (and its missing parents) created, and `path` itself made 0700 if it was not."""
    path.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
    _restrict(path, DIRECTORY_MODE)
    return path


def private_file(path: Path) -> Path:
    """`path` created empty if missing, made 0600 either way, its content left as it is."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    try:
        _restrict_open(descriptor, FILE_MODE)
    finally:
        os.close(descriptor)
    return path


def tighten(path: Path) -> None:
    """`path` made 0600 if it exists (a file an earlier version created more open)."""
    with contextlib.suppress(FileNotFoundError):
        _restrict(path, FILE_MODE)


def open_private(path: Path | str) -> BinaryIO:
    """`path` opened for appending bytes, created 0600 if missing (and made 0600 if not)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
    try:
        _restrict_open(descriptor, FILE_MODE)
    except BaseException:
        os.close(descriptor)
        raise
    return os.fdopen(descriptor, "ab")


def _restrict(path: Path, mode: int) -> None:
    status = path.stat()
    # Only the owner may change a mode; a directory another user prepared is left as it is.
    if status.st_mode & 0o777 != mode and status.st_uid == os.geteuid():
        path.chmod(mode)


def _restrict_open(descriptor: int, mode: int) -> None:
    status = os.fstat(descriptor)
    if status.st_mode & 0o777 != mode and status.st_uid == os.geteuid():
        os.fchmod(descriptor, mode)
