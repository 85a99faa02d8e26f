// The court's clinic kiosks (GET/POST /api/sites/{id}/kiosks, POST /api/kiosks/{id}/revoke):
// enroll one per site (its setup link is shown once, to open on the kiosk), revoke one.
import { Api } from "/static/js/lib/mediation_api.js";
import { el, flash } from "/static/js/lib/ui.js";
import { t, LOCALE } from "/static/js/lib/i18n.js";

const root = document.querySelector("[data-page='kiosks-admin']");
const api = new Api();
const message = root.querySelector("[data-testid='kiosks-message']");

function when(iso) {
  return new Date(iso).toLocaleString(LOCALE === "en" ? "en-GB" : "zh-CN", { hour12: false });
}

function row(section, kiosk) {
  const revoke = kiosk.revoked_at ? null : el("button", {
    type: "button", class: "btn small", testid: "kiosk-revoke", textContent: t("Revoke"),
    onclick: async () => {
      if (!window.confirm(t("Revoke this kiosk? It will open nothing any more."))) return;
      try {
        await api.post(`/api/kiosks/${encodeURIComponent(kiosk.id)}/revoke`);
        flash(message, t("Kiosk revoked"));
        await load(section);
      } catch (e) { flash(message, e.message, "error"); }
    },
  });
  return el("tr", { testid: "kiosk-row", "data-kiosk-id": kiosk.id },
    el("td", { textContent: kiosk.label }),
    el("td", { textContent: when(kiosk.created_at) }),
    el("td", { testid: "kiosk-status", "data-revoked": kiosk.revoked_at ? "1" : "0",
               textContent: kiosk.revoked_at ? t("Revoked") : t("Active") }),
    el("td", {}, revoke));
}

async function load(section) {
  const site = section.dataset.siteId;
  try {
    const kiosks = await api.get(`/api/sites/${encodeURIComponent(site)}/kiosks`);
    section.querySelector("[data-testid='kiosk-rows']")
      .replaceChildren(...kiosks.map((k) => row(section, k)));
  } catch (e) { flash(message, e.message, "error"); }
}

for (const section of root.querySelectorAll("[data-testid='kiosk-site']")) {
  const form = section.querySelector("[data-testid='kiosk-enroll-form']");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const label = form.elements.label.value.trim();
    try {
      const kiosk = await api.post(
        `/api/sites/${encodeURIComponent(section.dataset.siteId)}/kiosks`, { label });
      const setup = section.querySelector("[data-testid='kiosk-setup']");
      setup.replaceChildren(
        el("span", { textContent: t("Open this setup link once on the kiosk (it is shown only now):") + " " }),
        el("code", { testid: "kiosk-setup-url", textContent: kiosk.setup_url }));
      setup.hidden = false;
      form.reset();
      await load(section);
    } catch (e) { flash(message, e.message, "error"); }
  });
  load(section);
}
