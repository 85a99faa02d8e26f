// The mediation room: the mediator's console and a party's view (also at a
// clinic kiosk). State comes from GET /api/mediations/{id} and the
// `mediation.state` / `document.delivered` events of the /hearing namespace.

import { io } from "/static/vendor/socket.io.esm.min.js";
import { Api } from "/static/js/lib/mediation_api.js";
import { el, flash, format, iceServers, localTime, strings } from "/static/js/lib/ui.js";
import { SignatureCapture } from "/static/js/lib/signature.js";
import { DocumentView } from "/static/js/lib/documents.js";
import { attachVideo } from "/static/js/lib/mediation_video.js";
import { SelfTest } from "/static/js/lib/selftest.js";
import { toLogin } from "/static/js/lib/socket.js";

const root = document.querySelector("[data-page^='mediation-']");
const T = strings();
const $ = (id) => root.querySelector(`[data-testid='${id}']`);
const isConsole = root.dataset.page === "mediation-console";
const hearingId = root.dataset.hearingId;
const token = root.dataset.token || null;
const me = isConsole ? root.dataset.seatId : root.dataset.participantId;
const api = new Api(token ? { token } : {});
const message = $("mediation-message");

let mediation = null;
let pad = null;
let padField = null;
let rulingShown = null;
let video = null;

function say(text, kind = "info") { flash(message, text, kind, 0); }

function fail(e) {
  console.error(e);
  say(`${T.error || "Error"}: ${e.message || e}`, "error");
}

// ---- self-test (a party) ---------------------------------------------------
// Every party tests camera, microphone, speaker and network first, as on the trial's
// join page (selftest.js); the room — socket, lobby, video — starts on "Continue",
// with the tested camera. The mediator's console connects at once.
let socket = null;

function startSelfTest() {
  const selftest = new SelfTest(root);
  let tested = null;
  const run = async () => {
    $("selftest-continue").disabled = true;
    tested = await selftest.run();
  };
  const enter = (askForHelp) => {
    selftest.stop();
    root.dataset.stage = "room";
    connect(tested && tested.stream ? tested.stream : null);
    const weak = tested && (tested.verdict === "poor" || tested.verdict === "bad" || !tested.video);
    if (weak && video) video.room.setAudioOnly(true);
    if (askForHelp) {
      socket.once("connect", () => socket.emit("help.request", { text: T.devices_refused || "" }));
      say(T.help_sent, "warn");
    }
  };
  $("selftest-retry").addEventListener("click", () => run());
  $("selftest-continue").addEventListener("click", () => enter(false));
  $("selftest-ask-clerk").addEventListener("click", () => enter(true));
  run();
}

// ---- socket ----------------------------------------------------------------
function connect(stream = null) {
  const auth = token ? { token, hearing_id: hearingId } : { hearing_id: hearingId };
  socket = io("/hearing", { auth, transports: ["websocket"] });
  socket.on("connect", () => {
    $("connection-state").textContent = T.connected;
    $("connection-state").dataset.state = "connected";
    refresh();
  });
  socket.on("disconnect", () => {
    $("connection-state").textContent = T.disconnected;
    $("connection-state").dataset.state = "disconnected";
  });
  socket.on("connect_error", (err) => {
    $("connection-state").dataset.state = "refused";
    $("connection-state").textContent = (err && err.message) || T.error;
  });
  socket.on("snapshot", (snap) => {
    root.dataset.standing = snap.you ? snap.you.standing : "";
    const hint = $("lobby-hint");
    if (hint) hint.hidden = snap.you && snap.you.standing !== "waiting";
    if (snap.participants) showParticipants(snap.participants);
  });
  socket.on("session.active", () => socket.emit("snapshot.request", {}));  // a held connection took over
  socket.on("session.ended", toLogin);  // the mediator's account was disabled or reset
  socket.on("participant.state", (p) => {
    const hint = $("lobby-hint");
    if (hint && p.id === me) hint.hidden = p.state !== "waiting";
    if (p.id === me && p.state === "in_hearing") socket.emit("snapshot.request", {});
  });
  socket.on("participants", (data) => showParticipants(data.participants));
  socket.on("lobby", (data) => showLobby(data.waiting));
  socket.on("help.requested", (m) => say(format(T.help_requested, { name: m.from?.name || "" }), "warn"));
  socket.on("mediation.state", (data) => show(data));
  socket.on("document.delivered", (doc) => delivered(doc));
  socket.on("error", (e) => console.warn("socket error", e));
  video = attachVideo(socket, $("video-grid"), { me, iceServers: iceServers(), stream });
}

async function refresh() {
  try {
    show(await api.get(`/api/mediations/${hearingId}`));
  } catch (e) {
    fail(e);
  }
}

// ---- people ----------------------------------------------------------------
function showParticipants(list) {
  const ul = $("mediation-participants");
  if (!ul) return;
  ul.replaceChildren(...list.map((p) => el("li", { "data-participant-id": p.id, "data-state": p.state,
                                                   "data-online": p.online ? "1" : "0" },
    el("span", { class: `dot ${p.online ? "on" : "off"}` }), `${p.name}`)));
}

