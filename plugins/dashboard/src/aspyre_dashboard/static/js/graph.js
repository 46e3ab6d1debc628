// The graph of resources: references, waits and parents, laid out in layers (what a resource
// depends on to its left), with the same state and actions as the table. Drag to pan, wheel to zoom.
import { actions, busyWith } from "./commands.js";
import { button, clear, colourName, h, stateBadge, styleClass } from "./util.js";

const NODE_W = 250, NODE_H = 78, GAP_X = 110, GAP_Y = 28, PAD = 40;
const view = { x: 0, y: 0, k: 1, fitted: false, key: "" };
const nodeCache = new Map(); // name -> {key, el}

function edgesOf(list) {
  const names = new Set(list.map((r) => r.name));
  const pairs = new Map();
  for (const r of list) {
    for (const rel of r.relationships || []) {
      if (!names.has(rel.resource) || rel.resource === r.name) continue;
      const key = `${r.name}\u0000${rel.resource}`;
      if (!pairs.has(key)) pairs.set(key, { from: r.name, to: rel.resource, types: [] });
      if (!pairs.get(key).types.includes(rel.type)) pairs.get(key).types.push(rel.type);
    }
  }
  return [...pairs.values()];
}

function layout(list, edges) {
  const deps = new Map(list.map((r) => [r.name, []]));
  for (const e of edges) deps.get(e.from).push(e.to);
  const layer = new Map();
  const visiting = new Set();
  const depth = (name) => {
    if (layer.has(name)) return layer.get(name);
    if (visiting.has(name)) return 0; // a cycle: break it here
    visiting.add(name);
    let d = 0;
    for (const t of deps.get(name) || []) d = Math.max(d, depth(t) + 1);
    visiting.delete(name);
    layer.set(name, d);
    return d;
  };
  list.forEach((r) => depth(r.name));
  const layers = [];
  for (const r of list) { const l = layer.get(r.name); (layers[l] ||= []).push(r.name); }
  // Order within layers by the average position of neighbours (a few sweeps both ways).
  const pos = new Map();
  layers.forEach((names) => names.forEach((n, i) => pos.set(n, i)));
  const neighbours = new Map(list.map((r) => [r.name, []]));
  for (const e of edges) { neighbours.get(e.from).push(e.to); neighbours.get(e.to).push(e.from); }
  for (let sweep = 0; sweep < 4; sweep++) {
    const range = sweep % 2 ? [...layers.keys()].reverse() : [...layers.keys()];
    for (const li of range) {
      const names = layers[li];
      if (!names) continue;
      const score = (n) => {
        const ns = neighbours.get(n).filter((m) => layer.get(m) !== li);
        return ns.length ? ns.reduce((a, m) => a + pos.get(m), 0) / ns.length : pos.get(n);
      };
      names.sort((a, b) => score(a) - score(b));
      names.forEach((n, i) => pos.set(n, i));
    }
  }
  return { layers, layer };
}

/** Node positions for one orientation: layers left to right ("h") or top to bottom ("v").
 * `room` is space on the side where edges that skip layers bulge out (above, or to the right). */
function place(layers, orientation, room) {
  const along = orientation === "h" ? NODE_W + GAP_X : NODE_H + GAP_Y * 2.2;
  const across = orientation === "h" ? NODE_H + GAP_Y : NODE_W + GAP_Y;
  const widest = Math.max(1, ...layers.map((l) => (l ? l.length : 0)));
  const coords = new Map();
  layers.forEach((names, li) => {
    if (!names) return;
    const offset = ((widest - names.length) * across) / 2;
    names.forEach((n, i) => {
      const a = PAD + li * along, b = PAD + offset + i * across + (orientation === "h" ? room : 0);
      coords.set(n, orientation === "h" ? { x: a, y: b } : { x: b, y: a });
    });
  });
  const lengthAlong = PAD * 2 + layers.length * along - (orientation === "h" ? GAP_X : GAP_Y * 2.2);
  const lengthAcross = PAD * 2 + widest * across - GAP_Y + room;
  const [width, height] = orientation === "h" ? [lengthAlong, lengthAcross] : [lengthAcross, lengthAlong];
  return { coords, width: Math.max(0, width), height: Math.max(0, height), orientation };
}

function applyView(stage) { stage.style.transform = `translate(${view.x}px, ${view.y}px) scale(${view.k})`; }

function fit(viewport, stage, width, height) {
  const vw = viewport.clientWidth || 800, vh = viewport.clientHeight || 500;
  view.k = Math.min(1.25, Math.max(0.3, Math.min(vw / width, vh / height)));
  view.x = (vw - width * view.k) / 2;
  view.y = Math.max(0, (vh - height * view.k) / 2);
  applyView(stage);
}

