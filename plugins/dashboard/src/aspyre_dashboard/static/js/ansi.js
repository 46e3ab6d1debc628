// ANSI escape sequences to coloured spans (SGR colours and styles; other sequences are dropped).
// Text is always inserted as text nodes: nothing in a log line can become markup.

const BASIC = ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"];

function xterm256(n) {
  if (n < 16) return null; // named colours go through classes
  if (n >= 232) { const v = 8 + (n - 232) * 10; return `rgb(${v},${v},${v})`; }
  const i = n - 16, steps = [0, 95, 135, 175, 215, 255];
  return `rgb(${steps[Math.floor(i / 36)]},${steps[Math.floor(i / 6) % 6]},${steps[i % 6]})`;
}

// CSI ... final byte, OSC ... BEL/ST, and lone ESC + one char.
const ESCAPE = /\x1b\[([0-9;?]*)([ -/]*)([@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;

function applySgr(state, params) {
  const codes = params === "" ? [0] : params.split(";").map((p) => (p === "" ? 0 : Number(p)));
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i];
    if (c === 0) { state.fg = state.bg = null; state.bold = state.dim = state.italic = state.underline = state.inverse = false; }
    else if (c === 1) state.bold = true;
    else if (c === 2) state.dim = true;
    else if (c === 3) state.italic = true;
    else if (c === 4) state.underline = true;
    else if (c === 7) state.inverse = true;
    else if (c === 22) state.bold = state.dim = false;
    else if (c === 23) state.italic = false;
    else if (c === 24) state.underline = false;
    else if (c === 27) state.inverse = false;
    else if (c >= 30 && c <= 37) state.fg = { cls: BASIC[c - 30] };
    else if (c >= 90 && c <= 97) state.fg = { cls: `bright-${BASIC[c - 90]}` };
    else if (c === 39) state.fg = null;
    else if (c >= 40 && c <= 47) state.bg = { cls: BASIC[c - 40] };
    else if (c >= 100 && c <= 107) state.bg = { cls: `bright-${BASIC[c - 100]}` };
    else if (c === 49) state.bg = null;
    else if ((c === 38 || c === 48) && codes[i + 1] === 5) {
      const n = codes[i + 2] ?? 0;
      const colour = n < 8 ? { cls: BASIC[n] } : n < 16 ? { cls: `bright-${BASIC[n - 8]}` } : { rgb: xterm256(n) };
      if (c === 38) state.fg = colour; else state.bg = colour;
      i += 2;
    } else if ((c === 38 || c === 48) && codes[i + 1] === 2) {
      const colour = { rgb: `rgb(${codes[i + 2] ?? 0},${codes[i + 3] ?? 0},${codes[i + 4] ?? 0})` };
      if (c === 38) state.fg = colour; else state.bg = colour;
      i += 4;
    }
  }
}

function styled(state, text) {
  if (!state.fg && !state.bg && !state.bold && !state.dim && !state.italic && !state.underline && !state.inverse) {
    return document.createTextNode(text);
  }
  const span = document.createElement("span");
  span.textContent = text;
  let fg = state.fg, bg = state.bg;
  if (state.inverse) { [fg, bg] = [bg || { cls: "default-bg" }, fg || { cls: "default-fg" }]; }
  if (fg) { if (fg.cls) span.classList.add(`ansi-fg-${fg.cls}`); else span.style.color = fg.rgb; }
  if (bg) { if (bg.cls) span.classList.add(`ansi-bg-${bg.cls}`); else span.style.backgroundColor = bg.rgb; }
  if (state.bold) span.classList.add("ansi-bold");
  if (state.dim) span.classList.add("ansi-dim");
  if (state.italic) span.classList.add("ansi-italic");
  if (state.underline) span.classList.add("ansi-underline");
  return span;
}

/** Append the rendering of one line to `parent`. */
export function renderAnsi(parent, text) {
  if (text.indexOf("\x1b") < 0) { parent.append(document.createTextNode(text)); return; }
  const state = { fg: null, bg: null, bold: false, dim: false, italic: false, underline: false, inverse: false };
  let last = 0;
  ESCAPE.lastIndex = 0;
  for (let m; (m = ESCAPE.exec(text));) {
    if (m.index > last) parent.append(styled(state, text.slice(last, m.index)));
    if (m[3] === "m" && m[2] === "" && !m[1].startsWith("?")) applySgr(state, m[1]);
    last = ESCAPE.lastIndex;
  }
  if (last < text.length) parent.append(styled(state, text.slice(last)));
}

/** The text without escape sequences (for filtering and copying). */
export function stripAnsi(text) {
  return text.indexOf("\x1b") < 0 ? text : text.replace(ESCAPE, "");
}
