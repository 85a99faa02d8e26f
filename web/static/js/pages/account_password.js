// Change one's own password: POST /api/session/password, then on to where we were going.
// A one-time password (an administrator's reset) opens only this page until it is changed.
import { Api } from "/static/js/lib/mediation_api.js";
import { t } from "/static/js/lib/i18n.js";

const form = document.querySelector("[data-testid='password-form']");
const error = form.querySelector("[data-testid='password-error']");
const api = new Api();

// The server's reasons (English) in the page's language.
const REASONS = [
  ["at least", () => t("The new password is too short.")],
  ["at most", () => t("The new password is too long.")],
  ["common password", () => t("That password is too common; choose another.")],
  ["repeat or a run", () => t("That password is a repeat or a run of characters; choose another.")],
  ["username", () => t("The password must not contain your username.")],
  ["must differ", () => t("The new password must differ from the current one.")],
];

function reason(e) {
  if (e.code === "wrong_password") return t("The current password is wrong.");
  if (e.code === "too_many_attempts") return t("Too many failed attempts; wait a few minutes and try again.");
  const known = REASONS.find(([part]) => (e.message || "").includes(part));
  return known ? known[1]() : (e.message || t("The password could not be changed."));
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  error.hidden = true;
  if (form.new.value !== form.again.value) {
    error.textContent = t("The two new passwords differ.");
    error.hidden = false;
    return;
  }
  try {
    await api.post("/api/session/password",
      { current_password: form.current.value, new_password: form.new.value });
    location.assign(form.dataset.next || "/hearings");
  } catch (e) {
    if (e.status === 401) { location.assign("/login"); return; }
    error.textContent = reason(e);
    error.hidden = false;
  }
});
