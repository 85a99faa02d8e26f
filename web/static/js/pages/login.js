// Staff login: POST /api/session (JSON), then on to the page that sent us here.
import { t } from "/static/js/lib/i18n.js";

const form = document.querySelector("[data-testid='login-form']");
const error = form.querySelector("[data-testid='login-error']");

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  error.hidden = true;
  const body = { username: form.username.value.trim(), password: form.password.value };
  try {
    const response = await fetch("/api/session", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body), credentials: "same-origin",
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) {
      const why = (answer.error && answer.error.message) || "";
      error.textContent = why.includes("disabled") ? t("This account is disabled.")
        : response.status === 401 || response.status === 403
        ? t("Wrong username or password.")
        : response.status === 429 ? t("Too many failed attempts; wait a few minutes and try again.")
          : t("Login failed; please try again.");
      error.hidden = false;
      return;
    }
    const next = form.dataset.next || "/hearings";
    // A one-time password (new account, reset) must be changed before anything else.
    location.assign(answer.user && answer.user.must_change_password
      ? `/account/password?next=${encodeURIComponent(next)}` : next);
  } catch (e) {
    error.textContent = t("The server cannot be reached.");
    error.hidden = false;
  }
});
