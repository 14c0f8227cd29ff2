"""Guessing passwords and tokens: a limit per account and one per address, on django-axes.

django-axes records every failed login (Django's `user_login_failed` signal: the login page,
the back office's, and the API's wrong tokens, which `jieban.api.auth` reports under the name
`API_TOKEN`) and refuses a locked-out login before its password is checked. The rule is here:

- an account is locked after `JIEBAN_LOGIN_FAILURES` failed logins (5), from anywhere;
- an address after `JIEBAN_LOGIN_FAILURES_PER_ADDRESS` failed logins (20), whatever the
  accounts tried: higher, because an office behind one NAT address shares it;
- an address after as many wrong API tokens, counted apart from its logins, so that a client
  with a revoked token does not lock the office's people out;

each counting the failures less than `JIEBAN_LOCKOUT_MINUTES` (15) older than the one after
them. The lock ends that long after the last failure, or when an administrator lifts it
(`lift_lockout`). A successful login clears its own account's failures.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from typing import Any

from auditlog.models import LogEntry
from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet, Sum
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from jieban.errors import InvalidInput
from jieban.org.actors import Actor, person_of
from jieban.org.models import User
from jieban.org.permissions import can_administer, require

# The name wrong API tokens are counted under. No username holds parentheses or spaces, so no
# account's failures include them.
API_TOKEN = "(API token)"

# What a lock holds back: an account (a username), or an address.
ACCOUNT, ADDRESS = "account", "address"


@dataclass(frozen=True)
class Lockout:
    """A lock in force: on an account or an address, until `until`."""

    on: str
    until: dt.datetime

    @property
    def minutes_left(self) -> int:
        """Whole minutes until the lock ends, at least 1."""
        seconds = (self.until - timezone.now()).total_seconds()
        return max(1, -int(-seconds // 60))


def _failures(attempts: QuerySet[AccessAttempt]) -> tuple[int, dt.datetime | None]:
    """How many failures `attempts` hold, and when the last was."""
    rows = list(attempts.values_list("failures_since_start", "attempt_time"))
    return sum(count for count, _at in rows), max((at for _count, at in rows), default=None)


def lockout_of(request: HttpRequest, username: str | None) -> Lockout | None:
    """The lock that holds back a login as `username` (or a token, `API_TOKEN`) from the
    request's address, if any. The request must have passed through axes (`axes_ip_address`)."""
    recent = AccessAttempt.objects.filter(attempt_time__gte=get_cool_off_threshold(request))
    address: str | None = getattr(request, "axes_ip_address", None)
    cool_off = dt.timedelta(minutes=settings.JIEBAN_LOCKOUT_MINUTES)
    if username is not None and username != API_TOKEN:
        count, last = _failures(recent.filter(username=username))
        if count >= settings.JIEBAN_LOGIN_FAILURES and last is not None:
            return Lockout(ACCOUNT, last + cool_off)
    same_kind = recent.filter(username=API_TOKEN)
    if username != API_TOKEN:
        same_kind = recent.exclude(username=API_TOKEN)
    count, last = _failures(same_kind.filter(ip_address=address))
    if count >= settings.JIEBAN_LOGIN_FAILURES_PER_ADDRESS and last is not None:
        return Lockout(ADDRESS, last + cool_off)
    return None


class LoginLimits(AxesDatabaseHandler):
    """axes's database handler, deciding by `lockout_of`. axes compares one count with one
    limit (`AXES_FAILURE_LIMIT`); here the count is that limit when a lock holds, else 0. The
    lock found is left on the request (`jieban_lockout`) for the message that tells it."""

    def get_failures(self, request: Any, credentials: dict[str, Any] | None = None) -> int:
        lockout = lockout_of(request, get_client_username(request, credentials))
        request.jieban_lockout = lockout
        return get_failure_limit(request, credentials) if lockout else 0

    def reset_user_attempts(
        self, request: HttpRequest, credentials: dict[str, Any] | None = None
    ) -> int:
        # A successful login clears its own account's failures, not every failure from its
        # address (axes's way), which would give a guesser at other accounts a fresh count.
        username = get_client_username(request, credentials)
        count, _detail = AccessAttempt.objects.filter(username=username).delete()
        return count


def lift_lockout(*, username: str = "", address: str = "", by: Actor) -> int:
    """Forget the failures counted against an account (`username`) or an address, lifting
    their lock if any; returns how many records of failures were forgotten. Administrators
    only. Lifting a person's lock is in the history of changes."""
    require(can_administer(by), _("Only administrators may lift a lockout."))
    if not username and not address:
        raise InvalidInput(_("Name the account or the address to unlock."), field="username")
    if address:
        try:
            address = str(ipaddress.ip_address(address))
        except ValueError:
            raise InvalidInput(
                _("%(address)s is not an IP address.") % {"address": address}, field="address"
            ) from None
    with transaction.atomic():
        attempts = AccessAttempt.objects.all()
        if username:
            attempts = attempts.filter(username=username)
        if address:
            attempts = attempts.filter(ip_address=address)
        failures = attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
        forgotten, _detail = attempts.delete()
        person = User.objects.filter(username=username).first() if username else None
        if person is not None and failures:
            LogEntry.objects.log_create(
                person,
                action=LogEntry.Action.UPDATE,
                changes={"failed_logins": [str(failures), "0"]},
                actor=person_of(by),
            )
    return forgotten
