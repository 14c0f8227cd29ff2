"""Typed helpers that read settings from the environment, strictly."""

from __future__ import annotations

import os
import secrets
from collections.abc import Sequence
from pathlib import Path

from jieban.files import FILE_MODE, private_directory, tighten


class ConfigurationError(RuntimeError):
    """A setting in the environment is malformed."""


def env_str(name: str, default: str) -> str:
    value = os.environ.get(name)
    return default if value is None or value == "" else value


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


def env_int_between(name: str, default: int, low: int, high: int) -> int:
    """An integer from `low` to `high`, both included: an hour of the day, say."""
    value = env_int(name, default)
    if not low <= value <= high:
        raise ConfigurationError(f"{name} must be from {low} to {high}, got {value}")
    return value
