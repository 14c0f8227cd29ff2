"""The ticket list's filters as a query string, and the saved filters people keep of them.

Writes (`save_filter`, `delete_filter`) live here, as in the domain's action modules: the views
only parse and call. A person sees and changes only their own saved filters.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.db import IntegrityError, transaction
from django.http import QueryDict
from django.utils.translation import gettext as _

from jieban.errors import InvalidInput, NotFound
from jieban.inputs import check_text
from jieban.org.models import User
from jieban.tickets.selectors import TicketFilters, filter_tickets
from jieban.web.models import SavedFilter

TRUE_VALUES = ("1", "true", "on", "yes")
# The list's filters, in the order a saved query string lists them.
FILTER_NAMES = (
    "q",
    "status",
    "unit",
    "category",
    "channel",
    "grid",
    "received_from",
    "received_to",
    "overdue",
    "due_soon",
    "dispatch_late",
    "accept_late",
    "escalated",
)
FLAGS = ("overdue", "due_soon", "dispatch_late", "accept_late", "escalated")
MAX_SAVED_FILTERS = 30
MAX_NAME = 60
MAX_QUERY = 1000


def filters_from(params: Any) -> TicketFilters:
    """The list's filters from a query string (a QueryDict or a dict)."""

    def value(name: str) -> str | None:
        return (params.get(name) or "").strip() or None

    return TicketFilters(
        status=value("status"),
        unit=value("unit"),
        category=value("category"),
        channel=value("channel"),
        grid=value("grid"),
        overdue=(params.get("overdue") or "").lower() in TRUE_VALUES,
        due_soon=(params.get("due_soon") or "").lower() in TRUE_VALUES,
        dispatch_late=(params.get("dispatch_late") or "").lower() in TRUE_VALUES,
        accept_late=(params.get("accept_late") or "").lower() in TRUE_VALUES,
        escalated=(params.get("escalated") or "").lower() in TRUE_VALUES,
        received_from=value("received_from"),
        received_to=value("received_to"),
        q=value("q"),
    )


def filter_query(params: Any) -> str:
    """The filters in `params` as a canonical query string: the same filters, the same string.

    Only the list's filter names, none empty, flags as `1`, no page cursor."""
    pairs = []
    for name in FILTER_NAMES:
        raw = (params.get(name) or "").strip()
        if name in FLAGS:
            if raw.lower() in TRUE_VALUES:
                pairs.append((name, "1"))
        elif raw:
            pairs.append((name, raw))
    return urlencode(pairs)


def saved_filters_of(owner: User) -> list[SavedFilter]:
    """`owner`'s saved filters by name: one query."""
    return list(SavedFilter.objects.filter(owner=owner).order_by("name", "pk"))


def save_filter(owner: User, *, name: str, query: str) -> tuple[SavedFilter, bool]:
    """Keep the list's filters in `query` under `name`; returns (filter, created).

    Saving under a name already used replaces what that name held. Filters the list would
    refuse (an unknown unit, a malformed date) are refused here too."""
    name = check_text(" ".join((name or "").split()), field="name", label=_("The filter's name"))
    if not name:
        raise InvalidInput(_("Give the filter a name."), field="name")
    if len(name) > MAX_NAME:
        raise InvalidInput(
            _("The name is longer than %(max)d characters.") % {"max": MAX_NAME}, field="name"
        )
    params = QueryDict(query or "")
    canonical = filter_query(params)
    if not canonical:
        raise InvalidInput(_("Choose some filters first: there is nothing to save."))
    if len(canonical) > MAX_QUERY:
        raise InvalidInput(_("These filters are too long to save."))
    # Builds the query without running it: the unknown unit or bad date raises here.
    filter_tickets(owner, filters_from(params))
    with transaction.atomic():
        existing = SavedFilter.objects.select_for_update().filter(owner=owner, name=name).first()
        if existing is not None:
            existing.query = canonical
            existing.save(update_fields=["query"])
            return existing, False
        if SavedFilter.objects.filter(owner=owner).count() >= MAX_SAVED_FILTERS:
            raise InvalidInput(
                _("You have %(max)d saved filters already: delete one first.")
                % {"max": MAX_SAVED_FILTERS}
            )
        try:
            with transaction.atomic():
                saved = SavedFilter.objects.create(owner=owner, name=name, query=canonical)
        except IntegrityError:
            # The same person saved the same name twice at once: the second replaces it.
            saved = SavedFilter.objects.get(owner=owner, name=name)
            saved.query = canonical
            saved.save(update_fields=["query"])
            return saved, False
    return saved, True


def delete_filter(owner: User, pk: int) -> None:
    """Delete one of `owner`'s saved filters; anyone else's does not exist for them."""
    deleted, _by_model = SavedFilter.objects.filter(owner=owner, pk=pk).delete()
    if not deleted:
        raise NotFound(_("No such saved filter."))
