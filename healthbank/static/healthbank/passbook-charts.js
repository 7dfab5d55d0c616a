/*
 * Passbook charts: draws every <canvas data-chart="ID"> with Chart.js (vendor/chartjs/chart.umd.js, loaded
 * before this file; both `defer`) from the JSON island <script type="application/json" id="ID"> that Django's
 * json_script filter writes. No inline script is needed, so the Content-Security-Policy stays strict.
 *
 * The canvas keeps its role="img" and aria-label (the page also gives the data as a table); this file never
 * removes them, and only adds an aria-label from the title when the template gave none. The container sizes
 * the chart (maintainAspectRatio is off): put the canvas in a .chart-box (passbook.css).
 *
 * JSON shapes
 *
 *   Doughnut: the top diagnoses, each slice a link.
 *     {"type": "doughnut", "title": "...", "labels": ["...", ...], "values": [12, ...], "links": ["/url", ...]}
 *     Clicking a slice or its legend entry opens links[i]. With the chart focused (tabindex="0"), the arrow
 *     keys pick a slice and Enter (or Space) opens it; a polite live region beside the canvas says which.
 *     Each slice has a colour from a colour-blind-safe palette AND a pattern (stripes, dots, checks...) by
 *     its index, so colour is never the only cue. Legend entries read "label (count)".
 *
 *   Bar: the same without links ("horizontal": true lays the bars sideways for long labels; "unit" names the
 *   value axis).
 *     {"type": "bar", "title": "...", "labels": [...], "values": [...], "unit": "...", "horizontal": false}
 *
 *   Line: lab values or measurements over time.
 *     {"type": "line", "title": "...", "unit": "mg/dL",
 *      "series": [{"label": "...", "points": [{"x": "2025-03-01", "y": 123.4, "flag": "high"}]}],
 *      "reference": {"low": 70, "high": 99, "label": "..."},       // either bound may be null; label optional
 *      "x_labels": {"2025-03-01": "114/03/01"},                     // how each date is shown (ROC dates)
 *      "flag_labels": {"high": "...", "low": "..."}}                // optional legend and tooltip words
 *     x is an ISO date; all series share one category axis in date order, shown through x_labels. A point
 *     flagged "high" is a triangle pointing up, "low" one pointing down, both in vermillion and larger; flag
 *     "normal" or null is a round dot in the series colour. The reference range is a shaded band with dashed
 *     edges (the referenceBand plugin below). Each series has its own dash pattern as well as its colour.
 *
 * prefers-reduced-motion: reduce turns animation off. Charts that arrive later through htmx are drawn on
 * htmx:load and destroyed when htmx removes them. window.HealthBankCharts.draw(root) draws any others.
 */
