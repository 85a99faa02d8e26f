// Staff login: POST /api/session (JSON), then on to the page that sent us here.
import { t } from "/static/js/i18n.js";

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
    if (!response.ok) {
      error.textContent = response.status === 401 || response.status === 403
        ? t("Wrong username or password.")
        : response.status === 429 ? t("Too many failed attempts; wait a few minutes and try again.")
          : t("Login failed; please try again.");
      error.hidden = false;
      return;
    }
    location.assign(form.dataset.next || "/hearings");
  } catch (e) {
    error.textContent = t("The server cannot be reached.");
    error.hidden = false;
  }
});
