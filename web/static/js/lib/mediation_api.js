// JSON API calls of the pages: staff by session cookie (+ X-CSRF-Token on writes),
// participants by their join token (Bearer).
// A signature made during the recording is refused (409 off_camera) while the signer's
// own camera is not being recorded (docs/transcript.md "Not kept off camera"): the
// same signing is sent again every 2 s while `waiting()` says so, for up to 30 s; then the
// refusal goes to the caller, who asks the signer to confirm again.
const N_ = (message) => message; // marks the text for the catalog; t() translates it
export const WAITING_FOR_CAMERA = N_("Your camera is not being recorded just now: your signature will be sent again in a moment.");
export async function signOnCamera(send, waiting, { every = 2000, tries = 15 } = {}) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (e) {
      if (!(e instanceof ApiError) || e.code !== "off_camera" || attempt >= tries) throw e;
      waiting();
      await new Promise((resolve) => setTimeout(resolve, every));
    }
  }
}

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
