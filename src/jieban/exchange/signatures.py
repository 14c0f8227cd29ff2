"""Signatures of the 12345 platform link, both ways.

Each request (an order or event pushed in, a message delivered, a pull and its answer) carries
`X-Jieban-Timestamp` (Unix seconds) and `X-Jieban-Signature`: `sha256=` and the hex HMAC-SHA256,
with the platform's shared secret, of the timestamp, a dot and the exact body bytes
(`notify.outbox.sign` over `timestamp + "." + body`). A request more than `MAX_AGE` away from
now, or whose signature matches neither the secret nor, until its grace period ends, the
previous secret, is refused (401) and logged.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
from typing import NoReturn

from django.utils.translation import gettext as _

from jieban.errors import Unauthenticated
from jieban.exchange.models import Platform
from jieban.notify.outbox import sign

TIMESTAMP_HEADER = "X-Jieban-Timestamp"
SIGNATURE_HEADER = "X-Jieban-Signature"
MESSAGE_HEADER = "X-Jieban-Message-Id"
MAX_AGE = dt.timedelta(minutes=5)

logger = logging.getLogger("jieban.exchange")


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>` of `timestamp + "." + body` with `secret`."""
    return sign(timestamp.encode("ascii") + b"." + body, secret)


def signed_headers(platform: Platform, body: bytes, now: dt.datetime) -> dict[str, str]:
    """The headers that sign `body` sent to `platform` at `now`."""
    timestamp = str(int(now.timestamp()))
    return {
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: signature(platform.secret, timestamp, body),
    }


def secrets_in_force(platform: Platform, now: dt.datetime) -> list[str]:
    """The secret, and the previous one while its grace period runs."""
    secrets = [platform.secret]
    until = platform.previous_secret_until
    if platform.previous_secret and until is not None and now < until:
        secrets.append(platform.previous_secret)
    return secrets


def verify(
    platform: Platform, *, timestamp: str | None, signature_sent: str | None, body: bytes,
    now: dt.datetime, source: str = "",
) -> None:  # fmt: skip
    """Unauthenticated (401, logged) unless `body` was signed by `platform` within MAX_AGE."""
    try:
        moment = dt.datetime.fromtimestamp(int(timestamp or ""), tz=dt.UTC)
    except (ValueError, OverflowError, OSError):
        refuse(platform.code, source, "no timestamp")
    if abs(now - moment) > MAX_AGE:
        refuse(platform.code, source, "stale timestamp")
    assert timestamp is not None
    sent = signature_sent or ""
    if not any(
        hmac.compare_digest(signature(secret, timestamp, body), sent)
        for secret in secrets_in_force(platform, now)
    ):
        refuse(platform.code, source, "bad signature")


def refuse(platform_code: str, source: str, why: str) -> NoReturn:
    """Log the refusal and raise the 401."""
    logger.warning("exchange: refused a request for %s from %s: %s", platform_code, source, why)
    raise Unauthenticated(
        _(
            "The request is not signed by the platform: send %(timestamp)s (Unix seconds, "
            "within 5 minutes) and %(signature)s (sha256= HMAC-SHA256 of the timestamp, a dot "
            "and the body, with the shared secret)."
        )
        % {"timestamp": TIMESTAMP_HEADER, "signature": SIGNATURE_HEADER}
    )
