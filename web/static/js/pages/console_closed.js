// A closed hearing's summary (console_closed.html): read only. The one action is
// downloading the evidence package, which needs a reason (audited) and the CSRF token.
import { t } from "/static/js/lib/i18n.js";
import { byTestId, flash } from "/static/js/lib/ui.js";

const root = document.querySelector("[data-page='console-closed']");
const form = byTestId(root, "summary-package-form");
const say = (text, kind) => flash(byTestId(root, "page-message"), text, kind);

form?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const button = byTestId(form, "summary-package");
  button.disabled = true;
  try {
    const session = await fetch("/api/session", { credentials: "same-origin" });
    const { csrf_token: csrf } = session.ok ? await session.json() : {};
    const response = await fetch(`/api/recordings/${root.dataset.hearingId}/package`, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf || "" },
      body: JSON.stringify({ reason: form.reason.value.trim() }),
    });
    if (!response.ok) throw new Error(`${response.status}`);
    const url = URL.createObjectURL(await response.blob());
    const link = Object.assign(document.createElement("a"), {
      href: url, download: `yunting-evidence-${root.dataset.hearingId}.zip` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  } catch (e) {
    say(t("The evidence package could not be made: {error}", { error: e.message }), "error");
  } finally {
    button.disabled = false;
  }
});
