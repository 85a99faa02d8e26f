"""The plea statement (认罪认罚具结书, 刑事诉讼法 第一百七十四条) of a remote interrogation: the
prosecutor drafts the charges, the facts the detainee acknowledges, the sentencing
proposal and the procedure; the detainee signs by hand on the pad, then the lawyer present.

Each draft is one `PleaStatement` and one rendered document: a signer's refusal or the
prosecutor's next draft abandons it (kept, with the refusal's reason), it is never edited
in place, so every version the detainee was shown stays on file. The service handlers are
hearings/services/pleas.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hearings.domain.errors import InvalidInput, PermissionDenied
from hearings.domain.identity import new_id, utcnow
from hearings.domain.participants import Participant, Role
from hearings.domain.signing_order import SigningOrder
from hearings.domain.states import PLEA, ParticipantState, PleaState
from hearings.domain.transcript import TranscriptSlot
from hearings.domain.values import long_text, text

__all__ = ["PleaContext", "PleaStatement", "PleaTerms", "plea_slots"]

MAX_TEXT = 20_000


@dataclass(frozen=True)
class PleaTerms:
    """What the prosecutor drafts; checked on the way in."""

    charges: str
    facts: str
    sentencing_proposal: str
    procedure: str

    @classmethod
    def parse(cls, charges: object, facts: object, sentencing_proposal: object,
              procedure: object) -> PleaTerms:
        return cls(text(charges, "charges", max_length=500),
                   long_text(facts, "facts", max_length=MAX_TEXT).strip(),
                   long_text(sentencing_proposal, "sentencing_proposal",
                             max_length=MAX_TEXT).strip(),
                   text(procedure, "procedure", max_length=200))


@dataclass(frozen=True)
class PleaContext:
    """The 认罪认罚具结书 as rendered (docforge/from_hearings.py turns it into the view model)."""

    court: str
    case_number: str
    date: dt.date
    defendant: str
    defendant_role: str
    minor: bool
    lawyer: str
    prosecutor: str
    terms: PleaTerms
    appropriate_adult: str | None = None  # a minor's, who signs too


def _signed_up(p: Participant) -> bool:
    return p.state not in (ParticipantState.INVITED, ParticipantState.REMOVED)


def plea_slots(participants: list[Participant]) -> list[TranscriptSlot]:
    """Who signs, by hand: the detainee; a minor's appropriate adult (legal representative);
    then the lawyer present (刑事诉讼法 §174: the plea is signed in the lawyer's or duty
    lawyer's presence). Each must have taken part."""
    present = [p for p in participants if _signed_up(p)]
    detainee = next((p for p in present if p.role is Role.DEFENDANT), None)
    lawyer = next((p for p in present if p.role is Role.DEFENCE_LAWYER), None)
    if detainee is None:
        raise InvalidInput("no detainee took part: there is nobody to sign the plea statement")
    if lawyer is None:
        raise InvalidInput("no lawyer took part: a plea statement is signed in the presence "
                           "of the defence lawyer or duty lawyer (刑事诉讼法 第一百七十四条)")
    slots = [TranscriptSlot("party1", detainee.name, "person", participant_id=detainee.id)]
    if detainee.minor:
        adult = next((p for p in present if p.role is Role.APPROPRIATE_ADULT), None)
        if adult is None:
            raise InvalidInput("the detainee is a minor: the plea statement is signed with the "
                               "appropriate adult (legal representative) present, and none "
                               "took part")
        slots.append(TranscriptSlot("party2", adult.name, "person", participant_id=adult.id))
    return [*slots, TranscriptSlot("lawyer", lawyer.name, "person", participant_id=lawyer.id)]


@dataclass(eq=False)
class PleaStatement:
    hearing_id: str
    case_id: str
    charges: str
    facts: str
    sentencing_proposal: str
    procedure: str
    drafted_by: str
    document_id: str
    signing: list[dict[str, Any]] = field(default_factory=list)
    state: PleaState = PleaState.SIGNING
    refusal: dict[str, Any] | None = None  # {participant_id, by, reason, at}
    id: str = field(default_factory=new_id)
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)

    @classmethod
    def draft(cls, hearing_id: str, case_id: str, terms: PleaTerms, slots: list[TranscriptSlot],
              *, by: str, document_id: str) -> PleaStatement:
        return cls(hearing_id, case_id, terms.charges, terms.facts, terms.sentencing_proposal,
                   terms.procedure, by, document_id, [s.as_json() for s in slots])

    @property
    def terms(self) -> PleaTerms:
        return PleaTerms(self.charges, self.facts, self.sentencing_proposal, self.procedure)

    @property
    def order(self) -> SigningOrder[TranscriptSlot]:
        return SigningOrder(tuple(TranscriptSlot(**s) for s in self.signing),
                            collecting=self.state is PleaState.SIGNING,
                            closed=lambda: PLEA.next(self.state, "sign"),
                            refusers=frozenset({"person"}))

    def _move(self, action: str) -> None:
        self.state = PLEA.next(self.state, action)
        self.updated_at = utcnow()

    def record_signature(self, field_name: str, how: str) -> bool:
        """Mark the field signed; True when that was the last one (state → signed)."""
        order = self.order.sign(field_name, utcnow().isoformat(), how=how)
        self.signing = order.as_json()
        self._move("complete_signing" if order.complete else "sign")
        return order.complete

    def refuse(self, participant_id: str, name: str, reason: object) -> str:
        """A signer refuses to sign, with a reason: the draft is given up (the reason kept)."""
        PLEA.next(self.state, "abandon")
        why = long_text(reason, "reason", max_length=1000).strip()
        if not why:
            raise InvalidInput("'reason' must be a non-empty string")
        try:
            self.order.check_refusal(participant_id)
        except PermissionDenied:
            raise PermissionDenied("only the detainee, the appropriate adult or the lawyer "
                                   "may refuse to sign the plea statement") from None
        self._move("abandon")
        self.refusal = {"participant_id": participant_id, "by": name, "reason": why,
                        "at": self.updated_at.isoformat()}
        return why

    def supersede(self) -> None:
        """The prosecutor's next draft replaces this one before it was signed."""
        self._move("abandon")
