"""Taking a backup: the database and the attachments in one archive, while Jieban runs
(README, "Backups"; the archive's layout in `jieban.ops.archives`).

The database is copied first, consistent in itself (`jieban.ops.databases`); the attachments
are read after, through Django's storage API, whatever the storage is. An attachment's file
is stored before the row that names it is committed, so every file the copy's rows name was
already in the storage when the copy was taken; a file stored later is in the archive without
its row, which does no harm. The manifest records any file a row names that was not found.

The archive is written inside a private temporary directory and renamed into place when
complete: a half-written backup never looks like one. Everything is 0600 in a 0700 directory.
Writers of one directory take turns on a lock file there, so the daily backup of two workers
sharing it is taken once, and anything temporary left there by a crash is removed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import importlib.metadata
import io
import os
import posixpath
import re
import shutil
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import django
from django.core.files.storage import Storage, storages
from django.utils import timezone

from jieban.files import FILE_MODE, open_private, private_directory
from jieban.ops.archives import (
    ATTACHMENTS,
    DATABASE_MEMBERS,
    MANIFEST,
    BackupError,
    BackupStopped,
    Manifest,
    StoredFile,
    copy_hashing,
)
from jieban.ops.databases import copy_database

ARCHIVE_NAME = re.compile(r"^jieban-backup-(\d{8}-\d{6})\.tar\.gz$")
ARCHIVE_TIME = "%Y%m%d-%H%M%S"
# What a backup in progress keeps in the directory: gone when it ends, and removed by the next
# one when a crash left it.
TEMPORARY_PREFIX = ".jieban-backup-"
LOCK_NAME = ".jieban-backups.lock"
# An attachment is read into memory up to this size, into a temporary file beyond.
SPOOL_BYTES = 8 * 1024 * 1024
COMPRESS_LEVEL = 6


@dataclass(frozen=True)
class Backup:
    path: Path
    manifest: Manifest

    def summary(self) -> str:
        size = self.path.stat().st_size
        return f"{self.manifest.summary()}; {size / 1024 / 1024:.1f} MB"


@dataclass(frozen=True)
class DailyBackup:
    """What the worker's daily backup did: the backup taken (none when not due, or when
    another worker was taking it) and the old backups removed."""

    backup: Backup | None = None
    removed: list[str] = field(default_factory=list)


def _never() -> bool:
    return False


def take_backup(
    directory: Path, *, now: dt.datetime, should_stop: Callable[[], bool] = _never
) -> Backup:
    """A backup of the database and the attachments as they are at `now`, in `directory`
    (created 0700 if missing). BackupStopped, and nothing kept, if `should_stop` turns true."""
    directory = backup_directory(directory)
    with _directory_lock(directory, wait=True):
        return _write_backup(directory, now=now, should_stop=should_stop)


def take_daily_backup(
    directory: Path,
    *,
    now: dt.datetime,
    hour: int,
    keep: int,
    should_stop: Callable[[], bool] = _never,
) -> DailyBackup:
    """The worker's backup: taken when the newest in `directory` is older than the latest
    `hour` o'clock (local time) that has passed; then only the newest `keep` are kept."""
    if not backup_due(directory, now=now, hour=hour):
        return DailyBackup()
    directory = backup_directory(directory)
    with _directory_lock(directory, wait=False) as locked:
        # Another worker may have taken it while this one looked.
        if not locked or not backup_due(directory, now=now, hour=hour):
            return DailyBackup()
        backup = _write_backup(directory, now=now, should_stop=should_stop)
        return DailyBackup(backup, _prune(directory, keep))


def backup_due(directory: Path, *, now: dt.datetime, hour: int) -> bool:
    """Whether no backup in `directory` was taken since the latest `hour` o'clock."""
    times = backup_times(directory)
    if not times:
        return True
    local = timezone.localtime(now)
    mark = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if local < mark:
        mark -= dt.timedelta(days=1)
    return max(times.values()) < mark


def backup_times(directory: Path) -> dict[Path, dt.datetime]:
    """The backups in `directory` and the moments their names say they were taken."""
    try:
        entries = list(directory.iterdir())
    except (FileNotFoundError, NotADirectoryError):
        return {}
    except OSError as exc:
        raise BackupError(f"{directory}: {exc.strerror}") from exc
    times = {}
    for path in entries:
        match = ARCHIVE_NAME.match(path.name)
        if match:
            moment = dt.datetime.strptime(match.group(1), ARCHIVE_TIME)
            times[path] = timezone.make_aware(moment)
    return times


def backup_directory(directory: Path) -> Path:
    """`directory`, created 0700 if missing, or BackupError saying why it cannot be used."""
    try:
        directory = private_directory(directory.resolve())
    except FileExistsError as exc:
        raise BackupError(f"{directory} is not a directory.") from exc
    except OSError as exc:
        raise BackupError(f"{directory} cannot be made: {exc.strerror}.") from exc
    if not os.access(directory, os.W_OK | os.X_OK):
        raise BackupError(f"{directory} is not writable.")
    return directory


def stored_files(storage: Storage, directory: str = "") -> Iterator[str]:
    """Every file in `storage`, by its name there, walked with `listdir`."""
    try:
        directories, files = storage.listdir(directory)
    except FileNotFoundError:
        return  # a file system storage where nothing was ever stored
    for name in sorted(files):
        yield posixpath.join(directory, name) if directory else name
    for name in sorted(directories):
        yield from stored_files(storage, posixpath.join(directory, name) if directory else name)


