// Booking at the clinic's enrolled kiosk (the device cookie is the credential): the day's
// free slots (GET /api/kiosk/slots), then POST /api/kiosk/bookings; the 8-digit kiosk code
// is shown once, large, to write down (the summons' code works the same way).
import { el } from "/static/js/lib/ui.js";
import { t, LOCALE } from "/static/js/lib/i18n.js";

const root = document.querySelector("[data-page='kiosk-book']");
const $ = (id) => root.querySelector(`[data-testid='${id}']`);
const form = $("kiosk-book-form");

function hhmm(iso) {
  return new Date(iso).toLocaleTimeString(LOCALE === "en" ? "en-GB" : "zh-CN",
                                          { hour12: false, hour: "2-digit", minute: "2-digit" });
}

function fail(text) {
  $("kiosk-book-error").textContent = text;
  $("kiosk-book-error").hidden = false;
}

async function call(method, url, body) {
  const init = { method, credentials: "same-origin", headers: {} };
  if (body) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(url, init);
  const data = await response.json();
  if (!response.ok) throw new Error((data.error && data.error.message) || response.statusText);
  return data;
}

let slots = [];
function show() {
  const service = form.elements.service.value;
  const fitting = slots.filter((s) => s.services.includes(service));
  $("kiosk-book-slots").replaceChildren(...fitting.map((s, i) => el("label",
    { class: "btn huge", testid: "kiosk-book-slot", "data-slot-id": s.id },
    el("input", { type: "radio", name: "slot", value: s.id, checked: i === 0 }),
    ` ${hhmm(s.starts_at)}–${hhmm(s.ends_at)}`)));
  $("kiosk-book-no-slots").hidden = fitting.length > 0;
}

async function load() {
  try {
    slots = (await call("GET", `/api/kiosk/slots?day=${root.dataset.today}`)).slots;
    show();
  } catch (e) { fail(e.message); }
}

for (const radio of form.querySelectorAll("input[name='service']")) {
  radio.addEventListener("change", show);
}
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  $("kiosk-book-error").hidden = true;
  const slot = form.querySelector("input[name='slot']:checked");
  if (!slot) { fail(t("Choose a time")); return; }
  try {
    const booked = await call("POST", "/api/kiosk/bookings", {
      slot_id: slot.value, service: form.elements.service.value,
      name: form.elements.name.value.trim(), email: form.elements.email.value.trim() || null,
      consent_electronic_service: form.elements.consent.checked });
    form.hidden = true;
    $("kiosk-booked-code").textContent = booked.kiosk_code;
    $("kiosk-booked-time").textContent = `${booked.case_number} · ${hhmm(booked.scheduled_at)}`;
    $("kiosk-booked").hidden = false;
  } catch (e) {
    fail(e.message);
    await load();
  }
});
load();
