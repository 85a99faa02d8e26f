// Document viewer: a delivered document (the ruling, the agreement) shown in the
// page with print and download buttons; each way it reached the recipient is
// recorded as a receipt (proof of service).
//
// The PDF is fetched with the caller's credentials (a participant's join token
// cannot ride on an <iframe> request) and shown from a blob: URL in an <iframe>.
//
// For other pages (the kiosk): showDocument(container, delivered, {token, large}).

import { Api } from "/static/js/lib/mediation_api.js";
import { el } from "/static/js/lib/ui.js";

const LABELS = {
  "zh-CN": { print: "打印", download: "下载", open: "查看文件", received: "已送达" },
  en: { print: "Print", download: "Download", open: "Open", received: "Delivered" },
};

function labels() {
  return LABELS[document.documentElement.lang] || LABELS["zh-CN"];
}

export class DocumentView {
  // doc: {document_id | id, title, url, kind}; options: {api | token, large, testid}
  constructor(container, doc, options = {}) {
    this.container = container;
    this.doc = { ...doc, id: doc.document_id || doc.id };
    this.api = options.api || new Api(options.token ? { token: options.token } : {});
    this.large = Boolean(options.large);
    this.testid = options.testid || "document";
    this.blobUrl = null;
    this.receipts = new Set();
    this.recordReceipts = options.receipts !== false;
  }

  pdfUrl() { return this.doc.url || `/api/documents/${this.doc.id}/pdf`; }

  async load() {
    if (!this.blobUrl) {
      const blob = await this.api.blob(this.pdfUrl());
      this.blobUrl = URL.createObjectURL(new Blob([blob], { type: "application/pdf" }));
    }
    return this.blobUrl;
  }

  async receipt(how) {
    if (!this.recordReceipts || this.receipts.has(how)) return;
    try {
      await this.api.post(`/api/documents/${this.doc.id}/receipts`, { how });
      this.receipts.add(how);
      this.container.dataset.receipts = [...this.receipts].join(" ");
    } catch (e) {
      console.warn("receipt not recorded", how, e);
    }
  }

  // The heading first — title, case number, what was decided, print and download —
  // painted before the PDF is fetched and drawn in its frame: the PDF viewer is the
  // heavy part (under load it added up to 2.5 s before a party saw the ruling at all,
  // issue 13.7). `data-shown` marks the heading on screen, `data-loaded` the PDF.
  async render() {
    const t = labels();
    const frame = el("iframe", { class: "doc-frame", title: this.doc.title || "", testid: `${this.testid}-frame` });
    const print = el("button", { class: this.large ? "btn huge" : "btn primary", type: "button",
                                 testid: `${this.testid}-print`, text: t.print,
                                 onclick: () => this.print() });
    const download = el("button", { class: this.large ? "btn big" : "btn", type: "button",
                                    testid: `${this.testid}-download`, text: t.download,
                                    onclick: () => this.download() });
    const facts = [this.doc.number, this.doc.summary].filter(Boolean);
    this.container.replaceChildren(
      el("div", { class: "doc-head" },
         el("div", {},
            el("h3", { testid: `${this.testid}-title`, text: this.doc.title || "" }),
            facts.length ? el("p", { class: "doc-summary", testid: `${this.testid}-summary`,
                                     text: facts.join(" · ") }) : null),
         el("div", { class: "doc-actions" }, print, download)),
      frame);
    this.container.hidden = false;
    this.container.dataset.documentId = this.doc.id;
    delete this.container.dataset.loaded;
    this.container.dataset.shown = "1";
    await painted();
    frame.src = await this.load();
    this.container.dataset.loaded = "1";
    await this.receipt("screen");
    return this;
  }

  // Print from a hidden frame of the PDF: the browser's print dialog (or the
  // kiosk's printer) gets the document itself, not this page.
  async print() {
    const url = await this.load();
    const frame = el("iframe", { class: "print-frame", src: url, "aria-hidden": "true" });
    document.body.append(frame);
    frame.addEventListener("load", () => {
      try {
        frame.contentWindow.focus();
        frame.contentWindow.print();
      } catch (e) {
        window.open(url, "_blank", "noopener");
      }
      setTimeout(() => frame.remove(), 60_000);
    }, { once: true });
    await this.receipt("print");
  }

  async download() {
    const url = await this.load();
    const a = el("a", { href: url, download: `${this.doc.title || this.doc.id}.pdf` });
    document.body.append(a);
    a.click();
    a.remove();
    await this.receipt("download");
  }
}

/** Resolves once the browser has painted what is in the DOM now (a hidden tab paints
 * nothing: then after 100 ms). */
function painted() {
  return new Promise((resolve) => {
    requestAnimationFrame(() => setTimeout(resolve, 0));
    setTimeout(resolve, 100);
  });
}

export async function showDocument(container, doc, options = {}) {
  return new DocumentView(container, doc, options).render();
}
