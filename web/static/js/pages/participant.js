// A participant's page (join link or clinic kiosk): self-test → waiting room →
// hearing (video, mute, hand, audio only, chat/help, consultation) → ended.
// The stage is root[data-stage]: selftest | waiting | hearing | ended.
import { t } from "/static/js/lib/i18n.js";
import { connect, call } from "/static/js/lib/socket.js";
import { Room } from "/static/js/lib/rtc.js";
import { SelfTest } from "/static/js/lib/selftest.js";
import { TranscriptSigning, PLEA_TEXTS } from "/static/js/lib/transcript_sign.js";
import { Api } from "/static/js/lib/mediation_api.js";
import { byTestId, el, flash, data, localTime } from "/static/js/lib/ui.js";
import { HEARING_STATES, RECORDING_STATES, QUALITY, ROLES, label, errorText } from "/static/js/lib/labels.js";

const root = document.querySelector("[data-page='participant']");
const $ = (id) => byTestId(root, id);
const me = root.dataset.me;
const kiosk = root.dataset.kiosk === "1";
const scheduled = new Date(root.dataset.scheduled);
const HEARTBEAT_MS = 5000;
// The clerk and the judge sign right after the persons recorded; a kiosk waits that long
// for the sealed transcript, then keeps it on screen (with its print button) a while.
const KIOSK_WAIT_FOR_SEAL_MS = 10 * 60 * 1000;
const KIOSK_KEEP_SEALED_MS = 2 * 60 * 1000;
const COUNSEL = new Set(["defence_lawyer", "agent_ad_litem"]);
const CLIENTS = new Set(["defendant", "plaintiff", "party"]);

let socket = null;
let room = null;
let hearing = null;
let you = null;
let people = [];
let muted = false;
let locked = false;
let hand = false;
let audioOnly = false;
let suggestionDismissed = false;
let pendingRequest = null;
let heartbeat = null;

const say = (text, kind = "info") => flash($("page-message"), text, kind);
// The transcript (笔录): signed here, in order, once frozen (transcript_sign.js).
const transcript = new TranscriptSigning(root, { hearingId: root.dataset.hearingId, me,
  token: root.dataset.token, site: $("site-name").textContent.trim(), large: kiosk,
  onUpdate: () => endedCard() });

// An interrogation's plea statement (认罪认罚具结书): the prosecutor drafts it here during
// the interrogation; its panel (the transcript's, again) appears for everyone once drafted.
const pleaTemplate = document.getElementById("plea-panel");
const pleaUrl = `/api/hearings/${root.dataset.hearingId}/plea`;
let plea = null;
function showPlea(view) {
  if (!pleaTemplate || !view?.state) return;
  if (!plea) {
    const panel = pleaTemplate.content.firstElementChild.cloneNode(true);
    pleaTemplate.replaceWith(panel);
    plea = new TranscriptSigning(root, { hearingId: root.dataset.hearingId, me, panel,
      token: root.dataset.token, site: $("site-name").textContent.trim(), large: kiosk,
      url: pleaUrl, texts: PLEA_TEXTS, fitClass: "signing-plea" });
  }
  plea.update(view);
  plea.start();
}
if (pleaTemplate) {
  const api = new Api({ token: root.dataset.token });
  api.get(pleaUrl).then(showPlea).catch((e) => console.warn("plea statement", e));
  $("plea-draft-form")?.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = $("plea-send");
    const note = $("plea-draft-message");
    button.disabled = true;
    try {
      showPlea(await api.post(pleaUrl, {
        charges: $("plea-charges").value.trim(), facts: $("plea-facts").value.trim(),
        sentencing_proposal: $("plea-proposal").value.trim(),
        procedure: $("plea-procedure").value }));
      flash(note, t("The plea statement is out for signature."));
    } catch (e) {
      flash(note, e.message, "error");
    } finally {
      button.disabled = false;
    }
  });
}

function stage(name) {
  root.dataset.stage = name;
  $("selftest").hidden = name !== "selftest";
  $("waiting-room").hidden = name !== "waiting";
  $("hearing-room").hidden = name !== "hearing";
  $("hearing-ended").hidden = name !== "ended";
  $("recording-indicator").hidden = name !== "hearing";
  $("quality-indicator").hidden = name !== "hearing";
}

// ---- self-test -------------------------------------------------------------
const selftest = new SelfTest(root);
let tested = null;
async function runSelfTest() {
  $("selftest-continue").disabled = true;
  tested = await selftest.run();
}
$("selftest-retry").addEventListener("click", () => runSelfTest());
$("selftest-continue").addEventListener("click", () => enter());
// No usable microphone (refused or missing): into the waiting room without media, and the
// clerk is asked for help at once (issue 13.3).
$("selftest-ask-clerk").addEventListener("click", () => enter({ askForHelp: true }));
if (root.dataset.closed === "1") {
  // Opened after the close: only the transcript is left to sign (or to read).
  ended(t("The hearing has ended."), true);
} else {
  stage("selftest");
  runSelfTest();
}

