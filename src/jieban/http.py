"""What the two interfaces (pages and API) share about a request."""

from __future__ import annotations

from django.http import HttpRequest

from jieban.org.models import User


class AuthenticatedRequest(HttpRequest):
    """A request that passed authentication (`login_required`, the API's token or session):
    its user is a person, never the anonymous visitor. Annotate views and handlers with it."""

    user: User
