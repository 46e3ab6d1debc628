// What the three telemetry pages share: the live "telemetry" topic (versions and error counts), the JSON
// API, formatting, and the extensions of the Resources page (an error-log badge next to a resource's name,
// and a Telemetry section in its details with links to its logs, traces and metrics).
import { navigate } from "/static/js/app.js";
import { extend, refresh } from "/static/js/extend.js";
import { onChange, order, resources, watchTopic } from "/static/js/live.js";
import { clear, colourName, h, icon } from "/static/js/util.js";

// The pages' stylesheet, once (a file of the dashboard: the pages' CSP allows no inline styles).
if (!document.querySelector("link[data-telemetry-css]")) {
  document.head.append(h("link", { rel: "stylesheet", href: "/static/telemetry/telemetry.css", dataset: { telemetryCss: "1" } }));
}

/** The latest numbers the app host sent: {logs, traces, metrics, errors: {resource: n}, resources: [...]}. */
export const state = { logs: 0, traces: 0, metrics: 0, errors: {}, resources: [] };
const listeners = new Set();

/** Call fn(state, previous) whenever the numbers change. Returns an unsubscribe function. */
export function onTelemetry(fn) { listeners.add(fn); return () => listeners.delete(fn); }

onChange((kind, msg) => {
  if (kind !== "telemetry") return;
  const previous = { ...state };
  Object.assign(state, { logs: msg.logs, traces: msg.traces, metrics: msg.metrics, errors: msg.errors || {}, resources: msg.resources || [] });
  if (JSON.stringify(previous.errors) !== JSON.stringify(state.errors)) refresh();
  for (const fn of [...listeners]) fn(state, previous);
});
watchTopic("telemetry"); // once, for every page (the badges live on the Resources page)

/** A link that moves within the dashboard without reloading it (a modified click opens a tab as usual). */
export function link(href, attrs, ...children) {
  return h("a", {
    ...attrs, href,
    onclick: (e) => {
      e.stopPropagation();
      if (e.ctrlKey || e.metaKey || e.shiftKey || e.button) return;
      e.preventDefault();
      navigate(href);
    },
  }, ...children);
}

/** GET a JSON answer of the dashboard's API. */
export async function getJSON(path) {
  const r = await fetch(path, { credentials: "same-origin", cache: "no-store" });
  if (!r.ok) {
    let message = `${r.status} ${r.statusText}`;
    try { message = (await r.json()).error || message; } catch { /* not JSON */ }
    const error = new Error(message);
    error.status = r.status;
    throw error;
  }
  return r.json();
}

/** Run fn at most once per `ms` (the first call at once, the last one of a burst after the wait). */
export function throttle(fn, ms) {
  let last = 0;
  let timer = 0;
  let running = false;
  let again = false;
  const run = async () => {
    timer = 0;
    if (running) { again = true; return; }
    running = true;
    last = performance.now();
    try { await fn(); } finally {
      running = false;
      if (again) { again = false; schedule(); }
    }
  };
  const schedule = () => {
    if (timer) return;
    const wait = Math.max(0, last + ms - performance.now());
    timer = setTimeout(run, wait);
  };
  schedule.now = () => { clearTimeout(timer); timer = 0; run(); };
  return schedule;
}

/** Every resource name worth offering in a filter: the app's (in model order), then those only telemetry knows. */
export function resourceNames() {
  const names = order.filter((n) => resources.get(n)?.kind !== "parameter");
  for (const n of state.resources) if (!names.some((x) => x.toLowerCase() === n.toLowerCase())) names.push(n);
  return names;
}

/** A <select> of resources ("All resources" first); calls onPick(name or null). */
export function resourceSelect(current, onPick, { all = true, id } = {}) {
  const select = h("select", { class: "input select", "aria-label": "Resource", id });
  const fill = () => {
    const names = resourceNames();
    if (current && !names.includes(current)) names.push(current);
    const key = names.join("|") + (current || "");
    if (select.dataset.key === key) return;
    select.dataset.key = key;
    clear(select).append(...(all ? [h("option", { value: "" }, "All resources")] : []),
      ...names.map((n) => h("option", { value: n, selected: n === current ? true : undefined }, n)));
    if (!all && !current) select.prepend(h("option", { value: "", selected: true, disabled: true }, "Choose a resource"));
  };
  fill();
  select.addEventListener("change", () => onPick(select.value || null));
  const off1 = onTelemetry(fill);
  const off2 = onChange((kind) => { if (kind === "resources") fill(); });
  select.dispose = () => { off1(); off2(); };
  return select;
}

