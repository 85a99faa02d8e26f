"""Display labels of roles, states and refusals, marked for translation."""

from __future__ import annotations

from hearings.domain.participants import Role
from hearings.domain.states import HearingState
from web.i18n import N_

__all__ = ["REFUSALS", "ROLES", "STATES"]

ROLES = {
    Role.JUDGE: N_("Judge"), Role.ASSESSOR: N_("Assessor"), Role.CLERK: N_("Clerk"),
    Role.PROSECUTOR: N_("Prosecutor"), Role.INVESTIGATOR: N_("Investigator"),
    Role.DEFENDANT: N_("Defendant"),
    Role.DEFENCE_LAWYER: N_("Defence lawyer"), Role.PLAINTIFF: N_("Plaintiff"),
    Role.AGENT_AD_LITEM: N_("Agent ad litem"), Role.WITNESS: N_("Witness"),
    Role.INTERPRETER: N_("Interpreter"), Role.APPROPRIATE_ADULT: N_("Appropriate adult"),
    Role.DETENTION_OFFICER: N_("Detention officer"), Role.MEDIATOR: N_("Mediator"),
    Role.PARTY: N_("Party"), Role.OBSERVER: N_("Observer"),
}
STATES = {
    HearingState.SCHEDULED: N_("scheduled"), HearingState.WAITING: N_("waiting"),
    HearingState.IN_SESSION: N_("in session"), HearingState.PAUSED: N_("paused"),
    HearingState.SUSPENDED: N_("suspended"), HearingState.CLOSED: N_("closed"),
    HearingState.CANCELLED: N_("cancelled"),
}
REFUSALS = {
    "token_expired": N_("The link has expired. Please ask the court for a new one."),
    "wrong_hearing": N_("This link belongs to a different hearing."),
    "revoked": N_("This link has been withdrawn by the court."),
    "hearing_closed": N_("The hearing has ended."),
    "unknown_token": N_("This link or code is not valid. Please check it and try again."),
    "too_many_attempts": N_("Too many codes that were not valid were entered here. "
                            "Please wait a few minutes, or ask the court's staff for help."),
}
