// The judge's console: video, waiting room (admit / deny / call in), participants
// (quality, mute, mute-lock, remove, send back, dismiss), hearing and recording
// controls, the recording alert, chat and help requests, duplicate connections.
import { t } from "/static/js/lib/i18n.js";
import { connect, call } from "/static/js/lib/socket.js";
import { Room } from "/static/js/lib/rtc.js";
import { byTestId, el, flash, data, localTime } from "/static/js/lib/ui.js";
import {
  HEARING_STATES, RECORDING_STATES, PARTICIPANT_STATES, QUALITY, ROLES, ALERTS, label, errorText,
} from "/static/js/lib/labels.js";

const root = document.querySelector("[data-page='console']");
const $ = (id) => byTestId(root, id);
const me = root.dataset.me;
const roster = data("roster", {});
const HEARTBEAT_MS = 5000;
// Which hearing controls make sense in which state (the server decides; this only greys).
const ALLOWED = {
  scheduled: ["open_doors", "close"], waiting: ["start", "close"],
  in_session: ["pause", "suspend", "close"], paused: ["resume", "close"],
  suspended: ["resume", "close"], closed: [], cancelled: [],
};

let hearing = null;
let people = [];
let waiting = [];
let quality = {};
let muted = false;
let heartbeat = null;
let recordingState = null;
// Whose recording is failing, and why: participant id → the last recording.alert. The
// banner names each of them and clears when the last is recorded again (issue 13.8).
const failing = new Map();
let acknowledged = false;  // the judge hid the banner: shown again on the next alert
let alertSeq = 0;
const recoveredAt = new Map();  // participant id → alertSeq of their last recording.recovered

/**
 * A console opened or reloaded while someone's recording fails has missed the alerts:
 * ask who is failing (the audit log's open interruptions). One recovered meanwhile stays
 * recovered.
 */
async function loadFailing() {
  const asked = alertSeq;
  const headers = root.dataset.token ? { Authorization: `Bearer ${root.dataset.token}` } : {};
  try {
    const response = await fetch(`/api/recordings/${encodeURIComponent(root.dataset.hearingId)}/failing`,
      { headers, credentials: "same-origin" });
    if (!response.ok) return;
    const body = await response.json();
    for (const f of body.failing || []) {
      if ((recoveredAt.get(f.participant_id) || -1) > asked || failing.has(f.participant_id)) continue;
      failing.set(f.participant_id, f);
    }
    showFailing();
  } catch (e) {
    console.warn("who is failing: not known", e);  // the next alerts name them
  }
}

const say = (text, kind = "info") => flash($("page-message"), text, kind);
const nameOf = (id) => people.find((p) => p.id === id)?.name || waiting.find((p) => p.id === id)?.name || null;
const siteOf = (id) => roster[id]?.site || "";

const socket = connect({ hearingId: root.dataset.hearingId, token: root.dataset.token || null, onState: connection });
const room = new Room({ socket, me, grid: $("video-grid"), iceServers: data("ice-servers", []),
  names: (id) => { const n = nameOf(id); return n ? `${n} · ${siteOf(id)}` : null; } });
room.open().catch((e) => say(t("Camera or microphone unavailable: {error}", { error: e.message }), "warn"));
socket.io.on("reconnect", () => room.restartMedia());

function connection(state, code, message) {
  const node = $("connection-state");
  node.dataset.state = state;
  node.textContent = { connected: t("Connected"), reconnecting: t("Reconnecting…"),
    refused: message || t("Refused"), ended: t("Disconnected") }[state] || state;
}

