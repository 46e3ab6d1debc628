// The details of one resource: everything its snapshot says, secrets masked until revealed.
import { actions } from "./commands.js";
import { extensionsAt } from "./extend.js";
import { post, resources } from "./live.js";
import {
  button, clear, copyText, duration, formatValue, h, icon, localDateTime, propertyLabel, stateBadge, styleClass,
} from "./util.js";

const revealed = new Map(); // `${resource}|${kind}|${name}` -> {version, value}
let envQuery = "";
const collapsed = new Set(JSON.parse(sessionStorage.getItem("aspyre.details.collapsed") || "[]"));

function section(id, title, count, body) {
  const open = !collapsed.has(id);
  const head = h("button", {
    type: "button", class: "section-head", "aria-expanded": String(open),
    onclick: () => {
      if (collapsed.has(id)) collapsed.delete(id); else collapsed.add(id);
      sessionStorage.setItem("aspyre.details.collapsed", JSON.stringify([...collapsed]));
      const now = !collapsed.has(id);
      head.setAttribute("aria-expanded", String(now));
      wrap.classList.toggle("collapsed", !now);
    },
  }, icon("chevron", "icon chevron"), h("span", {}, title), count === null ? null : h("span", { class: "count" }, String(count)));
  const wrap = h("section", { class: `details-section${open ? "" : " collapsed"}`, dataset: { section: id } }, head,
    h("div", { class: "section-body" }, body));
  return wrap;
}

function kv(rows) {
  return h("table", { class: "kv" }, h("tbody", {}, rows.filter(Boolean).map(([k, v]) =>
    h("tr", {}, h("th", { scope: "row" }, k), h("td", {}, v)))));
}

export function secretValue(resource, kind, name, onChange, partly = null) {
  const key = `${resource.name}|${kind}|${name}`;
  const known = revealed.get(key);
  const shown = known && known.version === resource.version;
  const cell = h("span", { class: "secret", dataset: { secret: name } });
  if (shown) {
    cell.append(h("code", { class: "value revealed" }, known.value ?? ""),
      button("Hide value", "eyeOff", () => { revealed.delete(key); onChange(); }, { iconOnly: true, kind: "ghost", dataset: { action: "hide" } }),
      button("Copy value", "copy", () => copyText(known.value ?? ""), { iconOnly: true, kind: "ghost" }));
  } else {
    cell.append(h("span", { class: "value masked", "aria-label": "hidden value" }, partly ?? "••••••••"),
      button("Show value", "eye", async () => {
        try {
          const data = await post(`/api/resources/${encodeURIComponent(resource.name)}/reveal`, { kind, name });
          revealed.set(key, { version: resource.version, value: data.value });
        } catch (error) {
          revealed.delete(key);
          cell.append(h("span", { class: "error-text" }, ` ${error.message}`));
          return;
        }
        onChange();
      }, { iconOnly: true, kind: "ghost", dataset: { action: "reveal" } }));
  }
  return cell;
}

function plainValue(text) {
  if (text === "" || text === null || text === undefined) return h("span", { class: "muted" }, "—");
  return h("span", { class: "value-cell" }, h("code", { class: "value" }, text),
    button("Copy value", "copy", () => copyText(text), { iconOnly: true, kind: "ghost copy" }));
}

function resourceLink(name, onSelect) {
  const r = resources.get(name);
  return h("a", { href: `?resource=${encodeURIComponent(name)}`, class: "resource-link", dataset: { resource: name },
    onclick: (e) => { e.preventDefault(); onSelect(name); } },
  h("span", { class: `dot ${r ? styleClass(r) : "style-neutral"}` }), name);
}

