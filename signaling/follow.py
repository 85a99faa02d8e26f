"""What the room hears of the domain's events: the bus's subscribers on signaling's side.

Registered by the wiring place (web/app.py; the tests' fixtures likewise) with
`follow(bus, signaling)`. Whichever path changed the hearing — a judge's socket, the REST
API, the system — the room hears it the same way, after the commit: everyone gets
`hearing.state` (and `recording.state` when the recording moved); a hearing that is over
(closed, cancelled) is final, so every connection on every process is told
`hearing.closed` and let go, a moment after the command's own answer has gone out.
Subscribed after the recording driver (create_app), so the room hears `recording.state`
once the recorders have started, paused or stopped.

The mediation, the confirmation and the hearing record are told the same way (`push_of`
says which socket event each domain event becomes, and to whom): `mediation.state`,
`document.delivered` and `record.updated` / `record.signing` to everyone in the hearing,
`duty.application` / `duty.taken` / `duty.withdrawn` to the court's staff consoles
(`/court`, signaling/court.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hearings.bus import Bus
from hearings.events import (
    ApplicationQueued,
    ApplicationTaken,
    ApplicationWithdrawn,
    DocumentDelivered,
    Event,
    HearingChanged,
    MediationChanged,
    RecordingChanged,
    TranscriptChanged,
)
from signaling.hub import rooms

if TYPE_CHECKING:
    from signaling.server import Signaling

__all__ = ["CLOSE_DELAY_S", "PUSHED", "Push", "follow", "hearing_state", "push_of"]

CLOSE_DELAY_S = 0.1  # the judge's ack (or the REST answer) first, then the room is let go


def hearing_state(event: HearingChanged) -> dict[str, Any]:
    """The `hearing.state` message (the snapshot's `hearing` entry, plus who did what)."""
    return {"id": event.hearing_id, "title": event.title, "kind": event.kind,
            "state": event.state.value, "recording_state": event.recording_state.value,
            "suspend_reason": event.suspend_reason, "action": event.action, "by": event.by}


@dataclass(frozen=True)
class Push:
    """One socket event: into a hearing's room (everyone in it) or to a court's consoles."""

    name: str
    payload: dict[str, Any]
    hearing_id: str | None = None  # into this hearing's room…
    court_id: str | None = None  # …or to this court's staff consoles


PUSHED: tuple[type[Event], ...] = (MediationChanged, DocumentDelivered, TranscriptChanged,
                                   ApplicationQueued, ApplicationTaken, ApplicationWithdrawn)


def push_of(event: Event) -> Push:
    """The socket event a domain event of `PUSHED` becomes (docs/protocol.md)."""
    if isinstance(event, MediationChanged):
        return Push("mediation.state", event.view, hearing_id=event.hearing_id)
    if isinstance(event, TranscriptChanged):
        name = "record.updated" if event.because == "record.saved" else "record.signing"
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
    for event_type in PUSHED:
        bus.subscribe(event_type, push)
