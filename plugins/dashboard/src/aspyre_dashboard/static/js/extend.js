// Extension points for pages that plugins add (the telemetry pages, say). A page's module (listed in
// /api/info and imported when the dashboard opens) registers what it adds to the built-in pages:
//
//   import { extend, refresh } from "/static/js/extend.js";
//   extend("nameCell", (resource) => errorBadge(resource.name));      // next to a name in Resources
//   extend("detailsSections", (resource) => ({ id: "traces", title: "Traces", count: 3, body: node }));
//   refresh();                                                         // when what they show changed

const points = { nameCell: [], detailsSections: [] };
let version = 0;

/** Register `fn` at an extension point ("nameCell" or "detailsSections"). */
export function extend(point, fn) {
  if (!points[point]) throw new Error(`no extension point ${point}`);
  points[point].push(fn);
  refresh();
}

/** The functions registered at `point`. */
export function extensionsAt(point) { return points[point] || []; }

/** Ask the built-in pages to draw again (what an extension shows changed). */
export function refresh() {
  version++;
  window.dispatchEvent(new CustomEvent("aspyre:extensions", { detail: version }));
}

/** Changes with every refresh(): part of the keys pages cache their rows under. */
export function extensionsVersion() { return version; }
