"""The monthly clear-to-zero campaign board (清零行动) and its Excel export."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe
from openpyxl import Workbook
from openpyxl.styles import Font

from jieban.errors import Conflict, InvalidInput, NotFound
from jieban.http import AuthenticatedRequest
from jieban.org.models import User
from jieban.org.permissions import can_take_snapshot
from jieban.tickets.campaign import (
    CampaignBoard,
    campaign_board,
    is_cleared,
    month_of,
    parse_month,
    take_snapshot,
)
from jieban.tickets.models import CampaignItem
from jieban.web.errors import answers_domain_errors
from jieban.web.excel import XLSX, guarded_row, without_phones
from jieban.web.forms import localized_name

CAMPAIGN_PAGE = 100


@dataclass
class ListedTicket:
    item: CampaignItem
    cleared: bool


def _month_or_404(month: str) -> str:
    # The month is part of the URL: one that names no month is a page that does not exist,
    # not bad input.
    try:
        return parse_month(month)
    except InvalidInput as exc:
        raise Http404(exc.message) from exc


def _shift(month: str, months: int) -> str | None:
    """The month `months` away from `month`; None past the months a board may show."""
    year, number = (int(part) for part in month.split("-"))
    index = year * 12 + number - 1 + months
    shifted = f"{index // 12:04d}-{index % 12 + 1:02d}"
    try:
        return parse_month(shifted)
    except InvalidInput:
        return None


def _board_or_none(user: User, month: str) -> CampaignBoard | None:
    """The month's board; None before its snapshot is taken, which the page says."""
    try:
        return campaign_board(user, month)
    except NotFound:
        return None


@login_required
@require_safe
@answers_domain_errors
def campaign(request: AuthenticatedRequest, month: str | None = None) -> HttpResponse:
    """The month's board: per unit at the start, cleared, remaining; then the list itself."""
    current = month_of(timezone.now())
    month = _month_or_404(month or current)
    board = _board_or_none(request.user, month)
    # Thousands may be listed at a county's start of the month: the list goes a page at a
    # time (the counts above it and the Excel export have them all).
    items = board.items if board is not None else CampaignItem.objects.none()
    page = Paginator(items, CAMPAIGN_PAGE).get_page(request.GET.get("page"))
    listed = [ListedTicket(item, is_cleared(item)) for item in page]
    context = {
        "month": month,
        "previous_month": _shift(month, -1),
        "next_month": _shift(month, 1) if month < current else None,
        "board": board,
        "listed": listed,
        "page": page,
        # Only this month's can be taken (`take_snapshot`): a past month's would not show
        # how it began.
        "may_snapshot": board is None and month == current and can_take_snapshot(request.user),
    }
    return render(request, "web/campaign/board.html", context)


@login_required
@require_POST
@answers_domain_errors
def campaign_snapshot(request: AuthenticatedRequest, month: str) -> HttpResponse:
    month = _month_or_404(month)
    try:
        campaign_taken = take_snapshot(month, by=request.user)
    except Conflict as exc:
        # Taken meanwhile (by the worker or a colleague), or the month is not this one: the
        # board says so above whatever it shows.
        messages.warning(request, exc.message)
    else:
        messages.success(
            request,
            _("Snapshot of %(month)s taken: %(count)d tickets listed.")
            % {"month": month, "count": campaign_taken.items.count()},
        )
    return redirect("web:campaign_month", month=month)


def _local(moment: dt.datetime | None) -> dt.datetime | None:
    # Excel has no time zones: write the bureau's wall-clock time.
    return timezone.localtime(moment).replace(tzinfo=None) if moment else None


def campaign_workbook(board: CampaignBoard) -> bytes:
    """Two sheets: the counts per unit with the total, and the list. No resident's phone, and
    no name or title read as a formula."""
    book = Workbook()
    bold = Font(bold=True)
    counts = book.active
    assert counts is not None
    counts.title = _("Per unit")
    counts.append(guarded_row(counts, [_("Clear-to-zero campaign"), board.campaign.month]))
    taken = [_("Snapshot taken at"), _local(board.campaign.taken_at)]
    if board.taken_late:
        taken.append(_("Taken late, not on %(first)s") % {"first": board.first_day.isoformat()})
    counts.append(guarded_row(counts, taken))
    counts.append([])
    counts.append(
        guarded_row(
            counts, [_("Unit code"), _("Unit"), _("At the start"), _("Cleared"), _("Remaining")]
        )
    )
    for row in board.rows:
        name = row.unit_name or _("No unit")
        counts.append(
            guarded_row(counts, [row.unit_code, name, row.at_start, row.cleared, row.remaining])
        )
    total = board.total
    counts.append(
        guarded_row(counts, [None, _("Total"), total.at_start, total.cleared, total.remaining])
    )
    for cell in (*counts[4], *counts[counts.max_row]):
        cell.font = bold
    counts.column_dimensions["B"].width = 24
    counts["B2"].number_format = "yyyy-mm-dd hh:mm"

    listed = book.create_sheet(_("List"))
    listed.append(
        guarded_row(
            listed,
            [
                _("Number"),
                _("Title"),
                _("Unit"),
                _("Status"),
                _("Received at"),
                _("Long-pending"),
                _("Reported repeatedly"),
                _("Repeat reports"),
                _("Supervision level"),
                _("Cleared"),
            ],
        )
    )
    yes, no = _("yes"), _("no")
    for item in board.items:
        ticket = item.ticket
        listed.append(
            guarded_row(
                listed,
                [
                    ticket.number,
                    without_phones(ticket.title),
                    localized_name(item.unit) if item.unit else _("No unit"),
                    str(ticket.get_status_display()),
                    _local(ticket.received_at),
                    yes if item.long_pending else no,
                    yes if item.repeated else no,
                    ticket.repeat_count,
                    ticket.supervision_level,
                    yes if is_cleared(item) else no,
                ],
            )
        )
    for cell in listed[1]:
        cell.font = bold
    for cell in listed["E"][1:]:
        cell.number_format = "yyyy-mm-dd hh:mm"
    listed.column_dimensions["A"].width = 18
    listed.column_dimensions["B"].width = 40
    listed.column_dimensions["E"].width = 17
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@login_required
@require_safe
@answers_domain_errors
def campaign_export(request: AuthenticatedRequest, month: str) -> HttpResponse:
    month = _month_or_404(month)
    board = campaign_board(request.user, month)
    response = HttpResponse(campaign_workbook(board), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="jieban-campaign-{month}.xlsx"'
    return response
