// The Resources page: a table with nested children, the graph, and the parameters; details on the side.
import { actions, busyWith, onCommandsChanged } from "./commands.js";
import { renderDetails, secretValue } from "./details.js";
import { extensionsAt, extensionsVersion } from "./extend.js";
import { renderGraph } from "./graph.js";
import { onChange, order, resources, watchResources } from "./live.js";
import {
  button, clear, colourName, debounce, duration, formatValue, h, icon, stateBadge, styleClass,
} from "./util.js";

const collapsedParents = new Set(JSON.parse(localStorage.getItem("aspyre.collapsed") || "[]"));
const TABS = [
  { id: "table", path: "/resources", title: "Table", icon: "table" },
  { id: "graph", path: "/graph", title: "Graph", icon: "graph" },
  { id: "parameters", path: "/parameters", title: "Parameters", icon: "parameters" },
];

function saveCollapsed() { localStorage.setItem("aspyre.collapsed", JSON.stringify([...collapsedParents])); }

function ordered() {
  const out = [];
  for (const name of order) { const r = resources.get(name); if (r) out.push(r); }
  for (const r of resources.values()) if (!order.includes(r.name)) out.push(r);
  return out;
}

/** Resources (not parameters, not hidden) as a tree in model order: [{r, depth, hasChildren}]. */
function tree(list) {
  const shown = list.filter((r) => r.kind !== "parameter" && !r.hidden);
  const names = new Set(shown.map((r) => r.name));
  const children = new Map();
  const roots = [];
  for (const r of shown) {
    if (r.parent && names.has(r.parent)) {
      if (!children.has(r.parent)) children.set(r.parent, []);
      children.get(r.parent).push(r);
    } else roots.push(r);
  }
  const out = [];
  const visit = (r, depth) => {
    const kids = children.get(r.name) || [];
    out.push({ r, depth, hasChildren: kids.length > 0 });
    for (const k of kids) visit(k, depth + 1);
  };
  for (const r of roots) visit(r, 0);
  return out;
}

function matches(r, query, state, type) {
  if (state && r.state !== state) return false;
  if (type && r.type !== type) return false;
  if (!query) return true;
  const hay = `${r.name} ${r.type} ${r.state || ""} ${r.source || ""}`.toLowerCase();
  return hay.includes(query);
}

function uptimeText(r) {
  if (!r.startedAt) return "";
  const started = Date.parse(r.startedAt);
  const stopped = r.stoppedAt ? Date.parse(r.stoppedAt) : null;
  if (stopped && stopped >= started) return `ran ${duration(stopped - started)}`;
  return `up ${duration(Date.now() - started)}`;
}

function startCell(r) {
  if (!r.startedAt) return h("span", { class: "muted" }, "—");
  const d = new Date(r.startedAt);
  return h("span", { class: "start-time", title: d.toLocaleString() },
    h("span", {}, d.toLocaleTimeString()), h("span", { class: "uptime muted", dataset: { resource: r.name } }, uptimeText(r)));
}

function urlsCell(r) {
  const urls = r.urls || [];
  if (!urls.length) return h("span", { class: "muted" }, "—");
  return h("div", { class: "urls" }, urls.slice(0, 3).map((u) =>
    h("a", { href: u.url, target: "_blank", rel: "noopener noreferrer", onclick: (e) => e.stopPropagation(), title: u.url },
      u.displayText || u.url.replace(/\/$/, ""))), urls.length > 3 ? h("span", { class: "muted" }, ` +${urls.length - 3}`) : null);
}

