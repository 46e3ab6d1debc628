// Metrics: a resource's instruments (by meter), and a chart of the chosen one over time with a line per
// set of attribute values (counters and gauges), or its percentiles per export interval (histograms).
// The choice lives in the address: /metrics?resource=api&scope=shop.api&name=shop.orders.
import { clear, h } from "/static/js/util.js";
import { compact, legend, lineChart } from "./chart.js";
import { getJSON, onTelemetry, resourceNames, resourceSelect, state, throttle } from "./common.js";

const KIND_LABELS = {
  counter: "Counter", updowncounter: "Up-down counter", gauge: "Gauge", histogram: "Histogram",
  exponential_histogram: "Histogram (exponential)", summary: "Summary",
};

function seriesName(attributes) {
  return attributes.length ? attributes.map(([k, v]) => `${k}=${v}`).join(", ") : "(no attributes)";
}

export default {
  mount(root, ctx) {
    this.ctx = ctx;
    const params = new URLSearchParams(location.search);
    this.resource = params.get("resource") || null;
    this.choice = params.get("name") ? { scope: params.get("scope") || "", name: params.get("name") } : null;
    this.hidden = new Set();
    this.series = null; // histogram: which attribute set the percentiles are of
    this.select = resourceSelect(this.resource, (name) => { this.resource = name; this.choice = null; this.changed(); }, { all: false, id: "metrics-resource" });
    this.list = h("nav", { class: "tl-instruments", id: "instruments", "aria-label": "Instruments" });
    this.panel = h("section", { class: "tl-metric", id: "metric" });
    clear(root).append(
      h("div", { class: "page-head" }, h("h1", {}, "Metrics")),
      h("div", { class: "toolbar" }, h("div", { class: "toolbar-group" }, this.select)),
      h("div", { class: "tl-metrics-split" }, this.list, this.panel));
    this.load = throttle(() => this.fetch(), 1000);
    this.off = onTelemetry((now, before) => {
      if (!this.resource && resourceNames().length) this.pickDefault();
      if (now.metrics !== before.metrics) this.load();
    });
    this.onResize = () => this.drawChart();
    window.addEventListener("resize", this.onResize);
    if (!this.resource) this.pickDefault();
    this.load.now();
  },

  unmount() {
    this.off?.();
    this.select?.dispose();
    window.removeEventListener("resize", this.onResize);
  },

  pickDefault() {
    const withMetrics = state.resources[0];
    if (!withMetrics) return;
    this.resource = withMetrics;
    this.changed();
  },

  changed() {
    const p = new URLSearchParams();
    if (this.resource) p.set("resource", this.resource);
    if (this.choice) { p.set("scope", this.choice.scope); p.set("name", this.choice.name); }
    history.replaceState(null, "", `/metrics${p.toString() ? `?${p}` : ""}`);
    if (this.select.value !== (this.resource || "")) this.select.value = this.resource || "";
    this.hidden = new Set();
    this.series = null;
    this.chart = null;
    this.load.now();
  },

  async fetch() {
    if (!this.resource) {
      clear(this.list).append(h("p", { class: "muted small" }, "Choose a resource."));
      clear(this.panel).append(h("p", { class: "empty" }, "No metrics yet: resources send them over OpenTelemetry (see docs/telemetry.md)."));
      return;
    }
    let instruments;
    try {
      instruments = await getJSON(`/api/telemetry/metrics/${encodeURIComponent(this.resource)}`);
    } catch (error) {
      instruments = [];
      if (error.status !== 404) clear(this.panel).append(h("p", { class: "error-text" }, error.message));
    }
    this.instruments = instruments;
    if (!this.choice && instruments.length) this.choice = { scope: instruments[0].scope, name: instruments[0].name };
    this.drawList();
    if (!this.choice) {
      clear(this.panel).append(h("p", { class: "empty" }, `${this.resource} has sent no metrics.`));
      return;
    }
    try {
      const p = new URLSearchParams({ scope: this.choice.scope, name: this.choice.name });
      this.chart = await getJSON(`/api/telemetry/metrics/${encodeURIComponent(this.resource)}/chart?${p}`);
    } catch (error) {
      clear(this.panel).append(h("p", { class: "empty" }, error.status === 404 ? "This instrument has no data." : error.message));
      return;
    }
    this.drawPanel();
  },

  drawList() {
    const groups = new Map();
    for (const i of this.instruments) {
      if (!groups.has(i.scope)) groups.set(i.scope, []);
      groups.get(i.scope).push(i);
    }
    clear(this.list);
    if (!this.instruments.length) { this.list.append(h("p", { class: "muted small" }, "No instruments.")); return; }
    for (const [scope, items] of groups) {
      this.list.append(h("h4", {}, scope || "(no meter name)"), h("ul", {}, items.map((i) => {
        const active = this.choice && this.choice.scope === i.scope && this.choice.name === i.name;
        return h("li", {}, h("button", {
          type: "button", class: `tl-instrument${active ? " active" : ""}`, "aria-current": active ? "true" : undefined,
          dataset: { instrument: i.name, scope: i.scope },
          onclick: () => { this.choice = { scope: i.scope, name: i.name }; this.changed(); },
        }, h("span", { class: "tl-instrument-name" }, i.name), h("span", { class: "muted small" }, `${KIND_LABELS[i.kind] || i.kind}${i.unit ? ` · ${i.unit}` : ""}`)));
      })));
    }
  },

  lines() {
    const c = this.chart;
    if (c.columns[0] === "value") {
      return c.series.map((s) => ({ name: seriesName(s.attributes), points: s.points.map(([t, v]) => [t, v]) }));
    }
    const pick = c.series.find((s) => seriesName(s.attributes) === this.series) || c.series[0];
    if (!pick) return [];
    this.series = seriesName(pick.attributes);
    const names = c.columns.slice(2);
    return names.map((n, i) => ({ name: n, points: pick.points.map((p) => [p[0], p[3 + i]]) }));
  },

  drawPanel() {
    const c = this.chart;
    const header = h("div", { class: "tl-metric-head" }, h("h2", { id: "metric-name" }, c.name),
      h("span", { class: "type-tag" }, KIND_LABELS[c.kind] || c.kind), c.unit ? h("span", { class: "tag" }, c.unit) : null,
      c.temporality ? h("span", { class: "muted small" }, c.temporality) : null);
    const description = c.description ? h("p", { class: "muted" }, c.description) : null;
    this.chartBox = h("div", { class: "tl-chart-box", id: "metric-chart" });
    let picker = null;
    if (c.columns[0] !== "value" && c.series.length > 1) {
      picker = h("select", { class: "input select", "aria-label": "Attribute values", id: "metric-series" },
        c.series.map((s) => h("option", { value: seriesName(s.attributes), selected: seriesName(s.attributes) === this.series ? true : undefined }, seriesName(s.attributes))));
      picker.addEventListener("change", () => { this.series = picker.value; this.hidden = new Set(); this.drawPanel(); });
    }
    this.legendBox = h("div");
    const table = this.valuesTable();
    clear(this.panel).append(...[header, description, picker ? h("div", { class: "toolbar" }, h("span", { class: "muted small" }, "Percentiles of"), picker) : null,
      this.chartBox, this.legendBox, h("h4", {}, "Latest values"), table,
      c.droppedSeries ? h("p", { class: "muted small" }, `${c.droppedSeries} points of further attribute sets were not kept.`) : null].filter(Boolean));
    this.drawChart();
  },

  drawChart() {
    if (!this.chart || !this.chartBox) return;
    const series = this.lines();
    const unit = this.chart.columns[0] === "value" ? this.chart.unit : this.chart.unit;
    lineChart(this.chartBox, series, { unit, hidden: this.hidden });
    clear(this.legendBox).append(legend(series, this.hidden, (name) => {
      if (this.hidden.has(name)) this.hidden.delete(name); else this.hidden.add(name);
      this.drawChart();
    }));
  },

  valuesTable() {
    const c = this.chart;
    const columns = ["Attributes", ...c.columns];
    return h("div", { class: "table-wrap" }, h("table", { class: "grid small", id: "metric-values" },
      h("thead", {}, h("tr", {}, columns.map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, c.series.map((s) => {
        const last = s.latest || s.points[s.points.length - 1] || [];  // histograms: totals so far
        return h("tr", { dataset: { series: seriesName(s.attributes) } }, h("td", {}, h("code", {}, seriesName(s.attributes))),
          c.columns.map((_, i) => h("td", {}, compact(last[i + 1]))));
      }))));
  },
};
