"""The grid map: the grids as they stood on a day, drawn from their boundaries with ECharts'
map series and coloured by a figure the person picks, with each grid's figures on hover and a
click through to its tickets; the grids without a boundary, and every grid's figures, in tables.

The page carries the figures (json_script: data, which the Content-Security-Policy lets be);
the boundaries come from `shapes.json`, a compact GeoJSON FeatureCollection registered with
`echarts.registerMap` in the browser (no tiles, no outside service). It is kept in the cache
by the grids' versions, so it is built again only when a boundary is redrawn.

Who: `can_see_grid_map`; which grids: `jieban.community.access.mapped_grids`; which tickets
the figures count: `jieban.stats.figures.figures_by_grid`, the statistics page's own.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from jieban.community.access import mapped_grids
from jieban.community.models import GridVersion
from jieban.community.selectors import GridPlace
from jieban.errors import InvalidInput
from jieban.http import AuthenticatedRequest
from jieban.inputs import check_day, parse_day
from jieban.org.actors import Viewer
from jieban.org.models import User
from jieban.org.permissions import can_see_grid_map, has_inbox, sees_whole_bureau
from jieban.stats.figures import GridFigures, figures_by_grid
from jieban.stats.rates import configured_rounding, percent
from jieban.tickets.models import OPEN
from jieban.web.errors import answers_domain_errors, put_domain_error
from jieban.web.templatetags.jieban_web import localized

# The figures a person may colour the grids by, in the picker's order.
FIGURES = {
    "open": gettext_lazy("Open tickets"),
    "overdue": gettext_lazy("Overdue"),
    "received": gettext_lazy("Received this month"),
    "satisfaction": gettext_lazy("Satisfaction rate"),
}
# Six decimals of a degree are some 10 cm on the ground: more than a boundary drawn by hand
# holds, and a third of the bytes of a float's full repr.
DECIMALS = 6


class GridMapForm(forms.Form):
    at = forms.DateField(
        label=gettext_lazy("Grids as they stood on"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
        error_messages={"invalid": gettext_lazy("Enter a date as YYYY-MM-DD.")},
    )
    figure = forms.ChoiceField(label=gettext_lazy("Colour by"), choices=list(FIGURES.items()))


@dataclass(frozen=True)
class GridRow:
    """A grid on the map and in the tables: where it stood, its figures and its tickets."""

    place: GridPlace
    figures: GridFigures
    satisfaction: Decimal | None
    tickets_url: str

    @property
    def has_boundary(self) -> bool:
        return self.place.boundary is not None


def _may_see_map(user: Viewer) -> None:
    if not can_see_grid_map(user):
        raise PermissionDenied(
            _(
                "The grid map is for the command centre, the leaders and the police "
                "stations' leaders and officers."
            )
        )


def month_of(day: dt.date) -> tuple[dt.date, dt.date]:
    """The calendar month holding `day`, as the period [start, end)."""
    start = day.replace(day=1)
    end = (start + dt.timedelta(days=32)).replace(day=1)
    return start, end


@login_required
@require_safe
@answers_domain_errors
def grid_map(request: AuthenticatedRequest) -> HttpResponse:
    """The map of the grids that stood on `at` (today by default), coloured by `figure`."""
    _may_see_map(request.user)
    today = timezone.localdate()
    form = GridMapForm(
        {
            "at": request.GET.get("at") or today.isoformat(),
            "figure": request.GET.get("figure") or "open",
        }
    )
    context: dict[str, Any] = {"form": form, "rows": []}
    if not form.is_valid():
        return render(request, "web/community/grid_map.html", context, status=400)
    day: dt.date = form.cleaned_data["at"]
    try:
        check_day(day, field="at")
    except InvalidInput as exc:
        status = put_domain_error(form, exc)
        return render(request, "web/community/grid_map.html", context, status=status)
    figure: str = form.cleaned_data["figure"]
    start, end = month_of(day)
    rows = grid_rows(request.user, day, start=start, end=end, figure=figure)
    context.update(
        day=day,
        figure=figure,
        figure_label=FIGURES[figure],
        month=f"{start:%Y-%m}",
        rows=rows,
        unmapped=[row for row in rows if not row.has_boundary],
        mapped=sum(1 for row in rows if row.has_boundary),
        map_data=_map_data(rows, day=day, figure=figure),
    )
    return render(request, "web/community/grid_map.html", context)


def grid_rows(
    user: Viewer, day: dt.date, *, start: dt.date, end: dt.date, figure: str
) -> list[GridRow]:
    """The grids `user` sees on `day` with their figures of [start, end) and of now."""
    places = mapped_grids(user, day)
    by_code = figures_by_grid(user, start=start, end=end)
    rounding = configured_rounding()
    empty = GridFigures()
    base = tickets_query(user, figure=figure, start=start, end=end)
    rows = []
    for place in places:
        found = by_code.get(place.code, empty)
        rows.append(
            GridRow(
                place,
                found,
                percent(found.satisfied, found.visited, rounding),
                f"{reverse('web:ticket_list')}?{urlencode({'grid': place.code, **base})}",
            )
        )
    return rows


def tickets_query(user: Viewer, *, figure: str, start: dt.date, end: dt.date) -> dict[str, str]:
    """The ticket list's filters (besides the grid) that select the tickets a figure counts:
    those on someone's desk, those overdue, or those received in the month; and a unit's own,
    as its figures count only what it holds (`whose_tickets`)."""
    query: dict[str, str] = {}
    if isinstance(user, User) and not sees_whole_bureau(user) and has_inbox(user) and user.unit:
        query["unit"] = user.unit.code
    if figure == "open":
        query["status"] = ",".join(OPEN)
    elif figure == "overdue":
        query["overdue"] = "true"
    else:
        last = end - dt.timedelta(days=1)
        query.update(received_from=start.isoformat(), received_to=last.isoformat())
    return query


def _map_data(rows: list[GridRow], *, day: dt.date, figure: str) -> dict[str, Any]:
    """What static/web/grid_map.js draws: the figures of each grid with a boundary, keyed by
    its code (the name its feature carries in shapes.json), and the words it shows."""
    return {
        "shapes": f"{reverse('web:grid_map_shapes')}?{urlencode({'at': day.isoformat()})}",
        "figure": figure,
        "figures": {key: str(label) for key, label in FIGURES.items()},
        "words": {
            "noData": _("no data"),
            "grid": _("Grid"),
            "station": _("Station"),
            "clickThrough": _("Click for its tickets"),
        },
        "grids": [
            {
                "code": row.place.code,
                "name": row.place.name,
                "station": localized(row.place.station) if row.place.station else "",
                "open": row.figures.open,
                "overdue": row.figures.overdue,
                "received": row.figures.received,
                "satisfaction": float(row.satisfaction) if row.satisfaction is not None else None,
                "url": row.tickets_url,
            }
            for row in rows
            if row.has_boundary
        ],
    }


@login_required
@require_safe
@answers_domain_errors
def grid_map_shapes(request: AuthenticatedRequest) -> HttpResponse:
    """The boundaries of the grids the person sees on `at`, as a GeoJSON FeatureCollection
    whose features are named by grid code; built once per set of grid versions."""
    _may_see_map(request.user)
    raw = request.GET.get("at", "")
    day = parse_day(raw, field="at") if raw else timezone.localdate()
    scope = "all" if sees_whole_bureau(request.user) else f"station-{request.user.unit_id}"
    stamp = GridVersion.objects.aggregate(count=Count("pk"), last=Max("recorded_at"), top=Max("pk"))
    key = "gridmap-shapes:" + hashlib.sha256(
        f"{day.isoformat()}|{scope}|{stamp['count']}|{stamp['last']}|{stamp['top']}".encode()
    ).hexdigest()
    body = cache.get(key)
    if body is None:
        body = shapes_json(mapped_grids(request.user, day))
        cache.set(key, body, timeout=24 * 3600)
    return HttpResponse(body, content_type="application/json")


def shapes_json(places: list[GridPlace]) -> bytes:
    """The boundaries of `places` as compact GeoJSON: a feature per grid with a boundary,
    named by its code, its coordinates rounded to `DECIMALS`."""
    features = [
        {
            "type": "Feature",
            "properties": {"name": place.code},
            "geometry": {
                "type": place.boundary["type"],
                "coordinates": _rounded(place.boundary["coordinates"]),
            },
        }
        for place in places
        if place.boundary is not None
    ]
    collection = {"type": "FeatureCollection", "features": features}
    return json.dumps(collection, separators=(",", ":"), ensure_ascii=False).encode()


def _rounded(coordinates: Any) -> Any:
    if isinstance(coordinates, list):
        if coordinates and not isinstance(coordinates[0], list):
            return [round(value, DECIMALS) for value in coordinates[:2]]
        return [_rounded(item) for item in coordinates]
    return coordinates
