// Draws the grid map with the vendored Apache ECharts: the boundaries come from the page's
// own shapes.json (GeoJSON in WGS-84 longitude/latitude, registered with echarts.registerMap:
// no tiles, nothing from outside), the figures from <script id="grid-map-data"
// type="application/json"> (Django's json_script: data, which the Content-Security-Policy
// lets be). Picking another figure shows the page for it at once; the form's "Show" button
// does the same without JavaScript. The table under the map carries every figure too.
(function () {
  "use strict";

  var MAP_NAME = "jieban-grids";

  function shown(value, figure, words) {
    if (value === null || value === undefined) return words.noData;
    return figure === "satisfaction" ? Number(value).toFixed(2) + "%" : String(value);
  }

  // The page sends a row per grid (spec.columns: code, name, station's number, figures):
  // objects here.
  function grids(spec) {
    return spec.grids.map(function (row) {
      var grid = {};
      spec.columns.forEach(function (column, index) { grid[column] = row[index]; });
      grid.station = grid.station === null ? "" : spec.stations[grid.station];
      grid.url = spec.tickets + encodeURIComponent(grid.code);
      return grid;
    });
  }

  function option(spec, all, figure) {
    var values = all.map(function (grid) { return grid[figure]; });
    var known = values.filter(function (value) { return value !== null && value !== undefined; });
    var rate = figure === "satisfaction";
    var top = rate ? 100 : Math.max(1, Math.max.apply(null, known.concat([0])));
    var words = spec.words;
    return {
      animation: false,
      tooltip: {
        trigger: "item",
        confine: true,
        // Text, not HTML: ECharts' HTML tooltip writes style attributes, which the
        // Content-Security-Policy refuses.
        renderMode: "richText",
        formatter: function (params) {
          var grid = params.data && params.data.grid;
          if (!grid) return params.name;
          var lines = [grid.code + " " + grid.name];
          if (grid.station) lines.push(words.station + ": " + grid.station);
          Object.keys(spec.figures).forEach(function (key) {
            lines.push(spec.figures[key] + ": " + shown(grid[key], key, words));
          });
          lines.push(words.clickThrough);
          return lines.join("\n");
        }
      },
      visualMap: {
        type: "continuous",
        min: 0,
        max: top,
        calculable: true,
        formatter: function (value) { return shown(rate ? value : Math.round(value), figure, words); },
        left: 8,
        bottom: 8,
        itemHeight: 120,
        // Satisfaction: low is bad (red), high good; counts: more is worse.
        inRange: { color: rate ? ["#c62828", "#fff59d", "#2e7d32"] : ["#e8f5e9", "#ffb74d", "#b71c1c"] }
      },
      series: [{
        type: "map",
        map: MAP_NAME,
        roam: true,
        selectedMode: false,
        nameProperty: "name",
        label: { show: false },
        emphasis: { label: { show: false }, itemStyle: { areaColor: "#90caf9" } },
        // A grid with no figure ("no data": a satisfaction rate without a call) keeps grey.
        itemStyle: { areaColor: "#e0e0e0", borderColor: "#455a64", borderWidth: 0.6 },
        data: all.map(function (grid) {
          var value = grid[figure];
          return { name: grid.code, value: value === null ? NaN : value, grid: grid };
        })
      }]
    };
  }

  function draw(element) {
    var source = document.getElementById("grid-map-data");
    if (!source || !window.echarts) return;
    var spec = JSON.parse(source.textContent);
    var picker = document.getElementById("id_figure");
    // Another figure is another page (its links select that figure's tickets): shown as
    // soon as it is picked, whether or not the boundaries have arrived yet.
    if (picker && picker.form) {
      picker.addEventListener("change", function () { picker.form.submit(); });
    }
    var request = new XMLHttpRequest();
    request.open("GET", spec.shapes);
    request.responseType = "json";
    request.onload = function () {
      if (request.status !== 200 || !request.response) return;
      window.echarts.registerMap(MAP_NAME, request.response);
      var chart = window.echarts.init(element, null, { renderer: "canvas" });
      chart.setOption(option(spec, grids(spec), spec.figure));
      chart.on("click", function (params) {
        if (params.data && params.data.grid) window.location.href = params.data.grid.url;
      });
      window.addEventListener("resize", function () { chart.resize(); });
      element.setAttribute("data-figure", spec.figure);
      element.setAttribute("data-map-ready", "true");
    };
    request.send();
  }

  function start() {
    var element = document.getElementById("grid-map");
    if (element) draw(element);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
