// The dashboard's shell: navigation, the connection indicator, the theme, and a small router.
// Pages are modules with mount(root, context) / unmount(); plugins add theirs through /api/info.
import consolePage from "./console.js";
import { connect, onChange, setOrder, status } from "./live.js";
import resourcesPage from "./resources.js";
import { clear, h, icon, setHueOrder } from "./util.js";

const BUILTIN = { resources: resourcesPage, console: consolePage };
const NAV_ICONS = { resources: "resources", console: "console" };
const PAGE_OF_PATH = [
  [/^\/($|resources|graph|parameters)/, "resources"],
  [/^\/console(\/|$)/, "console"],
];

let info = null;
let current = null;
const loaded = new Map();

function theme() {
  const saved = localStorage.getItem("aspyre.theme");
  const dark = saved ? saved === "dark" : matchMedia("(prefers-color-scheme: dark)").matches;
  document.documentElement.dataset.theme = dark ? "dark" : "light";
  const b = document.getElementById("theme");
  clear(b).append(icon(dark ? "sun" : "moon"));
}

function pageFor(path) {
  for (const [re, id] of PAGE_OF_PATH) if (re.test(path)) return id;
  for (const p of info?.pages || []) if (p.script && (path === p.path || path.startsWith(`${p.path}/`))) return p.id;
  return "resources";
}

async function moduleFor(id) {
  if (BUILTIN[id]) return BUILTIN[id];
  if (loaded.has(id)) return loaded.get(id);
  const page = info.pages.find((p) => p.id === id);
  const mod = (await import(page.script)).default;
  loaded.set(id, mod);
  return mod;
}

function drawNav(active) {
  const nav = document.getElementById("nav");
  clear(nav).append(...info.pages.map((p) => h("a", {
    href: p.path, class: `nav-item${p.id === active ? " active" : ""}`, "aria-current": p.id === active ? "page" : undefined,
    dataset: { page: p.id }, onclick: (e) => { e.preventDefault(); navigate(p.path); },
  }, icon(NAV_ICONS[p.id] || p.icon || "resources"), h("span", {}, p.title))));
}

export async function navigate(path, replace = false) {
  if (replace) history.replaceState(null, "", path); else history.pushState(null, "", path);
  await route();
}

async function route() {
  const path = location.pathname;
  const id = pageFor(path);
  drawNav(id);
  const mod = await moduleFor(id);
  if (current) current.unmount?.();
  current = mod;
  const page = info.pages.find((p) => p.id === id);
  document.title = `${page ? page.title : "Dashboard"} · ${info.app.name} · aspyre`;
  const root = document.getElementById("page");
  root.dataset.page = id;
  mod.mount(root, { path: path === "/" ? "/resources" : path, navigate, info });
}

function drawStatus() {
  const el = document.getElementById("connection");
  el.dataset.state = status.state;
  el.querySelector(".label").textContent = status.message;
  document.body.classList.toggle("offline", status.state === "stopped" || status.state === "signed-out");
}

async function main() {
  theme();
  document.getElementById("theme").addEventListener("click", () => {
    localStorage.setItem("aspyre.theme", document.documentElement.dataset.theme === "dark" ? "light" : "dark");
    theme();
  });
  const r = await fetch("/api/info", { credentials: "same-origin", cache: "no-store" });
  if (!r.ok) { location.reload(); return; }
  info = await r.json();
  setOrder(info.resources);
  setHueOrder(info.colourOrder || info.resources);
  document.getElementById("app-name").textContent = info.app.name;
  document.getElementById("app-path").textContent = info.app.path;
  onChange((kind) => { if (kind === "status") drawStatus(); });
  window.addEventListener("popstate", route);
  connect();
  // Pages added by plugins load first: they may extend the built-in pages (extend.js).
  await Promise.all(info.pages.filter((p) => p.script).map((p) => moduleFor(p.id).catch((error) => console.error(error))));
  await route();
}

main();
