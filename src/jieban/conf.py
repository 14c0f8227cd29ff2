"""Typed helpers that read settings from the environment, strictly."""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jieban.files import FILE_MODE, private_directory, tighten


class ConfigurationError(RuntimeError):
    """A setting in the environment is malformed."""


def env_str(name: str, default: str) -> str:
    value = os.environ.get(name)
    return default if value is None or value == "" else value


def data_directory() -> Path:
    """`JIEBAN_DATA_DIR` (default `var`), absolute; the settings make it private."""
    return Path(env_str("JIEBAN_DATA_DIR", "var")).resolve()


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be an integer, got {raw!r}") from exc


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigurationError(f"{name} must be true or false, got {raw!r}")


def env_choice(name: str, default: str, choices: Sequence[str]) -> str:
    """One of `choices`, exactly as written; anything else stops the start with the choices."""
    value = env_str(name, default)
    if value not in choices:
        raise ConfigurationError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def allowed_hosts(name: str, default: list[str]) -> list[str]:
    """The host names to serve, from a comma-separated list; `*` (any Host) stops the start:
    it would let a forged Host into links, redirects and the CSRF check."""
    hosts = env_list(name, default)
    if "*" in hosts:
        raise ConfigurationError(
            f"{name} must name the hosts Jieban is reached by (a leading dot for a domain "
            f"and its subdomains), not *"
        )
    return hosts


def secret_from_env_or_file(name: str, generated_file: Path) -> str:
    """`NAME`, else the file named by `NAME_FILE`, else a key generated once into the data dir."""
    value = os.environ.get(name)
    if value:
        return value
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        return Path(file_name).read_text(encoding="utf-8").strip()
    if generated_file.exists():
        tighten(generated_file)
        return generated_file.read_text(encoding="utf-8").strip()
    private_directory(generated_file.parent)
    key = secrets.token_urlsafe(50)
    # Create exclusively so two processes starting at once agree on one key.
    try:
        fd = os.open(generated_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return generated_file.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key)
    return key


def env_positive_int(name: str, default: int) -> int:
    """An integer of at least 1: a limit or a duration that 0 or less would turn off."""
    value = env_int(name, default)
    if value < 1:
        raise ConfigurationError(f"{name} must be 1 or more, got {value}")
    return value


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def env_networks(name: str, default: list[str]) -> list[Network]:
    """A comma-separated list of networks (`10.0.0.0/8`, `::1/128`; a bare address is one
    host); a malformed one stops the start, naming it."""
    networks = []
    for item in env_list(name, default):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError as exc:
            raise ConfigurationError(f"{name}: {item!r} is not an address or a network") from exc
    return networks


def env_secret(name: str) -> str:
    """`NAME`, else the content of the file named by `NAME_FILE`, else empty: a secret that
    a service manager may hand over as a file rather than in the environment."""
    value = os.environ.get(name)
    if value:
        return value
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigurationError(
                f"{name}_FILE names {file_name!r}, which cannot be read"
            ) from exc
    return ""


# Where attachments are kept (README "Running on several machines", docs/deploy.md).
STORAGE_CHOICES = ("local", "s3")
# An attachment read from the bucket is held in memory up to this size, in a private temporary
# file beyond it, while it is streamed to the person who asked for it.
S3_MEMORY_BYTES = 2 * 1024 * 1024
# Should anything ever ask the storage for a link, it is signed and lives five minutes.
S3_LINK_SECONDS = 300


def attachment_storage() -> dict[str, Any]:
    """The storage of attachments and signed scans: the data directory (`JIEBAN_STORAGE=local`,
    the default), or an S3-compatible bucket every node shares (`s3`, through django-storages).

    The bucket's objects get no ACL header: they stay as private as the bucket (a bucket whose
    ACLs are disabled, AWS's default, refuses any ACL but the owner's). Jieban never hands out
    the bucket's links: every download goes through the permission check of its own view.
    Names are never reused (`file_overwrite=False`): a second file of one name gets another."""
    kind = env_choice("JIEBAN_STORAGE", "local", STORAGE_CHOICES)
    if kind == "local":
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    bucket = env_str("JIEBAN_S3_BUCKET", "")
    if not bucket:
        raise ConfigurationError("JIEBAN_STORAGE=s3 needs the bucket's name in JIEBAN_S3_BUCKET")
    endpoint = env_str("JIEBAN_S3_ENDPOINT_URL", "")
    if endpoint and (
        urlsplit(endpoint).scheme not in {"http", "https"} or not urlsplit(endpoint).netloc
    ):
        raise ConfigurationError(
            f"JIEBAN_S3_ENDPOINT_URL must be an http:// or https:// address, got {endpoint!r}"
        )
    from botocore.config import Config  # only when the bucket is used: botocore loads slowly

    options: dict[str, Any] = {
        "bucket_name": bucket,
        "location": env_str("JIEBAN_S3_PREFIX", "").strip("/"),
        "file_overwrite": False,
        "default_acl": None,
        "querystring_auth": True,
        "querystring_expire": S3_LINK_SECONDS,
        "max_memory_size": S3_MEMORY_BYTES,
        # The client's own defaults wait a minute for a silent server and retry four times: a
        # page waiting on an attachment should fail sooner and say so.
        "client_config": Config(
            s3={
                "addressing_style": env_choice(
                    "JIEBAN_S3_ADDRESSING_STYLE", "auto", ("auto", "path", "virtual")
                )
            },
            signature_version="s3v4",
            connect_timeout=env_positive_int("JIEBAN_S3_TIMEOUT", 10),
            read_timeout=env_positive_int("JIEBAN_S3_TIMEOUT", 10),
            retries={"max_attempts": 3, "mode": "standard"},
        ),
    }
    if endpoint:
        options["endpoint_url"] = endpoint
    region = env_str("JIEBAN_S3_REGION", "")
    if region:
        options["region_name"] = region
    # Without them, boto3 finds its own: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a
    # profile, an instance role.
    access_key, secret_key = (
        env_secret("JIEBAN_S3_ACCESS_KEY_ID"),
        env_secret("JIEBAN_S3_SECRET_ACCESS_KEY"),
    )
    if bool(access_key) != bool(secret_key):
        raise ConfigurationError(
            "JIEBAN_S3_ACCESS_KEY_ID and JIEBAN_S3_SECRET_ACCESS_KEY go together: "
            "set both or neither"
        )
    if access_key:
        options.update(access_key=access_key, secret_key=secret_key)
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}


def env_int_between(name: str, default: int, low: int, high: int) -> int:
    """An integer from `low` to `high`, both included: an hour of the day, say."""
    value = env_int(name, default)
    if not low <= value <= high:
        raise ConfigurationError(f"{name} must be from {low} to {high}, got {value}")
    return value
