// Resource commands: the buttons, the menu, confirmation, and what happened (toasts).
import { post } from "./live.js";
import { button, h, icon } from "./util.js";

const running = new Map(); // resource name -> command name (this tab's own requests)
const PRIMARY = new Set(["start", "stop", "restart"]);
const ICON_OF = { start: "play", stop: "stop", restart: "restart" };
let rerender = () => {};

/** Pages call this to redraw when a command starts or ends (spinners). */
export function onCommandsChanged(fn) { rerender = fn; }

export function toast(text, kind = "info", timeout = 5000) {
  const box = document.getElementById("toasts");
  const item = h("div", { class: `toast toast-${kind}`, role: kind === "error" ? "alert" : "status" },
    icon(kind === "error" ? "unhealthy" : "healthy", "icon toast-icon"), h("span", { class: "toast-text" }, text),
    h("button", { type: "button", class: "toast-close", "aria-label": "Dismiss", onclick: () => item.remove() }, icon("close")));
  box.append(item);
  if (timeout) setTimeout(() => item.remove(), timeout);
}

/** Ask for confirmation in a modal dialog; resolves true/false. */
export function confirmDialog(title, message, confirmLabel) {
  return new Promise((resolve) => {
    const dialog = h("dialog", { class: "dialog", "aria-label": title });
    const done = (value) => { dialog.close(); dialog.remove(); resolve(value); };
    dialog.append(
      h("h2", {}, title),
      h("p", {}, message),
      h("div", { class: "dialog-actions" },
        button("Cancel", null, () => done(false), { kind: "ghost" }),
        button(confirmLabel, null, () => done(true), { kind: "primary", dataset: { confirm: "1" } })),
    );
    dialog.addEventListener("cancel", (e) => { e.preventDefault(); done(false); });
    document.body.append(dialog);
    dialog.showModal();
  });
}

export async function runCommand(resource, command) {
  if (running.has(resource.name)) return;
  if (command.confirmation) {
    const ok = await confirmDialog(`${command.displayName} ${resource.name}?`, command.confirmation, command.displayName);
    if (!ok) return;
  }
  running.set(resource.name, command.name);
  rerender();
  try {
    const path = `/api/resources/${encodeURIComponent(resource.name)}/commands/${encodeURIComponent(command.name)}`;
    await post(path);
    toast(`${command.displayName} ${resource.name}: done`, "success", 3000);
  } catch (error) {
    toast(`${command.displayName} ${resource.name} failed: ${error.message}`, "error", 9000);
  } finally {
    running.delete(resource.name);
    rerender();
  }
}

export function busyWith(name) { return running.get(name); }

let openMenu = null;
function closeMenu() { if (openMenu) { openMenu.remove(); openMenu = null; } }
document.addEventListener("click", (e) => { if (openMenu && !openMenu.contains(e.target)) closeMenu(); });
document.addEventListener("keydown", (e) => { if (e.key === "Escape") closeMenu(); });

function showMenu(anchor, resource, commands) {
  closeMenu();
  const menu = h("div", { class: "menu", role: "menu" },
    commands.map((c) => h("button", {
      type: "button", role: "menuitem", class: "menu-item", disabled: c.state !== "enabled" ? true : undefined,
      title: c.description || c.displayName, dataset: { command: c.name },
      onclick: (e) => { e.stopPropagation(); closeMenu(); runCommand(resource, c); },
    }, icon(ICON_OF[c.name] || "chevron"), h("span", {}, c.displayName))));
  document.body.append(menu);
  const rect = anchor.getBoundingClientRect();
  menu.style.top = `${rect.bottom + window.scrollY + 4}px`;
  menu.style.left = `${Math.max(8, rect.right + window.scrollX - menu.offsetWidth)}px`;
  openMenu = menu;
}

/** The action buttons of one resource: Start or Stop, Restart, highlighted commands, and a menu. */
export function actions(resource, { compact = true } = {}) {
  const commands = resource.commands || [];
  const busy = running.get(resource.name);
  const byName = new Map(commands.map((c) => [c.name, c]));
  const shown = [];
  const start = byName.get("start"), stop = byName.get("stop");
  if (start && (start.state === "enabled" || !stop)) shown.push(start);
  else if (stop) shown.push(stop);
  if (byName.has("restart")) shown.push(byName.get("restart"));
  for (const c of commands) if (c.highlighted && !PRIMARY.has(c.name) && shown.length < 4) shown.push(c);
  const box = h("div", { class: "actions", dataset: { resource: resource.name } });
  for (const c of shown) {
    const isBusy = busy === c.name;
    const b = button(c.displayName, ICON_OF[c.name] || "chevron", (e) => { e.stopPropagation(); runCommand(resource, c); }, {
      iconOnly: compact, kind: isBusy ? "busy" : "ghost", disabled: c.state !== "enabled" || Boolean(busy),
      title: c.description || c.displayName, dataset: { command: c.name },
    });
    box.append(b);
  }
  const rest = commands.filter((c) => !shown.includes(c));
  if (rest.length) {
    const more = button("More commands", "more", (e) => { e.stopPropagation(); showMenu(more, resource, commands); }, {
      iconOnly: true, kind: "ghost", disabled: Boolean(busy), dataset: { command: "more" },
    });
    box.append(more);
  }
  return box;
}
