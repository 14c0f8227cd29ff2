"""Restoring a backup (README, "Backups"): into an empty database and attachments' storage,
or, told to (`force`), over what they hold.

Nothing is touched before the whole archive has been read into a private temporary directory
and every member checked against the manifest: a damaged, cut-short or foreign file is
refused and nothing changes. Then the attachments are put back through Django's storage API,
then the database is replaced in one transaction (`jieban.ops.databases`): a failure there
leaves the database as it was, and at worst files no row names. Last, every table's rows and
every attachment are counted against the manifest.
"""

from __future__ import annotations

import gzip
import shutil
import tarfile
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader

from jieban.files import open_private
from jieban.ops.archives import (
    ATTACHMENTS,
    CHUNK,
    DATABASE_MEMBERS,
    MANIFEST,
    VENDOR_NAMES,
    BackupError,
    Manifest,
    StoredFile,
    copy_hashing,
)
from jieban.ops.backup import attachment_storage, stored_files
from jieban.ops.databases import (
    check_copy,
    refresh_statistics,
    restore_database,
    row_counts,
    table_names,
    tables_holding_rows,
    vendor,
)

# A manifest larger than this is no manifest of Jieban's (a million attachments take ~150 MB).
MANIFEST_MAX_BYTES = 1024 * 1024 * 1024


@dataclass(frozen=True)
class Restored:
    manifest: Manifest
    # Files the storage held that the backup has not (left in place, with `force`).
    left_in_place: int
    # The backup is from an earlier version: `jieban migrate` brings it up to this one.
    needs_migrate: bool


@dataclass(frozen=True)
class _Unpacked:
    manifest: Manifest
    files: dict[str, Path]  # member name → its staged copy, checked


def restore_backup(path: Path, *, force: bool = False) -> Restored:
    """Restore the backup at `path`; BackupError, with nothing changed, when it is damaged,
    does not fit this Jieban, or the target holds data and `force` is not given."""
    _check_readable(path)
    staging = Path(tempfile.mkdtemp(prefix=".jieban-restore-", dir=settings.DATA_DIR))
    try:
        unpacked = _unpack(path, staging)
        manifest = unpacked.manifest
        _check_fits(manifest)
        database = unpacked.files[manifest.database.name]
        check_copy(database, manifest.vendor)
        _check_target(manifest, force=force)
        left = _put_back_attachments(manifest, unpacked.files)
        try:
            restore_database(database)
        except BackupError as exc:
            raise BackupError(
                f"{exc.message} The database is as it was; the attachments were put back. "
                f"Once the cause is mended, restore again with --force."
            ) from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    _verify(manifest)
    refresh_statistics()
    return Restored(manifest, left_in_place=left, needs_migrate=_needs_migrate())


def _check_readable(path: Path) -> None:
    if not path.exists():
        raise BackupError(f"{path}: no such file.")
    if path.is_dir():
        raise BackupError(f"{path} is a directory, not a backup.")
    try:
        with path.open("rb") as handle:
            magic = handle.read(2)
    except OSError as exc:
        raise BackupError(f"{path} cannot be read: {exc.strerror}.") from exc
    if magic != b"\x1f\x8b":
        raise BackupError(f"{path} is not a Jieban backup (not a .tar.gz archive).")


def _unpack(path: Path, staging: Path) -> _Unpacked:
    """Every member copied into `staging` and checked against the manifest."""
    content: bytes | None = None
    staged: dict[str, tuple[Path, int, str]] = {}
    try:
        with path.open("rb") as raw, gzip.GzipFile(fileobj=raw) as compressed:
            with tarfile.open(fileobj=compressed, mode="r|") as archive:
                for member in archive:
                    content = _stage(path, archive, member, staging, staged, content)
            # To the very end: gzip checks its CRC and length there, and a member's header
            # damaged midway would otherwise look like the end of the archive.
            while compressed.read(CHUNK):
                pass
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise BackupError(
            f"{path} is damaged: {exc} (a copy cut short, or changed since it was made)."
        ) from exc
    except OSError as exc:
        raise BackupError(f"{path} could not be read: {exc}.") from exc
    if content is None:
        raise BackupError(f"{path} is not a Jieban backup, or is cut short: no {MANIFEST}.")
    try:
        manifest = Manifest.from_json(content)
    except BackupError as exc:
        raise BackupError(f"{path} is not a Jieban backup: {exc.message}.") from exc
    expected: dict[str, StoredFile] = {manifest.database.name: manifest.database}
    expected.update({ATTACHMENTS + item.name: item for item in manifest.attachments})
    missing = sorted(expected.keys() - staged.keys())
    if missing:
        raise BackupError(f"{path} is damaged: {missing[0]} is missing.")
    unlisted = sorted(staged.keys() - expected.keys())
    if unlisted:
        raise BackupError(f"{path} is damaged: {unlisted[0]} is not in its manifest.")
    for name, item in expected.items():
        _, size, sha256 = staged[name]
        if (size, sha256) != (item.size, item.sha256):
            raise BackupError(
                f"{path} is damaged: {name} does not match its SHA-256 in the manifest."
            )
    return _Unpacked(manifest, {name: staged[name][0] for name in expected})


