// Structured logs: the log records resources send over OTLP, newest first, filtered by resource, level and
// text (the filters live in the address: /structuredlogs?resource=api&level=error&q=timeout&trace=ID);
// a row opens its details (attributes, scope, trace and span), and jumps to its trace.
import { button, clear, debounce, h, icon } from "/static/js/util.js";
import {
  attributeTable, dateTime, getJSON, levelTag, link, onTelemetry, resourceChip, resourceSelect, state, throttle, time,
} from "./common.js";

const LEVELS = ["Trace", "Debug", "Information", "Warning", "Error", "Critical"];
const LIMIT = 500;

export default {
  mount(root, ctx) {
    this.ctx = ctx;
    const params = new URLSearchParams(location.search);
    this.filters = {
      resource: params.get("resource") || null,
      level: params.get("level") || "",
      q: params.get("q") || "",
      trace: params.get("trace") || null,
    };
    this.items = [];
    this.selected = null;
    this.version = -1;
    this.select = resourceSelect(this.filters.resource, (name) => { this.filters.resource = name; this.changed(); }, { id: "logs-resource" });
    const level = h("select", { class: "input select", id: "logs-level", "aria-label": "Minimum level" },
      h("option", { value: "" }, "All levels"),
      LEVELS.map((l) => h("option", { value: l.toLowerCase(), selected: l.toLowerCase() === this.filters.level.toLowerCase() ? true : undefined }, `${l}${l === "Critical" ? "" : " and above"}`)));
    level.addEventListener("change", () => { this.filters.level = level.value; this.changed(); });
    const search = h("input", { type: "search", class: "input", id: "logs-filter", placeholder: "Filter messages", "aria-label": "Filter messages", value: this.filters.q });
    search.addEventListener("input", debounce(() => { this.filters.q = search.value; this.changed(); }, 200));
    this.traceChip = h("span", { class: "tl-trace-filter" });
    this.status = h("div", { class: "log-status", id: "logs-status" });
    this.tbody = h("tbody");
    this.table = h("table", { class: "grid tl-logs", id: "logs-table" },
      h("thead", {}, h("tr", {}, ["Resource", "Level", "Time", "Message", "Trace", ""].map((t) => h("th", { scope: "col" }, t)))), this.tbody);
    this.details = h("aside", { class: "details tl-details", id: "log-details", "aria-label": "Log entry details" });
    this.split = h("div", { class: "split" }, h("div", { class: "split-main" }, h("div", { class: "table-wrap" }, this.table), this.status), this.details);
    clear(root).append(
      h("div", { class: "page-head" }, h("h1", {}, "Structured logs")),
      h("div", { class: "toolbar" }, h("div", { class: "toolbar-group" }, this.select, level,
        h("label", { class: "search" }, icon("search"), search), this.traceChip)),
      this.split);
    this.load = throttle(() => this.fetch(), 250);
    this.off = onTelemetry((now, before) => { if (now.logs !== before.logs) this.load(); });
    this.drawTraceChip();
    this.load.now();
  },

  unmount() {
    this.off?.();
    this.select?.dispose();
  },

  changed() {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(this.filters)) if (v) p.set(k, v);
    history.replaceState(null, "", `/structuredlogs${p.toString() ? `?${p}` : ""}`);
    this.drawTraceChip();
    this.load.now();
  },

  drawTraceChip() {
    clear(this.traceChip);
    if (!this.filters.trace) return;
    this.traceChip.append(h("span", { class: "tag" }, "Trace ", h("code", {}, this.filters.trace.slice(0, 12))),
      button("Show every trace", "close", () => { this.filters.trace = null; this.changed(); }, { iconOnly: true, kind: "ghost" }));
  },

  async fetch() {
    const p = new URLSearchParams({ limit: String(LIMIT) });
    if (this.filters.resource) p.set("resource", this.filters.resource);
    if (this.filters.level) p.set("level", this.filters.level);
    if (this.filters.q) p.set("q", this.filters.q);
    if (this.filters.trace) p.set("trace", this.filters.trace);
    const version = state.logs;
    try {
      const data = await getJSON(`/api/telemetry/logs?${p}`);
      this.items = data.items;
      this.matched = data.matched;
      this.version = version;
      this.draw();
    } catch (error) {
      this.status.textContent = `Could not load the logs: ${error.message}`;
    }
  },

  draw() {
    const rows = this.items.map((e) => {
      const tr = h("tr", {
        class: `tl-row${e.error ? " tl-error" : ""}${this.selected && this.selected.seq === e.seq ? " selected" : ""}`,
        tabindex: "0", dataset: { seq: String(e.seq), resource: e.resource, level: e.level },
        onclick: () => this.pick(e),
        onkeydown: (ev) => { if (ev.key === "Enter") this.pick(e); },
      },
      h("td", { class: "tl-col-resource" }, resourceChip(e.resource)),
      h("td", {}, levelTag(e.level)),
      h("td", { class: "tl-col-time", title: dateTime(e.time) }, time(e.time)),
      h("td", { class: "tl-col-message" }, h("span", { class: "tl-message" }, e.message)),
      h("td", { class: "tl-col-trace" }, e.traceId ? link(`/traces/${e.traceId}`, { class: "tl-trace-link", title: "View the trace", dataset: { trace: e.traceId } }, e.traceId.slice(0, 7)) : h("span", { class: "muted" }, "—")),
      h("td", { class: "tl-col-more" }, icon("chevron", "icon chevron")));
      return tr;
    });
    if (!rows.length) {
      const none = state.resources.length ? "No log entry matches the filters." : "No structured logs yet: resources send them over OpenTelemetry (see docs/telemetry.md).";
      rows.push(h("tr", { class: "empty-row" }, h("td", { colspan: "6" }, none)));
    }
    this.tbody.replaceChildren(...rows);
    const shown = this.items.length;
    this.status.textContent = `${shown.toLocaleString()} entr${shown === 1 ? "y" : "ies"}${this.matched > shown ? ` of ${this.matched.toLocaleString()} matching (the newest)` : ""} · live`;
    if (this.selected) {
      const again = this.items.find((e) => e.seq === this.selected.seq);
      if (again) this.selected = again;
    }
    this.drawDetails();
  },

  pick(entry) {
    this.selected = this.selected && this.selected.seq === entry.seq ? null : entry;
    this.draw();
  },

  drawDetails() {
    const e = this.selected;
    this.split.classList.toggle("with-details", Boolean(e));
    clear(this.details);
    if (!e) return;
    const rows = [
      ["Resource", resourceChip(e.resource)],
      ["Instance", h("code", {}, e.instance || "—")],
      ["Level", h("span", {}, levelTag(e.level), ` (${e.severity})`)],
      ["Time", dateTime(e.time)],
      ["Scope", h("code", {}, e.scope || "—")],
      ["Trace", e.traceId ? link(`/traces/${e.traceId}`, { class: "tl-trace-link" }, h("code", {}, e.traceId)) : "—"],
      ["Span", e.spanId ? h("code", {}, e.spanId) : "—"],
    ];
    if (e.eventName) rows.push(["Event", h("code", {}, e.eventName)]);
    this.details.append(
      h("div", { class: "details-head" }, h("div", { class: "details-title" }, levelTag(e.level), h("h2", {}, "Log entry")),
        h("div", { class: "details-tools" }, h("span", { class: "muted small" }, dateTime(e.time)),
          button("Close", "close", () => { this.selected = null; this.draw(); }, { iconOnly: true, kind: "ghost" }))),
      h("div", { class: "details-body" },
        h("pre", { class: "tl-log-message" }, e.message),
        h("table", { class: "kv" }, h("tbody", {}, rows.map(([k, v]) => h("tr", {}, h("th", { scope: "row" }, k), h("td", {}, v))))),
        h("h4", {}, "Attributes"), attributeTable(e.attributes)));
  },
};
