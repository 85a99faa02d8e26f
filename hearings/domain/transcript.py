"""The transcript (庭审笔录): kept live by the clerk (and the judge), signed at the end.

Its state moves only through the TRANSCRIPT table (hearings/domain/states.py):

    drafting --edit--> drafting --freeze--> signing --sign--> signing --complete_signing--> signed

Every save names the version it was made on; a save on a stale version is a conflict,
never a silent overwrite. Freezing (at the hearing's close, or when the clerk sends it for
signature) fixes the text and the signing order:

1. the persons recorded, in the order they were invited: the parties (plaintiff,
   defendant, party) and the witnesses who took part (invited and connected at least once,
   not removed) — 民事诉讼法 第一百五十条, 刑事诉讼法 第二百零七条: 当事人和证人 read the
   transcript and sign it;
2. the clerk (书记员);
3. the presiding judge (审判人员).

The persons recorded sign by hand on the pad; the clerk and the judge sign by hand or
by key. After the last signature the court seal closes the document.

A remote interrogation (讯问笔录, 刑事诉讼法 第一百二十二条) signs in its own order
(`interrogation_slots`): the detainee (犯罪嫌疑人), the appropriate adult (合适成年人) when
the detainee is a minor (第二百八十一条), the detainee's lawyer and the interpreter when they
took part, then the interrogator(s) (prosecutors or investigators who took part, else the
presiding judge), then the recorder (记录人, the clerk's seat). It is not sent for signature
before the notice of rights was read and acknowledged, and the detainee signs only after
choosing the statement `DETAINEE_STATEMENT`. A signer may ask for a correction or refuse to
sign (with a reason): the frozen copy is abandoned and the text goes back to drafting.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hearings.domain.errors import Conflict, InvalidInput, PermissionDenied
from hearings.domain.identity import new_id, utcnow
from hearings.domain.participants import Participant, Role
from hearings.domain.signing_order import SigningOrder
from hearings.domain.states import TRANSCRIPT, ParticipantState, TranscriptState
from hearings.domain.values import long_text

__all__ = ["DETAINEE_STATEMENT", "INTERROGATION_LABELS", "MAX_BODY", "RECORDED_ROLES",
           "ROLE_LABELS", "Transcript", "TranscriptSlot", "apply_edit", "edit_between",
           "interrogation_persons", "interrogation_slots", "interrogators", "recorded_persons",
           "trial_slots", "utterances"]

MAX_BODY = 200_000
# Who signs the transcript as a person recorded (see the module docstring).
RECORDED_ROLES = frozenset({Role.PLAINTIFF, Role.DEFENDANT, Role.PARTY, Role.WITNESS})
ROLE_LABELS = {Role.PLAINTIFF: "原告", Role.DEFENDANT: "被告人", Role.PARTY: "当事人",
               Role.WITNESS: "证人"}
# Who signs an interrogation transcript, in this order, besides interrogators and recorder.
INTERROGATION_LABELS = {Role.DEFENDANT: "犯罪嫌疑人", Role.APPROPRIATE_ADULT: "合适成年人",
                        Role.DEFENCE_LAWYER: "辩护律师", Role.INTERPRETER: "翻译人员",
                        Role.PROSECUTOR: "检察员", Role.INVESTIGATOR: "侦查员",
                        Role.JUDGE: "审判员"}
INTERROGATOR_ROLES = (Role.PROSECUTOR, Role.INVESTIGATOR)
# What the detainee confirms (chooses on the pad's page) before signing the transcript.
DETAINEE_STATEMENT = "以上笔录我看过，和我说的相符"
_SPEAKER = re.compile(r"^\s*([^\s：:]{1,16})\s*[：:]\s*(.*)\Z")


def recorded_persons(participants: list[Participant]) -> list[Participant]:
    """The persons recorded who sign: recorded roles that took part and were not removed."""
    return [p for p in participants if p.role in RECORDED_ROLES
            and p.state not in (ParticipantState.INVITED, ParticipantState.REMOVED)]


def _took_part(p: Participant) -> bool:
    return p.state not in (ParticipantState.INVITED, ParticipantState.REMOVED)


def interrogation_persons(participants: list[Participant]) -> list[Participant]:
    """Who signs an interrogation transcript by hand before the interrogators: the detainees,
    the appropriate adults (only when a detainee is a minor), the lawyers, the interpreters
    — each group in the order invited, and only those who took part."""
    present = [p for p in participants if _took_part(p)]
    minor = any(p.minor for p in present if p.role is Role.DEFENDANT)
    order = [Role.DEFENDANT, *([Role.APPROPRIATE_ADULT] if minor else []),
             Role.DEFENCE_LAWYER, Role.INTERPRETER]
    return [p for role in order for p in present if p.role is role]


def interrogators(participants: list[Participant]) -> list[Participant]:
    """The prosecutors and investigators who took part (empty: the presiding judge asks)."""
    return [p for p in participants if p.role in INTERROGATOR_ROLES and _took_part(p)]


def trial_slots(persons: list[Participant], clerk: tuple[str | None, str],
                judge: tuple[str | None, str]) -> list[TranscriptSlot]:
    """The transcript's order: the persons recorded, the clerk, the judge."""
    return [*(TranscriptSlot(f"party{i}", p.name, "person", participant_id=p.id)
              for i, p in enumerate(persons, 1)),
            TranscriptSlot("clerk", clerk[1], "clerk", staff_user_id=clerk[0]),
            TranscriptSlot("judge", judge[1], "judge", staff_user_id=judge[0])]


