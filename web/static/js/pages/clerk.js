// Clerk pages: schedule a hearing and invite its participants; the recordings
// archive (search, play with seeking over HTTP Range, evidence package,
// verification report); confirmation statistics.

import { Api } from "/static/js/lib/mediation_api.js";
import { el, flash, localTime, strings } from "/static/js/lib/ui.js";
import { HEARING_STATES, label } from "/static/js/lib/labels.js";

const root = document.querySelector("[data-page^='clerk-']");
const T = strings();
const $ = (id) => root.querySelector(`[data-testid='${id}']`);
const api = new Api();
const message = $("clerk-message");

function fail(e) {
  console.error(e);
  flash(message, `${T.error}: ${e.message || e}`, "error", 0);
}

// ---- schedule and invite ---------------------------------------------------
async function schedulePage() {
  const courtId = root.dataset.courtId;
  let hearing = null;
  if (courtId) {
    try {
      const sites = await api.get(`/api/courts/${courtId}/sites`);
      $("invite-site").append(...sites.map((s) => el("option", { value: s.id, text: s.name })));
    } catch (e) { fail(e); }
  }
  $("schedule-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const f = ev.target.elements;
    try {
      const caseBody = { court_id: courtId, case_type: f.case_type.value, title: f.case_title.value.trim() };
      if (f.number.value.trim()) caseBody.number = f.number.value.trim();
      else if (f.procedure.value.trim()) caseBody.procedure = f.procedure.value.trim();
      const kase = await api.post("/api/cases", caseBody);
      const body = { case_id: kase.id, kind: f.kind.value, title: f.title.value.trim(),
                     scheduled_at: new Date(f.scheduled_at.value).toISOString() };
      if (f.presiding_user_id.value.trim()) body.presiding_user_id = f.presiding_user_id.value.trim();
      hearing = await api.post("/api/hearings", body);
      const result = $("schedule-result");
      result.hidden = false;
      result.textContent = `${T.scheduled}: ${kase.number} · ${hearing.title}`;
      result.dataset.hearingId = hearing.id;
      $("invite-section").hidden = false;
    } catch (e) { fail(e); }
  });
  $("invite-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!hearing) return;
    const f = ev.target.elements;
    try {
      const body = { name: f.name.value.trim(), role: f.role.value };
      if (f.site_id.value) body.site_id = f.site_id.value;
      const p = await api.post(`/api/hearings/${hearing.id}/participants`, body);
      const link = await api.post(`/api/hearings/${hearing.id}/participants/${p.id}/join-links`);
      $("invite-list").append(el("tr", { testid: "invite-row", "data-participant-id": p.id },
        el("td", { text: p.name }), el("td", { text: f.role.selectedOptions[0].textContent }),
        el("td", {}, el("a", { href: link.url, text: link.url, testid: "invite-link" })),
        el("td", {}, el("code", { text: link.code }))));
      ev.target.reset();
      flash(message, `${T.invited}: ${p.name}`, "ok", 0);
    } catch (e) { fail(e); }
  });
  const date = $("day-date");
  // The server rendered the court's calendar day (what the API's `date` means).
  if (!date.value) date.value = when(new Date().toISOString()).slice(0, 10);
  const loadDay = async () => {
    try {
      const list = await api.get(`/api/hearings?date=${date.value}`);
      $("day-list").replaceChildren(...list.map((h) => el("li", { testid: "day-hearing", "data-hearing-id": h.id, "data-state": h.state },
        `${localTime(h.scheduled_at)} · ${h.title} · ${label(HEARING_STATES, h.state)}`)));
      if (!list.length) $("day-list").append(el("li", { class: "hint", text: T.no_results }));
    } catch (e) { fail(e); }
  };
  $("day-load").addEventListener("click", loadDay);
  loadDay();
}

// ---- recordings archive ----------------------------------------------------
// GET /api/recordings answers [{hearing: {id, title, scheduled_at, started_at,
// participants, ...}, case_number, recording_state, sealed, duration, complete,
// missing_seconds: {participant_id: seconds}, composite_error, files: [{name,
// kind, size, participant_id, duration, sha256, url}]}] (web/http/api/recordings.py).
function duration(s) {
  if (s == null) return "—";
  const n = Math.round(s);
  return `${Math.floor(n / 3600)}:${String(Math.floor(n / 60) % 60).padStart(2, "0")}:${String(n % 60).padStart(2, "0")}`;
}

function reason() {
  const input = $("recordings-reason");
  if (!input.reportValidity()) return null;
  return input.value.trim();
}

function when(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

async function recordingsPage() {
  $("recordings-search").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const f = ev.target.elements;
    const q = new URLSearchParams();
    for (const k of ["case_number", "date", "party", "reason"]) if (f[k].value.trim()) q.set(k, f[k].value.trim());
    try {
      const list = await api.get(`/api/recordings?${q}`);
      $("recordings-list").replaceChildren(...list.map(recordingRow));
      if (!list.length) $("recordings-list").append(el("tr", {}, el("td", { colspan: 7, class: "hint", text: T.no_results })));
    } catch (e) { fail(e); }
  });
}

