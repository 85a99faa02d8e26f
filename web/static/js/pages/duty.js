// Duty judge: the live queue of confirmation applications (/court namespace),
// taking one (exactly one judge gets it), and the review page — the mediation
// room by video, the signed agreement, its signatures' verification, the decision.

import { io } from "/static/vendor/socket.io.esm.min.js";
import { Api } from "/static/js/lib/mediation_api.js";
import { el, flash, format, iceServers, localTime, strings } from "/static/js/lib/ui.js";
import { DocumentView } from "/static/js/lib/documents.js";
import { attachVideo } from "/static/js/lib/mediation_video.js";
import { toLogin } from "/static/js/lib/socket.js";

const root = document.querySelector("[data-page^='duty-']");
const T = strings();
const $ = (id) => root.querySelector(`[data-testid='${id}']`);
const api = new Api();
const message = $("duty-message");

function fail(e) {
  console.error(e);
  flash(message, `${T.error}: ${e.message || e}`, "error", 0);
}

function connState(socket) {
  socket.on("session.ended", toLogin);  // this account was disabled: to the login
  const node = $("connection-state");
  socket.on("connect", () => { node.textContent = T.connected; node.dataset.state = "connected"; });
  socket.on("disconnect", () => { node.textContent = T.disconnected; node.dataset.state = "disconnected"; });
  socket.on("connect_error", (e) => { node.textContent = e.message; node.dataset.state = "refused"; });
}

// Who took an application: the backend names the judge by user id (and maybe name).
function whoTook(a) {
  if (!a || !a.taken_by) return "";
  if (a.taken_by_name) return a.taken_by_name;
  if (typeof a.taken_by === "object") return a.taken_by.name || a.taken_by.id;
  return a.taken_by === root.dataset.userId ? root.dataset.userName || T.you : T.another_judge;
}

function partyNames(parties) {
  return (parties || []).map((p) => (typeof p === "string" ? p : p.name)).join("、");
}

// ---- the queue -------------------------------------------------------------
const queue = new Map();

function row(a) {
  const taken = a.taken_by ? format(T.already_taken, { by: whoTook(a) }) : "";
  return el("tr", { testid: "duty-application", "data-application-id": a.id,
                    "data-state": a.state || "", class: a.taken_by ? "taken" : "" },
    el("td", { text: a.case_number || "" }),
    el("td", { text: partyNames(a.parties) }),
    el("td", { text: localTime(a.applied_at) }),
    el("td", { testid: "duty-application-state", text: taken || T[`app.${a.state}`] || a.state || "" }),
    el("td", {}, el("button", { type: "button", class: "btn primary", testid: "duty-take",
                                text: T.take, disabled: Boolean(a.taken_by),
                                onclick: () => take(a.id) })));
}

function drawQueue() {
  const body = $("duty-queue");
  const items = [...queue.values()].sort((x, y) => String(x.applied_at).localeCompare(String(y.applied_at)));
  body.replaceChildren(...items.map(row));
  $("duty-empty").hidden = items.length > 0;
}

async function take(id) {
  try {
    await api.post(`/api/applications/${id}/take`);
    window.location.assign(`/duty/applications/${id}`);
  } catch (e) {
    if (e.status === 409) {
      let a = queue.get(id);
      try {
        a = { ...a, ...(await api.get(`/api/applications/${id}`)) };
        queue.set(id, a);
      } catch (_) { /* keep what we have */ }
      flash(message, format(T.already_taken, { by: whoTook(a) || T.another_judge }), "warn", 0);
      drawQueue();
    } else fail(e);
  }
}

async function startQueue() {
  const socket = io("/court", { transports: ["websocket"] });
  connState(socket);
  const load = async () => {
    try {
      const data = await api.get("/api/duty/queue");
      queue.clear();
      for (const a of data.applications) queue.set(a.id, a);
      drawQueue();
    } catch (e) { fail(e); }
  };
  socket.on("connect", load);
  socket.on("duty.application", (a) => {
    queue.set(a.id, a);
    flash(message, `${T.new_application}: ${a.case_number}`, "info", 0);
    drawQueue();
  });
  socket.on("duty.taken", ({ id, by }) => {
    const a = queue.get(id);
    if (a) { queue.set(id, { ...a, taken_by: by, state: "taken" }); drawQueue(); }
  });
  socket.on("duty.withdrawn", ({ id }) => { queue.delete(id); drawQueue(); });
  await load();
}

