// JSON API calls of the mediation → confirmation pages: staff by session cookie
// (+ X-CSRF-Token on writes), participants by their join token (Bearer).

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export class Api {
  // auth: {token} for a participant, {} for staff (the CSRF token is fetched once).
  constructor(auth = {}) {
    this.token = auth.token || null;
    this.csrf = null;
  }

  headers(write) {
    const h = {};
    if (this.token) h.Authorization = `Bearer ${this.token}`;
    if (write && this.csrf) h["X-CSRF-Token"] = this.csrf;
    return h;
  }

  async session() {
    const data = await this.get("/api/session");
    this.csrf = data.csrf_token;
    return data.user;
  }

  async request(method, url, body) {
    const write = method !== "GET";
    if (write && !this.token && !this.csrf) await this.session();
    const headers = this.headers(write);
    const init = { method, headers, credentials: "same-origin" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(url, init);
    if (response.status === 204) return null;
    const type = response.headers.get("Content-Type") || "";
    const data = type.includes("json") ? await response.json() : null;
    if (!response.ok) {
      const e = (data && data.error) || {};
      throw new ApiError(response.status, e.code || "http_" + response.status,
                         e.message || response.statusText);
    }
    return data;
  }

  get(url) { return this.request("GET", url); }
  post(url, body = {}) { return this.request("POST", url, body); }
  put(url, body) { return this.request("PUT", url, body); }

  // A document or recording fetched with this caller's credentials, as a Blob.
  async blob(url) {
    const response = await fetch(url, { headers: this.headers(false), credentials: "same-origin" });
    if (!response.ok) throw new ApiError(response.status, "http_" + response.status, url);
    return response.blob();
  }
}

// Translated messages the server rendered into the page (a JSON data block, no inline script).
export function strings() {
  const node = document.getElementById("page-strings");
  return node ? JSON.parse(node.textContent) : {};
}

// The RTCIceServer list the server rendered into the page.
export function iceServers() {
  const node = document.getElementById("ice-servers");
  return node ? JSON.parse(node.textContent) : [];
}

export function format(template, values) {
  return template.replace(/\{(\w+)\}/g, (_, k) => (k in values ? String(values[k]) : ""));
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "text") node.textContent = v;
    else if (k === "testid") node.dataset.testid = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

export function flash(node, text, kind = "info") {
  if (!node) return;
  node.textContent = text;
  node.dataset.kind = kind;
  node.hidden = !text;
}

export function localTime(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  return d.toLocaleTimeString(document.documentElement.lang || "zh-CN", { hour12: false });
}
