"""Template helpers for the pages: names in the page's language, masked phones, the menu."""

from __future__ import annotations

from typing import Any

from django import template

from jieban.tickets.access import mask_phone
from jieban.web.forms import localized_name
from jieban.web.menu import Menu, menu_for

register = template.Library()


@register.filter(name="localized")
def localized(item: Any) -> str:
    """A unit's or category's name in the page's language."""
    if item is None:
        return ""
    return localized_name(item)


@register.filter(name="masked")
def masked(phone: str | None) -> str:
    """A resident's phone as lists show it: `138****1234`."""
    return mask_phone(phone or "")


@register.simple_tag
def menu_of(user: Any) -> Menu:
    return menu_for(user)
