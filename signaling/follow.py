"""What the room hears of the domain's events: the bus's subscribers on signaling's side.

Registered by the wiring place (web/app.py; the tests' fixtures likewise) with
`follow(bus, signaling)`. Whichever path changed the hearing — a judge's socket, the REST
API, the system — the room hears it the same way, after the commit: everyone gets
`hearing.state` (and `recording.state` when the recording moved); a hearing that is over
(closed, cancelled) is final, so every connection on every process is told
`hearing.closed` and let go, a moment after the command's own answer has gone out.
Subscribed after the recording driver (create_app), so the room hears `recording.state`
once the recorders have started, paused or stopped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hearings.bus import Bus
from hearings.events import HearingChanged, RecordingChanged
from signaling.hub import rooms

if TYPE_CHECKING:
    from signaling.server import Signaling

__all__ = ["CLOSE_DELAY_S", "follow", "hearing_state"]

CLOSE_DELAY_S = 0.1  # the judge's ack (or the REST answer) first, then the room is let go


def hearing_state(event: HearingChanged) -> dict[str, Any]:
    """The `hearing.state` message (the snapshot's `hearing` entry, plus who did what)."""
    return {"id": event.hearing_id, "title": event.title, "kind": event.kind,
            "state": event.state.value, "recording_state": event.recording_state.value,
            "suspend_reason": event.suspend_reason, "action": event.action, "by": event.by}


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

    bus.subscribe(HearingChanged, hearing_changed)
    bus.subscribe(RecordingChanged, recording_changed)
