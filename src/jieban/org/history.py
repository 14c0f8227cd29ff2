"""The history of changes: who changed what, when, from what, to what (django-auditlog).

What is tracked is listed in the settings (`AUDITLOG_INCLUDE_TRACKING_MODELS`): everything the
back office edits, and the calendar's overrides, however they are changed (the back office, the
calendar page, the API, a command). A change is recorded in the transaction that makes it, as
done by the request's person (`jieban.http.RecordChangesAsTheRequestsPerson`), or by nobody, the
system. Administrators read it in the back office (`ChangeRecord`).
"""

from __future__ import annotations

from typing import Any

from auditlog.models import LogEntry
from django.db.models import ProtectedError
from django.db.models.signals import pre_delete
from django.dispatch import receiver
from django.utils.translation import gettext as _

from jieban.org.models import User

MASK = "********"


def mask(value: str) -> str:
    """What the history shows of a masked field (a password's hash): only that it changed."""
    return MASK if value and value != "None" else value


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
