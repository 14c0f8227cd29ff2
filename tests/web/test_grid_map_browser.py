"""In a real browser: the command centre opens the grid map from the menu; ECharts draws the
grids on a canvas from the boundaries it registered (no tiles, nothing from outside, under the
Content-Security-Policy), with the legend of the figure picked and each grid's figures in its
tooltip; a click on a grid opens its tickets. On a 375-pixel phone the page fits the width.
Screenshots go to test-artifacts/."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from jieban.community.actions import record_grid_version
from jieban.org.actors import SYSTEM
from jieban.org.models import Unit
from jieban.tickets.visits import record_visit
from tests.conftest import Cast, new_ticket
from tests.web.browser import (
    Screenshots,
    data_testid,
    desk_context,
    fits_width,
    log_in,
    phone_context,
)
from tests.web.conftest import dispatched, resolved

pytestmark = pytest.mark.browser

shot = Screenshots("grid-map-")


def square(west: float) -> dict[str, Any]:
    ring = [[west, 30.0], [west + 0.01, 30.0], [west + 0.01, 30.01], [west, 30.01], [west, 30.0]]
    return {"type": "Polygon", "coordinates": [ring]}


@pytest.fixture
def map_of_two(live_cast: Cast) -> Cast:
    """G-01 and G-02 side by side; G-01 with three open tickets, G-02 with one called back."""
    for code, west in (("G-01", 104.0), ("G-02", 104.01)):
        grid = Unit.objects.get(code=code)
        record_grid_version(grid, valid_from=dt.date(2020, 1, 1), boundary=square(west), by=SYSTEM)
    for _ in range(3):
        dispatched(live_cast, grid="G-01")
    ticket = resolved(live_cast, grid="G-02")
    record_visit(ticket.number, outcome="satisfied", note="", by=live_cast.dispatcher)
    new_ticket(live_cast.dispatcher, grid="G-02")  # open too, not G-01's
    return live_cast


def chart(page: Page, script: str) -> Any:
    """Evaluate `script` with `chart`, the map's ECharts instance, in the page."""
    return page.evaluate(
        "script => { const chart = echarts.getInstanceByDom(document.getElementById('grid-map'));"
        " return (new Function('chart', script))(chart); }",
        script,
    )


def test_the_centre_sees_the_map_and_clicks_through(
    map_of_two: Cast, live_server: Any, browser: Browser
) -> None:
    base = live_server.url
    page = desk_context(browser).new_page()
    refused: list[str] = []
    page.on(
        "console",
        lambda message: refused.append(message.text) if message.type == "error" else None,
    )
    log_in(page, base, "dispatcher")
    page.click(data_testid("menu-grid-map"))
    expect(page.locator("h1")).to_contain_text("网格地图")
    expect(page.locator("#grid-map[data-map-ready]")).to_have_count(1)
    expect(page.locator("#grid-map canvas")).not_to_have_count(0)
    # ECharts registered the grids' boundaries as a map of its own, named by grid code.
    names = page.evaluate(
        "echarts.getMap('jieban-grids').geoJSON.features.map(f => f.properties.name)"
    )
    assert names == ["G-01", "G-02"]
    # The legend runs from 0 to the most open tickets of a grid.
    assert chart(page, "const v = chart.getOption().visualMap[0]; return [v.min, v.max];") == [0, 3]
    # Each grid's figures in its tooltip.
    tooltip = chart(
        page,
        "const o = chart.getOption(); const item = o.series[0].data[0];"
        " return o.tooltip[0].formatter({name: item.name, data: item});",
    )
    assert "G-01" in tooltip and "未办结工单: 3" in tooltip and "满意率: 暂无数据" in tooltip
    # Hovering over G-01 on the canvas highlights it (the tooltip follows the mouse).
    chart(page, "window.hovered = []; chart.on('mouseover', p => window.hovered.push(p.name));")
    x, y = chart(page, "return chart.convertToPixel({seriesIndex: 0}, [104.005, 30.005]);")
    box = page.locator("#grid-map").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + x, box["y"] + y)
    page.wait_for_function("window.hovered.length > 0")
    assert page.evaluate("window.hovered[0]") == "G-01"
    shot(page, "desk")
    assert not [text for text in refused if "Content Security Policy" in text]

    page.mouse.click(box["x"] + x, box["y"] + y)
    page.wait_for_url(f"{base}/tickets/?status=new%2Cdispatched%2Cin_progress%2Cresolved&grid=G-01")
    expect(page.locator('[data-testid="total"]')).to_contain_text("3")

    # Another figure: the page for it, coloured by the satisfaction rate.
    page.goto(f"{base}/community/map/")
    page.select_option("#id_figure", "satisfaction")
    page.wait_for_url(re.compile(r"/community/map/\?.*figure=satisfaction"))
    expect(page.locator("#grid-map[data-map-ready]")).to_have_count(1)
    assert chart(page, "return chart.getOption().visualMap[0].max;") == 100


def test_the_map_fits_a_phone(map_of_two: Cast, live_server: Any, browser: Browser) -> None:
    base = live_server.url
    page = phone_context(browser).new_page()
    log_in(page, base, "leader_a")
    page.goto(f"{base}/community/map/")
    expect(page.locator("#grid-map[data-map-ready]")).to_have_count(1)
    expect(page.locator("#grid-map canvas")).not_to_have_count(0)
    assert fits_width(page)
    shot(page, "phone")