def interrogation_slots(persons: list[Participant], asking: list[Participant],
                        judge: tuple[str | None, str] | None, clerk: tuple[str | None, str]
                        ) -> list[TranscriptSlot]:
    """The interrogation transcript's order: `persons` (interrogation_persons) by hand, the
    interrogators (`asking`; by hand, a participant has no key of ours) or else the
    presiding `judge`, then the recorder."""
    slots = [TranscriptSlot(f"party{i}", p.name, "person", participant_id=p.id)
             for i, p in enumerate(persons, 1)]
    slots += [TranscriptSlot(f"interrogator{i}", p.name, "interrogator", participant_id=p.id,
                         staff_user_id=p.staff_user_id) for i, p in enumerate(asking, 1)]
    if not asking:
        if judge is None:
            raise InvalidInput("the interrogation has no interrogator to sign the transcript")
        slots.append(TranscriptSlot("interrogator1", judge[1], "interrogator",
                                staff_user_id=judge[0]))
    slots.append(TranscriptSlot("clerk", clerk[1], "clerk", staff_user_id=clerk[0]))
    return slots


def utterances(body: str) -> list[tuple[str, str]]:
    """The body as (speaker, text) lines: "审：现在开庭" → ("审", "现在开庭"); a line without
    a speaker continues the one before it (or stands alone with no speaker)."""
    lines: list[tuple[str, str]] = []
    for raw in body.splitlines():
        if not raw.strip():
            continue
        match = _SPEAKER.match(raw)
        if match and match.group(2).strip():
            lines.append((match.group(1), match.group(2).strip()))
        elif lines and not match:
            speaker, text = lines[-1]
            lines[-1] = (speaker, f"{text}\n{raw.strip()}")
        else:
            lines.append(("", raw.strip()))
    return lines


def edit_between(old: str, new: str) -> dict[str, object]:
    """The change from `old` to `new` as one replaced span: `cut` characters at `at`
    give way to `insert`. The clerk's page saves a second after typing stops, so a
    version differs from the one before in one place as a rule; edits in two places
    become one span covering both. Linear in the length, and `apply_edit` undoes it."""
    limit = min(len(old), len(new))
    head = _shared(lambda n: old[:n] == new[:n], limit)
    tail = _shared(lambda n: old[len(old) - n:] == new[len(new) - n:], limit - head)
    return {"at": head, "cut": len(old) - head - tail, "insert": new[head:len(new) - tail]}


def _shared(same: Callable[[int], bool], limit: int) -> int:
    """The largest n ≤ limit with same(n), by bisection: slices compare in C, so a 200 kB
    transcript costs well under a millisecond, not a Python loop per character on the
    event loop at every save."""
    low, high = 0, limit
    while low < high:
        middle = (low + high + 1) // 2
        if same(middle):
            low = middle
        else:
            high = middle - 1
    return low


def apply_edit(old: str, edit: dict[str, object]) -> str:
    """The version after `edit` (from `edit_between`): replaying a transcript's
    `record.saved` audit entries from an empty text gives every version back."""
    at, cut, insert = edit["at"], edit["cut"], edit["insert"]
    if not (isinstance(at, int) and isinstance(cut, int) and isinstance(insert, str)
            and 0 <= at <= len(old) and 0 <= cut <= len(old) - at):
        raise InvalidInput(f"not an edit of a text of {len(old)} characters: {edit!r}")
    return old[:at] + insert + old[at + cut:]