// ---- events -------------------------------------------------------------------
socket.on("snapshot", (s) => {
  hearing = s.hearing;
  people = s.participants || [];
  quality = s.quality || {};
  muted = !!s.you?.muted;
  showHearing();
  showRecording(hearing.recording_state);
  if (hearing.recording_state === "failed") loadFailing();
  showFailing();
  showPeople();
  showDuplicates(s.duplicates || []);
  room.update({ standing: s.you?.standing, participants: people, consultation: s.consultation || null, iceServers: s.ice_servers });
  room.setMuted(muted);
  showSelfMute();
  if (!heartbeat) heartbeat = setInterval(beat, HEARTBEAT_MS);
});
socket.on("participants", (m) => { people = m.participants; room.update({ participants: people }); showPeople(); });
socket.on("lobby", (m) => { waiting = m.waiting; showLobby(); });
socket.on("hearing.state", (h) => { hearing = { ...hearing, ...h }; showHearing(); });
socket.on("recording.state", (r) => {
  showRecording(r.state);
  if (r.state === "recording" && r.because === "recording.recover") {
    failing.clear();
    say(t("Recording has recovered."));
  }
  showFailing();
});
socket.on("recording.alert", (a) => {
  failing.set(a.participant_id, a);
  showFailing(true);
});
socket.on("recording.recovered", (a) => {
  recoveredAt.set(a.participant_id, ++alertSeq);
  if (!failing.delete(a.participant_id)) return;
  say(t("{who}: recorded again (missing {seconds} s)", { who: whoIs(a), seconds: Math.round(a.gap_seconds || 0) }));
  showFailing();
});
socket.on("quality", (q) => { quality[q.participant_id] = q; showPeople(); });
socket.on("hand", () => socket.emit("snapshot.request", {}));
socket.on("chat.message", (m) => addChat(m, false));
socket.on("help.requested", (m) => addChat(m, true));
socket.on("session.duplicate", (d) => showDuplicates([d]));
socket.on("session.active", () => socket.emit("snapshot.request", {}));  // a held connection took over
socket.on("hearing.closed", () => ended());
socket.on("removed", () => ended());
socket.on("error", (e) => say(errorText(e), "error"));

// ---- displays -------------------------------------------------------------------
function showHearing() {
  const badge = $("hearing-state");
  badge.dataset.state = hearing.state;
  badge.textContent = hearing.state === "suspended" && hearing.suspend_reason
    ? `${label(HEARING_STATES, hearing.state)}：${hearing.suspend_reason}` : label(HEARING_STATES, hearing.state);
  const allowed = ALLOWED[hearing.state] || [];
  for (const button of root.querySelectorAll("[data-action]")) button.disabled = !allowed.includes(button.dataset.action);
  if (hearing.state === "closed") ended();
}

function showRecording(state) {
  recordingState = state;
  const node = $("recording-indicator");
  node.dataset.state = state;
  node.textContent = label(RECORDING_STATES, state);
  // A failed recording pauses too: the others must not be recorded through a recess.
  $("recording-pause").disabled = state !== "recording" && state !== "failed";
  $("recording-resume").disabled = state !== "paused" || hearing?.state !== "in_session";
}

const WHY = {
  connection_lost: () => t("connection to the recorder lost"),
  media_worker_lost: () => t("the media server failed; moving to another one"),
  media_timeout: () => t("no audio or video arriving"),
  writer_error: () => t("the recording cannot be written"),
  unexpected_codec: () => t("unsupported codec"),
};

function whoIs(a) {
  const person = people.find((p) => p.id === a.participant_id);
  const name = a.name || person?.name || a.participant_id;
  const role = a.role || person?.role;
  return role ? t("{name} ({role})", { name, role: label(ROLES, role) }) : name;
}

function why(a) {
  if (a.reason === "writer_error" && /no space|ENOSPC|quota/i.test(a.detail || "")) return t("the disk is full");
  return WHY[a.reason] ? WHY[a.reason]() : label(ALERTS, a.reason) || a.reason || "";
}