function showLobby(waiting) {
  const ul = $("mediation-lobby");
  if (!ul) return;
  ul.replaceChildren(...waiting.map((p) => el("li", {},
    `${p.name} `,
    el("button", { class: "btn small", type: "button", testid: "mediation-admit",
                   "data-participant-id": p.id, text: T.admit || "✓",
                   onclick: () => socket.emit("lobby.admit", { participant_id: p.id }) }))));
}

// ---- state -----------------------------------------------------------------
function show(m) {
  if (!m || m.hearing_id !== hearingId) return;
  mediation = m;
  const badge = $("mediation-state");
  badge.dataset.state = m.state;
  badge.textContent = T[`state.${m.state}`] || m.state;
  root.dataset.state = m.state;
  if (isConsole) showForm(m); else showAgreement(m);
  showSigning(m);
  if (isConsole) showApplication(m);
  if (m.ruling && m.ruling.id && rulingShown !== m.ruling.id) {
    delivered({ document_id: m.ruling.id, url: m.ruling.url, kind: "ruling",
                decision: m.ruling.decision, title: m.ruling.title || T[m.ruling.decision] || "" });
  }
}

function showAgreement(m) {
  const view = $("agreement-view");
  if (!m.agreement) return;
  const rows = m.agreement.terms.map((t) => el("li", { testid: "agreement-term-view" },
    `${t.obligor} → ${t.obligee}: ${t.obligation}` +
    (t.amount_yuan != null ? ` (¥${t.amount_yuan})` : "") +
    (t.deadline ? ` · ${T.deadline} ${t.deadline}` : "")));
  view.replaceChildren(el("p", { class: "agreement-facts", text: m.agreement.facts }), el("ol", {}, ...rows));
}

// Editable only while the agreement may still change.
function showForm(m) {
  const editable = ["open", "agreement_drafted"].includes(m.state);
  const form = $("agreement-form");
  for (const node of form.querySelectorAll("input, textarea, button")) node.disabled = !editable;
  if (form.dataset.loaded !== "1" || !editable) {
    if (m.agreement) {
      form.elements.facts.value = m.agreement.facts;
      $("agreement-terms").replaceChildren(...m.agreement.terms.map((t) => termRow(t, editable)));
    } else if (!$("agreement-terms").children.length) {
      $("agreement-terms").append(termRow({}, editable));
    }
    form.dataset.loaded = "1";
  }
  $("signing-start").disabled = m.state !== "agreement_drafted";
}

function termRow(t, editable = true) {
  const input = (name, type = "text", extra = {}) => el("td", {}, el("input", {
    name, type, value: t[name] ?? "", "data-term": name, disabled: !editable, ...extra }));
  return el("tr", { testid: "agreement-term" },
    input("obligor", "text", { required: true, maxlength: 100 }),
    input("obligee", "text", { required: true, maxlength: 100 }),
    input("obligation", "text", { required: true, maxlength: 500 }),
    input("amount_yuan", "number", { min: 0, step: "0.01" }),
    input("deadline", "date"),
    el("td", {}, el("button", { type: "button", class: "btn small", testid: "agreement-remove-term",
                                text: T.remove, disabled: !editable,
                                onclick: (ev) => ev.target.closest("tr").remove() })));
}

function readForm() {
  const form = $("agreement-form");
  const terms = [...$("agreement-terms").querySelectorAll("tr")].map((tr) => {
    const v = (name) => tr.querySelector(`[data-term='${name}']`).value.trim();
    const amount = v("amount_yuan");
    return { obligor: v("obligor"), obligee: v("obligee"), obligation: v("obligation"),
             amount_yuan: amount === "" ? null : Number(amount), deadline: v("deadline") || null };
  });
  return { facts: form.elements.facts.value.trim(), terms };
}

async function saveAgreement() {
  const form = $("agreement-form");
  if (!form.reportValidity()) return false;
  show(await api.put(`/api/mediations/${hearingId}/agreement`, readForm()));
  say(T.saved);
  return true;
}

// ---- signing ---------------------------------------------------------------
function mine(step) {
  if (isConsole) return step.participant_id === me || (!step.participant_id && /mediator/.test(step.field));
  return step.participant_id === me;
}

function showSigning(m) {
  const ol = $("signing-order");
  const order = (m.signing && m.signing.order) || [];
  ol.replaceChildren(...order.map((s) => el("li", {
    testid: "signing-step", "data-field": s.field, "data-signed": s.signed ? "1" : "0",
    class: s.signed ? "done" : (m.signing.next === s.field ? "next" : "") },
    `${s.signer} — ${s.signed ? T.signed : (m.signing.next === s.field && mine(s) ? T.your_turn : T.waiting)}`)));
  const next = m.signing && m.state === "signing" ? order.find((s) => s.field === m.signing.next) : null;
  if (next && mine(next) && m.document) openPad(next, m.document);
  else closePad();
}

