"""The API of dispatch rules, and what POST /api/v1/tickets suggests: the grid and the unit."""

from __future__ import annotations

from typing import Any

import pytest

from jieban.community.actions import create_building
from tests.conftest import Cast

pytestmark = pytest.mark.django_db

RULE = {"name": "噪音 → 乙派出所", "category": "noise", "unit": "PS-B"}


def test_a_dispatcher_writes_moves_and_switches_rules(cast: Cast, api_as: Any) -> None:
    api = api_as(cast.dispatcher)
    first = api.post("/dispatch-rules", RULE)
    assert first.status_code == 201, first.content
    second = api.post("/dispatch-rules", RULE | {"name": "二", "dispatch_at_confidence": 0.9})
    assert second.json()["position"] == 2
    moved = api.post(f"/dispatch-rules/{second.json()['id']}/move", {"position": 1})
    assert [rule["name"] for rule in moved.json()] == ["二", "噪音 → 乙派出所"]
    off = api.put(f"/dispatch-rules/{first.json()['id']}", RULE | {"enabled": False})
    assert off.json()["enabled"] is False
    listed = api.get("/dispatch-rules").json()
    assert [(rule["position"], rule["enabled"]) for rule in listed] == [(1, True), (2, False)]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (RULE | {"dispatch_at_confidence": 2}, "dispatch_at_confidence"),
        (RULE | {"unit": "nope"}, "unit"),
        (RULE | {"station": "G-01"}, "station"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(
    cast: Cast, api_as: Any, body: dict[str, Any], field: str
) -> None:
    answer = api_as(cast.dispatcher).post("/dispatch-rules", body)
    assert answer.status_code == 400
    assert field in answer.content.decode()


def test_others_may_not(cast: Cast, api_as: Any) -> None:
    assert api_as(cast.supervisor).post("/dispatch-rules", RULE).status_code == 403
    assert api_as(cast.leader).get("/dispatch-rules").status_code == 403


def test_a_ticket_created_says_the_grid_and_unit_suggested(cast: Cast, api_as: Any) -> None:
    create_building(grid="G-01", kind="building", name="幸福小区3栋", address="幸福小区3栋",
                    by=cast.admin)  # fmt: skip
    api = api_as(cast.dispatcher)
    api.post("/dispatch-rules", RULE)
    body = {"channel": "phone", "content": "装修噪音", "category": "renovation_noise",
            "address": "城关镇幸福小区三栋502"}  # fmt: skip
    created = api.post("/tickets", body).json()
    assert created["suggested_grid"] == {
        "code": "G-01", "name": "第一网格", "reason": "地址匹配 幸福小区3栋 → 第一网格"
    }  # fmt: skip
    assert created["suggested_unit"] == {
        "code": "PS-B", "name": "乙派出所", "reason": "规则：噪音 → 乙派出所"
    }  # fmt: skip
    plain = api.post("/tickets", body | {"address": "无名路", "category": "other"}).json()
    assert (plain["suggested_grid"], plain["suggested_unit"]) == (None, None)
