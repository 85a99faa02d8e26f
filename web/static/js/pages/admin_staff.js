// An administrator's staff accounts (GET/POST /api/staff): create one (its one-time
// password is shown once), reset a password, disable and re-enable. The server decides
// which accounts this administrator may see and change (their court's).
import { Api } from "/static/js/lib/mediation_api.js";
import { el, flash, data } from "/static/js/lib/ui.js";
import { t } from "/static/js/lib/i18n.js";

const root = document.querySelector("[data-page='admin-staff']");
const $ = (id) => root.querySelector(`[data-testid='${id}']`);
const api = new Api();
const message = $("admin-message");
const { courts = [], roles = [] } = data("admin-data", {}) || {};
const courtLabel = Object.fromEntries(courts.map((c) => [c.id, c.label]));
const roleLabel = Object.fromEntries(roles.map((r) => [r.value, r.label]));

function fail(e) {
  console.error(e);
  flash(message, `${t("Error")}: ${e.message || e}`, "error", 0);
}

function showPassword(issued) {
  const box = $("one-time-password");
  box.textContent = t("One-time password for {user} (shown once; it must be changed at the first login): {password}",
    { user: issued.user.username, password: issued.one_time_password });
  box.dataset.username = issued.user.username;
  box.dataset.password = issued.one_time_password;
  box.hidden = false;
}

function state(user) {
  if (!user.active) return t("Disabled");
  return user.must_change_password ? t("Must change password") : t("Active");
}

async function act(user, action) {
  const question = action === "disable"
    ? t("Disable {user}? Their sessions end at once.", { user: user.username })
    : action === "password-reset"
      ? t("Reset the password of {user}? Their sessions end at once.", { user: user.username })
      : null;
  if (question && !window.confirm(question)) return;
  try {
    const answer = await api.post(`/api/staff/${user.id}/${action}`);
    if (action === "password-reset") showPassword(answer);
    else flash(message, action === "disable"
      ? t("Account {user} disabled: its sessions ended.", { user: user.username })
      : t("Account {user} enabled.", { user: user.username }));
    await load();
  } catch (e) { fail(e); }
}

function row(user) {
  const buttons = [
    el("button", { type: "button", class: "btn small", testid: "account-reset",
                   textContent: t("Reset password"), onclick: () => act(user, "password-reset") }),
    user.active
      ? el("button", { type: "button", class: "btn small danger", testid: "account-disable",
                       textContent: t("Disable"), onclick: () => act(user, "disable") })
      : el("button", { type: "button", class: "btn small", testid: "account-enable",
                       textContent: t("Enable"), onclick: () => act(user, "enable") }),
  ];
  return el("tr", { testid: "account-row", "data-username": user.username,
                    "data-active": String(user.active) },
    el("td", { textContent: user.username }), el("td", { textContent: user.display_name }),
    el("td", { textContent: roleLabel[user.role] || user.role }),
    el("td", { textContent: user.court_id ? (courtLabel[user.court_id] || user.court_id) : t("All courts") }),
    el("td", { testid: "account-state", textContent: state(user) }),
    el("td", {}, ...buttons));
}

async function load() {
  try {
    const users = await api.get("/api/staff");
    $("account-rows").replaceChildren(...users.map(row));
  } catch (e) { fail(e); }
}

$("account-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const f = ev.target.elements;
  const body = { username: f.username.value.trim(), display_name: f.display_name.value.trim(),
                 role: f.role.value, court_id: f.court_id.value || null,
                 on_duty: f.on_duty.checked };
  try {
    showPassword(await api.post("/api/staff", body));
    ev.target.reset();
    await load();
  } catch (e) { fail(e); }
});

load();