def attachment_storage() -> Storage:
    return storages["default"]


def jieban_version() -> str:
    try:
        return importlib.metadata.version("jieban")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


@contextlib.contextmanager
def _directory_lock(directory: Path, *, wait: bool) -> Iterator[bool]:
    with open_private(directory / LOCK_NAME) as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remove_leftovers(directory: Path) -> None:
    """What a crashed backup left; called under the lock, when no backup is in progress."""
    for path in directory.iterdir():
        if path.name.startswith(TEMPORARY_PREFIX):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)


def _write_backup(directory: Path, *, now: dt.datetime, should_stop: Callable[[], bool]) -> Backup:
    try:
        _remove_leftovers(directory)
        final = directory / f"jieban-backup-{timezone.localtime(now):{ARCHIVE_TIME}}.tar.gz"
        if final.exists():
            raise BackupError(f"{final} exists already: a backup was taken this very second.")
        staging = Path(tempfile.mkdtemp(prefix=TEMPORARY_PREFIX, dir=directory))
        try:
            manifest = _write_archive(staging, final.name, now=now, should_stop=should_stop)
            (staging / "archive").rename(final)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        _sync_directory(directory)
    except OSError as exc:
        raise BackupError(f"The backup could not be written in {directory}: {exc}") from exc
    return Backup(final, manifest)


def _write_archive(
    staging: Path, name: str, *, now: dt.datetime, should_stop: Callable[[], bool]
) -> Manifest:
    database_file = staging / "database"
    copy = copy_database(database_file)
    if not copy.migrations:
        raise BackupError(
            "The database holds no Jieban data (no migrations applied): nothing to back up."
        )
    mtime = int(now.timestamp())
    descriptor = os.open(staging / "archive", os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(descriptor, "wb") as raw:
        with tarfile.open(
            name=name, mode="w:gz", fileobj=raw, compresslevel=COMPRESS_LEVEL
        ) as archive:
            database = _add_file(archive, DATABASE_MEMBERS[copy.vendor], database_file, mtime)
            database_file.unlink()
            storage = attachment_storage()
            attachments = []
            for stored in stored_files(storage):
                if should_stop():
                    raise BackupStopped("The backup was stopped: the worker is stopping.")
                try:
                    source = storage.open(stored, "rb")
                except FileNotFoundError:
                    continue  # deleted since it was listed: no row of the copy names it
                with source:
                    size, sha256 = _add_copy(archive, ATTACHMENTS + stored, source, staging, mtime)
                attachments.append(StoredFile(stored, size, sha256))
            stored_names = {item.name for item in attachments}
            manifest = Manifest(
                created_at=timezone.localtime(now),
                jieban_version=jieban_version(),
                django_version=django.get_version(),
                vendor=copy.vendor,
                server_version=copy.server_version,
                dump_tool=copy.dump_tool,
                database=database,
                migrations=copy.migrations,
                tables=copy.tables,
                storage=f"{type(storage).__module__}.{type(storage).__qualname__}",
                attachments=attachments,
                missing_attachments=sorted(copy.referenced_files - stored_names),
            )
            content = manifest.to_json()
            _add_member(archive, MANIFEST, io.BytesIO(content), len(content), mtime)
        raw.flush()
        os.fsync(raw.fileno())
    return manifest


class _HashingReader:
    """A file read through, its bytes counted into a SHA-256 on the way."""

    def __init__(self, source: IO[bytes]) -> None:
        self.source = source
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        chunk = self.source.read(size)
        self.digest.update(chunk)
        return chunk


def _add_file(archive: tarfile.TarFile, member: str, path: Path, mtime: int) -> StoredFile:
    """Add the file at `path`, which nothing else writes, as `member`."""
    size = path.stat().st_size
    with path.open("rb") as source:
        reader = _HashingReader(source)
        _add_member(archive, member, reader, size, mtime)  # type: ignore[arg-type]
    return StoredFile(member, size, reader.digest.hexdigest())


def _add_copy(
    archive: tarfile.TarFile, member: str, source: IO[bytes], staging: Path, mtime: int
) -> tuple[int, str]:
    """Add `source` as `member`: copied aside first, so that its size and checksum are those
    of exactly the bytes archived, even were it still growing. Its size and SHA-256."""
    with tempfile.SpooledTemporaryFile(SPOOL_BYTES, dir=str(staging)) as spool:
        size, sha256 = copy_hashing(source, spool)
        spool.seek(0)
        _add_member(archive, member, spool, size, mtime)
    return size, sha256


def _add_member(
    archive: tarfile.TarFile, member: str, content: IO[bytes], size: int, mtime: int
) -> None:
    info = tarfile.TarInfo(member)
    info.size = size
    info.mtime = mtime
    info.mode = FILE_MODE
    archive.addfile(info, content)


def _sync_directory(directory: Path) -> None:
    # The rename itself survives a power cut once the directory is on disk.
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _prune(directory: Path, keep: int) -> list[str]:
    """Remove all but the newest `keep` backups; the names removed, oldest first."""
    times = backup_times(directory)
    old = sorted(times, key=lambda path: (times[path], path.name))[:-keep]
    for path in old:
        path.unlink(missing_ok=True)
    return [path.name for path in old]
