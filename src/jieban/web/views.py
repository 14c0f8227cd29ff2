"""Server-rendered pages: thin views that call the domain layer and render templates."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from jieban.errors import NotFound
from jieban.tickets.access import access_ticket


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html", {})


@login_required
def attachment(request: HttpRequest, number: str, pk: int) -> FileResponse:
    try:
        ticket = access_ticket(request.user, number)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    item = ticket.attachments.filter(pk=pk).first()
    if item is None:
        raise Http404
    inline = item.is_image or item.content_type == "application/pdf"
    return FileResponse(
        item.file.open("rb"), as_attachment=not inline, filename=item.original_name,
        content_type=item.content_type,
    )
