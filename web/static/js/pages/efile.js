// The case e-file (电子卷宗) from the clerk's record page: upload a scanned PDF into the case,
// then compile every document of the case past its draft and every upload, oldest first,
// into one PDF sealed by the court and timestamped (POST /api/cases/{id}/efile). The build
// is a job: the page shows its progress (percent and stage) while it runs, then links the PDF.
import { Api, ApiError } from "/static/js/lib/mediation_api.js";
import { t } from "/static/js/lib/i18n.js";
import { flash } from "/static/js/lib/ui.js";

const root = document.querySelector("[data-testid='efile-panel']");
if (root) {
  const $ = (id) => root.querySelector(`[data-testid='${id}']`);
  const caseId = root.dataset.caseId;
  const api = new Api();
  const say = (text, kind = "info") => flash($("efile-message"), text, kind, 0);

  async function refresh() {
    const items = await api.get(`/api/cases/${caseId}/efile`);
    const list = $("efile-items");
    list.replaceChildren(...items.map((item) => {
      const li = document.createElement("li");
      li.dataset.id = item.id;
      li.textContent = item.title;
      return li;
    }));
    $("efile-count").textContent = String(items.length);
  }

  $("efile-upload").addEventListener("click", async () => {
    const file = $("efile-file").files[0];
    if (!file) return;
    try {
      if (!api.csrf) await api.session();
      const response = await fetch(
        `/api/cases/${caseId}/uploads?filename=${encodeURIComponent(file.name)}`,
        { method: "POST", body: file, credentials: "same-origin",
          headers: { ...api.headers(true), "Content-Type": "application/pdf" } });
      if (!response.ok) {
        const e = ((await response.json().catch(() => ({}))).error) || {};
        throw new ApiError(response.status, e.code || "", e.message || response.statusText);
      }
      say(t("Uploaded"));
      $("efile-file").value = "";
      await refresh();
    } catch (e) {
      say(e.message, "error");
    }
  });

  const STAGES = {
    queued: "Waiting for a worker…",
    reading: "Reading the documents…",
    compiling: "Compiling, sealing and timestamping…",
    sealed: "Sealed; saving…",
  };
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  function show(job) {
    const percent = Math.max(0, Math.min(100, Number(job.progress) || 0));
    $("efile-progress-bar").value = percent;
    $("efile-percent").textContent = `${percent}%`;
    $("efile-stage").textContent = t(STAGES[job.stage] || STAGES.compiling);
    root.dataset.progress = String(percent);  // the last shown, for whoever watches the page
  }

  // The build is a job (on the server, or a queue worker): poll it until done, then offer
  // the sealed PDF for download.
  async function follow(job) {
    while (job.state === "queued" || job.state === "running") {
      show(job);
      await sleep(500);
      job = await api.get(`/api/cases/${caseId}/efile/jobs/${job.job_id}`);
    }
    return job;
  }

  $("efile-build").addEventListener("click", async () => {
    const button = $("efile-build");
    button.disabled = true;
    $("efile-download").hidden = true;
    $("efile-progress").hidden = false;
    try {
      if (!api.csrf) await api.session();
      const response = await fetch(`/api/cases/${caseId}/efile`, {
        method: "POST", credentials: "same-origin", body: "{}",
        headers: { ...api.headers(true), "Content-Type": "application/json" } });
      const answer = await response.json().catch(() => ({}));
      if (!response.ok) {
        const e = answer.error || {};
        throw new ApiError(response.status, e.code || "", e.message || response.statusText);
      }
      const job = await follow(answer);
      if (job.state !== "done") throw new Error(t("E-file not compiled: {error}", { error: job.error || job.state }));
      show(job);
      const link = $("efile-download");
      link.href = job.download;
      link.download = `efile-${caseId}.pdf`;
      link.dataset.sha256 = job.sha256 || "";
      link.hidden = false;
      say(t("E-file compiled: {pages} pages", { pages: job.pages }));
    } catch (e) {
      say(e.message, "error");
    } finally {
      button.disabled = false;
      $("efile-progress").hidden = true;
    }
  });

  refresh().catch((e) => say(e.message, "error"));
}
