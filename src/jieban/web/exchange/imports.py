"""Ticket imports from Excel and CSV sheets: the import page (upload a file from a source, the
imports so far), a source's column mapping, and an import's page (its check: every wrong cell,
or the rows ready and the confirm button; then its progress, polled with htmx, and its counts).

Who may: `can_import_tickets`; the rules and writes: `jieban.exchange.imports`.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from jieban.errors import Conflict, InvalidInput
from jieban.exchange.imports import (
    MAX_FILE_BYTES,
    MAX_ROWS,
    RUN_AT_ONCE_ROWS,
    access_import,
    access_source,
    check_file,
    confirm_import,
    default_mapping,
    import_sources,
    imports_of,
    record_check,
    row_error_text,
    save_source,
)
from jieban.exchange.models import (
    IMPORT_CHANNELS,
    ImportField,
    ImportSource,
    ImportState,
    TicketImport,
)
from jieban.http import AuthenticatedRequest
from jieban.org.actors import Viewer
from jieban.org.permissions import can_import_tickets, require
from jieban.web.errors import answers_domain_errors, put_domain_error
from jieban.web.pages import is_htmx

RECENT_IMPORTS = 20
# While an import is written its page asks for its progress this often.
POLL = "every 2s"


def _importers_only(user: Viewer) -> None:
    require(can_import_tickets(user), _("Only the command centre's dispatchers import tickets."))


class UploadForm(forms.Form):
    source = forms.ChoiceField(label=gettext_lazy("Source"))
    file = forms.FileField(
        label=gettext_lazy("Sheet (.xlsx or .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )

    def __init__(self, sources: list[ImportSource], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["source"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(source.name, source.name) for source in sources]


class SourceForm(forms.Form):
    name = forms.CharField(
        label=pgettext_lazy("import source", "Name"),
        max_length=40,
        help_text=gettext_lazy("Small letters, digits, '-' or '_', e.g. city-12345."),
    )
    channel = forms.ChoiceField(
        label=gettext_lazy("Channel"),
        choices=[(channel.value, channel.label) for channel in IMPORT_CHANNELS],
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for item in ImportField:
            self.fields[f"column_{item.value}"] = forms.CharField(
                label=item.label, max_length=100, required=False
            )
        if editing:
            self.fields["name"].disabled = True

    def mapping(self) -> dict[str, str]:
        return {item.value: self.cleaned_data[f"column_{item.value}"] for item in ImportField}

    def column_fields(self) -> list[forms.BoundField]:
        return [self[f"column_{item.value}"] for item in ImportField]


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@answers_domain_errors
def import_index(request: AuthenticatedRequest) -> HttpResponse:
    """The sources, the form to upload a file from one (checked, nothing written), and the
    imports so far."""
    sources = list(import_sources(request.user))
    status = 200
    if request.method != "POST":
        form = UploadForm(sources)
    else:
        form = UploadForm(sources, request.POST, request.FILES)
        status = 400
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                check = check_file(
                    # At most one byte over the limit is read: enough to refuse a larger file.
                    upload.read(MAX_FILE_BYTES + 1),
                    file_name=upload.name or "",
                    source=form.cleaned_data["source"],
                    by=request.user,
                )
                record = record_check(check, by=request.user)
            except InvalidInput as exc:
                status = put_domain_error(form, exc)
            else:
                if check.already_imported:
                    messages.info(
                        request,
                        _("This file was already imported from %(source)s: nothing changes.")
                        % {"source": check.source.name},
                    )
                return redirect("web:ticket_import", pk=record.pk)
    context = {
        "form": form,
        "sources": sources,
        "imports": imports_of(request.user)[:RECENT_IMPORTS],
        "max_rows": MAX_ROWS,
    }
    return render(request, "web/exchange/imports.html", context, status=status)


def _source_page(request: AuthenticatedRequest, source: ImportSource | None) -> HttpResponse:
    status = 200
    if request.method != "POST":
        mapping = source.mapping if source else default_mapping()
        initial: dict[str, Any] = {
            "name": source.name if source else "",
            "channel": source.channel if source else IMPORT_CHANNELS[0].value,
            **{f"column_{name}": header for name, header in mapping.items()},
        }
        form = SourceForm(initial=initial, editing=source is not None)
    else:
        # A source's name is not changed: its tickets' external ids begin with it.
        initial = {"name": source.name} if source is not None else {}
        form = SourceForm(request.POST, initial=initial, editing=source is not None)
        status = 400
        if form.is_valid():
            try:
                saved, _created = save_source(
                    name=source.name if source else form.cleaned_data["name"],
                    channel=form.cleaned_data["channel"],
                    mapping=form.mapping(),
                    by=request.user,
                )
            except InvalidInput as exc:
                status = put_domain_error(form, exc)
            else:
                messages.success(request, _("Source %(name)s saved.") % {"name": saved.name})
                return redirect("web:ticket_imports")
    context = {"form": form, "source": source}
    return render(request, "web/exchange/import_source.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@answers_domain_errors
def import_source_new(request: AuthenticatedRequest) -> HttpResponse:
    """A new source: its name, channel, and the header of each field's column."""
    _importers_only(request.user)
    return _source_page(request, None)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@answers_domain_errors
def import_source(request: AuthenticatedRequest, name: str) -> HttpResponse:
    """A source's channel and column mapping, to change."""
    return _source_page(request, access_source(request.user, name))


def _import_context(request: AuthenticatedRequest, record: TicketImport) -> dict[str, Any]:
    working = record.state in (ImportState.CONFIRMED, ImportState.RUNNING)
    return {
        "import": record,
        "working": working,
        "poll": POLL if working else "",
        "may_confirm": record.state == ImportState.CHECKED and not record.error_count,
        "may_resume": record.state == ImportState.FAILED,
        "new_rows": max(record.rows_total - record.existing_count, 0),
        "hidden_errors": max(record.error_count - len(record.errors), 0),
        # Kept as codes: worded in the reader's language, not the checker's.
        "errors": [{**error, "message": row_error_text(error)} for error in record.errors],
        "at_once": RUN_AT_ONCE_ROWS,
    }


@login_required
@require_safe
@answers_domain_errors
def ticket_import(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """An import: its check, then its progress (the panel alone to htmx) and its counts."""
    record = access_import(request.user, pk)
    context = _import_context(request, record)
    if is_htmx(request):
        return render(request, "web/exchange/_import_panel.html", context)
    return render(request, "web/exchange/import.html", context)


@login_required
@require_POST
@answers_domain_errors
def ticket_import_confirm(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Confirm a clean check (or resume a failed import): a short one is written now, a
    longer one by the worker while its page shows the progress."""
    try:
        record = confirm_import(pk, by=request.user)
    except Conflict as exc:
        messages.error(request, exc.message)
        return redirect("web:ticket_import", pk=pk)
    if record.state == ImportState.DONE:
        messages.success(
            request,
            _("%(created)d tickets imported; %(existing)d already there.")
            % {"created": record.created_count, "existing": record.existing_count},
        )
    return redirect("web:ticket_import", pk=record.pk)
