// The staff bar's logout: DELETE /api/session (with the session's CSRF token), then the
// login page. The session cookie is dead on the server whatever the browser keeps.
const button = document.querySelector("[data-testid='logout']");

async function logout() {
  button.disabled = true;
  try {
    const who = await fetch("/api/session", { credentials: "same-origin" });
    if (who.ok) {
      const { csrf_token: csrf } = await who.json();
      await fetch("/api/session", { method: "DELETE", credentials: "same-origin",
        headers: { "X-CSRF-Token": csrf } });
    }
  } finally {
    location.assign("/login");
  }
}

button?.addEventListener("click", logout);
