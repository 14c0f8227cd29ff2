"""What a backup archive holds, and its manifest (README, "Backups").

A backup is one gzip-compressed tar file, `jieban-backup-YYYYMMDD-HHMMSS.tar.gz` (local time):

    database/jieban.sqlite3   SQLite: a copy made by SQLite's online backup
    database/jieban.pgdump    PostgreSQL: `pg_dump --format=custom`
    attachments/<name>        every file of the attachments' storage, under its stored name
    manifest.json             written last: versions, row counts, SHA-256 of every other member

The manifest is what a restore checks before it touches anything: every member's size and
SHA-256, the database's vendor, the migrations this code must know.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import posixpath
from dataclasses import asdict, dataclass, field
from typing import IO, Any

# The manifest's own layout; a restore refuses one it does not know.
FORMAT = 1
MANIFEST = "manifest.json"
DATABASE_MEMBERS = {"sqlite": "database/jieban.sqlite3", "postgresql": "database/jieban.pgdump"}
ATTACHMENTS = "attachments/"
VENDOR_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or a restore that cannot be done; the message says why and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BackupStopped(BackupError):
    """The worker was asked to stop while it took a backup: nothing was kept."""


@dataclass(frozen=True)
class StoredFile:
    """One member of the archive: its name there (an attachment: its name in the storage),
    its size and its SHA-256."""

    name: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    created_at: dt.datetime
    jieban_version: str
    django_version: str
    vendor: str
    server_version: str
    # The program that made the copy: pg_dump's version must not be newer than pg_restore's.
    dump_tool: str
    database: StoredFile
    # The latest applied migration of each app, and the rows of every table, in the copy.
    migrations: dict[str, str]
    tables: dict[str, int]
    storage: str
    attachments: list[StoredFile]
    # Files the copy's rows name that were not in the storage when it was read.
    missing_attachments: list[str] = field(default_factory=list)
    format: int = FORMAT

    @property
    def rows(self) -> int:
        return sum(self.tables.values())

    def summary(self) -> str:
        """One line: tables, rows, attachments and their bytes."""
        size = sum(item.size for item in self.attachments)
        return (
            f"{len(self.tables)} tables, {self.rows:,} rows, {len(self.attachments):,} "
            f"attachments ({human_size(size)})"
        )

    def to_json(self) -> bytes:
        data = asdict(self)
        data["created_at"] = self.created_at.isoformat()
        return json.dumps(data, ensure_ascii=False, indent=1).encode()

    @classmethod
    def from_json(cls, content: bytes) -> Manifest:
        """The manifest in `content`, or BackupError saying what is wrong with it."""
        try:
            data = json.loads(content)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BackupError(f"its manifest is not JSON ({exc})") from exc
        if not isinstance(data, dict):
            raise BackupError("its manifest is not a JSON object")
        if data.get("format") != FORMAT:
            raise BackupError(
                f"its manifest has format {data.get('format')!r}, and this Jieban reads "
                f"format {FORMAT}: restore it with the Jieban version that made it "
                f"({data.get('jieban_version', 'unknown')}) or a newer one"
            )
        try:
            manifest = cls(
                created_at=dt.datetime.fromisoformat(_typed(data, "created_at", str)),
                jieban_version=_typed(data, "jieban_version", str),
                django_version=_typed(data, "django_version", str),
                vendor=_typed(data, "vendor", str),
                server_version=_typed(data, "server_version", str),
                dump_tool=_typed(data, "dump_tool", str),
                database=_stored_file(_typed(data, "database", dict)),
                migrations=_mapping(data, "migrations", str),
                tables=_mapping(data, "tables", int),
                storage=_typed(data, "storage", str),
                attachments=[_stored_file(item) for item in _typed(data, "attachments", list)],
                missing_attachments=[
                    str(name) for name in _typed(data, "missing_attachments", list)
                ],
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise BackupError(f"its manifest is not valid ({exc})") from exc
        if manifest.database.name != DATABASE_MEMBERS.get(manifest.vendor):
            raise BackupError(f"its manifest names an unknown database ({manifest.vendor})")
        for item in manifest.attachments:
            if not is_safe_name(item.name):
                raise BackupError(f"its manifest names an attachment {item.name!r}")
        return manifest


def _typed(data: dict[str, Any], key: str, kind: type) -> Any:
    value = data[key]
    # bool is an int in Python, never a count here.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise TypeError(f"{key} must be {kind.__name__}")
    return value


def _mapping(data: dict[str, Any], key: str, kind: type) -> dict[str, Any]:
    mapping = _typed(data, key, dict)
    return {str(name): _typed(mapping, name, kind) for name in mapping}


def _stored_file(data: Any) -> StoredFile:
    if not isinstance(data, dict):
        raise TypeError("a file must be an object")
    size = _typed(data, "size", int)
    sha256 = _typed(data, "sha256", str)
    if size < 0 or len(sha256) != 64:
        raise ValueError(f"{data.get('name')!r}: a size and a SHA-256 are expected")
    return StoredFile(name=_typed(data, "name", str), size=size, sha256=sha256)


def is_safe_name(name: str) -> bool:
    """A relative storage name going nowhere above its root (Django's storages' own rule):
    what a restore will store."""
    return (
        bool(name)
        and not name.startswith("/")
        and "\x00" not in name
        and posixpath.normpath(name) == name
        and ".." not in name.split("/")
    )


def copy_hashing(source: IO[bytes], target: IO[bytes]) -> tuple[int, str]:
    """Copy `source` to `target`; the bytes copied and their SHA-256."""
    digest = hashlib.sha256()
    size = 0
    while chunk := source.read(CHUNK):
        digest.update(chunk)
        target.write(chunk)
        size += len(chunk)
    return size, digest.hexdigest()


def human_size(size: int) -> str:
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1024 / 1024:.1f} MB"
