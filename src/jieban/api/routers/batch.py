"""Batch intake: `POST /tickets/batch` takes up to 500 tickets in the shape of
`POST /tickets` and answers one result per item, in order (`register_tickets`).

The body is read here, not by the API's parser: one bad item (a wrong type, a control
character) is that item's 400, named by its path (`items[3].content`), while the others are
taken in. Registered before the tickets' router: `/tickets/{number}` would match "batch"."""

from __future__ import annotations

import json
from typing import Any

import pydantic
from django.utils.translation import gettext as _
from ninja import Router

from jieban.api.schemas import ERRORS, TicketIn
from jieban.errors import Conflict, InvalidInput
from jieban.http import AuthenticatedRequest
from jieban.inputs import check_every_text
from jieban.intake.actions import MAX_BATCH, BatchResult, TicketDraft, register_tickets

router = Router(tags=["tickets"])

BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["items"],
                    "properties": {
                        "items": {
                            "type": "array",
                            "maxItems": MAX_BATCH,
                            # Any item is taken and answered in its own result: one not in
                            # the shape of TicketIn is that item's 400, not the request's.
                            "items": {
                                "description": (
                                    "A ticket in the shape of TicketIn (POST /tickets); an "
                                    "item that is not is refused in its own result (400)."
                                )
                            },
                        }
                    },
                }
            }
        },
    }
}


@router.post("/tickets/batch", response={200: dict[str, Any], **ERRORS}, openapi_extra=BODY)
def create_tickets(request: AuthenticatedRequest) -> dict[str, Any]:
    """Up to 500 tickets at once: `{"items": [...]}` → `{"results": [...]}`, each
    `{"status": 201|200, "number": …}` or `{"status": 400|409, "detail": …, "field": …}`."""
    items = _items(request.body)
    drafts: dict[int, TicketDraft] = {}
    refused: dict[int, dict[str, Any]] = {}
    for index, item in enumerate(items):
        try:
            drafts[index] = _draft(item)
        except InvalidInput as exc:
            refused[index] = _refusal(400, exc, index)
    order = list(drafts)
    outcomes = dict(
        zip(order, register_tickets(list(drafts.values()), by=request.user), strict=True)
    )
    results = [
        refused[index] if index in refused else _result(outcomes[index], index)
        for index in range(len(items))
    ]
    return {"results": results}


def _items(body: bytes) -> list[Any]:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise InvalidInput(_("The request body is not valid JSON."), field="body") from None
    if not isinstance(data, dict):
        raise InvalidInput(_("The request body must be a JSON object."), field="body")
    items = data.get("items")
    if not isinstance(items, list):
        raise InvalidInput(_("items must be a list of tickets."), field="items")
    if len(items) > MAX_BATCH:
        raise InvalidInput(
            _("A batch holds at most %(max)d tickets (%(count)d given).")
            % {"max": MAX_BATCH, "count": len(items)},
            field="items",
        )
    return items


def _draft(item: Any) -> TicketDraft:
    if not isinstance(item, dict):
        raise InvalidInput(_("Each item must be a JSON object."))
    # What the single endpoint's parser checks of a body: no text with a control character.
    check_every_text(item)
    try:
        ticket = TicketIn.model_validate(item)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first.get("loc", ())) or None
        message = str(first.get("msg", _("Invalid input.")))
        if first.get("type") == "missing":
            message = _("This field is required.")
        raise InvalidInput(f"{field}: {message}" if field else message, field=field) from None
    return TicketDraft(**ticket.dict())


def _refusal(status: int, exc: InvalidInput | Conflict, index: int) -> dict[str, Any]:
    field = f"items[{index}].{exc.field}" if exc.field else f"items[{index}]"
    return {"status": status, "detail": exc.message, "field": field}


def _result(result: BatchResult, index: int) -> dict[str, Any]:
    if result.error is not None:
        return _refusal(result.status, result.error, index)
    assert result.ticket is not None
    return {"status": result.status, "number": result.ticket.number}
