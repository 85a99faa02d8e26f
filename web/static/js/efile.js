// The case e-file (电子卷宗) from the clerk's record page: upload a scanned PDF into the case,
// then compile every document of the case past its draft and every upload, oldest first,
// into one PDF sealed by the court and timestamped (POST /api/cases/{id}/efile). The build
// runs on the server in a worker thread; the page says so while it waits, then downloads.
import { Api, ApiError, flash } from "/static/js/mediation_api.js";
import { t } from "/static/js/i18n.js";

const root = document.querySelector("[data-testid='efile-panel']");
if (root) {
  const $ = (id) => root.querySelector(`[data-testid='${id}']`);
  const caseId = root.dataset.caseId;
  const api = new Api();
  const say = (text, kind = "info") => flash($("efile-message"), text, kind);

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

  $("efile-build").addEventListener("click", async () => {
    const button = $("efile-build");
    button.disabled = true;
    $("efile-progress").hidden = false;
    try {
      if (!api.csrf) await api.session();
      const response = await fetch(`/api/cases/${caseId}/efile`, {
        method: "POST", credentials: "same-origin", body: "{}",
        headers: { ...api.headers(true), "Content-Type": "application/json" } });
      if (!response.ok) {
        const e = ((await response.json().catch(() => ({}))).error) || {};
        throw new ApiError(response.status, e.code || "", e.message || response.statusText);
      }
      const blob = await response.blob();
      const link = $("efile-download");
      if (link.href) URL.revokeObjectURL(link.href);
      link.href = URL.createObjectURL(blob);
      link.download = `efile-${caseId}.pdf`;
      link.hidden = false;
      link.dataset.sha256 = response.headers.get("X-Efile-SHA256") || "";
      say(t("E-file compiled: {pages} pages", { pages: response.headers.get("X-Efile-Pages") }));
    } catch (e) {
      say(e.message, "error");
    } finally {
      button.disabled = false;
      $("efile-progress").hidden = true;
    }
  });

  refresh().catch((e) => say(e.message, "error"));
}
