// A judge's or mediator's day of e+ clinic bookings (GET /api/bookings?day=…): each slot,
// who booked which service, the consultation's console; a mediation-guidance booking turns
// into a mediation (POST /api/bookings/{id}/mediation); the form publishes a slot.
import { Api } from "/static/js/lib/mediation_api.js";
import { el, flash } from "/static/js/lib/ui.js";
import { t, LOCALE } from "/static/js/lib/i18n.js";

const root = document.querySelector("[data-page='bookings']");
const $ = (id) => root.querySelector(`[data-testid='${id}']`);
const api = new Api();
const SERVICES = {
  legal_advice: () => t("Legal advice"),
  mediation_guidance: () => t("Mediation guidance"),
  filing_help: () => t("Filing help"),
};

function hhmm(iso) {
  return new Date(iso).toLocaleTimeString(LOCALE === "en" ? "en-GB" : "zh-CN",
                                          { hour12: false, hour: "2-digit", minute: "2-digit" });
}

function actions(booking) {
  if (!booking) return [];
  const cells = [el("a", { class: "btn", testid: "booking-open",
                           href: `/hearings/${encodeURIComponent(booking.hearing_id)}/console`,
                           textContent: t("Open the consultation") })];
  if (booking.mediation_hearing_id) {
    cells.push(el("a", { class: "btn", testid: "booking-mediation-open",
                         href: `/mediations/${encodeURIComponent(booking.mediation_hearing_id)}/console`,
                         textContent: t("Open the mediation") }));
  } else if (booking.service === "mediation_guidance") {
    cells.push(el("button", { type: "button", class: "btn", testid: "booking-to-mediation",
      textContent: t("Turn into a mediation"), onclick: async () => {
        try {
          await api.post(`/api/bookings/${encodeURIComponent(booking.id)}/mediation`);
          flash($("bookings-message"), t("The mediation is scheduled"));
          await load();
        } catch (e) { flash($("bookings-message"), e.message, "error"); }
      } }));
  }
  return cells;
}

function row(entry) {
  const booking = entry.booking;
  return el("tr", { testid: "booking-row", "data-slot-id": entry.id,
                    "data-booked": booking ? "1" : "0",
                    "data-hearing-id": booking ? booking.hearing_id : "" },
    el("td", { textContent: `${hhmm(entry.starts_at)}–${hhmm(entry.ends_at)}` }),
    el("td", { testid: "booking-service",
               textContent: booking ? SERVICES[booking.service]()
                 : entry.services.map((s) => SERVICES[s]()).join("、") }),
    el("td", { testid: "booking-name", textContent: booking ? booking.name : t("Free") }),
    el("td", {}, ...actions(booking)));
}

async function load() {
  try {
    const day = $("bookings-day").value || root.dataset.today;
    const entries = await api.get(`/api/bookings?day=${encodeURIComponent(day)}`);
    $("booking-rows").replaceChildren(...(entries.length ? entries.map(row)
      : [el("tr", {}, el("td", { colSpan: 4, testid: "bookings-empty",
                                 textContent: t("No slots on this day.") }))]));
  } catch (e) { flash($("bookings-message"), e.message, "error"); }
}

$("bookings-day").addEventListener("change", load);
const form = $("slot-form");
if (form) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const services = [...form.querySelectorAll("input[name='services']:checked")]
      .map((box) => box.value);
    try {
      await api.post("/api/booking-slots", {
        starts_at: `${form.elements.starts_at.value}:00${root.dataset.tzOffset}`,
        minutes: Number(form.elements.minutes.value), services });
      flash($("bookings-message"), t("Slot published"));
      await load();
    } catch (e) { flash($("bookings-message"), e.message, "error"); }
  });
}
load();
