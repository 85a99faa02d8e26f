// The transcript (笔录) on a participant's page (join link or clinic kiosk): once the
// record is frozen (at the close, or sent by the clerk), the signing order is shown and,
// when it is this person's turn, the transcript beside the signature pad. Signatures go in
// order: the persons recorded, then the clerk and the judge. After the close the socket
// is gone, so the page asks GET /api/hearings/{id}/transcript every two seconds (its join
// token still opens the transcript); during the hearing `record.signing` events drive it too.
// An interrogation transcript (讯问笔录) is signed while the hearing is still recorded: on this
// person's turn it is read page by page in large type; the detainee chooses the statement
// "以上笔录我看过，和我说的相符" before the pad opens, or asks for a correction, or refuses.
// The same panel signs an interrogation's plea statement (认罪认罚具结书, GET/POST
// /api/hearings/{id}/plea): a second instance over the plea's own panel, with its texts.
import { Api, WAITING_FOR_CAMERA, signOnCamera } from "/static/js/lib/mediation_api.js";
import { t } from "/static/js/lib/i18n.js";
import { el, flash } from "/static/js/lib/ui.js";
import { SignatureCapture } from "/static/js/lib/signature.js";
import { DocumentView } from "/static/js/lib/documents.js";

const POLL_MS = 2000;
const STAYS = 0; // a signer's message stays until the next one (ui.js flash)
const PAGE_CHARS = 180; // characters per page of the large-type reader
const POLL_FOR_MS = 30 * 60 * 1000;

// What the status line says, by the document signed (N_ marks them for the catalog; t()
// translates them when shown).
const N_ = (message) => message;
const RECORD_TEXTS = {
  signing: N_("The hearing transcript is being signed."),
  signed: N_("The hearing transcript is signed and sealed."),
  mine: N_("Please read the hearing transcript and sign it."),
  waiting: N_("Please wait: the others are signing in order."),
  done: N_("Thank you: your signature is on the transcript."),
};
// A signature made while the signer's camera was not being recorded is not kept: the pad
// sends it again for a while (signOnCamera), then asks for it.
const OFF_CAMERA = N_("Your camera was not being recorded: the signature was not kept. Wait a moment, then confirm the signature again.");
export const PLEA_TEXTS = {
  signing: N_("The plea statement is being signed."),
  signed: N_("The plea statement is signed and sealed."),
  mine: N_("Please read the plea statement and sign it."),
  waiting: N_("Please wait: the others are signing in order."),
  done: N_("Thank you: your signature is on the plea statement."),
  abandoned: N_("The plea statement was refused; the prosecutor may draft it again."),
};

export class TranscriptSigning {
  // root: the participant page; options: {hearingId, me, token, site, large}
  // onUpdate: called after each change of the transcript (the page adapts around it).
  // panel (default: the page's record panel), url, texts and fitClass (the class the page
  // takes while it is this person's turn) make it sign another document: the plea.
  constructor(root, { hearingId, me, token, site = "", large = false, onUpdate = () => {},
                      panel = null, url = null, texts = RECORD_TEXTS,
                      fitClass = "signing-transcript" } = {}) {
    this.onUpdate = onUpdate;
    this.root = root;
    this.scope = panel || root;
    this.$ = (id) => this.scope.querySelector(`[data-testid='${id}']`);
    this.url = url || `/api/hearings/${hearingId}/transcript`;
    this.texts = texts;
    this.fitClass = fitClass;
    this.me = me;
    this.site = site;
    this.large = large;
    this.api = new Api({ token });
    this.record = null;
    this.pad = null;
    this.padFor = null;
    this.shown = null;
    this.poller = null;
    this.waiters = [];
    this.sealWaiters = [];
    this.$("signature-clear").addEventListener("click", () => {
      this.pad?.clear();
      this.$("signature-points").textContent = "0";
    });
    this.$("signature-submit").addEventListener("click", () => this.submit());
    this.role = root.dataset.role || "";
    this.pages = [];
    this.page = 0;
    this.statement = null;
    this.readerFor = null;
    // the reader (an interrogation transcript) and the pad's own refusal (the plea) are optional
    const on = (id, handler) => this.$(id)?.addEventListener("click", handler);
    on("record-reader-prev", () => this.turn(-1));
    on("record-reader-next", () => this.turn(1));
    on("record-statement", () => this.choose());
    on("record-correction", () => this.reopen("corrections", "record-correction-reason"));
    on("record-refuse", () => this.reopen("refusal", "record-refuse-reason"));
    on("signature-refuse", () => this.reopen("refusal", "signature-refuse-reason"));
  }