function interactive(viewport, stage) {
  let drag = null;
  viewport.addEventListener("pointerdown", (e) => {
    if (e.target.closest(".gnode, button, a")) return;
    drag = { x: e.clientX - view.x, y: e.clientY - view.y };
    viewport.setPointerCapture(e.pointerId);
    viewport.classList.add("dragging");
  });
  viewport.addEventListener("pointermove", (e) => { if (drag) { view.x = e.clientX - drag.x; view.y = e.clientY - drag.y; applyView(stage); } });
  viewport.addEventListener("pointerup", () => { drag = null; viewport.classList.remove("dragging"); });
  viewport.addEventListener("wheel", (e) => {
    e.preventDefault();
    const rect = viewport.getBoundingClientRect();
    const mx = e.clientX - rect.left, my = e.clientY - rect.top;
    const k = Math.min(2.5, Math.max(0.2, view.k * Math.exp(-e.deltaY * 0.0015)));
    view.x = mx - ((mx - view.x) * k) / view.k;
    view.y = my - ((my - view.y) * k) / view.k;
    view.k = k;
    applyView(stage);
  }, { passive: false });
}

function edgePath(a, b, orientation, span) {
  // From the dependent to what it depends on (placed before it). An edge that skips layers leaves
  // and enters on the outer side and bulges out, so it never runs under the nodes in between.
  const bulge = 70 + 28 * span;
  if (orientation === "h") {
    if (span > 1) {
      const x1 = a.x + NODE_W / 2, y1 = a.y, x2 = b.x + NODE_W / 2, y2 = b.y;
      const top = Math.min(y1, y2) - bulge;
      return { d: `M${x1},${y1} C${x1},${top} ${x2},${top} ${x2},${y2}`, mx: (x1 + x2) / 2, my: Math.min(y1, y2) - bulge * 0.75 - 4 };
    }
    const x1 = a.x, y1 = a.y + NODE_H / 2, x2 = b.x + NODE_W, y2 = b.y + NODE_H / 2;
    if (x1 > x2) {
      const dx = Math.max(40, (x1 - x2) / 2);
      return { d: `M${x1},${y1} C${x1 - dx},${y1} ${x2 + dx},${y2} ${x2},${y2}`, mx: (x1 + x2) / 2, my: (y1 + y2) / 2 - 6 };
    }
    const below = Math.max(y1, y2) + NODE_H;
    return { d: `M${x1},${y1} C${x1 - 80},${below} ${x2 + 80},${below} ${x2},${y2}`, mx: (x1 + x2) / 2, my: below - 18 };
  }
  if (span > 1) {
    const x1 = a.x + NODE_W, y1 = a.y + NODE_H / 2, x2 = b.x + NODE_W, y2 = b.y + NODE_H / 2;
    const side = Math.max(x1, x2) + bulge;
    return { d: `M${x1},${y1} C${side},${y1} ${side},${y2} ${x2},${y2}`, mx: Math.max(x1, x2) + bulge * 0.75 + 6, my: (y1 + y2) / 2, anchor: "start" };
  }
  const x1 = a.x + NODE_W / 2, y1 = a.y, x2 = b.x + NODE_W / 2, y2 = b.y + NODE_H;
  if (y1 > y2) {
    const dy = Math.max(30, (y1 - y2) / 2);
    return { d: `M${x1},${y1} C${x1},${y1 - dy} ${x2},${y2 + dy} ${x2},${y2}`, mx: (x1 + x2) / 2 + 8, my: (y1 + y2) / 2 + 4, anchor: "start" };
  }
  const right = Math.max(x1, x2) + NODE_W;
  return { d: `M${x1},${y1} C${right},${y1} ${right},${y2} ${x2},${y2}`, mx: right - 18, my: (y1 + y2) / 2 };
}

