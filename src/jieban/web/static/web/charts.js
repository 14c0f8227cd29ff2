// Draws the charts of the statistics pages with the vendored Apache ECharts. Each chart is a
// <div data-chart="ID" data-height="PIXELS"> whose spec is the JSON in
// <script id="ID" type="application/json"> (Django's json_script, which the
// Content-Security-Policy lets be: it is data, never run):
//   {categories: [...], horizontal: bool, series: [{name, kind: "bar"|"line", data: [...],
//    axis: "rate" (percentages 0..100, already rounded to two decimals by the bureau's rule, as
//    the tables show them), stack}]}
// The tables beside each chart carry the same figures, so a page without JavaScript loses
// nothing but the pictures.
(function () {
  "use strict";

  function percent(value) {
    if (value === null || value === undefined || value === "-") return "—";
    return Number(value).toFixed(2) + "%";
  }

  function option(spec) {
    var hasRate = spec.series.some(function (item) { return item.axis === "rate"; });
    var categoryAxis = {
      type: "category",
      data: spec.categories,
      axisLabel: { hideOverlap: true, width: 120, overflow: "truncate" },
      inverse: Boolean(spec.horizontal)
    };
    var valueAxes = [{ type: "value", minInterval: 1 }];
    if (hasRate) {
      valueAxes.push({
        type: "value",
        min: 0,
        max: 100,
        splitLine: { show: false },
        axisLabel: { formatter: function (value) { return Math.round(value) + "%"; } }
      });
    }
    var series = spec.series.map(function (item) {
      var out = { name: item.name, type: item.kind || "bar", data: item.data };
      if (item.stack) out.stack = item.stack;
      if (item.axis === "rate") {
        out[spec.horizontal ? "xAxisIndex" : "yAxisIndex"] = 1;
        out.tooltip = { valueFormatter: percent };
        out.connectNulls = false;
        out.symbolSize = 5;
      } else if (out.type === "line") {
        out.symbolSize = 5;
      }
      return out;
    });
    return {
      animation: false,
      tooltip: { trigger: "axis", confine: true, renderMode: "richText" },
      legend: { type: "scroll", top: 0 },
      grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
      xAxis: spec.horizontal ? valueAxes : categoryAxis,
      yAxis: spec.horizontal ? categoryAxis : valueAxes,
      series: series
    };
  }

  function draw(element) {
    var source = document.getElementById(element.getAttribute("data-chart"));
    if (!source || !window.echarts) return;
    // Set here, not in a style attribute, which the Content-Security-Policy refuses.
    element.style.height = (Number(element.getAttribute("data-height")) || 300) + "px";
    var chart = window.echarts.init(element, null, { renderer: "svg" });
    chart.setOption(option(JSON.parse(source.textContent)));
    element.setAttribute("data-chart-ready", "true");
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function drawAll() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-chart]"), draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