/** A resource's name in its colour (the same as on the console page). */
export function resourceChip(name, extra = null) {
  return colourName(h("span", { class: "tl-resource", dataset: { resource: name } }, name, extra), name);
}

/** "850µs", "12.3ms", "1.25s", "2m 5s". */
export function ms(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  if (value < 1) return `${Math.round(value * 1000)}µs`;
  if (value < 100) return `${value.toFixed(value < 10 ? 2 : 1)}ms`;
  if (value < 1000) return `${Math.round(value)}ms`;
  if (value < 60000) return `${(value / 1000).toFixed(value < 10000 ? 2 : 1)}s`;
  return `${Math.floor(value / 60000)}m ${Math.round((value % 60000) / 1000)}s`;
}

const pad = (n, w = 2) => String(n).padStart(w, "0");
/** 14:02:03.123 (local time) of milliseconds since the epoch. */
export function time(msValue) {
  const d = new Date(msValue);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

export function dateTime(msValue) {
  const d = new Date(msValue);
  return `${d.toLocaleDateString()} ${time(msValue)}`;
}

function valueText(value) {
  if (value === null || value === undefined) return "";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** A key/value table of attributes ([[key, value], ...]). */
export function attributeTable(pairs, { empty = "None." } = {}) {
  if (!pairs || !pairs.length) return h("p", { class: "muted small" }, empty);
  return h("table", { class: "kv tl-attrs" }, h("tbody", {}, pairs.map(([k, v]) =>
    h("tr", { dataset: { key: k } }, h("th", { scope: "row" }, h("code", {}, k)), h("td", {}, h("code", { class: "value" }, valueText(v)))))));
}

/** The level of a log entry as a coloured tag. */
export function levelTag(level) {
  return h("span", { class: `tl-level tl-level-${level.toLowerCase()}` }, level);
}

export function errorCount(name) {
  const errors = state.errors || {};
  if (errors[name] !== undefined) return errors[name];
  const key = Object.keys(errors).find((k) => k.toLowerCase() === name.toLowerCase());
  return key ? errors[key] : 0;
}

const LINKS = [
  ["structuredlogs", "Structured logs", "M4 4h16v3H4zm0 5h10v2H4zm0 4h16v2H4zm0 4h12v2H4z"],
  ["traces", "Traces", "M3 5h8v3H3zm4 5h9v3H7zm5 5h9v3h-9z"],
  ["metrics", "Metrics", "M4 19h16v1.5H4zM5 13l4-4 3 3 5-6 1.5 1.2-6.4 7.6-3-3-2.7 2.7z"],
];

function linkTo(page, name) {
  return page === "metrics" ? `/metrics?resource=${encodeURIComponent(name)}` : `/${page}?resource=${encodeURIComponent(name)}`;
}

// -- Resources page extensions ------------------------------------------------------------------------
extend("nameCell", (r) => {
  if (r.kind === "parameter") return null;
  const count = errorCount(r.name);
  const links = h("span", { class: "tl-links" }, LINKS.map(([page, title, d]) => link(linkTo(page, r.name), {
    class: "tl-link", title: `${title} of ${r.name}`, "aria-label": `${title} of ${r.name}`, dataset: { telemetry: page },
  }, icon(d))));
  const badge = count ? link(`/structuredlogs?resource=${encodeURIComponent(r.name)}&level=error`, {
    class: "tl-error-badge", title: `${count} error log entr${count === 1 ? "y" : "ies"}`, dataset: { errors: String(count) },
  }, icon("unhealthy"), String(count)) : null;
  return h("span", { class: "tl-name-extras" }, badge, links);
});

extend("detailsSections", (r) => {
  if (r.kind === "parameter") return null;
  const count = errorCount(r.name);
  const body = h("div", { class: "tl-details-links" }, LINKS.map(([page, title, d]) =>
    link(linkTo(page, r.name), { class: "btn btn-ghost", dataset: { telemetry: page } }, icon(d), h("span", {}, title))),
  count ? link(`/structuredlogs?resource=${encodeURIComponent(r.name)}&level=error`, { class: "tl-error-badge" },
    icon("unhealthy"), `${count} error${count === 1 ? "" : "s"}`) : null);
  return { id: "telemetry", title: "Telemetry", body };
});
refresh();
