"""Service handlers for a live hearing: the judge's controls, participants' moves, recording.

Each handler is retried after a lost race (hearings/services/retry.py): it re-reads the hearing and
the state table decides again, so a command that is no longer legal is refused as
illegal, never applied to a state it was not meant for.
"""

from __future__ import annotations

from collections.abc import Callable

from hearings.domain.actors import Actor
from hearings.domain.commands import ChangeHearing, ChangeParticipant, ChangeRecording
from hearings.domain.errors import Conflict, PermissionDenied
from hearings.domain.events import HearingChanged, ParticipantChanged, RecordingChanged
from hearings.domain.hearing import Hearing, HearingKind
from hearings.domain.participants import Participant
from hearings.domain.policy import RULES
from hearings.domain.states import (
    HEARING,
    ParticipantState,
    PleaState,
    RecordingState,
    TranscriptState,
)
from hearings.services.policy_checks import require_in
from hearings.services.ports import UnitOfWork
from hearings.services.retry import retried

__all__ = ["HOST_PARTICIPANT_ACTIONS", "SELF_PARTICIPANT_ACTIONS", "Control"]

# What the host does to someone else, and what a participant's own connection does.
HOST_PARTICIPANT_ACTIONS = frozenset({"admit", "deny", "send_back", "remove"})
SELF_PARTICIPANT_ACTIONS = frozenset({"connect", "enter_lobby", "drop", "rejoin",
                                      "enter_consultation", "leave_consultation"})


class Control:
    """Each change records its events (`HearingChanged`, `RecordingChanged`,
    `ParticipantChanged`) on the unit of work; the bus tells the room, the recorder and the
    transcript after the commit, whichever path (REST, socket, the recorder itself) asked
    for it."""

    def __init__(self, uow: Callable[[], UnitOfWork]) -> None:
        self._uow = uow

    @retried
    async def change_hearing(self, actor: Actor, cmd: ChangeHearing) -> Hearing:
        async with self._uow() as uow:
            hearing = await uow.hearings.get(cmd.hearing_id)
            action = f"hearing.{cmd.action}"
            if action not in RULES:  # the state table names it: 409, not 403
                HEARING.next(hearing.state, cmd.action)
            await require_in(uow, actor, action, hearing)
            HEARING.next(hearing.state, cmd.action)  # refuse before touching anything
            if cmd.action == "close":
                await _check_signatures_recorded(uow, hearing)
            recording_before = hearing.recording_state
            hearing.apply(cmd.action, reason=cmd.reason)
            payload = {"state": hearing.state.value}
            if cmd.reason:
                payload["reason"] = cmd.reason
            await uow.audit.append(actor.label, f"hearing.{cmd.action}", hearing.id, payload)
            if hearing.recording_state != recording_before:
                await uow.audit.append(actor.label, f"recording.{hearing.recording_state}",
                                       hearing.id, {"because": f"hearing.{cmd.action}"})
                uow.record(RecordingChanged(
                    hearing.id, hearing.recording_state, recording_before, hearing.state,
                    f"hearing.{cmd.action}", actor.label))
            uow.record(HearingChanged(
                hearing.id, cmd.action, hearing.state, hearing.recording_state, hearing.title,
                hearing.kind.value, hearing.suspend_reason, actor.name, actor.label))
            await uow.commit()
        return hearing

    @retried
    async def change_participant(self, actor: Actor, cmd: ChangeParticipant) -> Participant:
        async with self._uow() as uow:
            hearing = await uow.hearings.get(cmd.hearing_id)
            participant = hearing.participant(cmd.participant_id)
            if cmd.action in HOST_PARTICIPANT_ACTIONS:
                await require_in(uow, actor, "participant.control", hearing)
            else:
                self._authorise(actor, participant, cmd.action)
            if cmd.action == "drop":
                participant.drop()
            elif cmd.action == "rejoin":
                participant.rejoin()
            else:
                participant.apply(cmd.action)
            if participant.state is ParticipantState.REMOVED:
                for token in await uow.tokens.of_participant(participant.id):
                    token.revoke()
            await uow.audit.append(actor.label, f"participant.{cmd.action}", hearing.id, {
                "participant_id": participant.id, "role": participant.role,
                "state": participant.state})
            uow.record(ParticipantChanged.of(participant, cmd.action, actor.name))
            await uow.commit()
            return participant

    @retried
    async def set_mute(
        self, actor: Actor, hearing_id: str, participant_id: str, *, muted: bool, locked: bool
    ) -> Participant:
        async with self._uow() as uow:
            hearing = await uow.hearings.get(hearing_id)
            participant = hearing.participant(participant_id)
            own = actor.kind == "participant" and actor.id == participant.id
            if own and (participant.mute_locked and not muted):
                raise PermissionDenied("the judge has locked your microphone")
            if not own:
                await require_in(uow, actor, "participant.control", hearing)
            participant.set_mute(muted, locked=locked and not own)
            await uow.audit.append(actor.label, "participant.mute", hearing.id, {
                "participant_id": participant.id, "muted": muted,
                "locked": participant.mute_locked})
            uow.record(ParticipantChanged.of(participant, "mute", actor.name))
            await uow.commit()
            return participant

    @retried
    async def change_recording(self, actor: Actor, cmd: ChangeRecording, *,
                               only_from: RecordingState | None = None) -> Hearing:
        """The judge pauses/resumes recording; the recorder reports fail/recover/finish.

        `only_from` makes the change conditional (and silent otherwise): the recorder
        reports "recording again" on every reconnect, but only a failed recording recovers.
        """
        async with self._uow() as uow:
            hearing = await uow.hearings.get(cmd.hearing_id)
            await require_in(uow, actor, "recording.control", hearing)
            before = hearing.recording_state
            if only_from is not None and before is not only_from:
                return hearing
            hearing.apply_recording(cmd.action)
            payload = {"state": hearing.recording_state.value}
            if cmd.detail:
                payload["detail"] = cmd.detail
            await uow.audit.append(actor.label, f"recording.{cmd.action}", hearing.id, payload)
            uow.record(RecordingChanged(hearing.id, hearing.recording_state, before,
                                        hearing.state, f"recording.{cmd.action}", actor.label))
            await uow.commit()
        return hearing

    @staticmethod
    def _authorise(actor: Actor, participant: Participant, action: str) -> None:
        if action in SELF_PARTICIPANT_ACTIONS:
            if actor.kind == "system":
                return
            if actor.kind != "participant" or actor.id != participant.id:
                raise PermissionDenied(f"only the participant themself may {action}")
        else:
            raise PermissionDenied(f"unknown participant action {action!r}")


async def _check_signatures_recorded(uow: UnitOfWork, hearing: Hearing) -> None:
    """An interrogation transcript or plea statement out for signature is signed on camera: the
    recording (and the hearing) does not stop before its last signature
    (docs/transcript.md)."""
    if hearing.kind is not HearingKind.REMOTE_INTERROGATION:
        return
    transcript = await uow.transcripts.of_hearing(hearing.id)
    if transcript is not None and transcript.state is TranscriptState.SIGNING:
        nxt = transcript.next_slot
        raise Conflict("the interrogation transcript is being signed on camera: the recording "
                       "does not stop before the last signature"
                       + (f" ({nxt.signer} signs next)" if nxt else ""))
    plea = await uow.pleas.of_hearing(hearing.id)
    if plea is not None and plea.state is PleaState.SIGNING:
        nxt = plea.order.next
        raise Conflict("the plea statement is being signed on camera: the recording does "
                       "not stop before its last signature, or a refusal"
                       + (f" ({nxt.signer} signs next)" if nxt else ""))
