// Console logs: one resource or all of them interleaved, ANSI colours, follow/pause, filter, download.
// The page keeps a bounded window of lines and draws at most once per frame, so it stays smooth
// however fast resources write.
import { renderAnsi, stripAnsi } from "./ansi.js";
import { actions, onCommandsChanged } from "./commands.js";
import { onChange, order, resources, watchLogs, watchResources } from "./live.js";
import { button, clear, clockTime, colourName, debounce, h, icon, stateBadge } from "./util.js";

/** Lines kept (and shown) at most. */
export const WINDOW = 10000;
/** Lines per block: the page lays out and paints only the blocks in view (CSS content-visibility),
 * and drops the oldest block at a time, so the cost of a new line does not grow with the window. */
const CHUNK = 250;

export default {
  mount(root, ctx) {
    this.root = root;
    this.ctx = ctx;
    const rest = ctx.path.replace(/^\/console\/?/, "");
    this.resource = rest ? decodeURIComponent(rest) : null;
    this.lines = []; // {res, n, ts, err, text, plain}
    this.pending = [];
    this.lastNumber = new Map();
    this.skipped = 0;
    this.unseen = 0;
    this.paused = false;
    this.follow = true;
    this.timestamps = localStorage.getItem("aspyre.console.timestamps") !== "0";
    this.wrap = localStorage.getItem("aspyre.console.wrap") === "1";
    this.query = "";
    this.frame = 0;
    this.shown = 0;

    this.select = h("select", { class: "input select", id: "console-resource", "aria-label": "Resource" });
    this.select.addEventListener("change", () => {
      const name = this.select.value || null;
      ctx.navigate(name ? `/console/${encodeURIComponent(name)}` : "/console");
    });
    this.stateBox = h("span", { class: "console-state" });
    this.actionsBox = h("span", { class: "console-actions" });
    const filter = h("input", { type: "search", class: "input", placeholder: "Filter lines", "aria-label": "Filter lines", id: "console-filter" });
    filter.addEventListener("input", debounce(() => { this.query = filter.value.toLowerCase(); this.redraw(); }, 120));
    this.pauseButton = button("Pause", "pause", () => this.setPaused(!this.paused), { kind: "ghost", pressed: false, dataset: { action: "pause" } });
    this.followButton = button("Follow", "follow", () => this.setFollow(!this.follow), { kind: "ghost", pressed: true, dataset: { action: "follow" } });
    this.timeButton = button("Timestamps", "clock", () => this.toggle("timestamps"), { kind: "ghost", pressed: this.timestamps, dataset: { action: "timestamps" } });
    this.wrapButton = button("Wrap", "wrap", () => this.toggle("wrap"), { kind: "ghost", pressed: this.wrap, dataset: { action: "wrap" } });
    const clearButton = button("Clear view", "clear", () => { this.lines = []; this.pending = []; this.skipped = 0; this.redraw(); }, { kind: "ghost", iconOnly: true, dataset: { action: "clear" } });
    const download = h("a", {
      class: "btn btn-ghost", href: `/api/logs/download${this.resource ? `?resource=${encodeURIComponent(this.resource)}` : ""}`,
      download: "", title: "Download the logs as a text file", "data-action": "download",
    }, icon("download"), h("span", { class: "btn-label" }, "Download"));
    this.log = h("div", { class: `log${this.wrap ? " wrap" : ""}${this.timestamps ? "" : " no-ts"}${this.resource ? "" : " all"}`,
      id: "log", role: "log", "aria-label": "Console output", tabindex: "0" });
    this.log.addEventListener("scroll", () => {
      const atBottom = this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 24;
      if (!atBottom && this.follow && !this.autoScrolling) this.setFollow(false);
      else if (atBottom && !this.follow) this.setFollow(true);
      this.autoScrolling = false;
    });
    this.status = h("div", { class: "log-status", id: "log-status" });
    clear(root).append(
      h("div", { class: "page-head" }, h("h1", {}, "Console logs")),
      h("div", { class: "toolbar console-toolbar" },
        h("div", { class: "toolbar-group" }, this.select, this.stateBox, this.actionsBox),
        h("div", { class: "toolbar-spacer" }),
        h("div", { class: "toolbar-group" }, h("label", { class: "search" }, icon("search"), filter),
          this.followButton, this.pauseButton, this.timeButton, this.wrapButton, clearButton, download)),
      h("div", { class: "log-frame" }, this.log), this.status);
    this.off = onChange((kind) => { if (kind === "resources") this.drawHeader(); });
    onCommandsChanged(() => this.drawHeader());
    watchResources();
    this.drawHeader();
    this.unwatch = watchLogs(this.resource, WINDOW, (msg) => this.receive(msg));
    this.drawStatus();
  },

  unmount() {
    this.off?.();
    this.unwatch?.();
    cancelAnimationFrame(this.frame);
    onCommandsChanged(() => {});
  },

  toggle(which) {
    this[which] = !this[which];
    localStorage.setItem(`aspyre.console.${which}`, this[which] ? "1" : "0");
    this.log.classList.toggle("wrap", this.wrap);
    this.log.classList.toggle("no-ts", !this.timestamps);
    this.timeButton.setAttribute("aria-pressed", String(this.timestamps));
    this.wrapButton.setAttribute("aria-pressed", String(this.wrap));
  },

  setPaused(paused) {
    this.paused = paused;
    this.pauseButton.setAttribute("aria-pressed", String(paused));
    this.pauseButton.querySelector(".btn-label").textContent = paused ? "Resume" : "Pause";
    if (!paused) { this.unseen = 0; this.schedule(); }
    this.drawStatus();
  },

  setFollow(follow) {
    this.follow = follow;
    this.followButton.setAttribute("aria-pressed", String(follow));
    if (follow) this.scrollToEnd();
    this.drawStatus();
  },

  drawHeader() {
    const names = order.filter((n) => resources.has(n));
    const key = names.join(",") + (this.resource || "");
    if (this.select.dataset.key !== key) {
      this.select.dataset.key = key;
      clear(this.select).append(h("option", { value: "" }, "All resources"),
        ...names.map((n) => h("option", { value: n, selected: n === this.resource ? true : undefined }, n)));
      if (this.resource && !names.includes(this.resource) && resources.size) {
        this.select.append(h("option", { value: this.resource, selected: true }, this.resource));
      }
    }
    const r = this.resource ? resources.get(this.resource) : null;
    clear(this.stateBox);
    clear(this.actionsBox);
    if (r) { this.stateBox.append(stateBadge(r)); this.actionsBox.append(actions(r, { compact: false })); }
  },

  receive(msg) {
    for (const [res, n, ts, err, text] of msg.lines) {
      const last = this.lastNumber.get(res);
      if (last !== undefined && n > last + 1 && !msg.backlog) {
        const gap = n - last - 1;
        this.skipped += gap;
        this.push({ res, n: 0, ts, err: 0, text: `… ${gap} line${gap === 1 ? "" : "s"} of ${res} skipped (the browser could not keep up)`, marker: true });
      }
      if (last === undefined || n > last) this.lastNumber.set(res, n);
      else if (!msg.backlog) continue; // seen already
      this.push({ res, n, ts, err, text });
    }
    if (msg.backlog && msg.end) this.backlogDone = true;
    this.schedule();
  },

  push(line) {
    line.plain = stripAnsi(line.text).toLowerCase();
    this.lines.push(line);
    this.pending.push(line);
    if (this.paused) this.unseen++;
    if (this.lines.length > WINDOW * 1.1) this.lines.splice(0, this.lines.length - WINDOW);
    if (this.pending.length > WINDOW) this.pending.splice(0, this.pending.length - WINDOW);
  },

  schedule() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => { this.frame = 0; this.flush(); });
  },

  lineElement(line) {
    const el = document.createElement("div");
    el.className = `line${line.err ? " err" : ""}${line.marker ? " marker" : ""}`;
    const ts = document.createElement("span");
    ts.className = "ts";
    ts.textContent = clockTime(line.ts);
    el.append(ts);
    if (!this.resource) {
      const prefix = colourName(document.createElement("span"), line.res);
      prefix.classList.add("prefix");
      prefix.textContent = line.res;
      el.append(prefix);
    }
    const text = document.createElement("span");
    text.className = "text";
    renderAnsi(text, line.text);
    el.append(text);
    return el;
  },

  /** Append line elements, in blocks of CHUNK lines; drop the oldest blocks beyond the window. */
  appendLines(lines) {
    let chunk = this.log.lastElementChild;
    for (const line of lines) {
      if (!chunk || chunk.childElementCount >= CHUNK) {
        chunk = document.createElement("div");
        chunk.className = "chunk";
        this.log.append(chunk);
      }
      chunk.append(this.lineElement(line));
      this.shown++;
    }
    // Over the window: whole blocks go at once; then single lines of the oldest block (out of view, so
    // they cost no layout of what is shown).
    let extra = this.shown - WINDOW;
    while (extra > 0 && this.log.firstElementChild) {
      const first = this.log.firstElementChild;
      if (first.childElementCount <= extra) {
        extra -= first.childElementCount;
        this.shown -= first.childElementCount;
        first.remove();
      } else {
        for (; extra > 0; extra--) { first.firstElementChild.remove(); this.shown--; }
      }
    }
  },

  flush() {
    if (this.paused) { this.drawStatus(); return; }
    const batch = this.pending;
    this.pending = [];
    this.appendLines(batch.filter((line) => !this.query || line.plain.includes(this.query)));
    if (this.follow) this.scrollToEnd();
    this.drawStatus();
  },

  redraw() {
    // While paused, lines that came after the pause stay unseen.
    const unseen = this.paused ? new Set(this.pending) : null;
    if (!this.paused) this.pending = [];
    this.log.replaceChildren();
    this.shown = 0;
    this.appendLines(this.lines.slice(-WINDOW).filter((line) => !(unseen && unseen.has(line)) && (!this.query || line.plain.includes(this.query))));
    if (this.follow) this.scrollToEnd();
    this.drawStatus();
  },

  scrollToEnd() {
    this.autoScrolling = true;
    this.log.scrollTop = this.log.scrollHeight;
  },

  drawStatus() {
    const shown = this.shown;
    const parts = [`${shown.toLocaleString()} line${shown === 1 ? "" : "s"}${this.query ? " matching" : ""}`];
    if (this.skipped) parts.push(`${this.skipped.toLocaleString()} skipped`);
    if (this.paused) parts.push(`paused${this.unseen ? `: ${this.unseen.toLocaleString()} new` : ""}`);
    else parts.push(this.follow ? "following" : "scrolled back");
    parts.push(`keeps the last ${WINDOW.toLocaleString()}`);
    this.status.textContent = parts.join(" · ");
  },
};
