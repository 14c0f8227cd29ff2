"""Template helpers for the pages: names in the page's language, masked phones, periods with
their last day, the menu, the notification bell."""

from __future__ import annotations

from html import escape
from typing import Any

from django import template
from django.contrib.auth.models import AnonymousUser
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from jieban.notify import outbox
from jieban.org.actors import Viewer
from jieban.org.models import Unit, User
from jieban.tickets.access import mask_phone
from jieban.tickets.models import Category, SupervisionLevel
from jieban.web.forms import localized_name
from jieban.web.menu import Menu, menu_for
from jieban.web.stats.presenting import inclusive_period

register = template.Library()


@register.filter(name="localized")
def localized(item: Unit | Category | None) -> str:
    """A unit's or category's name in the page's language."""
    if item is None:
        return ""
    return localized_name(item)


@register.filter(name="masked")
def masked(phone: str | None) -> str:
    """A resident's phone as lists show it: `138****1234`."""
    return mask_phone(phone or "")


@register.simple_tag
def menu_of(user: Viewer) -> Menu:
    return menu_for(user)


@register.simple_tag
def unread_notifications(user: User | AnonymousUser) -> int:
    """The bell's count: one COUNT on an indexed column, once per page."""
    return outbox.unread_count(user)


@register.filter(name="inclusive_period")
def inclusive_period_filter(period: Any) -> str:
    """A period (anything with `start` and an exclusive `end`: a window, a published report)
    as people read it, its last day included: `2026-11-01 至 2026-11-30`."""
    return inclusive_period(period.start, period.end)


@register.filter(name="level_label")
def level_label(level: int | None) -> str:
    """督促办 · 重点办 · 深入办 for 1-3; nothing for a ticket never supervised."""
    if not level or level not in SupervisionLevel.values:
        return ""
    return str(SupervisionLevel(level).label)


# The escaped column labels of figure cells, per language: translated once, not once per cell.
_CELL_LABELS: dict[str, dict[str, str]] = {}


@register.simple_tag
def figure_cells(cells: list[Any]) -> SafeString:
    """The `<td>` of each figure cell of a table row.

    Built here rather than by an include per cell, and with the standard library's `escape`
    rather than `format_html` (whose lazy-string checks cost more than the page's queries): a
    monthly report has some 600 cells."""
    labels = _CELL_LABELS.setdefault(get_language() or "", {})
    # Every value in the cells is escaped in _figure_cell.
    return mark_safe("".join(_figure_cell(cell, labels) for cell in cells))


def _figure_cell(cell: Any, labels: dict[str, str]) -> str:
    text = escape(str(cell.text))
    if cell.href:
        text = f'<a href="{escape(cell.href)}">{text}</a>'
    fraction = ""
    if cell.parts:
        parts = "/".join(
            (
                f'<span data-field="{escape(part.field)}" data-value="{part.value:d}">'
                if part.field
                else "<span>"
            )
            + f"{part.value:d}</span>"
            for part in cell.parts
        )
        fraction = f' <span class="fraction">{parts}</span>'
    rate = " rate" if cell.is_rate else ""
    label = labels.get(cell.field)
    if label is None:
        label = labels[cell.field] = escape(str(cell.label))
    return (
        f'<td class="num{rate}" data-label="{label}" '
        f'data-field="{escape(cell.field)}" data-value="{escape(cell.data_value)}">'
        f"{text}{fraction}</td>"
    )


@register.filter(name="thousands")
def thousands(value: int | None) -> str:
    """A count with its thousands separated (50,000), as the bureau's documents write it."""
    if value is None:
        return ""
    return f"{int(value):,}"
