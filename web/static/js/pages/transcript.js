// The transcript (笔录) for the clerk and the judge: /clerk/hearings/{id}/transcript.
// Typing saves by itself (a second after the last keystroke) with the version the text was
// based on; a 409 means someone else saved first: their text is loaded and ours is kept
// aside, never lost. While nothing is being typed the page follows the saved record
// (the judge sees the clerk's text appear). After the freeze it shows the signing order
// and, when it is the clerk's or the judge's turn, a button to sign by the court's key.
import { Api, ApiError, WAITING_FOR_CAMERA, signOnCamera } from "/static/js/lib/mediation_api.js";
import { t } from "/static/js/lib/i18n.js";
import { el, flash, localTime } from "/static/js/lib/ui.js";
import { DocumentView } from "/static/js/lib/documents.js";
import { HEARING_STATES, label } from "/static/js/lib/labels.js";

const root = document.querySelector("[data-page='clerk-transcript']");
const $ = (id) => root.querySelector(`[data-testid='${id}']`);
const hearingId = root.dataset.hearingId;
const myRole = root.dataset.role; // clerk | judge | admin
const url = `/api/hearings/${hearingId}/transcript`;
const api = new Api();
const SAVE_AFTER_MS = 1000;
const FOLLOW_MS = 2000;
const STATES = { drafting: "Being written", signing: "Being signed", signed: "Signed and sealed" };

let transcript = null;
let version = 0;
let dirty = false;
let saving = null;
let timer = null;
let shownDocument = null;

// Messages stay until the next one (0): a save conflict must not vanish while it is read.
const say = (text, kind = "info") => flash($("record-message"), text, kind, 0);

function saveState(state) {
  const node = $("record-save-state");
  node.dataset.state = state;
  node.textContent = { saved: t("Saved"), dirty: t("Not saved yet"), saving: t("Saving…"),
    conflict: t("Someone else saved first"), error: t("Not saved") }[state] || state;
}

function show(r) {
  transcript = r;
  version = r.version;
  $("record-version").textContent = String(r.version);
  const badge = $("record-state");
  badge.dataset.state = r.state;
  badge.textContent = t(STATES[r.state] || r.state);
  const hs = $("record-hearing-state");
  hs.dataset.state = r.hearing_state;
  hs.textContent = label(HEARING_STATES, r.hearing_state);
  const body = $("record-body");
  if (!dirty && body.value !== (r.body || "")) body.value = r.body || "";
  const frozen = r.state !== "drafting";
  body.readOnly = frozen;
  $("record-save").disabled = frozen;
  $("record-send").disabled = frozen;
  showSigning(r);
  const rights = $("record-rights");
  if (rights) {
    rights.dataset.acknowledged = r.rights_acknowledged_at ? "1" : "0";
    rights.disabled = Boolean(r.rights_acknowledged_at);
    if (r.rights_acknowledged_at) {
      rights.textContent = `${t("Notice of rights acknowledged")} · ${localTime(r.rights_acknowledged_at)}`;
    }
  }
  // A signer asked for a correction (or refused): what they said, until the next freeze.
  const reopened = $("record-reopened");
  reopened.hidden = !r.reopened || r.state !== "drafting";
  if (r.reopened) {
    reopened.dataset.refused = r.reopened.refused ? "1" : "0";
    reopened.textContent = t(r.reopened.refused ? "{who} refused to sign: {reason}"
                                                : "{who} asks for a correction: {reason}",
                             { who: r.reopened.by || "", reason: r.reopened.reason || "" });
  }
  if (r.state === "signed" && r.document && shownDocument !== r.document.id) {
    shownDocument = r.document.id;
    new DocumentView($("record-document"), r.document, { api, testid: "record-document" }).render()
      .catch((e) => say(e.message, "error"));
  }
}

function showSigning(r) {
  const panel = $("record-signing-panel");
  panel.hidden = !r.signing;
  if (!r.signing) return;
  const steps = r.signing.order.map((s) => el("li", {
    testid: "record-signing-step", "data-field": s.field, "data-signed": s.signed ? "1" : "0",
    class: s.signed ? "done" : (r.signing.next === s.field ? "next" : ""),
    text: `${s.signer} — ${s.signed ? t("Signed") : (r.signing.next === s.field ? t("Signing now") : t("Waiting"))}`,
  }));
  $("record-signing").replaceChildren(...steps);
  const next = r.signing.order.find((s) => s.field === r.signing.next);
  // a staff interrogator (the presiding judge) signs by key here too
  const mine = next && ((next.role === "clerk" && myRole === "clerk") ||
                        (next.role === "judge" && myRole === "judge") ||
                        (next.role === "interrogator" && !next.participant_id && myRole === "judge"));
  const button = $("record-sign");
  button.hidden = !mine;
  button.dataset.field = mine ? next.field : "";
}

async function load() {
  try {
    show(await api.get(url));
  } catch (e) {
    say(e.message, "error");
  }
}

async function save() {
  clearTimeout(timer);
  if (saving) { await saving; }
  if (!dirty || !transcript || transcript.state !== "drafting") return;
  const text = $("record-body").value;
  saveState("saving");
  saving = (async () => {
    try {
      const r = await api.put(url, { body: text, version });
      dirty = $("record-body").value !== text; // typed on while saving: save again
      show(r);
      saveState(dirty ? "dirty" : "saved");
      if (dirty) schedule();
    } catch (e) {
      if (e instanceof ApiError && e.status === 409 && e.code === "conflict") {
        // Someone saved first: keep our text aside, show theirs.
        $("record-mine-text").value = text;
        $("record-mine").hidden = false;
        $("record-mine").open = true;
        dirty = false;
        saveState("conflict");
        say(t("Someone else saved the transcript first. Their text is shown; yours is kept below to copy back."), "warn");
        await load();
      } else {
        saveState("error");
        say(e.message, "error");
      }
    } finally {
      saving = null;
    }
  })();
  await saving;
}

function schedule() {
  clearTimeout(timer);
  timer = setTimeout(save, SAVE_AFTER_MS);
}

$("record-body").addEventListener("input", () => {
  dirty = true;
  saveState("dirty");
  schedule();
});
$("record-save").addEventListener("click", () => save());
$("record-send").addEventListener("click", async () => {
  await save();
  $("record-send").disabled = true;
  try {
    show(await api.post(`${url}/signing`));
    say(t("The transcript is frozen and sent for signature."));
  } catch (e) {
    say(e.message, "error");
    $("record-send").disabled = false;
  }
});
$("record-rights")?.addEventListener("click", async () => {
  try {
    show(await api.post(`${url}/rights`));
    say(t("The notice of rights is recorded as read and acknowledged."));
  } catch (e) {
    say(e.message, "error");
  }
});
$("record-sign").addEventListener("click", async () => {
  const button = $("record-sign");
  button.disabled = true;
  try {
    // during the recording a signature is kept only while the signer's camera is recorded
    show(await signOnCamera(() => api.post(`${url}/signatures`, { field: button.dataset.field }),
                            () => say(t(WAITING_FOR_CAMERA))));
    say(t("Signature recorded"));
  } catch (e) {
    say(e.message, "error");
  } finally {
    button.disabled = false;
  }
});

// Follow the saved record while we are not typing (the judge watches the clerk write).
setInterval(() => {
  if (!dirty && !saving && (!transcript || transcript.state !== "signed")) load();
}, FOLLOW_MS);
window.addEventListener("beforeunload", (e) => { if (dirty) e.preventDefault(); });

await api.session();
await load();