def _stage(
    path: Path,
    archive: tarfile.TarFile,
    member: tarfile.TarInfo,
    staging: Path,
    staged: dict[str, tuple[Path, int, str]],
    content: bytes | None,
) -> bytes | None:
    """Copy `member` into `staging` (its name, size and SHA-256 into `staged`); the
    manifest's content if it is the manifest, else `content` as it was."""
    name = member.name
    again = name in staged or (name == MANIFEST and content is not None)
    if not member.isfile() or again:
        raise BackupError(f"{path} is not a Jieban backup (it holds {name!r}).")
    source = archive.extractfile(member)
    assert source is not None  # a regular file has content
    if name == MANIFEST:
        if member.size > MANIFEST_MAX_BYTES:
            raise BackupError(f"{path} is not a Jieban backup (its manifest is huge).")
        return source.read()
    if name not in DATABASE_MEMBERS.values() and not name.startswith(ATTACHMENTS):
        raise BackupError(f"{path} is not a Jieban backup (it holds {name!r}).")
    target = staging / f"{len(staged):08d}"
    with open_private(target) as copy:
        size, sha256 = copy_hashing(source, copy)
    staged[name] = (target, size, sha256)
    return content


def _check_fits(manifest: Manifest) -> None:
    """The backup is of this Jieban's database vendor, and of migrations this code knows."""
    ours = vendor()
    if manifest.vendor != ours:
        raise BackupError(
            f"This backup is of a {VENDOR_NAMES[manifest.vendor]} database, and this Jieban's "
            f"database is {VENDOR_NAMES[ours]}: restore it into a Jieban on "
            f"{VENDOR_NAMES[manifest.vendor]}."
        )
    known = MigrationLoader(None, ignore_no_migrations=True).disk_migrations
    unknown = [
        f"{app} {name}" for app, name in manifest.migrations.items() if (app, name) not in known
    ]
    if unknown:
        raise BackupError(
            f"This backup was made by Jieban {manifest.jieban_version} (Django "
            f"{manifest.django_version}), whose database has migrations this version does not "
            f"know ({', '.join(unknown)}): restore it with that version or a newer one."
        )


def _check_target(manifest: Manifest, *, force: bool) -> None:
    holding = tables_holding_rows()
    storage = attachment_storage()
    stored = next(stored_files(storage), None)
    if (holding or stored is not None) and not force:
        held = []
        if holding:
            shown = ", ".join(holding[:3]) + (", …" if len(holding) > 3 else "")
            held.append(f"{len(holding)} tables of the database hold rows ({shown})")
        if stored is not None:
            held.append(f"the attachments' storage holds files ({stored}, …)")
        raise BackupError(
            f"This Jieban is not empty: {'; '.join(held)}. A restore replaces them only with "
            f"--force (stop the server and the worker first)."
        )
    if manifest.vendor == "postgresql":
        # pg_restore --clean drops the tables it restores; another table would stay, with
        # the restored migrations not knowing it.
        extra = sorted(set(table_names()) - manifest.tables.keys())
        if extra:
            raise BackupError(
                f"The database has tables this backup has not ({', '.join(extra[:5])}"
                f"{', …' if len(extra) > 5 else ''}): it was migrated by a newer Jieban. "
                f"Restore into an empty database (createdb) instead."
            )


def _put_back_attachments(manifest: Manifest, files: dict[str, Path]) -> int:
    storage = attachment_storage()
    for item in manifest.attachments:
        # Saved under its own name: a file already there would make the storage pick another.
        if storage.exists(item.name):
            storage.delete(item.name)
        with files[ATTACHMENTS + item.name].open("rb") as content:
            saved = storage.save(item.name, File(content, name=item.name))
        if saved != item.name:
            raise BackupError(f"The storage saved {item.name} as {saved}.")
    names = {item.name for item in manifest.attachments}
    return sum(1 for name in stored_files(storage) if name not in names)


def _verify(manifest: Manifest) -> None:
    counts = row_counts()
    wrong = [
        f"{table}: {counts.get(table, 'missing')} rows, the backup {rows}"
        for table, rows in manifest.tables.items()
        if counts.get(table) != rows
    ]
    wrong += [f"{table}: not in the backup" for table in counts.keys() - manifest.tables.keys()]
    storage = attachment_storage()
    for item in manifest.attachments:
        size = storage.size(item.name) if storage.exists(item.name) else None
        if size != item.size:
            wrong.append(f"attachment {item.name}: {size} bytes, the backup {item.size}")
    if wrong:
        raise BackupError(
            "The restore does not match the backup's manifest: " + "; ".join(wrong[:10])
        )


def _needs_migrate() -> bool:
    executor = MigrationExecutor(connection)
    return bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))