@dataclass(frozen=True)
class TranscriptSlot:
    field: str  # the document's signature field: party1, party2, ..., clerk, judge
    signer: str
    role: str  # person | interrogator | clerk | judge
    participant_id: str | None = None
    staff_user_id: str | None = None
    signed_at: str | None = None
    how: str | None = None  # hand | key

    def as_json(self) -> dict[str, Any]:
        return {"field": self.field, "signer": self.signer, "role": self.role,
                "participant_id": self.participant_id, "staff_user_id": self.staff_user_id,
                "signed_at": self.signed_at, "how": self.how}


@dataclass(eq=False)
class Transcript:
    hearing_id: str
    case_id: str
    state: TranscriptState = TranscriptState.DRAFTING
    body: str = ""
    version: int = 0
    clerk_user_id: str | None = None
    clerk_name: str | None = None
    signing: list[dict[str, Any]] = field(default_factory=list)
    document_id: str | None = None
    updated_by: str | None = None
    id: str = field(default_factory=new_id)
    updated_at: datetime = field(default_factory=utcnow)
    frozen_at: datetime | None = None
    rights_acknowledged_at: datetime | None = None  # an interrogation's notice of rights

    # -- reading -------------------------------------------------------------------------
    @property
    def order(self) -> SigningOrder[TranscriptSlot]:
        """The signing order: the persons recorded, the clerk, the judge; nobody refuses."""
        return SigningOrder(tuple(TranscriptSlot(**s) for s in self.signing),
                            collecting=self.state is TranscriptState.SIGNING,
                            closed=lambda: TRANSCRIPT.next(self.state, "sign"))

    @property
    def slots(self) -> list[TranscriptSlot]:
        return list(self.order.slots)

    @property
    def next_slot(self) -> TranscriptSlot | None:
        return self.order.next

    # -- moving --------------------------------------------------------------------------
    def _move(self, action: str) -> None:
        self.state = TRANSCRIPT.next(self.state, action)
        self.updated_at = utcnow()

    def save(self, body: object, version: object, by: str) -> None:
        """Replace the text; `version` is the one the editor started from."""
        body = long_text(body, "body", max_length=MAX_BODY, required=False)
        if isinstance(version, bool) or not isinstance(version, int):
            raise InvalidInput(f"'version' must be an integer (got {version!r})")
        TRANSCRIPT.next(self.state, "edit")  # a frozen transcript is not edited
        if version != self.version:
            raise Conflict(f"the transcript was saved meanwhile (version {self.version}, your edit "
                           f"was made on version {version}); reload and merge your changes")
        self._move("edit")
        self.body, self.version, self.updated_by = body, self.version + 1, by

    def keeper(self, user_id: str, name: str) -> None:
        """The clerk who keeps the transcript (the first clerk who saves it)."""
        if self.clerk_user_id is None:
            self.clerk_user_id, self.clerk_name = user_id, name

    def check_freezable(self) -> None:
        TRANSCRIPT.next(self.state, "freeze")
        if not utterances(self.body):
            raise InvalidInput("the transcript is empty: there is nothing to sign")

    def freeze(self, document_id: str, slots: list[TranscriptSlot]) -> None:
        """Fix the text and the signing order (`trial_slots`, `interrogation_slots`)."""
        self.check_freezable()
        self._move("freeze")
        self.signing = [s.as_json() for s in slots]
        self.document_id = document_id
        self.frozen_at = self.updated_at

    def acknowledge_rights(self) -> bool:
        """The notice of rights was read and acknowledged (once; False if it was already)."""
        if self.rights_acknowledged_at is not None:
            return False
        self.rights_acknowledged_at = utcnow()
        return True

    def reopen(self, participant_id: str, reason: object) -> tuple[str, str]:
        """A signer in the order asks for a correction or refuses to sign: the frozen copy
        is abandoned (its id is returned with the reason), the text goes back to drafting."""
        TRANSCRIPT.next(self.state, "reopen")  # only a transcript out for signature
        why = long_text(reason, "reason", max_length=1000)
        if participant_id not in {s.participant_id for s in self.slots}:
            raise PermissionDenied("only a signer of the transcript may ask for a correction "
                                   "or refuse to sign it")
        abandoned = self.document_id
        self._move("reopen")
        self.signing, self.document_id, self.frozen_at = [], None, None
        assert abandoned is not None
        return abandoned, why

    def check_turn(self, field_name: object) -> TranscriptSlot:
        """The slot `field_name` if it is the next to sign; otherwise a conflict."""
        return self.order.check_turn(field_name)

    def record_signature(self, field_name: str, how: str) -> bool:
        """Mark the field signed; True when that was the last one (state → signed)."""
        order = self.order.sign(field_name, utcnow().isoformat(), how=how)
        self.signing = order.as_json()
        if order.next is None:
            self._move("complete_signing")
            return True
        self._move("sign")
        return False
