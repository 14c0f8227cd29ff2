"""Template helpers for the pages: names in the page's language, masked phones, the menu,
the notification bell."""

from __future__ import annotations

from typing import Any

from django import template

from jieban.notify import outbox
from jieban.tickets.access import mask_phone
from jieban.tickets.models import SupervisionLevel
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


@register.simple_tag
def unread_notifications(user: Any) -> int:
    """The bell's count: one COUNT on an indexed column, once per page."""
    return outbox.unread_count(user)


@register.filter(name="level_label")
def level_label(level: int | None) -> str:
    """督促办 · 重点办 · 深入办 for 1-3; nothing for a ticket never supervised."""
    if not level or level not in SupervisionLevel.values:
        return ""
    return str(SupervisionLevel(level).label)
