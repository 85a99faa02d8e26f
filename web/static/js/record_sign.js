// The hearing record (笔录) on a participant's page (join link or clinic kiosk): once the
// record is frozen (at the close, or sent by the clerk), the signing order is shown and,
// when it is this person's turn, the record beside the signature pad. Signatures go in
// order: the persons recorded, then the clerk and the judge. After the close the socket
// is gone, so the page asks GET /api/hearings/{id}/record every two seconds (its join
// token still opens the record); during the hearing `record.signing` events drive it too.
import { Api, el, flash } from "/static/js/mediation_api.js";
import { t } from "/static/js/i18n.js";
import { SignatureCapture } from "/static/js/signature.js";
import { DocumentView } from "/static/js/documents.js";

const POLL_MS = 2000;
const POLL_FOR_MS = 30 * 60 * 1000;

export class RecordSigning {
  // root: the participant page; options: {hearingId, me, token, site, large}
  // onUpdate: called after each change of the record (the page adapts around it).
  constructor(root, { hearingId, me, token, site = "", large = false, onUpdate = () => {} }) {
    this.onUpdate = onUpdate;
    this.root = root;
    this.$ = (id) => root.querySelector(`[data-testid='${id}']`);
    this.url = `/api/hearings/${hearingId}/record`;
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
  }

  // Start asking for the record (idempotent); stops when it is signed or after a while.
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

  // Resolves once the record is sealed, or after `ms` (false then): a kiosk whose
  // villager signed keeps the screen until the sealed record can be printed there.
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
    const panel = this.$("record-panel");
    panel.dataset.state = r.state;
    if (r.state === "drafting" || !r.signing) {
      panel.hidden = true;
      this.root.classList.remove("signing-record");
      this.onUpdate(r);
      return;
    }
    panel.hidden = false;
    const next = r.signing.order.find((s) => s.field === r.signing.next);
    const mine = this.mySlot();
    const myTurn = r.state === "signing" && next && next.participant_id === this.me;
    let status = t("The hearing record is being signed.");
    if (r.state === "signed") status = t("The hearing record is signed and sealed.");
    else if (myTurn) status = t("Please read the hearing record and sign it.");
    else if (mine && !mine.signed) status = t("Please wait: the others are signing in order.");
    else if (mine && mine.signed) status = t("Thank you: your signature is on the record.");
    const line = this.$("record-status");
    line.textContent = status;
    line.dataset.turn = myTurn ? "mine" : (mine && !mine.signed ? "waiting" : "none");
    this.$("record-signing").replaceChildren(...r.signing.order.map((s) => el("li", {
      testid: "record-signing-step", "data-field": s.field, "data-signed": s.signed ? "1" : "0",
      class: s.signed ? "done" : (r.signing.next === s.field ? "next" : ""),
      text: `${s.signer} — ${s.signed ? t("Signed") : (r.signing.next === s.field ? t("Signing now") : t("Waiting"))}`,
    })));
    // Before the pad opens: the compact signing layout (record.css) sizes its canvas.
    this.root.classList.toggle("signing-record", Boolean(myTurn));
    if (myTurn) this.openPad(next); else this.closePad();
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
      flash(this.$("sign-message"), e.message, "error");
    }
  }

  closePad() {
    this.$("sign-panel").hidden = true;
    this.padFor = null;
  }

  async submit() {
    const note = this.$("sign-message");
    if (!this.pad || this.pad.isEmpty()) { flash(note, t("Please sign on the pad first."), "error"); return; }
    const button = this.$("signature-submit");
    button.disabled = true;
    try {
      const capture = await this.pad.record();
      const r = await this.api.post(`${this.url}/signatures`, { field: this.padFor, capture });
      // The camera opened for the snapshot goes off again.
      this.pad.close();
      this.pad = null;
      this.update(r);
      flash(note, t("Signature recorded"));
    } catch (e) {
      flash(note, e.message, "error");
    } finally {
      button.disabled = false;
    }
  }
}
