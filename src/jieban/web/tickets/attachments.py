"""A ticket's attachments: adding photos and documents, and opening one."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from jieban.errors import Conflict, InvalidInput
from jieban.http import AuthenticatedRequest
from jieban.intake.actions import add_attachments, shown_file_name
from jieban.web.errors import answers_domain_errors, put_domain_error
from jieban.web.pages import visible_ticket_or_404
from jieban.web.tickets.detail import render_detail
from jieban.web.tickets.forms import AttachmentForm


@login_required
@require_POST
@answers_domain_errors
def ticket_attach(request: AuthenticatedRequest, number: str) -> HttpResponse:
    ticket = visible_ticket_or_404(request.user, number)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        uploads = form.cleaned_data["attachments"]
        try:
            add_attachments(number, uploads, by=request.user)
        except Conflict as exc:
            # Finished since the page was shown: it says so, and offers no upload any more.
            messages.error(request, exc.message)
            return redirect("web:ticket_detail", number=number)
        except InvalidInput as exc:
            put_domain_error(form, exc)
        else:
            messages.success(request, _("%(count)d attachment(s) added.") % {"count": len(uploads)})
            return redirect("web:ticket_detail", number=number)
    return render_detail(request, ticket, attachment_form=form, status=400)


@login_required
@require_safe
def attachment(request: AuthenticatedRequest, number: str, pk: int) -> FileResponse:
    ticket = visible_ticket_or_404(request.user, number)
    item = ticket.attachments.filter(pk=pk).first()
    if item is None:
        raise Http404
    inline = item.is_image or item.content_type == "application/pdf"
    return FileResponse(
        item.file.open("rb"),
        as_attachment=not inline,
        filename=shown_file_name(item.original_name),
        content_type=item.content_type,
    )
