// Kempen's report charts: plain JavaScript over Chart.js (static/vendor/, from npm), no build step.
//
// Each chart is a <canvas> next to a <script type="application/json" data-chart="<canvas id>"> block holding
// its spec (kempen/reporting/charts.py decides what is drawn; this file only draws and formats). Kinds:
//   series     counts over time: sent as bars, opens/clicks/conversions as lines (conversions on a right axis)
//   intervals  one value per group with its confidence interval as error bars (chartjs-chart-error-bars)
//   bars       grouped bars (revenue and cost per channel, budget planned vs actual)
// Without JavaScript the canvases stay hidden and the captions, numbers and tables carry the page.
// Also here: selects marked data-autosubmit submit their form, and editing a custom date picks "Custom dates".
(function () {
  "use strict";

  const COLOURS = {
    sent: "#c7d2fe", opens: "#4f46e5", clicks: "#16a34a", conversions: "#d97706",
    revenue: "#16a34a", cost: "#b42318", planned: "#c7d2fe", actual: "#4f46e5",
  };
  const FALLBACK = ["#4f46e5", "#16a34a", "#d97706", "#0891b2", "#b42318", "#7c3aed"];
  const INTERVAL = { fill: "rgba(79, 70, 229, .28)", leader: "rgba(79, 70, 229, .6)", line: "#1c2330" };

  function formatter(spec) {
    if (spec.unit === "percent") {
      return (v) => (v === null || v === undefined ? "—" : (v * 100).toFixed(1) + " %");
    }
    if (spec.unit === "money") {
      let money;
      try {
        money = new Intl.NumberFormat(undefined, { style: "currency", currency: spec.currency || "EUR" });
      } catch (e) {
        money = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
      }
      return (v) => (v === null || v === undefined ? "—" : money.format(v));
    }
    const count = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });
    return (v) => (v === null || v === undefined ? "—" : count.format(v));
  }

  function colour(dataset, index) {
    return COLOURS[dataset.key] || FALLBACK[index % FALLBACK.length];
  }

  function baseOptions(spec, format) {
    const reduced = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    return {
      responsive: true,
      maintainAspectRatio: false,
      animation: reduced ? false : { duration: 400 },
      interaction: { mode: "index", intersect: false },
      plugins: {
        legend: { position: "bottom", labels: { boxWidth: 12 } },
        tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${format(item.parsed.y)}` } },
      },
      scales: {
        x: { grid: { display: false }, ticks: { maxRotation: 0, autoSkip: true, autoSkipPadding: 12 } },
        y: { beginAtZero: true, ticks: { callback: (v) => format(v) } },
      },
    };
  }

  function seriesConfig(spec) {
    const format = formatter(spec);
    const options = baseOptions(spec, format);
    const right = spec.datasets.some((d) => d.axis === "right" && d.values.some((v) => v));
    if (right) {
      options.scales.y1 = { position: "right", beginAtZero: true, grid: { drawOnChartArea: false },
        title: { display: true, text: "Conversions" } };
    }
    const datasets = spec.datasets
      .filter((d) => d.axis !== "right" || right)
      .map((d, i) => ({
        type: d.type, label: d.label, data: d.values, yAxisID: d.axis === "right" ? "y1" : "y",
        backgroundColor: colour(d, i), borderColor: colour(d, i), borderWidth: d.type === "line" ? 2 : 0,
        pointRadius: spec.labels.length > 40 ? 0 : 2, tension: 0, order: d.type === "bar" ? 2 : 1, maxBarThickness: 40,
      }));
    return { type: "bar", data: { labels: spec.labels, datasets }, options };
  }

  function intervalsConfig(spec) {
    const format = formatter(spec);
    const d = spec.datasets[0];
    const highlight = spec.highlight || [];
    const options = baseOptions(spec, format);
    options.plugins.legend = { display: false };
    options.interaction = { mode: "nearest", intersect: true };
    options.plugins.tooltip.callbacks.label = (item) => {
      const i = item.dataIndex;
      const interval = d.low[i] === null ? "" : ` (${format(d.low[i])} to ${format(d.high[i])})`;
      const note = d.notes && d.notes[i] ? ` · ${d.notes[i]}` : "";
      return `${format(d.values[i])}${interval}${note}`;
    };
    const data = d.values.map((v, i) => ({
      y: v, yMin: d.low[i] === null ? undefined : d.low[i], yMax: d.high[i] === null ? undefined : d.high[i],
    }));
    return {
      type: "barWithErrorBars",
      data: {
        labels: spec.labels,
        datasets: [{
          label: d.label, data,
          backgroundColor: d.values.map((_, i) => (highlight[i] ? INTERVAL.leader : INTERVAL.fill)),
          borderColor: "#4f46e5", borderWidth: 1, maxBarThickness: 90,
          errorBarColor: INTERVAL.line, errorBarWhiskerColor: INTERVAL.line,
          errorBarLineWidth: 2, errorBarWhiskerLineWidth: 2, errorBarWhiskerRatio: 0.3,
        }],
      },
      options,
    };
  }

  function barsConfig(spec) {
    const format = formatter(spec);
    const datasets = spec.datasets.map((d, i) => ({
      label: d.label, data: d.values, backgroundColor: colour(d, i), maxBarThickness: 48,
    }));
    return { type: "bar", data: { labels: spec.labels, datasets }, options: baseOptions(spec, format) };
  }

  const BUILDERS = { series: seriesConfig, intervals: intervalsConfig, bars: barsConfig };

  function draw(block) {
    const canvas = document.getElementById(block.dataset.chart);
    if (!canvas) return;
    const spec = JSON.parse(block.textContent);
    const build = BUILDERS[spec.kind];
    if (!build) return;
    canvas.parentElement.hidden = false;
    if (spec.kind !== "series") {
      // Few categories on a wide page would spread the bars far apart: give each group its own width instead.
      const perGroup = spec.datasets.length * 64 + 56;
      canvas.parentElement.style.maxWidth = `${Math.max(320, spec.labels.length * perGroup + 96)}px`;
    }
    const chart = new window.Chart(canvas, build(spec));
    canvas.dataset.drawn = spec.kind;
    return chart;
  }

  function drawAll() {
    if (!window.Chart) return;
    if (window.ChartErrorBars) {
      window.Chart.register(window.ChartErrorBars.BarWithErrorBarsController, window.ChartErrorBars.BarWithErrorBar);
    }
    window.Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    window.Chart.defaults.color = "#5f6b7a";
    document.querySelectorAll('script[type="application/json"][data-chart]').forEach((block) => {
      try {
        draw(block);
      } catch (error) {
        // One bad chart must not stop the others; its caption and table are still there.
        console.error("Kempen: chart not drawn", block.id, error);
      }
    });
  }

  function wireForms() {
    document.querySelectorAll("select[data-autosubmit]").forEach((select) => {
      select.addEventListener("change", () => select.form && select.form.requestSubmit());
    });
    const period = document.getElementById("period");
    document.querySelectorAll("input[data-custom-period]").forEach((input) => {
      input.addEventListener("change", () => { if (period) period.value = "custom"; });
    });
  }

  drawAll();
  wireForms();
})();
