"""Who reaches the 12345 platform link.

A platform reaches its own addresses by signing (`jieban.exchange.signatures`): a code that
names no active platform is refused like a bad signature (401), so codes cannot be probed.
People reach the exchange's page and actions through `can_manage_exchange`: the
administrators and the command centre.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from jieban.errors import NotFound
from jieban.exchange.models import Platform
from jieban.exchange.signatures import refuse, verify
from jieban.org.actors import Viewer
from jieban.org.permissions import can_manage_exchange, require


def signed_platform(
    code: str, *, timestamp: str | None, signature: str | None, body: bytes, now: dt.datetime,
    source: str,
) -> Platform:  # fmt: skip
    """The active platform `code` when `body` carries its valid signature, else 401."""
    platform = Platform.objects.filter(code=code[:20], is_active=True).first()
    if platform is None:
        refuse(code[:20], source, "unknown platform")
    verify(
        platform, timestamp=timestamp, signature_sent=signature, body=body, now=now, source=source
    )
    return platform


def access_platform(user: Viewer, code: str) -> Platform:
    """The platform `code` for someone who manages the exchange (403), else NotFound."""
    require(
        can_manage_exchange(user),
        _("The exchange with the 12345 platforms is managed by the command centre."),
    )
    platform = Platform.objects.filter(code=code[:20]).first()
    if platform is None:
        raise NotFound(_("No platform %(code)s.") % {"code": code[:20]})
    return platform
