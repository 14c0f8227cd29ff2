"""The grid map: the grids as they stood on a day, drawn from their boundaries with ECharts'
map series and coloured by a figure the person picks, with each grid's figures on hover and a
click through to its tickets; the grids without a boundary, and every grid's figures, in tables.

The page carries the figures (json_script: data, which the Content-Security-Policy lets be);
the boundaries come from `shapes.json`, a compact GeoJSON FeatureCollection registered with
`echarts.registerMap` in the browser (no tiles, no outside service). It is kept in the cache,
gzipped too, by the grids' versions, so it is built again only when a boundary is redrawn.

Who: `can_see_grid_map`; which grids: `jieban.community.access.mapped_grids`; which tickets
the figures count: `jieban.stats.figures.figures_by_grid`, the statistics page's own.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from jieban.community.access import mapped_boundaries, mapped_grids
from jieban.community.models import GridVersion
from jieban.community.selectors import MapGrid
from jieban.errors import InvalidInput
from jieban.http import AuthenticatedRequest
from jieban.inputs import check_day, parse_day
from jieban.org.actors import Viewer
from jieban.org.models import Unit, UnitKind, User
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
# Five decimals of a degree are about a metre on the ground: as much as a boundary drawn by
# hand holds, and under half the bytes of a float's full repr.
DECIMALS = 5


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

    grid: MapGrid
    station: str
    figures: GridFigures
    satisfaction: Decimal | None
    tickets_url: str

    @property
    def has_boundary(self) -> bool:
        return self.grid.has_boundary


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
    # The table of every grid's figures instead of the map: the map's accessible alternative.
    as_table = request.GET.get("view") == "table"
    context: dict[str, Any] = {"form": form, "rows": [], "as_table": as_table}
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
    query = urlencode({"at": day.isoformat(), "figure": figure})
    context.update(
        day=day,
        figure=figure,
        figure_label=FIGURES[figure],
        month=f"{start:%Y-%m}",
        rows=rows,
        unmapped=[row for row in rows if not row.has_boundary],
        mapped=sum(1 for row in rows if row.has_boundary),
        map_url=f"{reverse('web:grid_map')}?{query}",
        table_url=f"{reverse('web:grid_map')}?{query}&view=table",
    )
    if not as_table:
        tickets = tickets_base(request.user, figure=figure, start=start, end=end)
        context["map_data"] = _map_data(rows, day=day, figure=figure, tickets=tickets)
    return render(request, "web/community/grid_map.html", context)


def grid_rows(
    user: Viewer, day: dt.date, *, start: dt.date, end: dt.date, figure: str
) -> list[GridRow]:
    """The grids `user` sees on `day` with their figures of [start, end) and of now."""
    grids = mapped_grids(user, day)
    by_code = figures_by_grid(user, start=start, end=end)
    stations = {
        station.pk: localized(station) for station in Unit.objects.filter(kind=UnitKind.STATION)
    }
    rounding = configured_rounding()
    empty = GridFigures()
    base = tickets_base(user, figure=figure, start=start, end=end)
    rows = []
    for grid in grids:
        found = by_code.get(grid.code, empty)
        rows.append(
            GridRow(
                grid,
                stations.get(grid.station_id, "") if grid.station_id else "",
                found,
                percent(found.satisfied, found.visited, rounding),
                base + quote(grid.code),
            )
        )
    return rows


def tickets_base(user: Viewer, *, figure: str, start: dt.date, end: dt.date) -> str:
    """The address of the ticket list selecting the tickets a figure counts, but for the grid's
    code, which ends it: those on someone's desk, those overdue, or those received in the
    month; and a unit's own, as its figures count only what it holds (`whose_tickets`)."""
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
    return f"{reverse('web:ticket_list')}?{urlencode(query)}&grid="


# The columns of each grid's row in the map's data, in order.
COLUMNS = ("code", "name", "station", *FIGURES)


def _map_data(rows: list[GridRow], *, day: dt.date, figure: str, tickets: str) -> dict[str, Any]:
    """What static/web/grid_map.js draws: a row per grid with a boundary (`COLUMNS`: its code,
    the name its feature carries in shapes.json, its name, its station's number in `stations`,
    its figures; the satisfaction rate as shown, or null), the address of a grid's tickets but
    for its code (`tickets`), and the words it shows. Rows, not objects: 2,000 grids stay small."""
    stations: dict[str, int] = {}
    grids = []
    for row in rows:
        if not row.has_boundary:
            continue
        number = stations.setdefault(row.station, len(stations)) if row.station else None
        figures = row.figures
        satisfaction = float(row.satisfaction) if row.satisfaction is not None else None
        grids.append(
            [
                row.grid.code,
                row.grid.name,
                number,
                figures.open,
                figures.overdue,
                figures.received,
                satisfaction,
            ]
        )
    return {
        "shapes": f"{reverse('web:grid_map_shapes')}?{urlencode({'at': day.isoformat()})}",
        "tickets": tickets,
        "figure": figure,
        "figures": {key: str(label) for key, label in FIGURES.items()},
        "columns": COLUMNS,
        "stations": list(stations),
        "words": {
            "noData": _("no data"),
            "station": _("Station"),
            "clickThrough": _("Click for its tickets"),
        },
        "grids": grids,
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
    # Any version recorded, corrected or removed changes the stamp, so the key.
    stamp = GridVersion.objects.aggregate(count=Count("pk"), last=Max("recorded_at"), top=Max("pk"))
    key = (
        "gridmap-shapes:"
        + hashlib.sha256(
            f"{day.isoformat()}|{scope}|{stamp['count']}|{stamp['last']}|{stamp['top']}".encode()
        ).hexdigest()
    )
    kept = cache.get(key)
    if kept is None:
        body = shapes_json(mapped_boundaries(request.user, day))
        # Compressed once here: 2,000 grids are some 900 KiB of JSON and a quarter of that
        # gzipped, for a slow district network.
        kept = (body, gzip.compress(body, compresslevel=6, mtime=0))
        cache.set(key, kept, timeout=24 * 3600)
    body, compressed = kept
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        response = HttpResponse(compressed, content_type="application/json")
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(body, content_type="application/json")
    patch_vary_headers(response, ["Accept-Encoding"])
    return response


def shapes_json(boundaries: list[tuple[str, Any]]) -> bytes:
    """`boundaries` ((code, boundary) pairs) as compact GeoJSON: a feature per grid, named by
    its code, its coordinates rounded to `DECIMALS`."""
    features = [
        {
            "type": "Feature",
            "properties": {"name": code},
            "geometry": {
                "type": boundary["type"],
                "coordinates": _rounded(boundary["coordinates"]),
            },
        }
        for code, boundary in boundaries
    ]
    collection = {"type": "FeatureCollection", "features": features}
    return json.dumps(collection, separators=(",", ":"), ensure_ascii=False).encode()


def _rounded(coordinates: Any) -> Any:
    if isinstance(coordinates, list):
        if coordinates and not isinstance(coordinates[0], list):
            return [round(value, DECIMALS) for value in coordinates[:2]]
        return [_rounded(item) for item in coordinates]
    return coordinates