export default {
  mount(root, ctx) {
    this.root = root;
    this.ctx = ctx;
    this.tab = TABS.find((t) => t.path === ctx.path)?.id || "table";
    const params = new URLSearchParams(location.search);
    this.selected = params.get("resource");
    this.query = params.get("filter") || "";
    this.state = "";
    this.type = "";
    this.rows = new Map();
    const filter = h("input", { type: "search", class: "input", placeholder: "Filter by name, type, state…",
      "aria-label": "Filter resources", value: this.query, id: "resource-filter" });
    filter.addEventListener("input", debounce(() => { this.query = filter.value.trim().toLowerCase(); this.draw(); }, 80));
    this.stateSelect = h("select", { class: "input select", "aria-label": "Filter by state" });
    this.typeSelect = h("select", { class: "input select", "aria-label": "Filter by type" });
    this.stateSelect.addEventListener("change", () => { this.state = this.stateSelect.value; this.draw(); });
    this.typeSelect.addEventListener("change", () => { this.type = this.typeSelect.value; this.draw(); });
    const tabs = h("div", { class: "tabs", role: "tablist" }, TABS.map((t) => h("a", {
      href: t.path, role: "tab", class: `tab${t.id === this.tab ? " active" : ""}`, "aria-selected": String(t.id === this.tab),
      dataset: { tab: t.id }, onclick: (e) => { e.preventDefault(); ctx.navigate(t.path + (this.selected ? `?resource=${encodeURIComponent(this.selected)}` : "")); },
    }, icon(t.icon), h("span", {}, t.title), t.id === "parameters" ? h("span", { class: "count", id: "parameter-count" }) : null)));
    const toolbar = h("div", { class: "toolbar" }, tabs, h("div", { class: "toolbar-spacer" }),
      this.tab === "parameters" ? null : h("div", { class: "filters" },
        h("label", { class: "search" }, icon("search"), filter), this.stateSelect, this.typeSelect,
        this.tab === "table" ? button("Collapse all", "collapse", () => this.toggleAll(), { kind: "ghost", dataset: { action: "toggle-all" }, title: "Collapse or expand every parent" }) : null));
    this.content = h("div", { class: "split-main" });
    this.details = h("aside", { class: "details", "aria-label": "Resource details" });
    this.split = h("div", { class: "split" }, this.content, this.details);
    clear(root).append(h("div", { class: "page-head" }, h("h1", {}, "Resources")), toolbar, this.split);
    this.off = onChange((kind, items) => {
      if (kind !== "resources") return;
      this.draw();
      if (this.selected && items.some((i) => i.name === this.selected || i.relationships?.some((x) => x.resource === this.selected))) this.drawDetails();
    });
    onCommandsChanged(() => { this.draw(); this.drawDetails(); });
    this.onExtensions = () => { this.draw(); this.drawDetails(); };
    window.addEventListener("aspyre:extensions", this.onExtensions);
    this.timer = setInterval(() => {
      for (const el of root.querySelectorAll(".uptime")) { const r = resources.get(el.dataset.resource); if (r) el.textContent = uptimeText(r); }
    }, 1000);
    watchResources();
    this.draw();
    this.drawDetails();
  },

  unmount() {
    this.off?.();
    window.removeEventListener("aspyre:extensions", this.onExtensions);
    clearInterval(this.timer);
    onCommandsChanged(() => {});
  },

  select(name) {
    this.selected = name;
    const url = new URL(location.href);
    if (name) url.searchParams.set("resource", name); else url.searchParams.delete("resource");
    history.replaceState(null, "", url);
    this.draw();
    this.drawDetails();
  },

  drawDetails() {
    this.split.classList.toggle("with-details", Boolean(this.selected));
    if (!this.selected) { clear(this.details); return; }
    renderDetails(this.details, this.selected, { onSelect: (n) => this.select(n), onClose: () => this.select(null) });
  },

  toggleAll() {
    const parents = tree(ordered()).filter((x) => x.hasChildren).map((x) => x.r.name);
    if (parents.every((p) => collapsedParents.has(p))) parents.forEach((p) => collapsedParents.delete(p));
    else parents.forEach((p) => collapsedParents.add(p));
    saveCollapsed();
    this.draw();
  },

  fillSelect(select, label, values, current) {
    const key = values.join("\u0000");
    if (select.dataset.key === key) return;
    select.dataset.key = key;
    clear(select).append(h("option", { value: "" }, `All ${label}`), ...values.map((v) => h("option", { value: v, selected: v === current ? true : undefined }, v)));
  },

  draw() {
    const list = ordered();
    const params = list.filter((r) => r.kind === "parameter");
    const count = this.root.querySelector("#parameter-count");
    if (count) count.textContent = String(params.length);
    const shown = list.filter((r) => r.kind !== "parameter" && !r.hidden);
    this.fillSelect(this.stateSelect, "states", [...new Set(shown.map((r) => r.state).filter(Boolean))].sort(), this.state);
    this.fillSelect(this.typeSelect, "types", [...new Set(shown.map((r) => r.type))].sort(), this.type);
    if (this.tab === "parameters") this.drawParameters(params);
    else if (this.tab === "graph") {
      const visible = new Set(shown.filter((r) => matches(r, this.query, this.state, this.type)).map((r) => r.name));
      renderGraph(this.content, shown, { selected: this.selected, visible, onSelect: (n) => this.select(n) });
    } else this.drawTable(list);
  },

  drawTable(list) {
    const toggle = this.root.querySelector("[data-action='toggle-all']");
    if (toggle) toggle.hidden = !list.some((r) => r.parent && resources.has(r.parent) && r.kind !== "parameter");
    let table = this.content.querySelector("table.resources");
    if (!table) {
      table = h("table", { class: "grid resources" },
        h("thead", {}, h("tr", {}, [["Name", "name"], ["Type", "type"], ["State", "state"], ["Start time", "start"], ["Source", "source"], ["URLs", "urls"], ["Actions", "actions"]]
          .map(([t, c]) => h("th", { scope: "col", class: `col-${c}` }, t)))),
        h("tbody", {}));
      clear(this.content).append(h("div", { class: "table-wrap" }, table));
    }
    const nodes = tree(list);
    const filtering = this.query || this.state || this.type;
    const keep = new Set();
    if (filtering) {
      const byName = new Map(nodes.map((n) => [n.r.name, n]));
      for (const n of nodes) {
        if (!matches(n.r, this.query, this.state, this.type)) continue;
        keep.add(n.r.name);
        for (let p = n.r.parent; p && byName.has(p); p = byName.get(p).r.parent) keep.add(p);
      }
    }
    const hiddenBy = new Set();
    const rows = [];
    for (const n of nodes) {
      if (filtering && !keep.has(n.r.name)) continue;
      if (n.r.parent && (collapsedParents.has(n.r.parent) || hiddenBy.has(n.r.parent)) && !filtering) { hiddenBy.add(n.r.name); continue; }
      rows.push(this.row(n, filtering && !matches(n.r, this.query, this.state, this.type)));
    }
    const tbody = table.tBodies[0];
    if (!rows.length) {
      tbody.replaceChildren(h("tr", { class: "empty-row" }, h("td", { colspan: "7" }, resources.size ? "No resource matches the filter." : "Waiting for the app host…")));
    } else tbody.replaceChildren(...rows);
  },

  row({ r, depth, hasChildren }, dimmed) {
    const collapsed = collapsedParents.has(r.name);
    const key = `${r.version}|${depth}|${hasChildren}|${collapsed}|${dimmed}|${r.name === this.selected}|${busyWith(r.name) || ""}|${extensionsVersion()}`;
    const cached = this.rows.get(r.name);
    if (cached && cached.key === key) return cached.tr;
    const caret = hasChildren ? h("button", { type: "button", class: "caret", "aria-expanded": String(!collapsed),
      "aria-label": collapsed ? `Expand ${r.name}` : `Collapse ${r.name}`, dataset: { toggle: r.name },
      onclick: (e) => { e.stopPropagation(); if (collapsed) collapsedParents.delete(r.name); else collapsedParents.add(r.name); saveCollapsed(); this.draw(); },
    }, icon("chevron", `icon chevron${collapsed ? "" : " open"}`)) : h("span", { class: "caret-space" });
    const name = h("span", { class: "name-cell" }, h("span", { class: "indent", dataset: { depth: String(depth) } }), caret,
      colourName(h("span", { class: "res-name" }, r.name), r.name), extensionsAt("nameCell").map((f) => f(r)));
    name.firstChild.style.width = `${depth * 18}px`;
    const tr = h("tr", {
      class: `res-row ${styleClass(r)}${r.name === this.selected ? " selected" : ""}${dimmed ? " dimmed" : ""}`,
      tabindex: "0", dataset: { resource: r.name, state: r.state || "", depth: String(depth) },
      onclick: () => this.select(r.name === this.selected ? null : r.name),
      onkeydown: (e) => { if (e.key === "Enter" && e.target === tr) this.select(r.name); },
    },
    h("td", { class: "col-name" }, name),
    h("td", { class: "col-type" }, h("span", { class: "type-tag" }, r.type)),
    h("td", { class: "col-state" }, stateBadge(r)),
    h("td", { class: "col-start" }, startCell(r)),
    h("td", { class: "col-source" }, r.source ? h("code", { class: "source", title: r.source }, r.source) : h("span", { class: "muted" }, "—")),
    h("td", { class: "col-urls" }, urlsCell(r)),
    h("td", { class: "col-actions" }, actions(r)));
    this.rows.set(r.name, { key, tr });
    return tr;
  },

  drawParameters(params) {
    const again = () => this.drawParameters([...resources.values()].filter((r) => r.kind === "parameter"));
    const body = params.map((p) => {
      const value = (p.properties || []).find((x) => x.name === "Value" || x.name === "resource.connectionString");
      let valueCell;
      if (!value) valueCell = h("span", { class: "muted" }, p.state === "Value missing" ? `set ${p.configurationKey}` : "—");
      else if (value.masked) valueCell = secretValue(p, "property", value.name, again);
      else valueCell = h("code", { class: "value" }, formatValue(value.value));
      return h("tr", { class: "param-row", dataset: { resource: p.name }, tabindex: "0",
        onclick: (e) => { if (!e.target.closest("button")) this.select(p.name === this.selected ? null : p.name); } },
      h("td", {}, colourName(h("span", { class: "res-name" }, p.name), p.name)),
      h("td", {}, stateBadge(p, false)),
      h("td", {}, valueCell),
      h("td", {}, p.secret ? h("span", { class: "tag tag-secret" }, "secret") : h("span", { class: "muted" }, "no")),
      h("td", {}, p.valueSource || h("span", { class: "muted" }, "—")),
      h("td", {}, p.description || h("span", { class: "muted" }, "—")));
    });
    const table = h("table", { class: "grid parameters" },
      h("thead", {}, h("tr", {}, ["Name", "State", "Value", "Secret", "Value from", "Description"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, body.length ? body : h("tr", { class: "empty-row" }, h("td", { colspan: "6" }, "This app has no parameters."))));
    clear(this.content).append(h("div", { class: "table-wrap" }, table));
  },
};
