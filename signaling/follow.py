"""What the room hears of the domain's events: the bus's subscribers on signaling's side.

Registered by the wiring place (web/app/application.py; the tests' fixtures likewise) with
`follow(bus, signaling)`. Whichever path changed the hearing — a judge's socket, the REST
API, the system — the room hears it the same way, after the commit: everyone gets
`hearing.state` (and `recording.state` when the recording moved); a hearing that is over
(closed, cancelled) is final, so every connection on every process is told
`hearing.closed` and let go, a moment after the command's own answer has gone out.
Subscribed after the recording driver (create_app), so the room hears `recording.state`
once the recorders have started, paused or stopped.

A participant's move by a command (admitted, denied, sent back, removed, a witness called
or dismissed, muted) is heard the same way (`ParticipantChanged`): their connections move
to where the new state puts them and they get `participant.state` (or `mute`); a removed
or denied participant is told `removed` and let go on every process; everyone inside gets
the new `participants` list (staff the `lobby`).

The mediation, the confirmation and the transcript are told the same way (`push_of`
says which socket event each domain event becomes, and to whom): `mediation.state`,
`document.delivered` and `record.updated` / `record.signing` (and the transcript's
`record.correction_requested`, `record.refused`, `record.revised`), and the plea
statement's `plea.signing` / `plea.refused` to everyone in the hearing,
`duty.application` / `duty.taken` / `duty.withdrawn` to the court's staff consoles
(`/court`, signaling/court.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hearings.domain.events import (
    ApplicationQueued,
    ApplicationTaken,
    ApplicationWithdrawn,
    DocumentDelivered,
    Event,
    HearingChanged,
    MediationChanged,
    ParticipantChanged,
    PleaChanged,
    RecordingChanged,
    TranscriptChanged,
)
from hearings.domain.participants import Participant
from hearings.domain.states import ParticipantState
from hearings.services.bus import Bus
from signaling.hub import rooms

if TYPE_CHECKING:
    from signaling.server import Signaling

__all__ = ["CLOSE_DELAY_S", "PUSHED", "Push", "follow", "hearing_state", "push_of", "seat_of"]

CLOSE_DELAY_S = 0.1  # the judge's ack (or the REST answer) first, then the room is let go


def hearing_state(event: HearingChanged) -> dict[str, Any]:
    """The `hearing.state` message (the snapshot's `hearing` entry, plus who did what)."""
    return {"id": event.hearing_id, "title": event.title, "kind": event.kind,
            "state": event.state.value, "recording_state": event.recording_state.value,
            "suspend_reason": event.suspend_reason, "action": event.action, "by": event.by}


def seat_of(event: ParticipantChanged) -> Participant:
    """The participant as the event has it: what placing their connections needs."""
    return Participant(event.hearing_id, event.name, event.role,  # type: ignore[arg-type]
                       state=event.state, muted=event.muted, mute_locked=event.mute_locked,
                       id=event.participant_id)


@dataclass(frozen=True)
class Push:
    """One socket event: into a hearing's room (everyone in it) or to a court's consoles."""

    name: str
    payload: dict[str, Any]
    hearing_id: str | None = None  # into this hearing's room…
    court_id: str | None = None  # …or to this court's staff consoles


# The transcript's moves by name (`TranscriptChanged.because`); the freeze and each signature
# are `record.signing`. A correction asked for, a refusal to sign, and the new version sent
# after either are told by their own names (the view's `reopened` says why).
TRANSCRIPT_PUSHES = {"record.saved": "record.updated",
                 "record.correction_requested": "record.correction_requested",
                 "record.refused": "record.refused", "record.revised": "record.revised"}

PUSHED: tuple[type[Event], ...] = (MediationChanged, DocumentDelivered, TranscriptChanged,
                                   PleaChanged, ApplicationQueued, ApplicationTaken,
                                   ApplicationWithdrawn)


def push_of(event: Event) -> Push:
    """The socket event a domain event of `PUSHED` becomes (docs/protocol.md)."""
    if isinstance(event, MediationChanged):
        return Push("mediation.state", event.view, hearing_id=event.hearing_id)
    if isinstance(event, TranscriptChanged):
        return Push(TRANSCRIPT_PUSHES.get(event.because, "record.signing"), event.view,
                    hearing_id=event.hearing_id)
    if isinstance(event, PleaChanged):  # drafted or signed: on the pad; refused: given up
        name = "plea.refused" if event.because == "plea.refused" else "plea.signing"
        return Push(name, event.view, hearing_id=event.hearing_id)
    if isinstance(event, DocumentDelivered):
        payload: dict[str, Any] = {"document_id": event.document_id, "kind": event.kind,
                                   "title": event.title, "url": event.url,
                                   "hearing_id": event.hearing_id}
        if event.decision is not None:
            payload["decision"] = event.decision
        return Push("document.delivered", payload, hearing_id=event.hearing_id)
    if isinstance(event, ApplicationQueued):
        return Push("duty.application", event.entry, court_id=event.court_id)
    if isinstance(event, ApplicationTaken):
        return Push("duty.taken", {"id": event.application_id, "by": event.by},
                    court_id=event.court_id)
    if isinstance(event, ApplicationWithdrawn):
        return Push("duty.withdrawn", {"id": event.application_id}, court_id=event.court_id)
    raise TypeError(f"{event.event_type} is not pushed as it is")


def follow(bus: Bus, signaling: Signaling) -> None:
    hub = signaling.hub

    async def hearing_changed(event: HearingChanged) -> None:
        hid = event.hearing_id
        await hub.emit(rooms.everyone(hid), "hearing.state", hearing_state(event))
        if event.is_over:
            hub.spawn(hub.evict_all(hid, "hearing.closed", {"reason": "hearing_closed"},
                                    delay=CLOSE_DELAY_S))

    async def recording_changed(event: RecordingChanged) -> None:
        hid = event.hearing_id
        await hub.emit(rooms.everyone(hid), "recording.state", {
            "hearing_id": hid, "state": event.state.value, "previous": event.previous.value,
            "because": event.because, "by": event.by})

    async def participant_changed(event: ParticipantChanged) -> None:
        hid, pid = event.hearing_id, event.participant_id
        if event.action == "mute":
            if event.state is not ParticipantState.IN_CONSULTATION:  # else: the snapshot
                await hub.emit_person(hid, pid, "mute", {
                    "participant_id": pid, "muted": event.muted, "locked": event.mute_locked,
                    "by": event.by})
        else:
            await hub.place(hid, seat_of(event))
            if event.removed:  # the tokens are revoked; connections go on every process
                reason = "witness" if event.action.startswith("witness.") else event.action
                await hub.evict(hid, pid, "removed", {"reason": reason})
                hub.hang_up(hid, pid, "removed")
        await hub.broadcast(hid)

    async def push(event: Event) -> None:
        told = push_of(event)
        if told.court_id is not None:
            await signaling.publish_court(told.court_id, told.name, told.payload)
        else:
            assert told.hearing_id is not None
            await signaling.publish(told.hearing_id, told.name, told.payload,
                                    audience="everyone")

    bus.subscribe(HearingChanged, hearing_changed)
    bus.subscribe(RecordingChanged, recording_changed)
    bus.subscribe(ParticipantChanged, participant_changed)
    for event_type in PUSHED:
        bus.subscribe(event_type, push)
