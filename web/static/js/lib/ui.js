// The one set of small helpers every page module uses: DOM building, messages, times, and
// the data blocks the server renders into a page (JSON, never executed).

export const byTestId = (root, id) => root.querySelector(`[data-testid='${id}']`);

// A node with attributes and children. `text` sets the text, `class` the class name,
// `testid` data-testid, `on<event>` a listener; data-* and aria-* are attributes; any
// other key is set as the node's property where it has one (value, hidden, disabled …),
// else as an attribute (true: present, empty). null, undefined and false are left out.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "text") node.textContent = value;
    else if (key === "testid") node.dataset.testid = value;
    else if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key.startsWith("data-") || key.startsWith("aria-")) node.setAttribute(key, value);
    else if (key in node) node[key] = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

// Show `text` in a message node (`kind`: info, ok, error …; an empty text hides it). It
// hides itself after `ms` (0: it stays until the next message). Each node keeps its own
// timer, so one message does not cut another short.
const flashTimers = new WeakMap();
export function flash(node, text, kind = "info", ms = 6000) {
  if (!node) return;
  node.textContent = text;
  node.dataset.kind = kind;
  node.hidden = !text;
  clearTimeout(flashTimers.get(node));
  if (text && ms) flashTimers.set(node, setTimeout(() => { node.hidden = true; }, ms));
}

// A moment (ISO string or Date) as the court's clock reads, in the page's language;
// "—" when there is none.
export function localTime(when) {
  if (when === null || when === undefined || when === "") return "—";
  const locale = document.documentElement.lang === "en" ? "en-GB" : "zh-CN";
  return new Date(when).toLocaleTimeString(locale, { hour12: false });
}

/** JSON from a <script type="application/json" id=...> data block (never executed). */
export function data(id, fallback = null) {
  const node = document.getElementById(id);
  if (!node) return fallback;
  try { return JSON.parse(node.textContent); } catch (e) { return fallback; }
}

// Translated messages the server rendered into the page, and the RTCIceServer list.
export const strings = () => data("page-strings", {});
export const iceServers = () => data("ice-servers", []);

export function format(template, values) {
  return template.replace(/\{(\w+)\}/g, (_, k) => (k in values ? String(values[k]) : ""));
}