async function openPad(step, doc) {
  const panel = $("sign-panel");
  if (padField === step.field && !panel.hidden) return;
  padField = step.field;
  panel.hidden = false;
  panel.dataset.field = step.field;
  $("sign-field-label").textContent = `${T.your_turn}: ${step.signer}`;
  if (!pad) {
    pad = new SignatureCapture($("signature-pad"), {
      site: root.dataset.site || "",
      stream: () => (video && video.localStream ? video.localStream() : null),
    });
    pad.pad.addEventListener("endStroke", () => { $("signature-points").textContent = String(pad.pointCount()); });
  }
  pad.fit();
  pad.clear();
  $("signature-points").textContent = "0";
  const frame = $("sign-document");
  const view = new DocumentView(panel, { id: doc.id, url: doc.url }, { api });
  frame.src = await view.load();
  panel.scrollIntoView({ behavior: "smooth", block: "start" });
}

function closePad() {
  padField = null;
  $("sign-panel").hidden = true;
}

async function submitSignature() {
  const note = $("sign-message");
  if (!pad || pad.isEmpty()) { flash(note, T.pad_empty, "error", 0); return; }
  const button = $("signature-submit");
  button.disabled = true;
  try {
    const capture = await pad.record();
    const m = await api.post(`/api/mediations/${hearingId}/signatures`, { field: padField, capture });
    flash(note, T.sent, "ok", 0);
    say(T.sent, "ok");
    closePad();
    show(m && m.hearing_id ? m : await api.get(`/api/mediations/${hearingId}`));
  } catch (e) {
    flash(note, `${T.error}: ${e.message}`, "error", 0);
  } finally {
    button.disabled = false;
  }
}

async function refuse() {
  const reason = $("signature-refuse-reason").value.trim();
  if (!reason) { flash($("sign-message"), T.reason_needed, "error", 0); return; }
  try {
    await api.post(`/api/mediations/${hearingId}/refusal`, { reason });
    closePad();
    say(T.refused, "warn");
    refresh();
  } catch (e) { fail(e); }
}

// ---- application -----------------------------------------------------------
function showApplication(m) {
  $("confirmation-apply").disabled = m.state !== "signed";
  const a = m.application;
  $("application").hidden = !a;
  $("confirmation-withdraw").hidden = !(a && m.state === "confirmation_requested");
  if (!a) return;
  $("application-case-number").textContent = a.case_number || "";
  $("application-state").textContent = T[`state.${m.state}`] || a.state;
  $("application-state").dataset.state = a.state;
  const timings = a.timings || {};
  $("application-timings").replaceChildren(...["applied", "taken", "judge_joined", "decided", "delivered"]
    .map((k) => el("li", { "data-timing": k, "data-at": timings[k] || "" },
                   el("span", { text: T[`timing.${k}`] }), el("b", { text: localTime(timings[k]) }))));
}

async function apply() {
  const button = $("confirmation-apply");
  button.disabled = true;
  try {
    await api.post(`/api/mediations/${hearingId}/application`);
    await refresh();
  } catch (e) { fail(e); button.disabled = false; }
}

async function withdraw() {
  if (!mediation || !mediation.application) return;
  try {
    await api.post(`/api/applications/${mediation.application.id}/withdraw`);
    await refresh();
  } catch (e) { fail(e); }
}

// ---- the ruling ------------------------------------------------------------
async function delivered(doc) {
  if (doc.hearing_id && doc.hearing_id !== hearingId) return;
  const id = doc.document_id || doc.id;
  if (rulingShown === id) return;
  rulingShown = id;
  const box = $("ruling");
  box.dataset.kind = doc.kind || "";
  say(T.ruling_delivered, "ok");
  const decision = doc.decision ? (String(doc.decision).startsWith("confirm") ? T.confirm : T.reject) : "";
  const number = (mediation && mediation.application && mediation.application.case_number) || "";
  const view = new DocumentView(box, { ...doc, number, summary: decision },
                                { api, large: root.dataset.kiosk === "1", testid: "ruling" });
  const rendering = view.render();  // the heading is on screen before this returns
  box.scrollIntoView({ block: "start" });
  try {
    await rendering;
  } catch (e) { fail(e); }
  if (isConsole) refresh();
}

// ---- wiring ----------------------------------------------------------------
if (isConsole) {
  $("agreement-add-term").addEventListener("click", () => $("agreement-terms").append(termRow({})));
  $("agreement-form").addEventListener("submit", (ev) => { ev.preventDefault(); saveAgreement().catch(fail); });
  $("signing-start").addEventListener("click", async () => {
    try {
      show(await api.post(`/api/mediations/${hearingId}/signing`));
    } catch (e) { fail(e); }
  });
  $("confirmation-apply").addEventListener("click", apply);
  $("confirmation-withdraw").addEventListener("click", withdraw);
} else {
  $("signature-refuse").addEventListener("click", refuse);
}
$("signature-clear").addEventListener("click", () => { pad && pad.clear(); $("signature-points").textContent = "0"; });
$("signature-submit").addEventListener("click", submitSignature);
window.addEventListener("beforeunload", () => socket && socket.close());
if (isConsole) connect(); else startSelfTest();
export { show, refresh };
