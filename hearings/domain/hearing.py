"""The hearing aggregate: a trial, interrogation, mediation or review, with its participants."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from hearings.domain.errors import InvalidInput, NotFound
from hearings.domain.identity import new_id, utcnow
from hearings.domain.participants import Participant, Role
from hearings.domain.states import HEARING, RECORDING, HearingState, RecordingState
from hearings.domain.values import member, text

__all__ = ["LIVE_STATES", "Hearing", "HearingKind", "check_scheduled_at"]


class HearingKind(StrEnum):
    TRIAL = "trial"
    PRE_TRIAL = "pre_trial"
    REMOTE_INTERROGATION = "remote_interrogation"
    MEDIATION = "mediation"
    CONFIRMATION_REVIEW = "confirmation_review"
    SENTENCING = "sentencing"
    CONSULTATION = "consultation"  # an e+ clinic booking (hearings/domain/bookings.py)


LIVE_STATES = frozenset(
    {HearingState.WAITING, HearingState.IN_SESSION, HearingState.PAUSED, HearingState.SUSPENDED}
)
# The recording follows the hearing: these hearing actions drive it.
_RECORDING_FOLLOWS = {"start": "start", "pause": "pause", "resume": "resume", "close": "stop"}


def check_scheduled_at(when: datetime) -> datetime:
    """A hearing's time: with a time zone, and one every time zone can show (a year 10000 in
    UTC is stored by nobody and read back by nothing: a 500 on every later read)."""
    if when.tzinfo is None:
        raise InvalidInput("'scheduled_at' must carry a time zone")
    try:
        year = when.astimezone(UTC).year
    except OverflowError:
        year = 0
    if not 1 < year < 9999:
        raise InvalidInput("'scheduled_at' is out of range")
    return when


@dataclass(eq=False)
class Hearing:
    case_id: str
    kind: HearingKind
    title: str
    scheduled_at: datetime
    presiding_user_id: str | None = None
    state: HearingState = HearingState.SCHEDULED
    recording_state: RecordingState = RecordingState.STANDBY
    suspend_reason: str | None = None
    participants: list[Participant] = field(default_factory=list)
    id: str = field(default_factory=new_id)
    created_at: datetime = field(default_factory=utcnow)
    started_at: datetime | None = None
    closed_at: datetime | None = None

    def __post_init__(self) -> None:
        self.kind = member(HearingKind, self.kind, "kind")
        self.title = text(self.title, "title", max_length=500)
        check_scheduled_at(self.scheduled_at)

    @property
    def is_live(self) -> bool:
        return self.state in LIVE_STATES

    @property
    def is_over(self) -> bool:
        return self.state in (HearingState.CLOSED, HearingState.CANCELLED)

    def apply(self, action: str, *, reason: str | None = None) -> HearingState:
        """Move the hearing (and the recording that follows it) by one action."""
        new_state = HEARING.next(self.state, action)
        if action == "suspend":
            self.suspend_reason = text(reason, "reason", max_length=500)
        elif action == "resume":
            self.suspend_reason = None
        self._drive_recording(action)
        self.state = new_state
        now = utcnow()
        if action == "start" and self.started_at is None:
            self.started_at = now
        if action == "close":
            self.closed_at = now
        return new_state

    def _drive_recording(self, action: str) -> None:
        recording_action = _RECORDING_FOLLOWS.get(action)
        if action == "suspend":
            recording_action = "pause"  # a technical suspension is not recorded as session
        if recording_action and recording_action in RECORDING.allowed(self.recording_state):
            self.recording_state = RECORDING.next(self.recording_state, recording_action)

    def apply_recording(self, action: str) -> RecordingState:
        self.recording_state = RECORDING.next(self.recording_state, action)
        return self.recording_state

    def participant(self, participant_id: str) -> Participant:
        for p in self.participants:
            if p.id == participant_id:
                return p
        raise NotFound("participant", participant_id)

    def invite(
        self,
        name: str,
        role: Role,
        *,
        site_id: str | None = None,
        staff_user_id: str | None = None,
        minor: bool = False,
    ) -> Participant:
        if self.is_over:
            HEARING.next(self.state, "invite")  # raises: nobody joins a closed hearing
        participant = Participant(
            hearing_id=self.id, name=name, role=role, site_id=site_id,
            staff_user_id=staff_user_id, minor=minor,
        )
        self.participants.append(participant)
        return participant