// ---- joining ---------------------------------------------------------------
async function enter({ askForHelp = false } = {}) {
  selftest.stop();
  if (askForHelp && !tested?.stream) tested = { ...tested, stream: new MediaStream(), video: false };
  room = new Room({ socket: null, me, grid: $("video-grid"), iceServers: data("ice-servers", []),
    names: (id) => nameOf(id) });
  if (tested && (tested.verdict === "poor" || tested.verdict === "bad" || !tested.video)) setAudioOnly(true);
  $("waiting-preview").srcObject = tested?.stream || null;
  stage("waiting");
  socket = connect({ hearingId: root.dataset.hearingId, token: root.dataset.token, onState: connection });
  room.socket = socket;
  room.attach();
  await room.open(tested?.stream || null);
  wire();
  heartbeat = setInterval(beat, HEARTBEAT_MS);
  if (askForHelp) {
    const problem = tested?.mic === "denied" ? t("Access to the camera or microphone was refused in my browser.")
      : t("My microphone does not work.");
    socket.once("snapshot", async () => {
      if (await act("help.request", { text: problem })) flash($("page-message"), t("The clerk has been asked to help you."), "warn", 0);
    });
  }
}

function connection(state, code, message) {
  const node = $("connection-state");
  node.dataset.state = state;
  node.textContent = { connected: t("Connected"), reconnecting: t("Reconnecting…"),
    refused: message || t("Refused"), ended: t("Disconnected") }[state] || state;
  if (state === "refused") ended(code === "hearing_closed" ? t("The hearing has ended.") : (message || t("Refused")), code === "hearing_closed");
}

function nameOf(id) {
  const p = people.find((x) => x.id === id);
  return p ? `${p.name} · ${label(ROLES, p.role)}` : null;
}

function wire() {
  socket.io.on("reconnect", () => room.restartMedia());
  socket.on("snapshot", (s) => {
    hearing = s.hearing;
    you = s.you;
    if (s.participants?.length) people = s.participants;
    muted = you.muted; locked = you.mute_locked;
    showMute();
    showHearing();
    showRecording(hearing.recording_state);
    const inside = ["party", "consulting", "host", "staff"].includes(you.standing);
    stage(inside ? "hearing" : you.standing === "held" ? "waiting" : "waiting");
    showConsultation(s.consultation);
    room.update({ standing: you.standing, participants: people, consultation: s.consultation || null, iceServers: s.ice_servers });
    room.setMuted(muted);
    showConsultTargets();
  });
  socket.on("participants", (m) => {
    people = m.participants;
    room.update({ participants: people });
    showConsultTargets();
  });
  socket.on("participant.state", (p) => { if (p.id === me) socket.emit("snapshot.request", {}); });
  socket.on("hearing.state", (h) => { hearing = { ...hearing, ...h }; showHearing(); });
  socket.on("recording.state", (r) => showRecording(r.state));
  socket.on("mute", (m) => {
    if (m.participant_id !== me) return;
    muted = m.muted; locked = m.locked;
    room.setMuted(muted);
    showMute();
    say(m.muted ? t("The judge muted your microphone.") : t("The judge unmuted your microphone."));
  });
  socket.on("hand", (m) => { if (m.participant_id === me) { hand = m.raised; showHand(); } });
  socket.on("chat.message", (m) => addChat(m));
  socket.on("session.held", () => say(t("You are connected twice; the judge will choose which connection stays."), "warn"));
  socket.on("session.replaced", () => ended(t("This connection was replaced by another one.")));
  // A held connection took over (its twin went away, e.g. with a crashed server process):
  // a fresh snapshot says where we stand, and the media start from there.
  socket.on("session.active", () => socket.emit("snapshot.request", {}));
  socket.on("removed", (m) => ended(m.reason === "deny" ? t("The judge did not admit you.") : t("You have been removed from the hearing.")));
  socket.on("hearing.closed", () => ended(t("The hearing has ended."), true));
  socket.on("consultation.requested", (m) => {
    pendingRequest = m.request_id;
    $("consultation-from").textContent = t("{name} asks for a private consultation", { name: m.from.name });
    $("consultation-incoming").hidden = false;
  });
  socket.on("consultation.rejected", () => say(t("The consultation was declined.")));
  socket.on("consultation.started", () => socket.emit("snapshot.request", {}));
  socket.on("consultation.ended", () => socket.emit("snapshot.request", {}));
  socket.on("document.delivered", (doc) => addDocument(doc));
  // sent back (a correction asked for, a refusal): the pad closes until the new version
  for (const name of ["record.signing", "record.correction_requested", "record.refused"]) {
    socket.on(name, (r) => { transcript.update(r); transcript.start(); });
  }
  socket.on("plea.signing", showPlea);
  socket.on("plea.refused", showPlea);
  socket.on("error", (e) => say(errorText(e), "error"));
}

