// The access log of a court (GET /api/courts/{id}/access-log, paged; .csv for the export):
// who read which recording or document, when, from where and why. The server decides who
// may read it (the court's clerks and administrators) and records each reading.
import { Api } from "/static/js/lib/mediation_api.js";
import { el, flash } from "/static/js/lib/ui.js";
import { t, LOCALE } from "/static/js/lib/i18n.js";

const root = document.querySelector("[data-page='access-log']");
const $ = (id) => root.querySelector(`[data-testid='${id}']`);
const api = new Api();
const form = $("access-log-filter");
const PAGE = 50;
let offset = 0;

const ACTIONS = {
  "recording.streamed": () => t("Recording played or downloaded"),
  "recording.packaged": () => t("Evidence package downloaded"),
  "recording.verified": () => t("Recording verified"),
  "document.read": () => t("Document read"),
};

function filters() {
  const params = new URLSearchParams();
  for (const name of ["case", "person", "since", "until"]) {
    const value = form.elements[name].value.trim();
    if (value) params.set(name, value);
  }
  return params;
}

function base() {
  return `/api/courts/${encodeURIComponent(form.elements.court_id.value)}/access-log`;
}

function when(iso) {
  return new Date(iso).toLocaleString(LOCALE === "en" ? "en-GB" : "zh-CN", { hour12: false });
}

function row(entry) {
  const action = ACTIONS[entry.action];
  return el("tr", { testid: "access-log-row", "data-seq": String(entry.seq) },
    el("td", { textContent: when(entry.at), title: entry.at }),
    el("td", { testid: "access-log-person-cell", textContent: entry.person }),
    el("td", { textContent: action ? action() : entry.action }),
    el("td", { textContent: entry.case_number || "" }),
    el("td", { textContent: entry.target }),
    el("td", { testid: "access-log-address", textContent: entry.address || "" }),
    el("td", { testid: "access-log-reason", textContent: entry.reason || "" }));
}

async function load() {
  const params = filters();
  $("access-log-csv").href = `${base()}.csv?${params}`;
  $("access-log-pdf").href = `${base()}.pdf?${params}`;
  params.set("offset", String(offset));
  params.set("limit", String(PAGE));
  try {
    const page = await api.get(`${base()}?${params}`);
    $("access-log-rows").replaceChildren(...page.entries.map(row));
    $("access-log-total").textContent = t("{count} accesses", { count: page.total });
    $("access-log-total").dataset.total = String(page.total);
    $("access-log-prev").disabled = offset === 0;
    $("access-log-next").disabled = offset + PAGE >= page.total;
  } catch (e) {
    console.error(e);
    flash($("access-log-message"), `${t("Error")}: ${e.message || e}`, "error", 0);
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  offset = 0;
  load();
});
form.elements.court_id.addEventListener("change", () => { offset = 0; load(); });
$("access-log-prev").addEventListener("click", () => { offset = Math.max(0, offset - PAGE); load(); });
$("access-log-next").addEventListener("click", () => { offset += PAGE; load(); });
load();
