// Small DOM helpers shared by the hearing pages.
export const byTestId = (root, id) => root.querySelector(`[data-testid='${id}']`);

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "testid") node.dataset.testid = value;
    else if (key === "class") node.className = value;
    else if (key.startsWith("data-")) node.setAttribute(key, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node[key] = value;
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

let flashTimer = null;
export function flash(node, text, kind = "info", ms = 6000) {
  if (!node) return;
  node.textContent = text;
  node.dataset.kind = kind;
  node.hidden = false;
  clearTimeout(flashTimer);
  if (ms) flashTimer = setTimeout(() => { node.hidden = true; }, ms);
}

/** JSON from a <script type="application/json" id=...> data block (never executed). */
export function data(id, fallback = null) {
  const node = document.getElementById(id);
  if (!node) return fallback;
  try { return JSON.parse(node.textContent); } catch (e) { return fallback; }
}