// ---- displays ----------------------------------------------------------------
function showHearing() {
  if (!hearing) return;
  const state = hearing.state;
  const text = $("hearing-state");
  text.dataset.state = state;
  text.textContent = state === "suspended" && hearing.suspend_reason
    ? `${label(HEARING_STATES, state)}：${hearing.suspend_reason}` : label(HEARING_STATES, state);
  const status = $("waiting-status");
  let key = "waiting";
  let message = t("Please wait: the judge will let you in.");
  if (state === "paused") { key = "paused"; message = t("The hearing is paused. Please wait."); }
  else if (state === "suspended") {
    key = "suspended";
    message = t("The hearing is suspended: {reason}", { reason: hearing.suspend_reason || "" });
  } else if ((state === "scheduled" || state === "waiting") && Date.now() > scheduled.getTime() + 5 * 60000) {
    key = "delayed"; message = t("The hearing is delayed. Please keep waiting.");
  } else if (state === "in_session") { message = t("The hearing is in session; the judge will call you in."); }
  status.dataset.status = key;
  status.textContent = message;
}

function showRecording(state) {
  const node = $("recording-indicator");
  node.dataset.state = state;
  node.textContent = label(RECORDING_STATES, state);
}

function showMute() {
  const button = $("self-mute");
  button.setAttribute("aria-pressed", String(muted));
  button.textContent = muted ? t("Unmute me") : t("Mute me");
  button.disabled = muted && locked;
  const note = $("mute-state");
  note.hidden = !muted;
  note.textContent = locked ? t("Muted by the judge (locked)") : t("Your microphone is off");
}

function showHand() {
  const button = $("raise-hand");
  button.setAttribute("aria-pressed", String(hand));
  button.textContent = hand ? t("Lower hand") : t("Raise hand");
}

function setAudioOnly(on) {
  audioOnly = on;
  room?.setAudioOnly(on);
  const button = $("audio-only");
  button.setAttribute("aria-pressed", String(on));
  button.textContent = on ? t("Video on") : t("Audio only");
  if (on) $("audio-only-suggestion").hidden = true;
}

function showConsultation(consultation) {
  const banner = $("consultation-banner");
  banner.hidden = !consultation;
  root.classList.toggle("consulting", !!consultation);
  if (consultation) {
    const names = (consultation.members || []).filter((id) => id !== me).map((id) => nameOf(id) || id);
    $("consultation-members").textContent = names.join("、");
  }
}

function showConsultTargets() {
  const role = root.dataset.role;
  const mine = COUNSEL.has(role) ? CLIENTS : CLIENTS.has(role) ? COUNSEL : null;
  const select = $("consultation-target");
  const options = mine ? people.filter((p) => mine.has(p.role) && p.online !== false && p.state === "in_hearing") : [];
  $("consultation-controls").hidden = !options.length || you?.standing !== "party";
  select.replaceChildren(...options.map((p) => el("option", { value: p.id }, `${p.name} · ${label(ROLES, p.role)}`)));
}

function addChat(m) {
  const who = m.from.id === me ? t("Me") : m.from.name;
  $("chat-log").append(el("li", {}, el("time", {}, localTime(m.at)), " ", el("b", {}, who), "：", m.text));
  $("chat-log").lastElementChild.scrollIntoView({ block: "nearest" });
}

function addDocument(doc) {
  $("documents").hidden = false;
  const item = el("li", { testid: "document-item", "data-document-id": doc.document_id || "" },
    el("span", {}, doc.title || t("Document")),
    el("button", { class: "btn primary big", type: "button", testid: "document-print", onclick: () => printDocument(doc.url) }, t("Print")));
  $("documents-list").append(item);
  say(t("A document has arrived: {title}", { title: doc.title || "" }));
}

/** Fetch the PDF with our join token and print it from a blob: frame. */
async function printDocument(url) {
  try {
    const response = await fetch(url, { headers: { Authorization: `Bearer ${root.dataset.token}` } });
    if (!response.ok) throw new Error(`${response.status}`);
    const blob = URL.createObjectURL(await response.blob());
    const frame = el("iframe", { class: "print-frame", src: blob, title: t("Print") });
    frame.addEventListener("load", () => { frame.contentWindow.print(); });
    document.body.append(frame);
    say(t("Sent to the printer"));
  } catch (e) {
    say(t("The document could not be printed: {error}", { error: e.message }), "error");
  }
}