/** Render the details of `name` into `root`. onSelect(name) opens another resource; onClose() closes. */
export function renderDetails(root, name, { onSelect, onClose }) {
  // Redrawn on every change of the resource: keep the reader's place and the filter's focus.
  const scroll = root.dataset.shown === name ? root.querySelector(".details-body")?.scrollTop ?? 0 : 0;
  root.dataset.shown = name;
  const focused = document.activeElement && root.contains(document.activeElement) && document.activeElement.classList.contains("env-filter");
  clear(root);
  const r = resources.get(name);
  if (!r) { root.append(h("div", { class: "empty" }, `No resource named ${name}.`)); return; }
  const again = () => renderDetails(root, name, { onSelect, onClose });
  const now = Date.now();
  const started = r.startedAt ? Date.parse(r.startedAt) : null;
  const stopped = r.stoppedAt ? Date.parse(r.stoppedAt) : null;
  const running = started && (!stopped || stopped < started);

  root.append(h("header", { class: "details-head" },
    h("div", { class: "details-title" },
      h("h2", {}, r.name), h("span", { class: "type-tag" }, r.type), stateBadge(r)),
    h("div", { class: "details-tools" }, actions(r, { compact: false }),
      button("Close details", "close", onClose, { iconOnly: true, kind: "ghost", dataset: { action: "close" } }))));

  const props = [
    ["Name", r.name], ["Type", r.type], ["State", stateBadge(r, false)],
    r.health ? ["Health", r.health] : null,
    r.exitCode !== null && r.exitCode !== undefined ? ["Exit code", h("code", {}, String(r.exitCode))] : null,
    r.createdAt ? ["Created", localDateTime(r.createdAt)] : null,
    started ? ["Started", `${localDateTime(r.startedAt)}${running ? ` (up ${duration(now - started)})` : ""}`] : null,
    stopped && !running ? ["Stopped", localDateTime(r.stoppedAt)] : null,
    r.source ? ["Source", plainValue(r.source)] : null,
    r.explicitStart ? ["Start", "explicitly (with the Start command)"] : null,
    r.kind === "parameter" && r.description ? ["Description", r.description] : null,
    r.kind === "parameter" && r.configurationKey ? ["Configuration key", h("code", {}, r.configurationKey)] : null,
    r.kind === "parameter" && r.valueSource ? ["Value from", r.valueSource] : null,
  ];
  for (const p of r.properties || []) {
    if (p.name === "resource.source") continue;
    props.push([propertyLabel(p.name), p.masked ? secretValue(r, "property", p.name, again, p.value === null ? null : formatValue(p.value)) : plainValue(formatValue(p.value))]);
  }
  const body = h("div", { class: "details-body" });
  body.append(section("resource", "Resource", null, kv(props)));

  const urls = r.urls || [];
  const endpoints = r.endpoints || [];
  if (urls.length || endpoints.length) {
    body.append(section("endpoints", "Endpoints and URLs", urls.length + endpoints.length, h("div", {},
      urls.length ? h("ul", { class: "url-list" }, urls.map((u) => h("li", {},
        h("a", { href: u.url, target: "_blank", rel: "noopener noreferrer" }, u.displayText || u.url, icon("external", "icon small")),
        u.name ? h("span", { class: "muted" }, ` ${u.name}`) : null))) : null,
      endpoints.length ? h("table", { class: "grid small" },
        h("thead", {}, h("tr", {}, ["Endpoint", "Scheme", "Host port", "Target port", "URL"].map((t) => h("th", {}, t)))),
        h("tbody", {}, endpoints.map((e) => h("tr", {},
          h("td", {}, e.name), h("td", {}, e.scheme), h("td", {}, e.port ?? "—"), h("td", {}, e.targetPort ?? "—"),
          h("td", {}, e.url ? h("code", {}, e.url) : "—"))))) : null)));
  }

  const env = r.environment || [];
  const envFilter = h("input", { type: "search", class: "input small env-filter", placeholder: "Filter variables", "aria-label": "Filter environment variables" });
  envFilter.value = envQuery;
  const envTable = h("tbody", {});
  const drawEnv = () => {
    clear(envTable);
    const q = envFilter.value.trim().toLowerCase();
    for (const e of env) {
      if (q && !e.name.toLowerCase().includes(q)) continue;
      envTable.append(h("tr", { dataset: { env: e.name } }, h("td", { class: "env-name" }, h("code", {}, e.name)),
        h("td", {}, e.masked ? secretValue(r, "env", e.name, again, e.value) : plainValue(e.value ?? ""))));
    }
  };
  envFilter.addEventListener("input", () => { envQuery = envFilter.value; drawEnv(); });
  drawEnv();
  body.append(section("environment", "Environment variables", env.length, env.length ? h("div", {}, envFilter,
    h("table", { class: "grid small env" }, h("thead", {}, h("tr", {}, h("th", {}, "Name"), h("th", {}, "Value"))), envTable))
    : h("p", { class: "muted" }, r.state === "NotStarted" ? "Known once the resource starts." : "None.")));

  const reports = r.healthReports || [];
  if (reports.length || r.state === "Running") {
    body.append(section("health", "Health checks", reports.length, reports.length ? h("ul", { class: "health-list" },
      reports.map((rep) => {
        const status = rep.status || "Pending";
        return h("li", { class: `health-item health-${status.toLowerCase()}`, dataset: { check: rep.name } },
          icon(status === "Healthy" ? "healthy" : "unhealthy", "icon health-icon"),
          h("div", {}, h("div", { class: "health-name" }, rep.name, h("span", { class: "health-status" }, status)),
            rep.lastRunAt ? h("div", { class: "muted small" }, `last run ${localDateTime(rep.lastRunAt)}`) : h("div", { class: "muted small" }, "not run yet"),
            rep.description ? h("div", {}, rep.description) : null,
            rep.error ? h("pre", { class: "error-text" }, rep.error) : null));
      })) : h("p", { class: "muted" }, "No health checks: healthy while running.")));
  }

  const outgoing = r.relationships || [];
  const incoming = [];
  for (const other of resources.values()) {
    for (const rel of other.relationships || []) if (rel.resource === r.name) incoming.push({ resource: other.name, type: rel.type });
  }
  const rel = (list, label) => list.length ? h("div", { class: "rel-group" }, h("h4", {}, label),
    h("ul", { class: "rel-list" }, list.map((x) => h("li", {}, h("span", { class: `rel-type rel-${x.type.toLowerCase()}` }, x.type),
      resourceLink(x.resource, onSelect))))) : null;
  body.append(section("relationships", "Relationships", outgoing.length + incoming.length,
    outgoing.length + incoming.length ? h("div", {}, rel(outgoing, "This resource → "), rel(incoming, "→ this resource"))
      : h("p", { class: "muted" }, "None.")));

  const mounts = r.mounts || [];
  if (mounts.length) {
    body.append(section("mounts", "Volumes and mounts", mounts.length, h("table", { class: "grid small" },
      h("thead", {}, h("tr", {}, ["Type", "Source", "Target", "Mode"].map((t) => h("th", {}, t)))),
      h("tbody", {}, mounts.map((m) => h("tr", {}, h("td", {}, m.type), h("td", {}, h("code", {}, m.source || "(anonymous)")),
        h("td", {}, h("code", {}, m.target)), h("td", {}, m.readOnly ? "read-only" : "read-write")))))));
  }
  for (const add of extensionsAt("detailsSections")) {
    const extra = add(r);
    if (extra) body.append(section(extra.id, extra.title, extra.count ?? null, extra.body));
  }
  root.append(body);
  body.scrollTop = scroll;
  if (focused) envFilter.focus();
}
