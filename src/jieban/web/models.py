"""What the pages keep for a person: their saved ticket-list filters.

A saved filter belongs to the pages, not to the ticket domain: it is a bookmark of the list's
query string under a name, and the API has no use for it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SavedFilter(models.Model):
    """A named set of ticket-list filters; only its owner sees it."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_filters"
    )
    name = models.CharField(_("name"), max_length=60)
    # The list's query string, normalised: known filter names only, sorted, no page cursor.
    query = models.CharField(_("filters"), max_length=1000)
    created_at = models.DateTimeField(_("saved at"), default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("saved filter")
        verbose_name_plural = _("saved filters")
        constraints = [
            # Its index also serves "my filters by name", the list page's one query for them.
            models.UniqueConstraint(fields=["owner", "name"], name="saved_filter_name_once"),
        ]

    def __str__(self) -> str:
        return self.name