  // Start asking for the transcript (idempotent); stops when it is signed or after a while.
  start() {
    if (this.poller) return;
    const until = Date.now() + POLL_FOR_MS;
    const tick = async () => {
      await this.refresh();
      if (this.record?.state === "signed" || Date.now() > until) {
        clearInterval(this.poller);
      }
    };
    this.poller = setInterval(tick, POLL_MS);
    tick();
  }

  async refresh() {
    try {
      this.update(await this.api.get(this.url));
    } catch (e) {
      console.warn("record not available", e);
    }
  }

  mySlot() {
    return this.record?.signing?.order.find((s) => s.participant_id === this.me) || null;
  }

  // True while this person still has to sign (the kiosk waits for that before restarting).
  pendingForMe() {
    const slot = this.mySlot();
    return Boolean(slot && !slot.signed && this.record.state === "signing");
  }

  // Resolves once this person has nothing (more) to sign.
  settled() {
    if (!this.pendingForMe()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  // Resolves once the transcript is sealed, or after `ms` (false then): a kiosk whose
  // villager signed keeps the screen until the sealed transcript can be printed there.
  sealed(ms) {
    if (this.record?.state === "signed") return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      this.sealWaiters.push(() => { clearTimeout(timer); resolve(true); });
    });
  }

  update(r) {
    this.record = { ...(this.record || {}), ...r };
    r = this.record;
    const panel = this.$("record-panel") || this.scope;
    panel.dataset.state = r.state || "";
    if (r.state === "drafting" || !r.signing) {
      panel.hidden = true;
      this.closeReader();
      this.root.classList.remove(this.fitClass);
      this.onUpdate(r);
      return;
    }
    panel.hidden = false;
    const next = r.signing.order.find((s) => s.field === r.signing.next);
    const mine = this.mySlot();
    const myTurn = r.state === "signing" && next && next.participant_id === this.me;
    const texts = this.texts;
    let status = t(texts.signing);
    if (r.state === "signed") status = t(texts.signed);
    else if (r.state === "abandoned" && texts.abandoned) status = t(texts.abandoned);
    else if (myTurn) status = t(texts.mine);
    else if (mine && !mine.signed) status = t(texts.waiting);
    else if (mine && mine.signed) status = t(texts.done);
    const line = this.$("record-status");
    line.textContent = status;
    line.dataset.turn = myTurn ? "mine" : (mine && !mine.signed ? "waiting" : "none");
    this.$("record-signing").replaceChildren(...r.signing.order.map((s) => el("li", {
      testid: "record-signing-step", "data-field": s.field, "data-signed": s.signed ? "1" : "0",
      class: s.signed ? "done" : (r.signing.next === s.field ? "next" : ""),
      text: `${s.signer} — ${s.signed ? t("Signed") : (r.signing.next === s.field ? t("Signing now") : t("Waiting"))}`,
    })));
    // Before the pad opens: the compact signing layout (transcript.css) sizes its canvas.
    this.root.classList.toggle(this.fitClass, Boolean(myTurn));
    const reading = myTurn && r.kind === "interrogation_record";
    if (reading) this.openReader(next);
    else this.closeReader();
    if (myTurn && (!reading || !this.needsStatement() || this.statement)) this.openPad(next);
    else this.closePad();
    if (r.state === "signed" && r.document && this.shown !== r.document.id) {
      this.shown = r.document.id;
      new DocumentView(this.$("record-document"), r.document,
                       { api: this.api, large: this.large, testid: "record-document" }).render()
        .catch((e) => console.warn("record document", e));
    }
    if (!this.pendingForMe()) this.waiters.splice(0).forEach((resolve) => resolve());
    if (r.state === "signed") this.sealWaiters.splice(0).forEach((resolve) => resolve());
    this.onUpdate(r);
  }

  async openPad(slot) {
    const panel = this.$("sign-panel");
    if (this.padFor === slot.field && !panel.hidden) return;
    this.padFor = slot.field;
    panel.hidden = false;
    this.$("sign-field-label").textContent = `${t("Your turn to sign")}: ${slot.signer}`;
    if (!this.pad) {
      this.pad = new SignatureCapture(this.$("signature-pad"), { site: this.site });
      this.pad.pad.addEventListener("endStroke", () => {
        this.$("signature-points").textContent = String(this.pad.pointCount());
      });
    } else {
      this.pad.fit();
      this.pad.clear();
    }
    this.$("signature-points").textContent = "0";
    try {
      const blob = await this.api.blob(`${this.url}/pdf`);
      this.$("sign-document").src = URL.createObjectURL(new Blob([blob], { type: "application/pdf" }));
    } catch (e) {
      flash(this.$("sign-message"), e.message, "error", STAYS);
    }
  }

