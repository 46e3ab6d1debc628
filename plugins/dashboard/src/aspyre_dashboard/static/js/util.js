// Small helpers shared by every page: DOM building, icons, formatting, colours.

/** Build an element: h("div", {class: "x", onclick: fn}, child, "text", [more]). */
export function h(tag, attrs, ...children) {
  const svg = tag === "svg" || tag === "path" || tag === "g" || tag === "line" || tag === "rect" ||
    tag === "circle" || tag === "text" || tag === "marker" || tag === "defs" || tag === "title";
  const el = svg ? document.createElementNS("http://www.w3.org/2000/svg", tag) : document.createElement(tag);
  if (attrs) {
    for (const [key, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
      else if (key === "dataset") Object.assign(el.dataset, value);
      else if (key === "text") el.textContent = value;
      else el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

const ICONS = {
  resources: "M4 5h16v4H4zM4 11h16v4H4zM4 17h16v2H4z",
  console: "M3 4h18v16H3zM5 6v12h14V6zM7 9l3 3-3 3 1.2 1.2L12.4 12 8.2 7.8zM12 15h5v1.6h-5z",
  graph: "M6 4a2.5 2.5 0 1 1 0 5 2.5 2.5 0 0 1 0-5zm12 0a2.5 2.5 0 1 1 0 5 2.5 2.5 0 0 1 0-5zM12 15a2.5 2.5 0 1 1 0 5 2.5 2.5 0 0 1 0-5zM7.3 8.3l3.8 6.4-1.3.8-3.8-6.4zm9.4 0 1.3.8-3.8 6.4-1.3-.8zM8.5 6h7v1.5h-7z",
  table: "M3 5h18v14H3zm2 2v3h5V7zm7 0v3h7V7zM5 12v5h5v-5zm7 0v5h7v-5z",
  parameters: "M4 6h9v2H4zm12-1h2v1.2h2V8h-2v1.2h-2zM4 16h3v2H4zm6-1h2v1.2h8V18h-8v1.2h-2zM11 11h9v2h-9zM6 10h2v1.2h1V13H8v1.2H6z",
  play: "M8 5v14l11-7z",
  stop: "M6 6h12v12H6z",
  restart: "M12 5V2L8 6l4 4V7a5 5 0 1 1-5 5H5a7 7 0 1 0 7-7z",
  more: "M6 10.5a1.5 1.5 0 1 1 0 3 1.5 1.5 0 0 1 0-3zm6 0a1.5 1.5 0 1 1 0 3 1.5 1.5 0 0 1 0-3zm6 0a1.5 1.5 0 1 1 0 3 1.5 1.5 0 0 1 0-3z",
  chevron: "M9 6l6 6-6 6-1.4-1.4L12.2 12 7.6 7.4z",
  close: "M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4-5.6-5.6L6.4 19 5 17.6 10.6 12 5 6.4z",
  search: "M10 3a7 7 0 0 1 5.6 11.2l5.1 5.1-1.4 1.4-5.1-5.1A7 7 0 1 1 10 3zm0 2a5 5 0 1 0 0 10 5 5 0 0 0 0-10z",
  external: "M14 3h7v7h-2V6.4l-8.3 8.3-1.4-1.4L17.6 5H14zM5 5h6v2H7v10h10v-4h2v6H5z",
  eye: "M12 5c5 0 9 4.5 10 7-1 2.5-5 7-10 7S3 14.5 2 12c1-2.5 5-7 10-7zm0 3a4 4 0 1 0 0 8 4 4 0 0 0 0-8zm0 2a2 2 0 1 1 0 4 2 2 0 0 1 0-4z",
  eyeOff: "M3.3 2 22 20.7 20.7 22l-3.4-3.4A10.8 10.8 0 0 1 12 20c-5 0-9-4.5-10-7a13 13 0 0 1 4.1-5.1L2 3.3zM12 5c5 0 9 4.5 10 7a13.6 13.6 0 0 1-2.8 4L16 12.8A4 4 0 0 0 11.2 8L8.9 5.7C9.9 5.3 10.9 5 12 5z",
  copy: "M8 3h11v13h-2V5H8zM5 7h10v14H5zm2 2v10h6V9z",
  download: "M11 3h2v10l3.5-3.5 1.4 1.4L12 16.8l-5.9-5.9 1.4-1.4L11 13zM4 18h16v2H4z",
  pause: "M7 5h4v14H7zm6 0h4v14h-4z",
  follow: "M11 4h2v11l4-4 1.4 1.4L12 18.8l-6.4-6.4L7 11l4 4zM5 20h14v1.5H5z",
  clock: "M12 3a9 9 0 1 1 0 18 9 9 0 0 1 0-18zm0 2a7 7 0 1 0 0 14 7 7 0 0 0 0-14zm-1 2h2v5.4l3.5 2.1-1 1.7L11 13.5z",
  wrap: "M4 6h16v2H4zm0 5h13a3 3 0 0 1 0 6h-3v2l-3-3 3-3v2h3a1 1 0 0 0 0-2H4zm0 6h6v2H4z",
  clear: "M5 6h14v2H5zm2 3h10l-1 11H8zm3-5h4v1.5h-4z",
  sun: "M12 7a5 5 0 1 1 0 10 5 5 0 0 1 0-10zM11 1h2v3h-2zm0 19h2v3h-2zM1 11h3v2H1zm19 0h3v2h-3zM4.2 5.6l1.4-1.4 2.1 2.1-1.4 1.4zm12.1 12.1 1.4-1.4 2.1 2.1-1.4 1.4zM4.2 18.4l2.1-2.1 1.4 1.4-2.1 2.1zM16.3 6.3l2.1-2.1 1.4 1.4-2.1 2.1z",
  moon: "M14.5 3A9 9 0 1 0 21 14.5 7 7 0 0 1 14.5 3z",
  healthy: "M12 2a10 10 0 1 1 0 20 10 10 0 0 1 0-20zm-1.3 13.6 6.4-6.4-1.4-1.4-5 5-2.3-2.3-1.4 1.4z",
  unhealthy: "M12 2a10 10 0 1 1 0 20 10 10 0 0 1 0-20zm-1 5v7h2V7zm0 8.5V17h2v-1.5z",
  fit: "M4 4h6v2H6v4H4zm10 0h6v6h-2V6h-4zM4 14h2v4h4v2H4zm14 0h2v6h-6v-2h4z",
  collapse: "M7.4 4 12 8.6 16.6 4 18 5.4l-6 6-6-6zm0 16L12 15.4 16.6 20 18 18.6l-6-6-6 6z",
};

/** An inline SVG icon by name (or from a path string). */
export function icon(name, cls = "icon") {
  const d = ICONS[name] || name;
  return h("svg", { class: cls, viewBox: "0 0 24 24", "aria-hidden": "true" }, h("path", { d }));
}

/** A button with an icon and a label (the label is visible unless iconOnly). */
export function button(label, iconName, onclick, opts = {}) {
  const cls = ["btn", opts.kind ? `btn-${opts.kind}` : "", opts.iconOnly ? "btn-icon" : ""].filter(Boolean).join(" ");
  return h("button", {
    type: "button", class: cls, onclick, title: opts.title || label, "aria-label": label,
    disabled: opts.disabled ? true : undefined, "aria-pressed": opts.pressed === undefined ? undefined : String(opts.pressed),
    dataset: opts.dataset,
  }, iconName ? icon(iconName) : null, opts.iconOnly ? null : h("span", { class: "btn-label" }, label));
}

const pad = (n, w = 2) => String(n).padStart(w, "0");

/** 12:01:02.345 (local time). */
export function clockTime(ms) {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** "5s", "3m 12s", "2h 5m", "3d 4h". */
export function duration(ms) {
  if (ms < 1000) return `${(Math.max(0, ms) / 1000).toFixed(1)}s`;
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const hr = Math.floor(m / 60);
  if (hr < 24) return `${hr}h ${m % 60}m`;
  return `${Math.floor(hr / 24)}d ${hr % 24}h`;
}

export function localDateTime(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return `${d.toLocaleDateString()} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

let hueOrder = new Map();
// Twelve hues, neighbours far apart on the wheel; resources beyond them continue by the golden angle.
const HUES = [210, 285, 28, 172, 330, 50, 245, 130, 0, 192, 305, 88];
/** Resources (not parameters) in model order get hues from HUES: stable while the model is the same. */
export function setHueOrder(names) {
  hueOrder = new Map(names.map((name, i) => [name, i < HUES.length ? HUES[i] : Math.round((i * 137.508) % 360)]));
}

/** A stable colour per resource (by model order, else from a hash of the name), readable on both themes. */
export function nameHue(name) {
  if (hueOrder.has(name)) return hueOrder.get(name);
  let x = 2166136261;
  for (let i = 0; i < name.length; i++) { x ^= name.charCodeAt(i); x = Math.imul(x, 16777619); }
  return ((x >>> 0) % 360);
}

export function colourName(el, name) {
  el.style.setProperty("--name-hue", String(nameHue(name)));
  el.classList.add("name-colour");
  return el;
}

/** States in which a resource is on its way somewhere (shown pulsing). */
export const BUSY_STATES = new Set(["Starting", "Stopping", "Installing", "Building"]);

/** The CSS class of a state style (success, error, warning, info) or of a state without one. */
export function styleClass(resource) {
  const style = resource.stateStyle;
  if (style) return `style-${style}`;
  const state = resource.state;
  if (state === "Running") return "style-success";
  if (state === "FailedToStart" || state === "RuntimeUnhealthy") return "style-error";
  if (BUSY_STATES.has(state) || state === "Waiting") return "style-info";
  if (state === "Value missing") return "style-warning";
  return "style-neutral";
}

export function stateLabel(resource) {
  let text = resource.state || "Unknown";
  if (resource.exitCode !== null && resource.exitCode !== undefined) text += ` (${resource.exitCode})`;
  return text;
}

/** A state badge: coloured dot + state text (+ exit code), with the health next to it. */
export function stateBadge(resource, withHealth = true) {
  const badge = h("span", { class: `state ${styleClass(resource)}`, "data-state": resource.state || "" },
    h("span", { class: "state-dot" }), h("span", { class: "state-text" }, stateLabel(resource)));
  if (!withHealth || !resource.health) return badge;
  const kind = resource.health.toLowerCase();
  return h("span", { class: "state-cell" }, badge,
    h("span", { class: `health health-${kind}`, title: `Health: ${resource.health}` },
      icon(kind === "healthy" ? "healthy" : "unhealthy", "icon health-icon"), resource.health));
}

export function debounce(fn, ms) {
  let t = 0;
  return (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
}

export function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
  const area = h("textarea", {}, text);
  document.body.append(area);
  area.select();
  try { document.execCommand("copy"); } finally { area.remove(); }
  return Promise.resolve();
}

export function clear(el) { while (el.firstChild) el.firstChild.remove(); return el; }

const PROPERTY_LABELS = {
  "container.image": "Image", "container.id": "Container ID", "container.name": "Container name",
  "container.args": "Arguments", "container.lifetime": "Lifetime", "executable.path": "Executable",
  "executable.args": "Arguments", "executable.pid": "Process ID", "executable.workDir": "Working directory",
  "resource.source": "Source", "resource.connectionString": "Connection string", "Value": "Value",
};

export function propertyLabel(name) { return PROPERTY_LABELS[name] || name; }

export function formatValue(value) {
  if (value === null || value === undefined) return "";
  if (Array.isArray(value)) return value.map((v) => (/\s/.test(String(v)) ? JSON.stringify(String(v)) : String(v))).join(" ");
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}
