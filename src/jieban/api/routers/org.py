"""The organisation: the bureau's units and the ticket categories, for clients' pick lists."""

from __future__ import annotations

from typing import Any

from ninja import Router

from jieban.api.schemas import ERRORS, CategoryOut, UnitOut
from jieban.http import AuthenticatedRequest
from jieban.org.models import Unit
from jieban.tickets.models import Category

router = Router()


def unit_out(unit: Unit) -> dict[str, Any]:
    return {
        "code": unit.code,
        "kind": unit.kind,
        "name": unit.name,
        "name_en": unit.name_en,
        "parent": unit.parent.code if unit.parent else None,
    }


def category_out(category: Category) -> dict[str, Any]:
    return {
        "code": category.code,
        "name": category.name,
        "name_en": category.name_en,
        "parent": category.parent.code if category.parent else None,
        "deadline_days": category.deadline_days,
        "practical": category.practical,
    }


@router.get("/units", response={200: list[UnitOut], **ERRORS}, tags=["organisation"])
def list_units(request: AuthenticatedRequest) -> list[dict[str, Any]]:
    units = Unit.objects.filter(is_active=True).select_related("parent").order_by("code")
    return [unit_out(unit) for unit in units]


@router.get("/categories", response={200: list[CategoryOut], **ERRORS}, tags=["organisation"])
def list_categories(request: AuthenticatedRequest) -> list[dict[str, Any]]:
    categories = Category.objects.filter(is_active=True).select_related("parent")
    return [category_out(category) for category in categories]
