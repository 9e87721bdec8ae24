// Runway operator UI: confirmation before actions, and the overview's small charts.
// Loaded from /ui/assets (the pages allow scripts from this origin only, none inline).
(function () {
  "use strict";

  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (e) {
      if (!window.confirm(form.getAttribute("data-confirm"))) {
        e.preventDefault();
      }
    });
  });

  if (typeof uPlot === "undefined") {
    return;
  }
  var palette = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777"];
  var plots = [];
  document.querySelectorAll("[data-chart]").forEach(function (el) {
    var data = JSON.parse(el.getAttribute("data-chart"));
    var names = Object.keys(data.series);
    if (data.x.length === 0 || names.length === 0) {
      el.classList.add("empty");
      el.textContent = "no data in the last hour yet";
      return;
    }
    var series = [{}];
    var columns = [data.x];
    names.forEach(function (name, i) {
      series.push({ label: name, stroke: palette[i % palette.length], width: 1.5 });
      columns.push(data.series[name]);
    });
    var plot = new uPlot(
      {
        width: el.clientWidth,
        height: 150,
        series: series,
        legend: { live: false },
        // Always the last hour, however few points there are yet.
        scales: { x: { time: true, range: [data.from, data.to] } }
      },
      columns,
      el
    );
    plots.push({ plot: plot, el: el });
  });
  window.addEventListener("resize", function () {
    plots.forEach(function (p) {
      p.plot.setSize({ width: p.el.clientWidth, height: 150 });
    });
  });
})();
