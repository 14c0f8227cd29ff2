"""What the pages' forms share: names in the page's language, choices of units and
categories, a field of several files. Each area keeps its forms in its own `forms.py`.

Forms parse what a page posts; every rule on the values lives in the domain layer. The fields
are deliberately lenient (no `required`, no `max_length` on free text): the domain function
checks each value and its message is put back on the field, so a page and the API say the same
thing about the same mistake.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.functional import Promise
from django.utils.translation import get_language

from jieban.org.models import Unit, UnitKind
from jieban.tickets.models import Category

# Re-exported for the pages that import it from here: it lives with the other error answers.
from jieban.web.errors import put_domain_error as put_domain_error


def localized_name(item: Unit | Category) -> str:
    """The English name on English pages when there is one, else the Chinese name."""
    language = get_language() or ""
    if language.startswith("en") and item.name_en:
        return item.name_en
    return item.name


def category_choices(categories: Iterable[Category]) -> list[tuple[str, str]]:
    """Parents first, each followed by its children labelled "parent / child"."""
    items = list(categories)
    by_parent: dict[int | None, list[Category]] = {}
    for item in items:
        by_parent.setdefault(item.parent_id, []).append(item)
    choices: list[tuple[str, str]] = []

    def walk(parent_id: int | None, prefix: str) -> None:
        for item in by_parent.get(parent_id, []):
            label = f"{prefix}{localized_name(item)}"
            choices.append((item.code, label))
            walk(item.pk, f"{label} / ")

    walk(None, "")
    return choices


def unit_choices(units: Iterable[Unit]) -> list[tuple[str, str]]:
    return [(unit.code, f"{localized_name(unit)} ({unit.code})") for unit in units]


# The unit picker's groups in order: police stations first, where most tickets go, then the
# other kinds as declared.
UNIT_KIND_ORDER = [UnitKind.STATION, *(kind for kind in UnitKind if kind != UnitKind.STATION)]


def grouped_unit_choices(units: Iterable[Unit]) -> list[tuple[str, list[tuple[str, str]]]]:
    """The units by kind, one `<optgroup>` per kind, police stations first."""
    by_kind: dict[str, list[Unit]] = {}
    for unit in units:
        by_kind.setdefault(unit.kind, []).append(unit)
    return [
        (str(kind.label), unit_choices(by_kind[kind]))
        for kind in UNIT_KIND_ORDER
        if kind in by_kind
    ]


def searchable(label: str | Promise, placeholder: str | Promise) -> dict[str, str | Promise]:
    """The attributes that give a `<select>` a search box before it (site.js): typing narrows
    the options, Enter picks the first match."""
    return {
        "data-searchable": "",
        "data-search-label": label,
        "data-search-placeholder": placeholder,
    }


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name; the domain checks type and size."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []
