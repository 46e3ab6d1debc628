// Traces: the list (/traces?resource=&q=&errors=1) and one trace (/traces/ID) as a waterfall of its spans
// across resources, with a span's attributes, events and links on the side; errors in red.
import { button, clear, debounce, h, icon } from "/static/js/util.js";
import {
  attributeTable, dateTime, getJSON, link, ms, onTelemetry, resourceChip, resourceSelect, throttle, time,
} from "./common.js";
import { colourName } from "/static/js/util.js";

const LIMIT = 200;

function resourceBadges(list) {
  return h("span", { class: "tl-badges" }, list.map((r) => resourceChip(r.name, r.spans > 1 ? h("span", { class: "tl-count" }, String(r.spans)) : null)));
}

const listView = {
  mount(root, ctx) {
    const params = new URLSearchParams(location.search);
    this.ctx = ctx;
    this.filters = { resource: params.get("resource") || null, q: params.get("q") || "", errors: params.get("errors") === "1" };
    this.select = resourceSelect(this.filters.resource, (name) => { this.filters.resource = name; this.changed(); }, { id: "traces-resource" });
    const search = h("input", { type: "search", class: "input", id: "traces-filter", placeholder: "Filter by span name or trace id", "aria-label": "Filter traces", value: this.filters.q });
    search.addEventListener("input", debounce(() => { this.filters.q = search.value; this.changed(); }, 200));
    this.errorsButton = button("Errors only", "unhealthy", () => { this.filters.errors = !this.filters.errors; this.errorsButton.setAttribute("aria-pressed", String(this.filters.errors)); this.changed(); },
      { kind: "ghost", pressed: this.filters.errors, dataset: { action: "errors" } });
    this.tbody = h("tbody");
    this.status = h("div", { class: "log-status", id: "traces-status" });
    clear(root).append(
      h("div", { class: "page-head" }, h("h1", {}, "Traces")),
      h("div", { class: "toolbar" }, h("div", { class: "toolbar-group" }, this.select, h("label", { class: "search" }, icon("search"), search), this.errorsButton)),
      h("div", { class: "table-wrap tl-fill" }, h("table", { class: "grid tl-traces", id: "traces-table" },
        h("thead", {}, h("tr", {}, ["Time", "Name", "Spans", "Duration", ""].map((t) => h("th", { scope: "col" }, t)))), this.tbody)),
      this.status);
    this.load = throttle(() => this.fetch(), 250);
    this.off = onTelemetry((now, before) => { if (now.traces !== before.traces) this.load(); });
    this.load.now();
  },
  unmount() { this.off?.(); this.select?.dispose(); },
  changed() {
    const p = new URLSearchParams();
    if (this.filters.resource) p.set("resource", this.filters.resource);
    if (this.filters.q) p.set("q", this.filters.q);
    if (this.filters.errors) p.set("errors", "1");
    history.replaceState(null, "", `/traces${p.toString() ? `?${p}` : ""}`);
    this.load.now();
  },
  async fetch() {
    const p = new URLSearchParams({ limit: String(LIMIT) });
    if (this.filters.resource) p.set("resource", this.filters.resource);
    if (this.filters.q) p.set("q", this.filters.q);
    if (this.filters.errors) p.set("errors", "1");
    try {
      const data = await getJSON(`/api/telemetry/traces?${p}`);
      this.draw(data);
    } catch (error) {
      this.status.textContent = `Could not load the traces: ${error.message}`;
    }
  },
  draw(data) {
    const longest = Math.max(1e-6, ...data.items.map((t) => t.duration));
    const rows = data.items.map((t) => {
      const bar = h("span", { class: `tl-bar${t.errors ? " tl-bar-error" : ""}` });
      bar.style.setProperty("width", `${Math.max(1, (t.duration / longest) * 100)}%`);
      return h("tr", { class: `tl-row${t.errors ? " tl-error" : ""}`, tabindex: "0", dataset: { trace: t.traceId },
        onclick: () => this.ctx.navigate(`/traces/${t.traceId}`),
        onkeydown: (e) => { if (e.key === "Enter") this.ctx.navigate(`/traces/${t.traceId}`); } },
      h("td", { class: "tl-col-time", title: dateTime(t.start) }, time(t.start)),
      h("td", { class: "tl-col-name" }, t.rootResource ? resourceChip(t.rootResource) : null, " ",
        h("span", { class: "tl-span-name" }, t.name || "(no root span yet)"),
        t.errors ? h("span", { class: "tl-error-tag", title: `${t.errors} span${t.errors === 1 ? "" : "s"} failed` }, icon("unhealthy"), String(t.errors)) : null),
      h("td", { class: "tl-col-spans" }, h("span", { class: "tl-span-count" }, String(t.spans)), resourceBadges(t.resources)),
      h("td", { class: "tl-col-duration" }, h("span", { class: "tl-bar-track" }, bar), h("span", { class: "tl-duration" }, ms(t.duration))),
      h("td", { class: "tl-col-more" }, link(`/traces/${t.traceId}`, { class: "btn btn-ghost", title: "View the trace" }, "View")));
    });
    if (!rows.length) rows.push(h("tr", { class: "empty-row" }, h("td", { colspan: "5" }, "No trace matches: resources send traces over OpenTelemetry (see docs/telemetry.md).")));
    this.tbody.replaceChildren(...rows);
    this.status.textContent = `${data.items.length.toLocaleString()} trace${data.items.length === 1 ? "" : "s"}${data.more ? ` of ${data.matched.toLocaleString()} (the newest)` : ""} · live`;
  },
};

function ticks(total) {
  const steps = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 30000, 60000];
  const step = steps.find((s) => total / s <= 6) || total / 5;
  const out = [];
  for (let t = 0; t <= total * 1.0001; t += step) out.push(t);
  return out;
}

const traceView = {
  mount(root, ctx, traceId) {
    this.ctx = ctx;
    this.traceId = traceId;
    this.selected = null;
    this.root = root;
    this.head = h("div", { class: "tl-trace-head" });
    this.waterfall = h("div", { class: "tl-waterfall", id: "waterfall", role: "tree", "aria-label": "Spans" });
    this.details = h("aside", { class: "details tl-details", id: "span-details", "aria-label": "Span details" });
    this.split = h("div", { class: "split" }, h("div", { class: "split-main" }, h("div", { class: "tl-waterfall-frame" }, this.waterfall)), this.details);
    clear(root).append(
      h("div", { class: "page-head" }, h("div", { class: "tl-crumbs" }, link("/traces", { class: "tl-back" }, "Traces"), h("span", { class: "muted" }, " / "),
        h("h1", {}, h("code", {}, traceId.slice(0, 12))))),
      this.head, this.split);
    this.load = throttle(() => this.fetch(), 400);
    this.off = onTelemetry((now, before) => { if (now.traces !== before.traces) this.load(); });
    this.load.now();
  },
  unmount() { this.off?.(); },
  async fetch() {
    try {
      this.trace = await getJSON(`/api/telemetry/traces/${this.traceId}`);
    } catch (error) {
      clear(this.head).append(h("p", { class: "muted", id: "trace-missing" }, error.status === 404
        ? "This trace is not (or no longer) kept: the dashboard keeps the newest traces of each resource." : `Could not load the trace: ${error.message}`));
      this.waterfall.replaceChildren();
      return;
    }
    this.draw();
  },
  draw() {
    const t = this.trace;
    const depth = Math.max(0, ...t.spans.map((s) => s.depth)) + 1;
    clear(this.head).append(...[h("div", { class: "tl-trace-title" },
      t.rootResource ? resourceChip(t.rootResource) : null, h("h2", {}, t.name || "(no root span yet)"),
      t.errors ? h("span", { class: "tl-error-tag" }, icon("unhealthy"), `${t.errors} error${t.errors === 1 ? "" : "s"}`) : null),
    h("dl", { class: "tl-facts" },
      h("div", {}, h("dt", {}, "Started"), h("dd", {}, dateTime(t.start))),
      h("div", {}, h("dt", {}, "Duration"), h("dd", {}, ms(t.duration))),
      h("div", {}, h("dt", {}, "Spans"), h("dd", { id: "trace-span-count" }, String(t.spans.length))),
      h("div", {}, h("dt", {}, "Depth"), h("dd", {}, String(depth))),
      h("div", {}, h("dt", {}, "Resources"), h("dd", {}, resourceBadges(t.resources))),
      h("div", {}, h("dt", {}, "Trace id"), h("dd", {}, h("code", {}, t.traceId))),
      h("div", {}, h("dt", {}, "Logs"), h("dd", {}, link(`/structuredlogs?trace=${t.traceId}`, { class: "tl-trace-logs" }, "Logs of this trace")))),
    t.dropped ? h("p", { class: "muted small" }, `${t.dropped} more spans were not kept (the dashboard keeps ${t.spans.length} spans of one trace).`) : null].filter(Boolean));
    const total = Math.max(t.duration, 1e-3);
    const ruler = h("div", { class: "tl-ruler" }, h("div", { class: "tl-ruler-name" }, "Span"),
      h("div", { class: "tl-ruler-track" }, ticks(total).map((v) => {
        const mark = h("span", { class: "tl-tick" }, ms(v));
        mark.style.setProperty("left", `${(v / total) * 100}%`);
        return mark;
      })));
    const rows = t.spans.map((s) => {
      const offset = s.start - t.start;
      const length = Math.max(0, s.end - s.start);
      const bar = colourName(h("span", { class: `tl-span-bar${s.status === "error" ? " tl-bar-error" : ""}` }), s.resource);
      bar.style.setProperty("left", `${(offset / total) * 100}%`);
      bar.style.setProperty("width", `max(2px, ${(length / total) * 100}%)`);
      const label = h("span", { class: "tl-span-duration" }, ms(length));
      label.style.setProperty("left", `calc(${((offset + length) / total) * 100}% + 6px)`);
      const name = h("div", { class: "tl-span-label" }, resourceChip(s.resource), h("span", { class: "tl-span-name", title: s.name }, s.name),
        s.status === "error" ? icon("unhealthy", "icon tl-error-icon") : null);
      name.style.setProperty("padding-left", `${8 + s.depth * 16}px`);
      return h("div", {
        class: `tl-span-row${s.status === "error" ? " tl-error" : ""}${this.selected === s.spanId ? " selected" : ""}`,
        role: "treeitem", tabindex: "0", "aria-level": String(s.depth + 1),
        dataset: { span: s.spanId, resource: s.resource, depth: String(s.depth), status: s.status },
        onclick: () => this.pick(s.spanId), onkeydown: (e) => { if (e.key === "Enter") this.pick(s.spanId); },
      }, name, h("div", { class: "tl-span-track" }, bar, label));
    });
    this.waterfall.replaceChildren(ruler, ...rows);
    this.drawDetails();
  },
  pick(spanId) {
    this.selected = this.selected === spanId ? null : spanId;
    this.draw();
  },
  drawDetails() {
    const s = this.trace?.spans.find((x) => x.spanId === this.selected);
    this.split.classList.toggle("with-details", Boolean(s));
    clear(this.details);
    if (!s) return;
    const t = this.trace;
    const facts = [
      ["Resource", resourceChip(s.resource)],
      ["Instance", h("code", {}, s.instance || "—")],
      ["Kind", s.kind],
      ["Status", h("span", { class: s.status === "error" ? "tl-status-error" : "" }, s.status, s.statusMessage ? `: ${s.statusMessage}` : "")],
      ["Starts at", `${ms(s.start - t.start)} into the trace`],
      ["Duration", ms(s.end - s.start)],
      ["Scope", h("code", {}, s.scope || "—")],
      ["Span id", h("code", {}, s.spanId)],
      ["Parent", s.parentId ? h("code", {}, s.parentId) : "—"],
    ];
    const events = s.events.length ? h("ul", { class: "tl-events" }, s.events.map((e) => h("li", { class: e.name === "exception" ? "tl-error" : "" },
      h("div", { class: "tl-event-head" }, h("strong", {}, e.name), h("span", { class: "muted small" }, ` at ${ms(e.time - t.start)}`)),
      attributeTable(e.attributes, { empty: "" })))) : h("p", { class: "muted small" }, "None.");
    const links = s.links.length ? h("ul", { class: "tl-events" }, s.links.map((l) => h("li", {},
      link(`/traces/${l.traceId}`, {}, h("code", {}, `${l.traceId.slice(0, 12)} / ${l.spanId}`)), attributeTable(l.attributes, { empty: "" })))) : h("p", { class: "muted small" }, "None.");
    const resourceAttrs = (t.resourceAttributes[s.resource] || {})[s.instance] || [];
    this.details.append(
      h("div", { class: "details-head" }, h("div", { class: "details-title" }, h("h2", {}, s.name)),
        h("div", { class: "details-tools" }, h("span", { class: "muted small" }, `${s.kind} span`),
          button("Close", "close", () => { this.selected = null; this.draw(); }, { iconOnly: true, kind: "ghost" }))),
      h("div", { class: "details-body" },
        h("table", { class: "kv" }, h("tbody", {}, facts.map(([k, v]) => h("tr", {}, h("th", { scope: "row" }, k), h("td", {}, v))))),
        h("h4", {}, "Attributes"), attributeTable(s.attributes),
        h("h4", {}, `Events (${s.events.length})`), events,
        h("h4", {}, `Links (${s.links.length})`), links,
        h("h4", {}, "Resource"), attributeTable(resourceAttrs)));
  },
};

export default {
  mount(root, ctx) {
    const rest = ctx.path.replace(/^\/traces\/?/, "");
    this.view = rest ? traceView : listView;
    this.view.mount(root, ctx, decodeURIComponent(rest));
  },
  unmount() { this.view?.unmount(); },
};