// ---- the review ------------------------------------------------------------
async function startReview() {
  const id = root.dataset.applicationId;
  let application;
  try {
    application = await api.get(`/api/applications/${id}`);
  } catch (e) { fail(e); return; }
  const a = application.application || application;
  $("review-case-number").textContent = a.case_number || "";
  $("review-state").textContent = T[`app.${a.state}`] || a.state || "";
  $("review-state").dataset.state = a.state || "";
  $("review-parties").replaceChildren(...(a.parties || []).map((p) =>
    el("li", { text: typeof p === "string" ? p : `${p.name}${p.role ? " · " + p.role : ""}` })));
  const hearingId = a.mediation_hearing_id;
  const socket = io("/hearing", { auth: { hearing_id: hearingId }, transports: ["websocket"] });
  connState(socket);
  attachVideo(socket, $("video-grid"), { iceServers: iceServers() });
  socket.on("document.delivered", (doc) => showRuling(doc));
  await Promise.all([showAgreement(a, hearingId), loadGrounds()]);
  $("decision-form").addEventListener("submit", (ev) => { ev.preventDefault(); decide(id); });
  for (const input of root.querySelectorAll("input[name='decision']")) {
    input.addEventListener("change", () => {
      $("decision-grounds").disabled = root.querySelector("input[name='decision']:checked").value !== "reject";
    });
  }
}

async function showAgreement(a, hearingId) {
  let doc = a.agreement || null;
  if (!doc) {
    const m = await api.get(`/api/mediations/${hearingId}`);
    doc = m.document;
    if (m.ruling && m.ruling.id) showRuling({ document_id: m.ruling.id, url: m.ruling.url, kind: "ruling", title: T[m.ruling.decision] });
  }
  if (!doc) return;
  const view = new DocumentView($("review-agreement").parentElement, doc, { api });
  $("review-agreement").src = await view.load();
  const report = await api.get(`/api/documents/${doc.id}/verification`);
  const summary = $("verification-summary");
  summary.dataset.ok = report.ok ? "1" : "0";
  summary.textContent = `${report.ok ? "✔" : "✘"} ${report.ok ? T.valid : T.invalid}` +
    (report.problems && report.problems.length ? ` — ${report.problems.join("; ")}` : "");
  summary.className = report.ok ? "ok" : "bad";
  $("verification-signatures").replaceChildren(...report.signatures.map((s) => el("tr", {
    testid: "verification-signature", "data-ok": s.ok ? "1" : "0" },
    el("td", { text: fieldLabel(s), title: s.field }), el("td", { text: s.signer }),
    el("td", { text: localTime(s.timestamp_time || s.signing_time) }),
    el("td", { text: s.intact && s.valid ? `✔ ${T.valid}` : `✘ ${T.invalid}` }),
    el("td", { text: s.record ? (s.record.ok ? `✔ ${T.valid}` : `✘ ${s.record.summary || T.invalid}`) : "—" }))));
}

// "party2" → "当事人2", "court_seal" → "法院印章"; the raw field name stays as a tooltip.
function fieldLabel(s) {
  if (s.kind === "timestamp") return T["field.timestamp"] || s.field;
  const party = /^party(\d+)$/.exec(s.field);
  if (party) return format(T["field.party"] || s.field, { n: party[1] });
  return T[`field.${s.field}`] || s.field;
}

async function loadGrounds() {
  const box = $("decision-grounds");
  try {
    const grounds = await api.get("/api/confirmation/grounds");
    const list = Array.isArray(grounds) ? grounds : grounds.grounds;
    for (const g of list) {
      box.append(el("label", { class: "choice" },
        el("input", { type: "checkbox", name: "grounds", value: g.code, testid: "decision-ground" }),
        ` ${g.label}`));
    }
  } catch (e) { fail(e); }
}

async function decide(id) {
  const decision = root.querySelector("input[name='decision']:checked").value;
  const grounds = decision === "reject"
    ? [...root.querySelectorAll("input[name='grounds']:checked")].map((i) => i.value) : [];
  const button = $("decision-submit");
  button.disabled = true;
  try {
    const result = await api.post(`/api/applications/${id}/decision`,
      { decision, grounds, reasons: $("decision-reasons").value.trim() });
    const node = $("decision-result");
    node.hidden = false;
    node.textContent = T.decided;
    node.dataset.decision = decision;
    if (result && result.ruling) showRuling({ document_id: result.ruling.id, url: result.ruling.url, kind: "ruling", title: T[decision] });
  } catch (e) { fail(e); button.disabled = false; }
}

let rulingShown = null;
async function showRuling(doc) {
  const id = doc.document_id || doc.id;
  if (rulingShown === id) return;
  rulingShown = id;
  try { await new DocumentView($("ruling"), doc, { api, testid: "ruling", receipts: false }).render(); } catch (e) { fail(e); }
}

if (root.dataset.page === "duty-queue") startQueue(); else startReview();
