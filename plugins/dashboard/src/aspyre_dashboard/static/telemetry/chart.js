// A small line chart in plain SVG (no library, no build step): time on x, one line per series, a legend
// that hides and shows series, gridlines with round values, and a hover readout of the nearest time.
import { clear, h } from "/static/js/util.js";

const PALETTE = [210, 28, 150, 285, 350, 50, 190, 320, 95, 245];

/** "1.2k", "3.4M", "0.012", "12". */
export function compact(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  const a = Math.abs(value);
  if (a >= 1e9) return `${(value / 1e9).toFixed(a >= 1e10 ? 0 : 1)}G`;
  if (a >= 1e6) return `${(value / 1e6).toFixed(a >= 1e7 ? 0 : 1)}M`;
  if (a >= 1e4) return `${(value / 1e3).toFixed(a >= 1e5 ? 0 : 1)}k`;
  if (a >= 100 || Number.isInteger(value)) return String(Math.round(value));
  if (a >= 1) return value.toFixed(2).replace(/\.?0+$/, "");
  return value.toPrecision(2);
}

function niceStep(span, count) {
  const raw = span / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw || 1));
  const n = raw / power;
  return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10) * power;
}

const pad = (n) => String(n).padStart(2, "0");
function clock(t) { const d = new Date(t); return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`; }

/**
 * Draw into `root`: series = [{name, points: [[t, v], ...]}], options {unit, height}.
 * Returns {hidden} (names of series hidden through the legend, kept across redraws by the caller).
 */
export function lineChart(root, series, { unit = "", height = 260, hidden = new Set() } = {}) {
  clear(root);
  const width = Math.max(320, root.clientWidth || 720);
  const m = { left: 56, right: 16, top: 12, bottom: 26 };
  const w = width - m.left - m.right;
  const hgt = height - m.top - m.bottom;
  const shown = series.filter((s) => !hidden.has(s.name));
  const all = shown.flatMap((s) => s.points.filter((p) => p[1] !== null && p[1] !== undefined));
  const svg = h("svg", { class: "tl-chart", viewBox: `0 0 ${width} ${height}`, width: String(width), height: String(height), role: "img",
    "aria-label": `Chart of ${series.length} series` });
  if (!all.length) {
    svg.append(h("text", { x: String(width / 2), y: String(height / 2), "text-anchor": "middle", class: "tl-chart-empty" }, "No data points yet"));
    root.append(svg);
    return { hidden };
  }
  let t0 = Math.min(...all.map((p) => p[0]));
  let t1 = Math.max(...all.map((p) => p[0]));
  if (t1 - t0 < 1000) { t0 -= 500; t1 += 500; }
  let v0 = Math.min(0, ...all.map((p) => p[1]));
  let v1 = Math.max(...all.map((p) => p[1]));
  if (v1 === v0) v1 = v0 + 1;
  const step = niceStep(v1 - v0, 4);
  v0 = Math.floor(v0 / step) * step;
  v1 = Math.ceil(v1 / step) * step;
  const x = (t) => m.left + ((t - t0) / (t1 - t0)) * w;
  const y = (v) => m.top + hgt - ((v - v0) / (v1 - v0)) * hgt;
  const grid = h("g", { class: "tl-grid" });
  for (let v = v0; v <= v1 + step / 2; v += step) {
    grid.append(h("line", { x1: String(m.left), x2: String(m.left + w), y1: String(y(v)), y2: String(y(v)) }),
      h("text", { x: String(m.left - 8), y: String(y(v) + 4), "text-anchor": "end" }, compact(v)));
  }
  const tStep = niceStep(t1 - t0, Math.max(2, Math.floor(w / 110)));
  for (let t = Math.ceil(t0 / tStep) * tStep; t <= t1; t += tStep) {
    grid.append(h("text", { x: String(x(t)), y: String(height - 6), "text-anchor": "middle" }, clock(t)));
  }
  if (unit) grid.append(h("text", { x: String(m.left), y: String(m.top - 2), class: "tl-unit" }, unit));
  svg.append(grid);
  const lines = h("g", { class: "tl-lines" });
  series.forEach((s, i) => {
    if (hidden.has(s.name)) return;
    let d = "";
    let pen = false;
    for (const [t, v] of s.points) {
      if (v === null || v === undefined) { pen = false; continue; }
      d += `${pen ? "L" : "M"}${x(t).toFixed(1)},${y(v).toFixed(1)}`;
      pen = true;
    }
    const hue = PALETTE[i % PALETTE.length];
    const path = h("path", { d, class: "tl-line", "data-series": s.name, stroke: `hsl(${hue} 70% 50%)` });
    lines.append(path);
    // A point with no neighbour to join (the only one, or between empty intervals) gets a dot.
    const valid = (p) => p && p[1] !== null && p[1] !== undefined;
    s.points.forEach((p, j) => {
      if (valid(p) && !valid(s.points[j - 1]) && !valid(s.points[j + 1])) {
        lines.append(h("circle", { cx: String(x(p[0])), cy: String(y(p[1])), r: "3.5", fill: `hsl(${hue} 70% 50%)`, class: "tl-dot" }));
      }
    });
  });
  svg.append(lines);
  const cursor = h("line", { class: "tl-cursor", x1: "0", x2: "0", y1: String(m.top), y2: String(m.top + hgt), visibility: "hidden" });
  svg.append(cursor);
  const readout = h("div", { class: "tl-readout", hidden: true });
  svg.addEventListener("mousemove", (e) => {
    const box = svg.getBoundingClientRect();
    const px = ((e.clientX - box.left) / box.width) * width;
    if (px < m.left || px > m.left + w) { cursor.setAttribute("visibility", "hidden"); readout.hidden = true; return; }
    const t = t0 + ((px - m.left) / w) * (t1 - t0);
    const values = shown.map((s) => {
      let best = null;
      for (const p of s.points) if (p[1] !== null && (best === null || Math.abs(p[0] - t) < Math.abs(best[0] - t))) best = p;
      return [s, best];
    }).filter(([, p]) => p);
    if (!values.length) return;
    const at = values[0][1][0];
    cursor.setAttribute("x1", String(x(at)));
    cursor.setAttribute("x2", String(x(at)));
    cursor.setAttribute("visibility", "visible");
    clear(readout).append(h("div", { class: "tl-readout-time" }, clock(at)),
      ...values.slice(0, 8).map(([s, p]) => {
        const swatch = h("span", { class: "tl-swatch" });
        swatch.style.setProperty("background", `hsl(${PALETTE[series.indexOf(s) % PALETTE.length]} 70% 50%)`);
        return h("div", {}, swatch, `${s.name}: ${compact(p[1])}${unit && !unit.startsWith("{") ? ` ${unit}` : ""}`);
      }));
    readout.hidden = false;
    readout.style.setProperty("left", `${Math.min(box.width - 180, (x(at) / width) * box.width + 12)}px`);
  });
  svg.addEventListener("mouseleave", () => { cursor.setAttribute("visibility", "hidden"); readout.hidden = true; });
  root.append(h("div", { class: "tl-chart-wrap" }, svg, readout));
  return { hidden };
}

/** The legend of a chart: one toggle per series, coloured like its line. */
export function legend(series, hidden, onToggle) {
  return h("div", { class: "tl-legend" }, series.map((s, i) => {
    const hue = PALETTE[i % PALETTE.length];
    const swatch = h("span", { class: "tl-swatch" });
    swatch.style.setProperty("background", `hsl(${hue} 70% 50%)`);
    return h("button", { type: "button", class: `tl-legend-item${hidden.has(s.name) ? " off" : ""}`, "aria-pressed": String(!hidden.has(s.name)),
      dataset: { series: s.name }, onclick: () => onToggle(s.name) }, swatch, s.name);
  }));
}
