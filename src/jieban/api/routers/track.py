"""Residents follow their own case: `GET /track`, public (no token, no session), answering
only what `jieban.exchange.tracking.CaseView` holds; rate-limited per address (429 with
Retry-After)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from jieban.api.schemas import ErrorOut
from jieban.api.serializers import local
from jieban.exchange.tracking import CaseView, look_up_case
from jieban.http import client_address

router = Router(tags=["residents"])


class CaseOut(Schema):
    number: str
    status: str = Field(
        description="new, dispatched, in_progress, resolved, closed, invalid, merged"
    )
    stage: str = Field(description="Where the case stands, in plain words")
    received_at: dt.datetime
    dispatched_at: dt.datetime | None
    due_at: dt.datetime | None
    resolved_at: dt.datetime | None
    unit: str = Field(description="The handling unit's name, once the case went to one")
    result: str = Field(description="The unit's result, once resolved")
    may_answer: bool = Field(description="Whether the resident may now say if satisfied")


def case_out(case: CaseView) -> dict[str, Any]:
    return {
        "number": case.number,
        "status": case.status,
        "stage": case.stage,
        "received_at": local(case.received_at),
        "dispatched_at": local(case.dispatched_at),
        "due_at": local(case.due_at),
        "resolved_at": local(case.resolved_at),
        "unit": case.unit,
        "result": case.result,
        "may_answer": case.may_answer,
    }


@router.get(
    "/track", response={200: CaseOut, (400, 404, 429): ErrorOut}, auth=None, tags=["residents"]
)
def track_case(request: HttpRequest, number: str = "", phone_last4: str = "") -> dict[str, Any]:
    """A resident's own case, by its number and the last four digits of their phone. Public;
    10 look-ups an hour per address (then 429 with Retry-After)."""
    return case_out(look_up_case(number, phone_last4, address=client_address(request)))
