"""The history of changes: who changed what, when, from what, to what (django-auditlog).

What is tracked is listed in the settings (`AUDITLOG_INCLUDE_TRACKING_MODELS`): everything the
back office edits, and the calendar's overrides, however they are changed (the back office, the
calendar page, the API, a command). A change is recorded in the transaction that makes it, as
done by the request's person (`jieban.http.RecordChangesAsTheRequestsPerson`), or by nobody, the
system. Administrators read it in the back office (`ChangeRecord`).

django-auditlog rather than django-simple-history: one table for every tracked model, each
record holding only what changed (from, to), with exclusions and masks per field, so one page
lists every change of the back office; simple-history copies every column of a row into a
history table per model, on every save (a login's `last_login` too).
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from auditlog.models import LogEntry
from django.db.models import ProtectedError
from django.db.models.signals import pre_delete, pre_save
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils.translation import gettext as _

from jieban.org.models import User

MASK = "********"

# The request being served, whose person makes the changes recorded now (set by
# `jieban.http.RecordChangesAsTheRequestsPerson`); none outside a request.
ACTING_REQUEST: ContextVar[HttpRequest | None] = ContextVar("jieban_acting_request", default=None)


def mask(value: str) -> str:
    """What the history shows of a masked field (a password's hash): only that it changed."""
    return MASK if value and value != "None" else value


@receiver(pre_save, sender=LogEntry, dispatch_uid="jieban.org.history.name_the_person")
def name_the_person(sender: Any, instance: LogEntry, **kwargs: Any) -> None:
    """Record a change as done by the person of the request being served, if any, from its
    address; a change recorded with its person already named (`lift_lockout`) keeps it."""
    request = ACTING_REQUEST.get()
    if request is None or instance.actor_id is not None:
        return
    person = getattr(request, "user", None)
    if isinstance(person, User) and person.is_authenticated:
        instance.actor = person
        instance.actor_email = person.email or None
    instance.remote_addr = request.META.get("REMOTE_ADDR") or None


@receiver(pre_delete, sender=User, dispatch_uid="jieban.org.history.keep_the_actor")
def refuse_deleting_a_person_in_the_history(sender: Any, instance: User, **kwargs: Any) -> None:
    """People are deactivated, never deleted. One named in the history is kept as the other
    records that name them are (their foreign keys `PROTECT`); the history's own key would
    forget who made the change (`SET_NULL`), so Django refuses here."""
    changes = LogEntry.objects.filter(actor=instance)
    if changes.exists():
        raise ProtectedError(
            _("%(person)s made changes in the history: deactivate them instead.")
            % {"person": instance.username},
            set(changes[:10]),
        )