/** Draw the graph of `list` into `root` (reusing the viewport across redraws). */
export function renderGraph(root, list, { selected, visible, onSelect }) {
  let viewport = root.querySelector(".graph-viewport");
  if (!viewport) {
    const stage = h("div", { class: "graph-stage" });
    viewport = h("div", { class: "graph-viewport", tabindex: "0", "aria-label": "Resource graph" }, stage);
    const legend = h("div", { class: "graph-legend" },
      h("span", { class: "legend-item" }, h("span", { class: "legend-line rel-reference" }), "Reference"),
      h("span", { class: "legend-item" }, h("span", { class: "legend-line rel-waitfor" }), "Waits for"),
      h("span", { class: "legend-item" }, h("span", { class: "legend-line rel-parent" }), "Parent"),
      button("Fit to view", "fit", () => { view.fitted = false; renderGraph(root, list, { selected, visible, onSelect }); }, { kind: "ghost", dataset: { action: "fit" } }));
    clear(root).append(h("div", { class: "graph" }, legend, viewport));
    interactive(viewport, stage);
    view.fitted = false;
  }
  const stage = viewport.querySelector(".graph-stage");
  const edges = edgesOf(list);
  const { layers, layer } = layout(list, edges);
  // The orientation that shows the nodes biggest in this viewport.
  const vw = viewport.clientWidth || 800, vh = viewport.clientHeight || 500;
  const skips = edges.map((e) => Math.abs(layer.get(e.from) - layer.get(e.to))).filter((d) => d > 1);
  const room = skips.length ? 70 + 28 * Math.max(...skips) : 0;
  const options = [place(layers, "h", room), place(layers, "v", room)];
  const scale = (o) => Math.min(vw / Math.max(1, o.width), vh / Math.max(1, o.height));
  const chosen = scale(options[1]) > scale(options[0]) * 1.15 ? options[1] : options[0];
  const { coords, width, height, orientation } = chosen;
  const key = list.map((r) => r.name).join(",") + orientation;
  if (view.key !== key) { view.key = key; view.fitted = false; }
  stage.style.width = `${width}px`;
  stage.style.height = `${height}px`;
  const svg = h("svg", { class: "graph-edges", width, height, viewBox: `0 0 ${width} ${height}` },
    h("defs", {}, ["reference", "waitfor", "parent", "other"].map((t) => h("marker", {
      id: `arrow-${t}`, viewBox: "0 0 10 10", refX: "9", refY: "5", markerWidth: "7", markerHeight: "7", orient: "auto-start-reverse",
    }, h("path", { d: "M0,0 L10,5 L0,10 z", class: `arrow rel-${t}` })))));
  for (const e of edges) {
    const a = coords.get(e.from), b = coords.get(e.to);
    const main = ["WaitFor", "Parent", "Reference"].find((t) => e.types.includes(t)) || "other";
    const cls = `rel-${main.toLowerCase()}`;
    const dim = visible && !(visible.has(e.from) && visible.has(e.to));
    const highlight = selected && (e.from === selected || e.to === selected);
    const { d, mx, my, anchor } = edgePath(a, b, orientation, Math.abs(layer.get(e.from) - layer.get(e.to)));
    svg.append(h("g", { class: `edge ${cls}${dim ? " dim" : ""}${highlight ? " highlight" : ""}`, dataset: { from: e.from, to: e.to } },
      h("path", { d, "marker-end": `url(#arrow-${main === "other" ? "other" : main.toLowerCase()})` }),
      h("text", { x: mx, y: my, "text-anchor": anchor || "middle" }, e.types.join(" · "))));
  }
  const nodes = list.map((r) => {
    const c = coords.get(r.name);
    const cacheKey = `${r.version}|${r.name === selected}|${visible ? visible.has(r.name) : true}|${busyWith(r.name) || ""}`;
    const cached = nodeCache.get(r.name);
    if (cached && cached.key === cacheKey) {
      cached.el.style.left = `${c.x}px`;
      cached.el.style.top = `${c.y}px`;
      return cached.el;
    }
    const node = h("div", {
      class: `gnode ${styleClass(r)}${r.name === selected ? " selected" : ""}${visible && !visible.has(r.name) ? " dim" : ""}`,
      tabindex: "0", role: "button", dataset: { resource: r.name, state: r.state || "" },
      onclick: (e) => { if (!e.target.closest("button")) onSelect(r.name === selected ? null : r.name); },
      onkeydown: (e) => { if (e.key === "Enter" && e.target === node) onSelect(r.name); },
    },
    h("div", { class: "gnode-top" }, colourName(h("span", { class: "res-name", title: r.name }, r.name), r.name), h("span", { class: "gnode-type" }, r.type)),
    h("div", { class: "gnode-bottom" }, stateBadge(r), actions(r)));
    node.style.left = `${c.x}px`;
    node.style.top = `${c.y}px`;
    node.style.width = `${NODE_W}px`;
    node.style.height = `${NODE_H}px`;
    nodeCache.set(r.name, { key: cacheKey, el: node });
    return node;
  });
  stage.replaceChildren(svg, ...nodes);
  if (!list.length) stage.replaceChildren(h("div", { class: "empty" }, "Waiting for the app host…"));
  if (!view.fitted && list.length) {
    requestAnimationFrame(() => fit(viewport, stage, width, height));
    view.fitted = true;
  } else applyView(stage);
}
