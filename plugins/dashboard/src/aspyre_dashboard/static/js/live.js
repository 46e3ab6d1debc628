// The live connection: one WebSocket per tab, subscriptions that survive reconnects, and the
// store of resources every page reads from.

const listeners = new Set();
const logHandlers = new Map();
let socket = null;
let nextId = 1;
let wantResources = false;
let closedForGood = false;
let retry = 500;
const extraTopics = new Map();

/** Every resource by name, as the server last described it. */
export const resources = new Map();
/** The model order of the resource names (from /api/info). */
export let order = [];
export const status = { state: "connecting", message: "Connecting…" };

export function setOrder(names) { order = names; }

/** Call fn(kind, payload) on "resources" changes and "status" changes. Returns an unsubscribe function. */
export function onChange(fn) { listeners.add(fn); return () => listeners.delete(fn); }

function emit(kind, payload) { for (const fn of [...listeners]) fn(kind, payload); }

// A click is a press and a release on the same element: a page redrawn in between (a resource changed, as a
// talking clock does twice a second) replaces the element under the pointer and the browser drops the click.
// While a pointer is pressed, resource changes reach the store but are announced once the click (if any)
// has been handled.
let pressed = false;
let held = null;

function holdChanges() { pressed = true; }

function releaseChanges() {
  if (!pressed) return;
  pressed = false;
  setTimeout(announceHeld, 0); // the click follows the release in the same task: announce after it
}

function announceHeld() {
  if (pressed || !held) return;
  const items = [...held.values()];
  held = null;
  emit("resources", items);
}

window.addEventListener("pointerdown", holdChanges, true);
window.addEventListener("pointerup", releaseChanges, true);
window.addEventListener("pointercancel", releaseChanges, true);
window.addEventListener("blur", releaseChanges);

function setStatus(state, message) {
  status.state = state; status.message = message;
  emit("status", status);
}

function send(message) {
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
}

function subscribeAll() {
  if (wantResources) send({ t: "sub", topic: "resources" });
  for (const [id, sub] of logHandlers) send({ t: "sub", topic: "logs", id, resource: sub.resource, window: sub.window });
  for (const [topic, msg] of extraTopics) send({ ...msg, t: "sub", topic });
}

export function connect() {
  if (socket || closedForGood) return;
  const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/live`;
  const ws = new WebSocket(url);
  socket = ws;
  ws.addEventListener("open", () => {
    retry = 500;
    setStatus("live", "Live");
    subscribeAll();
  });
  ws.addEventListener("message", (event) => {
    let msg;
    try { msg = JSON.parse(event.data); } catch { return; }
    if (msg.t === "resources") {
      if (msg.reset) resources.clear();
      for (const item of msg.items) resources.set(item.name, item);
      if (pressed) {
        held ??= new Map();
        for (const item of msg.items) held.set(item.name, item);
      } else emit("resources", msg.items);
    } else if (msg.t === "logs") {
      const sub = logHandlers.get(msg.id);
      if (sub) sub.handler(msg);
    } else if (msg.t === "bye") {
      closedForGood = true;
      setStatus("stopped", msg.reason || "The app host stopped.");
    } else if (msg.t && extraTopics.has(msg.t)) {
      emit(msg.t, msg);
    }
  });
  ws.addEventListener("close", () => {
    socket = null;
    if (closedForGood) { setStatus("stopped", status.state === "stopped" ? status.message : "The app host stopped."); return; }
    setStatus("reconnecting", "Reconnecting…");
    setTimeout(probe, retry);
    retry = Math.min(retry * 2, 5000);
  });
}

// After a drop: is it the same run (reconnect), a new run (sign in again) or nothing (stopped)?
async function probe() {
  try {
    const r = await fetch("/api/info", { credentials: "same-origin", cache: "no-store" });
    if (r.status === 401) { closedForGood = true; setStatus("signed-out", "Signed out: open the link the app host printed."); return; }
  } catch {
    setStatus("reconnecting", "The app host is not answering. Retrying…");
    setTimeout(probe, retry);
    retry = Math.min(retry * 2, 5000);
    return;
  }
  connect();
}

export function watchResources() {
  wantResources = true;
  send({ t: "sub", topic: "resources" });
}

/** Follow the logs of one resource (or all: resource null). handler(msg) gets each batch. */
export function watchLogs(resource, window, handler) {
  const id = nextId++;
  logHandlers.set(id, { resource, window, handler });
  send({ t: "sub", topic: "logs", id, resource, window });
  return () => {
    logHandlers.delete(id);
    send({ t: "unsub", topic: "logs", id });
  };
}

/** For pages added by plugins: subscribe to another topic (its messages come as onChange(topic, msg)). */
export function watchTopic(topic, message = {}) {
  extraTopics.set(topic, message);
  send({ ...message, t: "sub", topic });
  return () => { extraTopics.delete(topic); send({ t: "unsub", topic }); };
}

/** POST JSON to the dashboard's API (same origin, with the sign-in cookie). */
export async function post(path, body = {}) {
  const r = await fetch(path, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  let data = {};
  try { data = await r.json(); } catch { /* empty */ }
  if (!r.ok) {
    const error = new Error(data.error || `${r.status} ${r.statusText}`);
    error.status = r.status;
    throw error;
  }
  return data;
}