function recordingRow(r) {
  const h = r.hearing;
  const people = (h.participants || []).map((p) => p.name).join("、");
  const video = playable(r);
  return el("tr", { testid: "recording-row", "data-recording-id": h.id, "data-sealed": r.sealed ? "1" : "0",
                    "data-recording-state": r.recording_state },
    el("td", { text: r.case_number }), el("td", { text: h.title }),
    el("td", { text: when(h.started_at || h.scheduled_at) }),
    el("td", { text: duration(r.duration), testid: "recording-duration" }), el("td", { text: people }),
    el("td", { class: r.sealed && r.complete !== false ? "state ok" : "state", testid: "recording-sealed",
               "data-complete": r.complete === false ? "0" : "1", text: sealedText(r) }),
    el("td", { class: "actions" },
      el("button", { type: "button", class: "btn small", testid: "recording-play", text: T.play,
                     disabled: !video, onclick: () => play(r) }),
      el("button", { type: "button", class: "btn small", testid: "recording-package", text: T.package,
                     disabled: !r.sealed, onclick: () => downloadPackage(r) }),
      el("button", { type: "button", class: "btn small", testid: "recording-verify", text: T.verify,
                     disabled: !r.sealed, onclick: () => verify(r) })));
}

// A sealed recording with gaps says whose and how much (seconds missing per participant).
function sealedText(r) {
  if (!r.sealed) return T.not_sealed;
  if (r.complete !== false) return T.sealed;
  const names = new Map((r.hearing.participants || []).map((p) => [p.id, p.name]));
  const gaps = Object.entries(r.missing_seconds || {})
    .map(([id, s]) => `${names.get(id) || id} ${Math.round(s)} s`);
  if (r.composite_error) gaps.push(T.composite_failed);
  return T.incomplete.replace("{gaps}", gaps.join("、") || "—");
}

// The composite (everyone in one picture) once sealed; before that, the first segment.
function playable(r) {
  const files = r.files || [];
  return files.find((f) => f.kind === "composite") || files.find((f) => f.kind === "segment") || null;
}

// The <video> streams from the API with the session cookie; the server answers
// Range requests, so seeking fetches only what is shown.
function play(r) {
  const why = reason();
  const file = playable(r);
  if (!why || !file) return;
  $("recording-player").hidden = false;
  $("recording-title").textContent = `${r.case_number} ${r.hearing.title}`;
  const video = $("recording-video");
  video.dataset.file = file.name;
  video.src = `${file.url}?reason=${encodeURIComponent(why)}`;
  video.play().catch(() => {});
}

async function downloadPackage(r) {
  const why = reason();
  if (!why) return;
  const button = root.querySelector(`[data-recording-id='${r.hearing.id}'] [data-testid='recording-package']`);
  if (button) button.disabled = true;
  try {
    const response = await fetch(`/api/recordings/${r.hearing.id}/package`, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": await csrf() },
      body: JSON.stringify({ reason: why }) });
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      throw new Error(body.error?.message || `${response.status}`);
    }
    const href = URL.createObjectURL(await response.blob());
    const a = el("a", { href, download: `yunting-evidence-${r.case_number}.zip` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(href), 60_000);
  } catch (e) { fail(e); } finally { if (button) button.disabled = false; }
}

async function csrf() {
  if (!api.csrf) await api.session();
  return api.csrf;
}

// PackageReport of media/evidence.py: ok, files_checked, altered, missing, unexpected,
// timestamp, errors.
async function verify(r) {
  const why = reason();
  if (!why) return;
  try {
    const report = await api.get(`/api/recordings/${r.hearing.id}/verification?reason=${encodeURIComponent(why)}`);
    $("recording-player").hidden = false;
    $("recording-title").textContent = `${r.case_number} ${r.hearing.title}`;
    const box = $("recording-verification");
    box.dataset.ok = report.ok ? "1" : "0";
    const lines = [`${report.ok ? "✔" : "✘"} ${report.ok ? T.valid : T.invalid}`,
      `${T.files_checked}: ${report.files_checked}`, `${T.timestamp}: ${report.timestamp}`];
    for (const k of ["altered", "missing", "unexpected", "errors"]) {
      if (report[k]?.length) lines.push(`${k}: ${report[k].join(", ")}`);
    }
    box.textContent = lines.join("\n");
  } catch (e) { fail(e); }
}

// ---- statistics ------------------------------------------------------------
async function statsPage() {
  try {
    const s = await api.get("/api/confirmation/stats");
    $("stats-count").textContent = String(s.count ?? 0);
    const apply = s.median_apply_to_delivery_s;
    $("stats-median-apply").textContent = apply == null ? "—" : apply >= 120 ? `${(apply / 60).toFixed(1)} min` : `${apply.toFixed(1)} s`;
    const sys = s.median_decide_to_delivery_ms;
    $("stats-median-system").textContent = sys == null ? "—" : `${Math.round(sys)} ms`;
  } catch (e) { fail(e); }
}

({ "clerk-schedule": schedulePage, "clerk-recordings": recordingsPage, "clerk-stats": statsPage })[root.dataset.page]();