/** The banner: who is not being recorded and why, since when; hidden once nobody is. */
function showFailing(fresh = false) {
  const entries = [...failing.values()];
  const banner = $("recording-alert");
  if (!entries.length && recordingState !== "failed") {
    banner.hidden = true;
    root.classList.remove("alarm");
    return;
  }
  const items = entries.map((a) => el("span", { testid: "recording-alert-entry", "data-participant-id": a.participant_id, "data-reason": a.reason || "" },
    t("{who}: {why}, since {time}", { who: whoIs(a), why: why(a), time: localTime(a.since ? new Date(a.since * 1000) : new Date()) })));
  $("recording-alert-text").replaceChildren(...(items.length ? items.flatMap((item, i) => (i ? ["；", item] : [item]))
    : [t("The recording has failed.")]));
  if (fresh) acknowledged = false;
  banner.hidden = acknowledged;
  root.classList.toggle("alarm", !acknowledged);
}
$("recording-alert-dismiss").addEventListener("click", () => {
  acknowledged = true;
  $("recording-alert").hidden = true;
  root.classList.remove("alarm");
});

function button(text, testid, onclick, kind = "") {
  return el("button", { type: "button", class: `btn small ${kind}`, testid, onclick }, text);
}

function showLobby() {
  $("lobby-count").textContent = String(waiting.length);
  $("lobby-list").replaceChildren(...waiting.map((p) => {
    const witness = p.role === "witness";
    return el("li", { testid: "lobby-entry", "data-participant-id": p.id, "data-role": p.role },
      el("span", { class: "who" }, el("b", {}, p.name), ` ${label(ROLES, p.role)} · ${siteOf(p.id)}`),
      el("span", { class: "actions" },
        witness ? button(t("Call in"), "witness-call", () => act("witness.call", { participant_id: p.id }), "primary")
          : button(t("Admit"), "lobby-admit", () => act("lobby.admit", { participant_id: p.id }), "primary"),
        button(t("Deny"), "lobby-deny", () => act("lobby.deny", { participant_id: p.id }), "danger")));
  }));
  showReplyTargets();
}

function showPeople() {
  const inside = people.filter((p) => p.id !== me && p.state !== "waiting" && p.state !== "removed");
  $("participant-list").replaceChildren(...inside.map((p) => {
    const q = quality[p.id];
    const level = q ? q.level : "";
    const witness = p.role === "witness";
    return el("li", { testid: "participant-row", "data-participant-id": p.id, "data-state": p.state, "data-online": String(p.online !== false) },
      el("span", { class: "who" },
        el("b", {}, p.name), ` ${label(ROLES, p.role)} · ${siteOf(p.id)}`,
        el("small", { testid: "participant-state" }, ` ${label(PARTICIPANT_STATES, p.state)}${p.online === false ? ` · ${t("offline")}` : ""}`),
        p.hand ? el("span", { class: "hand", testid: "participant-hand" }, `✋ ${t("hand raised")}`) : null,
        p.state === "in_consultation" ? el("span", { class: "consulting", testid: "participant-consultation" },
          t("In private consultation: the court neither sees nor hears them")) : null),
      el("span", { class: `quality q-${level || "none"}`, testid: "participant-quality", "data-level": level,
        title: q ? `${t("loss")} ${q.loss_pct}% · RTT ${q.rtt_ms} ms · ${q.bitrate_kbps} kbit/s` : "" },
      level ? label(QUALITY, level) : "—"),
      el("span", { class: "actions" },
        p.muted ? button(p.mute_locked ? t("Unlock") : t("Unmute"), "participant-unmute",
          () => act("participant.mute", { participant_id: p.id, muted: false, locked: false }))
          : button(t("Mute"), "participant-mute", () => act("participant.mute", { participant_id: p.id, muted: true })),
        p.mute_locked ? null : button(t("Mute and lock"), "participant-mute-lock",
          () => act("participant.mute", { participant_id: p.id, muted: true, locked: true })),
        p.hand ? button(t("Lower hand"), "hand-clear", () => act("hand.clear", { participant_id: p.id })) : null,
        witness ? button(t("Dismiss witness"), "witness-dismiss", () => act("witness.dismiss", { participant_id: p.id }))
          : button(t("Send back"), "participant-send-back", () => act("lobby.send_back", { participant_id: p.id })),
        button(t("Remove"), "participant-remove", () => act("participant.remove", { participant_id: p.id }), "danger")));
  }));
  showReplyTargets();
}

