"""Dispatch rules (派单规则): the command centre's rules, listed in order, written, moved and
switched on and off. Who may: `can_manage_dispatch_rules`, through the domain's actions."""

from __future__ import annotations

from typing import Any

from ninja import Field, Router, Schema, Status

from jieban.api.schemas import ERRORS, BodyBool, BodyFloat, Id, PathId
from jieban.http import AuthenticatedRequest
from jieban.suggestions.models import DispatchRule
from jieban.suggestions.rules import (
    RuleDraft,
    access_rule,
    create_rule,
    move_rule,
    update_rule,
    visible_rules,
)

router = Router()


class DispatchRuleIn(Schema):
    name: str
    category: str = Field(description="A category's code; the rule holds under it too")
    unit: str = Field(description="The code of the unit the rule dispatches to")
    station: str | None = Field(
        default=None, description="A police station's code: only grids in its area"
    )
    dispatch_at_confidence: BodyFloat | None = Field(
        default=None,
        description="Dispatch at once when the category suggestion's confidence is at least "
        "this (0 to 1) and the grid is known; null: only suggest the unit",
    )
    enabled: BodyBool = True


class MoveIn(Schema):
    position: Id = Field(description="1: tried first; beyond the last: last")


class DispatchRuleOut(Schema):
    id: int
    position: int
    name: str
    enabled: bool
    category: str
    station: str | None
    unit: str
    dispatch_at_confidence: float | None


def rule_out(rule: DispatchRule) -> dict[str, Any]:
    return {
        "id": rule.pk,
        "position": rule.position,
        "name": rule.name,
        "enabled": rule.enabled,
        "category": rule.category.code,
        "station": rule.station.code if rule.station else None,
        "unit": rule.unit.code,
        "dispatch_at_confidence": rule.dispatch_at_confidence,
    }


@router.get("/dispatch-rules", response={200: list[DispatchRuleOut], **ERRORS}, tags=["rules"])
def list_rules(request: AuthenticatedRequest) -> list[dict[str, Any]]:
    """The dispatch rules in the order they are tried."""
    return [rule_out(rule) for rule in visible_rules(request.user)]


@router.post("/dispatch-rules", response={201: DispatchRuleOut, **ERRORS}, tags=["rules"])
def post_rule(request: AuthenticatedRequest, payload: DispatchRuleIn) -> Status:
    """Add a rule, tried after the others."""
    return Status(201, rule_out(create_rule(RuleDraft(**payload.dict()), by=request.user)))


@router.get("/dispatch-rules/{pk}", response={200: DispatchRuleOut, **ERRORS}, tags=["rules"])
def get_rule(request: AuthenticatedRequest, pk: PathId) -> dict[str, Any]:
    return rule_out(access_rule(request.user, pk))


@router.put("/dispatch-rules/{pk}", response={200: DispatchRuleOut, **ERRORS}, tags=["rules"])
def put_rule(request: AuthenticatedRequest, pk: PathId, payload: DispatchRuleIn) -> dict[str, Any]:
    """Change a rule: its conditions, unit, threshold, and whether it is switched on."""
    return rule_out(update_rule(pk, RuleDraft(**payload.dict()), by=request.user))


@router.post(
    "/dispatch-rules/{pk}/move", response={200: list[DispatchRuleOut], **ERRORS}, tags=["rules"]
)
def post_move(request: AuthenticatedRequest, pk: PathId, payload: MoveIn) -> list[dict[str, Any]]:
    """Put a rule at `position`; the rules in their new order."""
    return [rule_out(rule) for rule in move_rule(pk, position=payload.position, by=request.user)]