function ended(text, closed = false) {
  clearInterval(heartbeat);
  room?.close();
  $("ended-text").textContent = text;
  stage("ended");
  if (closed) transcript.start(); // removed or replaced: the token no longer opens anything
  if (kiosk) {
    // Not "returns to the start" while this villager still has the transcript to sign: the
    // first look at the transcript decides (endedCard follows every update after it).
    $("kiosk-restart").hidden = true;
    (closed ? transcript.refresh() : Promise.resolve()).then(() => {
      if (!transcript.mySlot()) $("kiosk-restart").hidden = false;
    });
    // A villager who must still sign the transcript keeps the kiosk until they have, and
    // then until the transcript is sealed and can be printed here; the restart button
    // (shown whenever nothing is left to sign) returns at once.
    setTimeout(async () => {
      if (!transcript.pendingForMe() && !transcript.mySlot()) { location.replace("/kiosk"); return; }
      const restart = $("kiosk-restart");
      restart.hidden = true;
      await transcript.settled();
      $("kiosk-home").hidden = false;
      if (transcript.record?.state !== "signed") {
        restart.textContent = t("The clerk and the judge are signing the transcript; it will be shown here to print.");
        restart.hidden = false;
      }
      const sealed = await transcript.sealed(KIOSK_WAIT_FOR_SEAL_MS);
      restart.textContent = sealed
        ? t("Print the hearing transcript below if you need it; this screen returns to the start in two minutes.")
        : t("This screen returns to the start in a few seconds.");
      restart.hidden = false;
      setTimeout(() => location.replace("/kiosk"), sealed ? KIOSK_KEEP_SEALED_MS : 15000);
    }, 10000);
  }
}

let askedToSign = false;
/** The ended card while the transcript is signed here: it says what to do (issue 13.8). */
function endedCard() {
  if (root.dataset.stage !== "ended") return;
  const signing = transcript.pendingForMe();
  if (signing) {
    $("ended-text").textContent = t("The hearing has ended. Please read the hearing transcript and sign it.");
    $("kiosk-restart").hidden = true;
  } else if (askedToSign) {
    $("ended-text").textContent = t("The hearing has ended.");
  }
  askedToSign = signing;
}

// ---- heartbeat (WebRTC stats) -------------------------------------------------
async function beat() {
  if (!socket?.connected || !room || you?.standing === "held") return;
  try {
    const stats = await room.stats();
    const ack = await call(socket, "heartbeat", stats);
    const node = $("quality-indicator");
    node.dataset.level = ack.level;
    node.textContent = `${t("Connection")}: ${label(QUALITY, ack.level)}`;
    if (ack.level === "bad" && !audioOnly && !suggestionDismissed) $("audio-only-suggestion").hidden = false;
  } catch (e) { /* the next beat tries again */ }
}

// ---- controls -----------------------------------------------------------------
async function act(event, payload) {
  try { return await call(socket, event, payload); } catch (e) { say(errorText(e), "error"); return null; }
}

$("self-mute").addEventListener("click", async () => {
  const ack = await act("self.mute", { muted: !muted });
  if (ack) { muted = ack.muted; locked = ack.locked; room.setMuted(muted); showMute(); }
});
$("raise-hand").addEventListener("click", async () => {
  const ack = await act(hand ? "hand.lower" : "hand.raise", {});
  if (ack) { hand = ack.raised; showHand(); }
});
$("audio-only").addEventListener("click", () => setAudioOnly(!audioOnly));
$("audio-only-accept").addEventListener("click", () => setAudioOnly(true));
$("audio-only-dismiss").addEventListener("click", () => { suggestionDismissed = true; $("audio-only-suggestion").hidden = true; });
$("chat-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const text = $("chat-input").value.trim();
  if (!text) return;
  if (await act("chat.send", { text })) $("chat-input").value = "";
});
$("help-request").addEventListener("click", async () => {
  if (await act("help.request", {})) say(t("The clerk has been asked to help you."));
});
$("consultation-request").addEventListener("click", async () => {
  const target = $("consultation-target").value;
  if (target && await act("consultation.request", { participant_id: target })) say(t("Consultation requested; waiting for an answer."));
});
$("consultation-accept").addEventListener("click", async () => {
  $("consultation-incoming").hidden = true;
  if (pendingRequest) await act("consultation.accept", { request_id: pendingRequest });
});
$("consultation-reject").addEventListener("click", async () => {
  $("consultation-incoming").hidden = true;
  if (pendingRequest) await act("consultation.reject", { request_id: pendingRequest });
});
$("consultation-leave").addEventListener("click", () => act("consultation.leave", {}));

setInterval(() => {
  $("waiting-clock").textContent = localTime(new Date());
  if (root.dataset.stage === "waiting") showHearing();
}, 1000);