function showDuplicates(list) {
  const items = list.filter((d) => d.connections?.length > 1);
  $("duplicates").hidden = !items.length;
  $("duplicate-list").replaceChildren(...items.map((d) => el("li", { testid: "duplicate-entry", "data-identity": d.identity },
    el("b", {}, d.name || nameOf(d.identity) || d.identity),
    ...d.connections.map((c, i) => button(t("Keep connection {n}", { n: i + 1 }) + (c.held ? ` (${t("held")})` : ""), "duplicate-keep",
      async () => { if (await act("session.resolve", { identity: d.identity, keep: c.sid })) $("duplicates").hidden = true; })))));
}

function showReplyTargets() {
  const select = $("chat-reply-to");
  const current = select.value;
  const options = [...people.filter((p) => p.id !== me), ...waiting];
  select.replaceChildren(...options.map((p) => el("option", { value: p.id }, p.name)));
  if (current) select.value = current;
}

function addChat(m, help) {
  const item = el("li", { class: help ? "help" : "", testid: help ? "help-entry" : "chat-entry" },
    el("time", {}, localTime(m.at)), " ", el("b", {}, m.from.name), help ? ` ${t("asks for help")}` : "", "：", m.text || "");
  $("chat-log").append(item);
  item.scrollIntoView({ block: "nearest" });
  if (help) say(t("{name} asks for help", { name: m.from.name }), "warn");
  if (m.from.id !== me) $("chat-reply-to").value = m.from.id;
}

function ended() {
  clearInterval(heartbeat);
  $("hearing-ended").hidden = false;
  for (const b of root.querySelectorAll(".controls button")) b.disabled = true;
  room.close();
}

function showSelfMute() {
  const b = $("self-mute");
  b.setAttribute("aria-pressed", String(muted));
  b.textContent = muted ? t("Unmute me") : t("Mute me");
}

// ---- actions ----------------------------------------------------------------------
async function act(event, payload) {
  try { return await call(socket, event, payload); } catch (e) { say(errorText(e), "error"); return null; }
}

for (const b of root.querySelectorAll("[data-action]")) {
  b.addEventListener("click", () => {
    const action = b.dataset.action;
    if (action === "close") return $("close-dialog").showModal();
    if (action === "suspend") return $("suspend-dialog").showModal();
    return act("hearing.control", { action });
  });
}
$("close-dialog").addEventListener("close", () => {
  if ($("close-dialog").returnValue === "confirm") act("hearing.control", { action: "close" });
});
$("suspend-dialog").addEventListener("close", () => {
  const reason = $("suspend-reason").value.trim();
  if ($("suspend-dialog").returnValue === "confirm" && reason) act("hearing.control", { action: "suspend", reason });
});
$("recording-pause").addEventListener("click", () => act("recording.control", { action: "pause" }));
$("recording-resume").addEventListener("click", () => act("recording.control", { action: "resume" }));
$("self-mute").addEventListener("click", async () => {
  const ack = await act("self.mute", { muted: !muted });
  if (ack) { muted = ack.muted; room.setMuted(muted); showSelfMute(); }
});
$("chat-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const text = $("chat-input").value.trim();
  const to = $("chat-reply-to").value;
  if (!text || !to) return;
  if (await act("chat.reply", { to, text })) $("chat-input").value = "";
});

async function beat() {
  if (!socket.connected) return;
  try { await call(socket, "heartbeat", await room.stats()); } catch (e) { /* next time */ }
}
