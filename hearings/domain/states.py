"""The state machines of SPEC.md, each an explicit table of allowed transitions.

A table maps (state, action) to the next state; anything not in the table is
illegal and raises `IllegalTransition` naming the state and the action.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

from hearings.domain.errors import IllegalTransition

__all__ = [
    "DOCUMENT",
    "HEARING",
    "MEDIATION",
    "PARTICIPANT",
    "PLEA",
    "RECORDING",
    "TRANSCRIPT",
    "DocumentState",
    "HearingState",
    "MediationState",
    "ParticipantState",
    "PleaState",
    "RecordingState",
    "StateMachine",
    "TranscriptState",
]

S = TypeVar("S", bound=StrEnum)


@dataclass(frozen=True)
class StateMachine(Generic[S]):
    name: str
    table: Mapping[tuple[S, str], S]

    def next(self, state: S, action: str) -> S:
        try:
            return self.table[(state, action)]
        except KeyError:
            raise IllegalTransition(self.name, state.value, action) from None

    def allowed(self, state: S) -> frozenset[str]:
        return frozenset(action for (s, action) in self.table if s == state)

    def actions(self) -> frozenset[str]:
        return frozenset(action for (_, action) in self.table)


class HearingState(StrEnum):
    SCHEDULED = "scheduled"
    WAITING = "waiting"
    IN_SESSION = "in_session"
    PAUSED = "paused"
    SUSPENDED = "suspended"
    CLOSED = "closed"
    CANCELLED = "cancelled"


_H = HearingState
_LIVE = (_H.WAITING, _H.IN_SESSION, _H.PAUSED, _H.SUSPENDED)
HEARING: StateMachine[HearingState] = StateMachine(
    "hearing",
    {
        (_H.SCHEDULED, "open_doors"): _H.WAITING,
        (_H.SCHEDULED, "cancel"): _H.CANCELLED,
        (_H.WAITING, "start"): _H.IN_SESSION,
        (_H.IN_SESSION, "pause"): _H.PAUSED,
        (_H.PAUSED, "resume"): _H.IN_SESSION,
        (_H.IN_SESSION, "suspend"): _H.SUSPENDED,
        (_H.PAUSED, "suspend"): _H.SUSPENDED,
        (_H.SUSPENDED, "resume"): _H.IN_SESSION,
        **{(s, "close"): _H.CLOSED for s in _LIVE},
    },
)


class ParticipantState(StrEnum):
    INVITED = "invited"
    JOINING = "joining"
    WAITING = "waiting"
    IN_HEARING = "in_hearing"
    IN_CONSULTATION = "in_consultation"
    DISCONNECTED = "disconnected"
    REMOVED = "removed"


_P = ParticipantState
_PRESENT = (_P.JOINING, _P.WAITING, _P.IN_HEARING, _P.IN_CONSULTATION)
PARTICIPANT: StateMachine[ParticipantState] = StateMachine(
    "participant",
    {
        (_P.INVITED, "connect"): _P.JOINING,
        (_P.JOINING, "enter_lobby"): _P.WAITING,
        (_P.WAITING, "admit"): _P.IN_HEARING,
        (_P.WAITING, "deny"): _P.REMOVED,
        (_P.IN_HEARING, "send_back"): _P.WAITING,
        (_P.IN_HEARING, "enter_consultation"): _P.IN_CONSULTATION,
        (_P.IN_CONSULTATION, "leave_consultation"): _P.IN_HEARING,
        # A dropped participant reconnects and returns to where they were.
        (_P.DISCONNECTED, "rejoin_lobby"): _P.WAITING,
        (_P.DISCONNECTED, "rejoin_hearing"): _P.IN_HEARING,
        **{(s, "drop"): _P.DISCONNECTED for s in _PRESENT},
        **{(s, "remove"): _P.REMOVED for s in (_P.INVITED, *_PRESENT, _P.DISCONNECTED)},
    },
)


class RecordingState(StrEnum):
    STANDBY = "standby"
    RECORDING = "recording"
    PAUSED = "paused"
    PROCESSING = "processing"
    AVAILABLE = "available"  # sealed and complete
    INCOMPLETE = "incomplete"  # sealed, with gaps: the manifest says how many seconds
    FAILED = "failed"


_R = RecordingState
RECORDING: StateMachine[RecordingState] = StateMachine(
    "recording",
    {
        (_R.STANDBY, "start"): _R.RECORDING,
        (_R.RECORDING, "pause"): _R.PAUSED,
        (_R.PAUSED, "resume"): _R.RECORDING,
        (_R.RECORDING, "stop"): _R.PROCESSING,
        (_R.PAUSED, "stop"): _R.PROCESSING,
        (_R.PROCESSING, "finish"): _R.AVAILABLE,
        (_R.PROCESSING, "finish_incomplete"): _R.INCOMPLETE,
        (_R.RECORDING, "fail"): _R.FAILED,
        (_R.PAUSED, "fail"): _R.FAILED,
        (_R.PROCESSING, "fail"): _R.FAILED,
        # After a recorder crash the hearing may still be live: recording resumes
        # into new segments and the gap is recorded in the manifest.
        (_R.FAILED, "recover"): _R.RECORDING,
        (_R.FAILED, "stop"): _R.PROCESSING,
        # A recess pauses everyone's recording whatever one participant's state; on resume
        # the recorder says again who is still failing (a failed recess was recorded).
        (_R.FAILED, "pause"): _R.PAUSED,
    },
)


class MediationState(StrEnum):
    OPEN = "open"
    AGREEMENT_DRAFTED = "agreement_drafted"
    SIGNING = "signing"
    SIGNED = "signed"
    CONFIRMATION_REQUESTED = "confirmation_requested"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


_M = MediationState
MEDIATION: StateMachine[MediationState] = StateMachine(
    "mediation",
    {
        (_M.OPEN, "draft"): _M.AGREEMENT_DRAFTED,
        (_M.AGREEMENT_DRAFTED, "draft"): _M.AGREEMENT_DRAFTED,
        (_M.AGREEMENT_DRAFTED, "start_signing"): _M.SIGNING,
        # A party refusing to sign sends the agreement back to drafting.
        (_M.SIGNING, "refuse"): _M.AGREEMENT_DRAFTED,
        (_M.SIGNING, "complete_signing"): _M.SIGNED,
        (_M.SIGNED, "request_confirmation"): _M.CONFIRMATION_REQUESTED,
        (_M.CONFIRMATION_REQUESTED, "confirm"): _M.CONFIRMED,
        (_M.CONFIRMATION_REQUESTED, "reject"): _M.REJECTED,
        **{
            (s, "withdraw"): _M.WITHDRAWN
            for s in (_M.OPEN, _M.AGREEMENT_DRAFTED, _M.SIGNING, _M.SIGNED,
                      _M.CONFIRMATION_REQUESTED)
        },
    },
)


class DocumentState(StrEnum):
    DRAFTED = "drafted"
    SIGNING = "signing"
    SEALED = "sealed"
    DELIVERED = "delivered"
    # A copy out for signature that was given up (a correction asked for, a refusal): kept
    # in the store and named in the audit log, never sealed, never packaged as evidence.
    ABANDONED = "abandoned"


_D = DocumentState
DOCUMENT: StateMachine[DocumentState] = StateMachine(
    "document",
    {
        (_D.DRAFTED, "start_signing"): _D.SIGNING,
        (_D.SIGNING, "sign"): _D.SIGNING,
        (_D.SIGNING, "seal"): _D.SEALED,
        (_D.DRAFTED, "seal"): _D.SEALED,
        (_D.SEALED, "deliver"): _D.DELIVERED,
        # Every further delivery (another party, a reprint) is recorded too.
        (_D.DELIVERED, "deliver"): _D.DELIVERED,
        (_D.SIGNING, "abandon"): _D.ABANDONED,
    },
)


class TranscriptState(StrEnum):
    """The transcript (笔录): edited live, frozen and signed in order, sealed."""

    DRAFTING = "drafting"
    SIGNING = "signing"
    SIGNED = "signed"


_N = TranscriptState
TRANSCRIPT: StateMachine[TranscriptState] = StateMachine(
    "transcript",
    {
        (_N.DRAFTING, "edit"): _N.DRAFTING,
        # At close, or when the clerk sends it: the text is frozen and rendered.
        (_N.DRAFTING, "freeze"): _N.SIGNING,
        (_N.SIGNING, "sign"): _N.SIGNING,
        (_N.SIGNING, "complete_signing"): _N.SIGNED,
        # A signer asks for a correction, or refuses to sign (the reason is audited): the
        # frozen copy is abandoned and the text can be edited and sent again.
        (_N.SIGNING, "reopen"): _N.DRAFTING,
    },
)


class PleaState(StrEnum):
    """A plea statement (认罪认罚具结书) as drafted: out for signature, signed, or given up
    (refused by a signer, or superseded by the prosecutor's next draft)."""

    SIGNING = "signing"
    SIGNED = "signed"
    ABANDONED = "abandoned"


_L = PleaState
PLEA: StateMachine[PleaState] = StateMachine(
    "plea statement",
    {
        (_L.SIGNING, "sign"): _L.SIGNING,
        (_L.SIGNING, "complete_signing"): _L.SIGNED,
        (_L.SIGNING, "abandon"): _L.ABANDONED,
    },
)
