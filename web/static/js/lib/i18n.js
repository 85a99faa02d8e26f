// Translations for the browser modules: the same .po catalog the templates use,
// served as JSON at /i18n/<locale>.json. Messages are English msgids: t("Mute me").
const LOCALE = document.documentElement.lang === "en" ? "en" : "zh_CN";
let catalog = {};
if (LOCALE !== "en") {
  try {
    const response = await fetch(`/i18n/${LOCALE}.json`);
    if (response.ok) catalog = await response.json();
  } catch (e) {
    console.warn("message catalog unavailable", e);
  }
}

export { LOCALE };

/** The translation of `message`, with {name} placeholders filled from `params`. */
export function t(message, params = {}) {
  const text = catalog[message] || message;
  return text.replace(/\{(\w+)\}/g, (all, key) => (key in params ? String(params[key]) : all));
}

// Not yet imported from ui.js (the one set of helpers) by transcript.js.
export { localTime } from "/static/js/lib/ui.js";