  // -- reading an interrogation transcript on the detention room's screen ----------------
  needsStatement() {
    return this.record?.kind === "interrogation_record" && this.role === "defendant";
  }

  async openReader(slot) {
    const reader = this.$("record-reader");
    reader.hidden = false;
    if (this.readerFor === `${slot.field}:${this.record.document?.id}`) return;
    this.readerFor = `${slot.field}:${this.record.document?.id}`;
    this.statement = null;
    await this.refresh(); // events carry no text: this copy's, as frozen
    this.pages = paginate(this.record.body || "", PAGE_CHARS);
    this.page = 0;
    const choice = this.$("record-statement");
    choice.textContent = this.record.statement || "";
    choice.dataset.chosen = "0";
    this.$("record-statement-box").hidden = true;
    this.showPage();
  }

  closeReader() {
    const reader = this.$("record-reader");
    if (reader) reader.hidden = true;
    this.readerFor = null;
  }

  turn(step) {
    this.page = Math.max(0, Math.min(this.pages.length - 1, this.page + step));
    this.showPage();
  }

  showPage() {
    const last = this.page >= this.pages.length - 1;
    this.$("record-reader-page").textContent = this.pages[this.page] || "";
    const count = this.$("record-reader-count");
    count.textContent = t("Page {n} of {total}", { n: this.page + 1, total: this.pages.length });
    count.dataset.page = String(this.page + 1);
    count.dataset.pages = String(this.pages.length);
    this.$("record-reader-prev").disabled = this.page === 0;
    this.$("record-reader-next").disabled = last;
    // The statement is offered once the last page has been reached.
    if (last && this.needsStatement()) this.$("record-statement-box").hidden = false;
  }

  choose() {
    this.statement = this.record.statement;
    this.$("record-statement").dataset.chosen = "1";
    const next = this.record.signing.order.find((s) => s.field === this.record.signing.next);
    if (next) this.openPad(next);
  }

  async reopen(kind, reasonId) {
    const note = this.$("record-reader-message") || this.$("sign-message");
    const reason = this.$(reasonId).value.trim();
    if (!reason) { flash(note, t("Please say what is wrong."), "error", STAYS); return; }
    try {
      this.update(await this.api.post(`${this.url}/${kind}`, { reason }));
      this.$(reasonId).value = "";
      flash(this.$("page-message") || note, kind === "refusal"
        ? t("Your refusal and its reason are recorded.")
        : t("Your request is recorded: the transcript will be corrected and shown again."), "info", STAYS);
    } catch (e) {
      flash(note, e.message, "error", STAYS);
    }
  }

  closePad() {
    this.$("sign-panel").hidden = true;
    this.padFor = null;
  }

  async submit() {
    const note = this.$("sign-message");
    if (!this.pad || this.pad.isEmpty()) { flash(note, t("Please sign on the pad first."), "error", STAYS); return; }
    const button = this.$("signature-submit");
    button.disabled = true;
    try {
      const r = await signOnCamera(async () => {
        const capture = await this.pad.record(); // a new photo each time it is sent
        const body = { field: this.padFor, capture };
        if (this.statement && this.needsStatement()) body.statement = this.statement;
        return this.api.post(`${this.url}/signatures`, body);
      }, () => flash(note, t(WAITING_FOR_CAMERA), "info", STAYS));
      // The camera opened for the snapshot goes off again.
      this.pad.close();
      this.pad = null;
      this.update(r);
      flash(note, t("Signature recorded"), "info", STAYS);
    } catch (e) {
      // Still not recorded after the retries: the strokes stay on the pad to be sent again.
      flash(note, e.code === "off_camera" ? t(OFF_CAMERA) : e.message, "error", STAYS);
    } finally {
      button.disabled = false;
    }
  }
}

// The text in pages of about `size` characters, breaking between lines where it can.
function paginate(text, size) {
  const pages = [];
  let page = "";
  for (const line of text.split("\n").filter((l) => l.trim())) {
    let rest = line;
    while (rest.length > size) {
      if (page) { pages.push(page); page = ""; }
      pages.push(rest.slice(0, size));
      rest = rest.slice(size);
    }
    if (page && page.length + rest.length + 1 > size) { pages.push(page); page = ""; }
    page = page ? `${page}\n${rest}` : rest;
  }
  if (page || !pages.length) pages.push(page);
  return pages;
}
