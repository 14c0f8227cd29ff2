"""Supervision: the orders and supervising by hand, follow-up calls, repeat reports, and the
month's clear-to-zero campaign."""

from __future__ import annotations

from typing import Any

from ninja import Query, Router, Status

from jieban.api.schemas import (
    ERRORS,
    CampaignOut,
    RepeatOfIn,
    SuperviseIn,
    SupervisionOrderFilterIn,
    SupervisionOrderOut,
    SupervisionOrderPageOut,
    TicketOut,
    VisitIn,
    VisitOut,
    VisitResultOut,
)
from jieban.api.serializers import local, ticket_detail_out
from jieban.http import AuthenticatedRequest
from jieban.intake.actions import mark_repeat
from jieban.tickets.access import access_ticket
from jieban.tickets.campaign import (
    CampaignBoard,
    CampaignRow,
    campaign_board,
    is_cleared,
    take_snapshot,
)
from jieban.tickets.models import SupervisionOrder, Visit
from jieban.tickets.supervision import supervise_ticket, supervision_order_page
from jieban.tickets.visits import record_visit

router = Router()


def order_out(order: SupervisionOrder) -> dict[str, Any]:
    return {
        "number": order.number,
        "ticket": order.ticket.number,
        "unit": order.unit.code,
        "reason": order.reason,
        "level": order.level,
        "issued_at": local(order.issued_at),
        "due_at": local(order.due_at),
        "fulfilled_at": local(order.fulfilled_at),
        "superseded_by": order.superseded_by.number if order.superseded_by else None,
        "note": order.note,
    }


def visit_out(visit: Visit) -> dict[str, Any]:
    return {
        "outcome": visit.outcome,
        "note": visit.note,
        "called_by": visit.called_by.username if visit.called_by else None,
        "channel": visit.reported_by_channel,
        "at": local(visit.at),
    }


def campaign_row_out(item: CampaignRow) -> dict[str, Any]:
    return {
        "unit": item.unit_code,
        "name": item.unit_name,
        "at_start": item.at_start,
        "cleared": item.cleared,
        "remaining": item.remaining,
    }


def campaign_out(board: CampaignBoard) -> dict[str, Any]:
    return {
        "month": board.campaign.month,
        "taken_at": local(board.campaign.taken_at),
        "taken_late": board.taken_late,
        "total": campaign_row_out(board.total),
        "units": [campaign_row_out(item) for item in board.rows],
        "items": [
            {
                "ticket": item.ticket.number,
                "unit": item.unit.code if item.unit else None,
                "status": item.ticket.status,
                "long_pending": item.long_pending,
                "repeated": item.repeated,
                "cleared": is_cleared(item),
            }
            for item in board.items
        ],
    }


@router.get(
    "/supervision-orders", response={200: SupervisionOrderPageOut, **ERRORS}, tags=["supervision"]
)
def list_supervision_orders(
    request: AuthenticatedRequest, filters: Query[SupervisionOrderFilterIn]
) -> dict[str, Any]:
    orders, next_cursor = supervision_order_page(
        request.user,
        unit=filters.unit,
        level=filters.level,
        open_only=filters.open,
        overdue=filters.overdue,
        ticket=filters.ticket,
        cursor=filters.cursor,
        limit=filters.limit,
    )
    return {"items": [order_out(order) for order in orders], "next": next_cursor}


@router.post(
    "/tickets/{number}/supervise",
    response={201: SupervisionOrderOut, **ERRORS},
    tags=["supervision"],
)
def supervise(
    request: AuthenticatedRequest, number: str, payload: SuperviseIn
) -> Status[dict[str, Any]]:
    order = supervise_ticket(number, note=payload.note, days=payload.days, by=request.user)
    return Status(201, order_out(order))


@router.post(
    "/tickets/{number}/visits", response={201: VisitResultOut, **ERRORS}, tags=["follow-up"]
)
def post_visit(
    request: AuthenticatedRequest, number: str, payload: VisitIn
) -> Status[dict[str, Any]]:
    visit, ticket = record_visit(
        number,
        outcome=payload.outcome,
        note=payload.note,
        by=request.user,
        channel=payload.channel,
    )
    return Status(
        201, {"visit": visit_out(visit), "ticket": ticket_detail_out(request.user, ticket.number)}
    )


@router.get(
    "/tickets/{number}/visits", response={200: list[VisitOut], **ERRORS}, tags=["follow-up"]
)
def list_visits(request: AuthenticatedRequest, number: str) -> list[dict[str, Any]]:
    ticket = access_ticket(request.user, number)
    return [visit_out(visit) for visit in ticket.visits.select_related("called_by")]


@router.post("/tickets/{number}/repeat-of", response={200: TicketOut, **ERRORS}, tags=["tickets"])
def repeat_of(request: AuthenticatedRequest, number: str, payload: RepeatOfIn) -> dict[str, Any]:
    mark_repeat(number, of=payload.number, merge=payload.merge, by=request.user)
    return ticket_detail_out(request.user, number)


@router.get("/campaigns/{month}", response={200: CampaignOut, **ERRORS}, tags=["supervision"])
def get_campaign(request: AuthenticatedRequest, month: str) -> dict[str, Any]:
    return campaign_out(campaign_board(request.user, month))


@router.post(
    "/campaigns/{month}/snapshot", response={201: CampaignOut, **ERRORS}, tags=["supervision"]
)
def post_campaign_snapshot(request: AuthenticatedRequest, month: str) -> Status[dict[str, Any]]:
    campaign = take_snapshot(month, by=request.user)
    return Status(201, campaign_out(campaign_board(request.user, campaign.month)))
