// Display texts of the protocol's values (docs/protocol.md), translated.
import { t } from "/static/js/lib/i18n.js";

export const HEARING_STATES = {
  scheduled: () => t("scheduled"), waiting: () => t("waiting"), in_session: () => t("in session"),
  paused: () => t("paused"), suspended: () => t("suspended"), closed: () => t("closed"),
  cancelled: () => t("cancelled"),
};
export const RECORDING_STATES = {
  standby: () => t("Recording on standby"), recording: () => t("Recording"),
  paused: () => t("Recording paused"), processing: () => t("Recording being archived"),
  available: () => t("Recording archived"), incomplete: () => t("Recording archived with gaps"),
  failed: () => t("RECORDING FAILED"),
};
export const PARTICIPANT_STATES = {
  invited: () => t("invited"), joining: () => t("joining"), waiting: () => t("waiting"),
  in_hearing: () => t("in the hearing"), in_consultation: () => t("in consultation"),
  disconnected: () => t("disconnected"), removed: () => t("removed"),
};
export const QUALITY = { good: () => t("Good"), poor: () => t("Poor"), bad: () => t("Bad") };
export const ROLES = {
  judge: () => t("Judge"), assessor: () => t("Assessor"), clerk: () => t("Clerk"),
  prosecutor: () => t("Prosecutor"), investigator: () => t("Investigator"),
  defendant: () => t("Defendant"),
  defence_lawyer: () => t("Defence lawyer"), plaintiff: () => t("Plaintiff"),
  agent_ad_litem: () => t("Agent ad litem"), witness: () => t("Witness"),
  interpreter: () => t("Interpreter"), appropriate_adult: () => t("Appropriate adult"),
  detention_officer: () => t("Detention officer"), mediator: () => t("Mediator"),
  party: () => t("Party"), observer: () => t("Observer"),
};
export const ALERTS = {
  media_timeout: () => t("no media is arriving from"),
  writer_error: () => t("the recording could not be written for"),
  unexpected_codec: () => t("an unsupported codec was sent by"),
};

export const label = (table, key) => (table[key] ? table[key]() : key);

/** Stable error texts for refusals and socket errors. */
export function errorText(e) {
  const codes = {
    forbidden: t("Not allowed."), illegal_transition: t("Not possible in the current state."),
    hearing_closed: t("The hearing has ended."), rate_limited: t("Too many actions; please wait."),
    unavailable: t("The server is busy; please try again."), timeout: t("The server did not answer."),
    unknown_event: t("This server does not support that yet."),
  };
  return codes[e.code] ? `${codes[e.code]} ${e.message || ""}`.trim() : (e.message || String(e));
}
