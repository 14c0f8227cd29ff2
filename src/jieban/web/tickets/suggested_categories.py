"""The categories the caller's words suggest, beside the registration form as the content is
typed (htmx): the classifier's three likeliest, with their confidence; a click on one, or
Alt+1 for the first, puts it in the category field (site.js)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from jieban.errors import InvalidInput
from jieban.http import AuthenticatedRequest
from jieban.org.models import User
from jieban.org.permissions import can_register
from jieban.suggestions.classifier import load_model, ticket_text
from jieban.suggestions.labels import classify


def suggested_categories_context(user: User, title: str, content: str) -> dict[str, Any]:
    """What the fragment shows for the words typed so far: the suggestions, or why none."""
    context: dict[str, Any] = {
        "classifier_ready": load_model() is not None,
        "suggested_categories": [],
        "suggestion_error": "",
    }
    if context["classifier_ready"] and content.strip():
        try:
            context["suggested_categories"] = classify(ticket_text(title, content), by=user)
        except InvalidInput as exc:
            context["suggestion_error"] = exc.message
    return context


@login_required
@require_safe
def ticket_suggested_categories(request: AuthenticatedRequest) -> HttpResponse:
    """The fragment for the registration page; a text it cannot take is a 400 saying why."""
    if not can_register(request.user):
        raise PermissionDenied(_("Your role may not register tickets."))
    title = request.GET.get("title") or ""
    content = request.GET.get("content") or ""
    context = suggested_categories_context(request.user, title, content)
    status = 400 if context["suggestion_error"] else 200
    return render(request, "web/tickets/_suggested_categories.html", context, status=status)