(function () {
  "use strict";

  if (typeof window.Chart === "undefined") return; // the table beside the chart still carries the data
  const Chart = window.Chart;

  // Okabe-Ito: distinguishable with the common colour-vision deficiencies.
  const PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#6b7785"];
  const OUT_OF_RANGE = "#D55E00";
  const TEXT = "#1d2b36";
  const DASHES = [[], [8, 4], [2, 3], [12, 4, 3, 4], [4, 4], [1, 5]];
  const LEGEND_TEXT_MAX = 26;
  // Used when the JSON gives no flag_labels.
  const FLAG_WORDS = {
    zh: { high: "高於參考值", low: "低於參考值" },
    en: { high: "Above the reference range", low: "Below the reference range" },
  };

  const reducedMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  const lang = document.documentElement.lang || undefined;
  const numberFormat = new Intl.NumberFormat(lang, { maximumFractionDigits: 2 });

  function colour(i) {
    return PALETTE[i % PALETTE.length];
  }

  function isLight(hex) {
    const n = parseInt(hex.slice(1), 16);
    const r = (n >> 16) & 255, g = (n >> 8) & 255, b = n & 255;
    return 0.299 * r + 0.587 * g + 0.114 * b > 150;
  }

  // A small tile repeated over the slice: the colour as background, marks in a contrasting ink.
  function pattern(index) {
    const size = 12;
    const ratio = Math.max(1, Math.round(window.devicePixelRatio || 1));
    const tile = document.createElement("canvas");
    tile.width = tile.height = size * ratio;
    const c = tile.getContext("2d");
    c.scale(ratio, ratio);
    const base = colour(index);
    c.fillStyle = base;
    c.fillRect(0, 0, size, size);
    const ink = isLight(base) ? "rgba(0,0,0,0.55)" : "rgba(255,255,255,0.75)";
    c.strokeStyle = ink;
    c.fillStyle = ink;
    c.lineWidth = 2;
    const line = (x1, y1, x2, y2) => { c.beginPath(); c.moveTo(x1, y1); c.lineTo(x2, y2); c.stroke(); };
    const dot = (x, y, r) => { c.beginPath(); c.arc(x, y, r, 0, 2 * Math.PI); c.fill(); };
    switch (index % 8) {
      case 0: // diagonal stripes
        line(-3, 3, 3, -3); line(0, size, size, 0); line(size - 3, size + 3, size + 3, size - 3);
        break;
      case 1: // dots
        dot(3, 3, 1.8); dot(9, 9, 1.8);
        break;
      case 2: // horizontal lines
        line(0, 3, size, 3); line(0, 9, size, 9);
        break;
      case 3: // cross-hatch
        c.lineWidth = 1.4; line(0, 0, size, size); line(0, size, size, 0);
        break;
      case 4: // vertical lines
        line(3, 0, 3, size); line(9, 0, 9, size);
        break;
      case 5: // checks
        c.fillRect(0, 0, 6, 6); c.fillRect(6, 6, 6, 6);
        break;
      case 6: // rings
        c.lineWidth = 1.5; c.beginPath(); c.arc(6, 6, 3.2, 0, 2 * Math.PI); c.stroke();
        break;
      default: // back diagonal stripes
        line(0, 0, size, size); line(-6, 6, 6, size + 6); line(6, -6, size + 6, 6);
    }
    return c.createPattern(tile, "repeat");
  }

  function shorten(text) {
    text = String(text);
    return text.length > LEGEND_TEXT_MAX ? text.slice(0, LEGEND_TEXT_MAX - 1) + "…" : text;
  }

  // Only links back into this site are followed, whatever the JSON says.
  function sameSiteUrl(link) {
    if (!link) return null;
    try {
      const url = new URL(link, window.location.href);
      return url.origin === window.location.origin ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  function baseOptions(data) {
    return {
      maintainAspectRatio: false,
      responsive: true,
      animation: reducedMotion ? false : { duration: 400 },
      plugins: {
        title: { display: false }, // the page's caption or heading carries the title
        legend: { labels: { color: TEXT } },
        tooltip: { enabled: true },
      },
    };
  }

  // ---- doughnut and bar -------------------------------------------------------------------------------

  function categoryChart(canvas, data) {
    const values = (data.values || []).map(Number);
    const labels = (data.labels || []).map(String);
    const links = (data.links || []).map(sameSiteUrl);
    const fills = values.map((_, i) => pattern(i));
    const doughnut = data.type === "doughnut";
    const options = baseOptions(data);
    const open = (i) => { if (links[i]) window.location.assign(links[i]); };

    options.plugins.tooltip.callbacks = {
      label: (ctx) => " " + numberFormat.format(ctx.raw) + (data.unit ? " " + data.unit : ""), // the title names it
    };
    if (doughnut) {
      options.cutout = "52%";
      options.plugins.legend.position = canvas.parentElement && canvas.parentElement.clientWidth < 520 ? "bottom" : "right";
      options.plugins.legend.labels.generateLabels = (chart) =>
        Chart.overrides.doughnut.plugins.legend.labels.generateLabels(chart).map((item) => {
          item.text = shorten(labels[item.index]) + " (" + numberFormat.format(values[item.index]) + ")";
          return item;
        });
      options.plugins.legend.onClick = (event, item) => open(item.index);
      options.plugins.legend.onHover = (event) => { event.native.target.style.cursor = "pointer"; };
      options.plugins.legend.onLeave = (event) => { event.native.target.style.cursor = "default"; };
      options.onResize = (chart, size) => {
        const position = size.width < 520 ? "bottom" : "right";
        if (chart.options.plugins.legend.position !== position) {
          chart.options.plugins.legend.position = position;
          chart.update("none");
        }
      };
    } else {
      options.indexAxis = data.horizontal ? "y" : "x";
      options.plugins.legend.display = false;
      const valueAxis = data.horizontal ? "x" : "y";
      options.scales = {
        [valueAxis]: {
          beginAtZero: true,
          ticks: { color: TEXT, precision: 0 },
          title: { display: Boolean(data.unit), text: data.unit || "", color: TEXT },
        },
        [data.horizontal ? "y" : "x"]: { ticks: { color: TEXT, autoSkip: false } },
      };
    }
    if (links.some(Boolean)) {
      options.onClick = (event, elements) => { if (elements.length) open(elements[0].index); };
      options.onHover = (event, elements) => {
        event.native.target.style.cursor = elements.length && links[elements[0].index] ? "pointer" : "default";
      };
    }

    const chart = new Chart(canvas, {
      type: doughnut ? "doughnut" : "bar",
      data: {
        labels: labels,
        datasets: [{
          label: data.title || "",
          data: values,
          backgroundColor: fills,
          hoverBackgroundColor: fills,
          borderColor: doughnut ? "#fff" : values.map((_, i) => colour(i)),
          borderWidth: doughnut ? 2 : 1.5,
          hoverBorderColor: TEXT,
          hoverBorderWidth: 3,
        }],
      },
      options: options,
    });
    if (links.some(Boolean)) keyboard(canvas, chart, labels, values, links, open);
    return chart;
  }

  // Arrow keys choose a slice, Enter or Space opens its link; a live region says which slice is chosen.
  function keyboard(canvas, chart, labels, values, links, open) {
    if (!canvas.hasAttribute("tabindex")) canvas.setAttribute("tabindex", "0");
    const live = document.createElement("p");
    live.className = "visually-hidden";
    live.setAttribute("aria-live", "polite");
    canvas.insertAdjacentElement("afterend", live);
    let current = -1;
    const choose = (i) => {
      if (!labels.length) return;
      current = (i + labels.length) % labels.length;
      const active = [{ datasetIndex: 0, index: current }];
      chart.setActiveElements(active);
      const meta = chart.getDatasetMeta(0).data[current];
      if (meta) chart.tooltip.setActiveElements(active, meta.tooltipPosition ? meta.tooltipPosition() : { x: 0, y: 0 });
      chart.update("none");
      live.textContent = labels[current] + ": " + numberFormat.format(values[current]) + " (" + (current + 1) + "/" + labels.length + ")";
    };
    canvas.addEventListener("focus", () => choose(current < 0 ? 0 : current));
    canvas.addEventListener("blur", () => {
      chart.setActiveElements([]);
      chart.tooltip.setActiveElements([], { x: 0, y: 0 });
      chart.update("none");
    });
    canvas.addEventListener("keydown", (event) => {
      const keys = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 };
      if (event.key in keys) {
        choose(current + keys[event.key]);
      } else if (event.key === "Home") {
        choose(0);
      } else if (event.key === "End") {
        choose(labels.length - 1);
      } else if (event.key === "Enter" || event.key === " ") {
        if (current < 0) choose(0);
        open(current);
      } else {
        return;
      }
      event.preventDefault();
    });
  }

  // ---- line ---------------------------------------------------------------------------------------------

  // The reference range as a shaded band behind the lines, with dashed edges at the bounds that exist.
  const referenceBand = {
    id: "referenceBand",
    beforeDatasetsDraw(chart, args, opts) {
      if (!opts || (opts.low == null && opts.high == null)) return;
      const area = chart.chartArea;
      const y = chart.scales.y;
      const clamp = (v) => Math.min(area.bottom, Math.max(area.top, v));
      const top = opts.high == null ? area.top : clamp(y.getPixelForValue(opts.high));
      const bottom = opts.low == null ? area.bottom : clamp(y.getPixelForValue(opts.low));
      const ctx = chart.ctx;
      ctx.save();
      ctx.fillStyle = "rgba(0, 158, 115, 0.13)";
      ctx.fillRect(area.left, top, area.right - area.left, bottom - top);
      ctx.strokeStyle = "rgba(0, 110, 80, 0.75)";
      ctx.lineWidth = 1;
      ctx.setLineDash([5, 4]);
      [opts.high == null ? null : top, opts.low == null ? null : bottom].forEach((edge) => {
        if (edge == null || edge <= area.top || edge >= area.bottom) return;
        ctx.beginPath();
        ctx.moveTo(area.left, edge);
        ctx.lineTo(area.right, edge);
        ctx.stroke();
      });
      if (opts.label && bottom - top > 14) {
        ctx.setLineDash([]);
        ctx.fillStyle = "#0a5c42";
        ctx.font = "12px " + Chart.defaults.font.family;
        ctx.textBaseline = "top";
        ctx.fillText(opts.label, area.left + 6, top + 3);
      }
      ctx.restore();
    },
  };

  function isFlagged(point) {
    return Boolean(point) && (point.flag === "high" || point.flag === "low");
  }

  function lineChart(canvas, data) {
    const xLabels = data.x_labels || {};
    const series = data.series || [];
    const reference = data.reference || {};
    const flagWords = Object.assign({}, FLAG_WORDS[/^zh/i.test(lang || "") ? "zh" : "en"], data.flag_labels || {});
    const dates = Array.from(new Set([].concat.apply([], series.map((s) => (s.points || []).map((p) => String(p.x)))))).sort();
    const shown = (x) => (Object.prototype.hasOwnProperty.call(xLabels, x) ? xLabels[x] : x);
    const unit = data.unit ? " " + data.unit : "";

    const datasets = series.map((s, i) => {
      const base = colour(i);
      return {
        label: s.label,
        data: (s.points || [])
          .map((p) => ({ x: String(p.x), y: p.y == null ? null : Number(p.y), flag: p.flag || null }))
          .sort((a, b) => (a.x < b.x ? -1 : a.x > b.x ? 1 : 0)),
        borderColor: base,
        backgroundColor: base,
        borderWidth: 2,
        borderDash: DASHES[i % DASHES.length],
        spanGaps: true,
        tension: 0,
        pointStyle: (ctx) => (isFlagged(ctx.raw) ? "triangle" : "circle"),
        rotation: (ctx) => (ctx.raw && ctx.raw.flag === "low" ? 180 : 0),
        pointRadius: (ctx) => (isFlagged(ctx.raw) ? 6 : 3.5),
        pointHoverRadius: (ctx) => (isFlagged(ctx.raw) ? 8 : 5.5),
        pointBackgroundColor: (ctx) => (isFlagged(ctx.raw) ? OUT_OF_RANGE : base),
        pointBorderColor: (ctx) => (isFlagged(ctx.raw) ? TEXT : base),
        pointBorderWidth: (ctx) => (isFlagged(ctx.raw) ? 1.5 : 1),
      };
    });

    // Keep the whole band in view, not just the values.
    const ys = [].concat.apply([], datasets.map((d) => d.data.map((p) => p.y))).filter((v) => v != null);
    const bounds = ys.concat([reference.low, reference.high].filter((v) => v != null).map(Number));
    const span = bounds.length ? Math.max.apply(null, bounds) - Math.min.apply(null, bounds) : 0;
    const pad = span ? span * 0.08 : 1;

    const options = baseOptions(data);
    options.interaction = { mode: "nearest", intersect: false, axis: "x" };
    options.scales = {
      x: {
        type: "category",
        labels: dates,
        offset: true, // room for the first and last markers
        ticks: { color: TEXT, maxRotation: 50, autoSkipPadding: 8, callback: (value) => shown(dates[value]) },
      },
      y: {
        suggestedMin: bounds.length ? Math.min.apply(null, bounds) - pad : undefined,
        suggestedMax: bounds.length ? Math.max.apply(null, bounds) + pad : undefined,
        ticks: { color: TEXT },
        title: { display: Boolean(data.unit), text: data.unit || "", color: TEXT },
      },
    };
    options.plugins.referenceBand = { low: reference.low, high: reference.high, label: reference.label || "" };
    options.plugins.tooltip.callbacks = {
      title: (items) => (items.length && items[0].raw ? shown(items[0].raw.x) : ""),
      label: (ctx) => {
        const raw = ctx.raw || {};
        const flag = isFlagged(raw) ? " (" + flagWords[raw.flag] + ")" : "";
        return " " + ctx.dataset.label + ": " + numberFormat.format(raw.y) + unit + flag;
      },
    };
    // each series shows its line (with its dash) in the legend; flags present get their own entries
    const flagsPresent = ["high", "low"].filter((f) => datasets.some((d) => d.data.some((p) => p.flag === f)));
    options.plugins.legend.labels.usePointStyle = true;
    options.plugins.legend.labels.pointStyleWidth = 28;
    options.plugins.legend.labels.boxHeight = 8;
    options.plugins.legend.labels.generateLabels = (chart) => {
      // the default takes its colours from the first point, which may be a flagged one: use the line's own
      const items = Chart.defaults.plugins.legend.labels.generateLabels(chart).map((item) => {
        const dataset = chart.data.datasets[item.datasetIndex];
        return Object.assign(item, {
          pointStyle: "line",
          rotation: 0,
          lineWidth: 2.5,
          strokeStyle: dataset.borderColor,
          fillStyle: dataset.borderColor,
          lineDash: dataset.borderDash,
        });
      });
      flagsPresent.forEach((flag) => {
        items.push({
          text: flagWords[flag],
          fillStyle: OUT_OF_RANGE,
          strokeStyle: TEXT,
          lineWidth: 1.5,
          pointStyle: "triangle",
          rotation: flag === "low" ? 180 : 0,
          fontColor: TEXT,
          hidden: false,
          datasetIndex: null,
        });
      });
      return items;
    };
    options.plugins.legend.onClick = function (event, item, legend) {
      if (item.datasetIndex == null) return; // the flag entries explain, they do not toggle
      Chart.defaults.plugins.legend.onClick.call(this, event, item, legend);
    };

    return new Chart(canvas, { type: "line", data: { labels: dates, datasets: datasets }, options: options, plugins: [referenceBand] });
  }

  // ---- wiring -------------------------------------------------------------------------------------------

  function drawOne(canvas) {
    if (Chart.getChart(canvas)) return;
    const island = document.getElementById(canvas.dataset.chart);
    if (!island) return;
    let data;
    try {
      data = JSON.parse(island.textContent);
    } catch (e) {
      console.warn("passbook-charts: unreadable chart data", canvas.dataset.chart);
      return;
    }
    if (!data || typeof data !== "object") return;
    if (!canvas.hasAttribute("role")) canvas.setAttribute("role", "img");
    if (!canvas.hasAttribute("aria-label") && data.title) canvas.setAttribute("aria-label", data.title);
    // lets passbook.css give a doughnut (legend under the ring on a phone) more height
    if (canvas.parentElement && /^[a-z]+$/.test(String(data.type))) canvas.parentElement.classList.add("chart-box-" + data.type);
    if (data.type === "doughnut" || data.type === "bar") categoryChart(canvas, data);
    else if (data.type === "line") lineChart(canvas, data);
  }

  function draw(root) {
    const scope = root && root.querySelectorAll ? root : document;
    const canvases = Array.from(scope.querySelectorAll("canvas[data-chart]"));
    if (scope.matches && scope.matches("canvas[data-chart]")) canvases.push(scope);
    canvases.forEach(drawOne);
  }

  Chart.defaults.font.family = window.getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = TEXT;

  window.HealthBankCharts = { draw: draw };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => draw(document));
  else draw(document);
  document.addEventListener("htmx:load", (event) => draw(event.detail && event.detail.elt));
  document.addEventListener("htmx:beforeCleanupElement", (event) => {
    const elt = event.detail && event.detail.elt;
    const chart = elt && elt.tagName === "CANVAS" ? Chart.getChart(elt) : null;
    if (chart) chart.destroy();
  });
})();
