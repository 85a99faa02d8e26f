"""The event bus and the events' JSON envelope (no I/O)."""

from __future__ import annotations

import json
import logging

import pytest

from hearings.domain.events import (
    EventError,
    HearingChanged,
    RecordingChanged,
    envelope,
    from_envelope,
)
from hearings.domain.states import HearingState, RecordingState
from hearings.services.bus import Bus

CLOSED = HearingChanged("h1", "close", HearingState.CLOSED, RecordingState.PROCESSING,
                        "张某盗窃案公开开庭审理", "trial", None, "审判员李明", "staff:u1")
PAUSED = RecordingChanged("h1", RecordingState.PAUSED, RecordingState.RECORDING,
                          HearingState.IN_SESSION, "recording.pause", "staff:u1")


def test_the_envelope_is_versioned_json_and_comes_back_equal() -> None:
    for event in (CLOSED, PAUSED):
        wire = json.dumps(envelope(event), ensure_ascii=False)
        message = json.loads(wire)
        assert message["v"] == 1 and message["type"] == event.event_type
        assert from_envelope(message) == event
    assert envelope(CLOSED)["data"]["state"] == "closed"
    assert CLOSED.is_over and not HearingChanged(
        "h1", "start", HearingState.IN_SESSION, RecordingState.RECORDING, "t", "trial",
        None, "n", "a").is_over


@pytest.mark.parametrize("message", [
    {"v": 2, "type": "hearing.changed", "data": {}},
    {"v": 1, "type": "os.system", "data": {}},
    {"v": 1, "type": "hearing.changed", "data": {"hearing_id": "h1"}},
    {"v": 1, "type": "hearing.changed", "data": envelope(CLOSED)["data"] | {"state": "gone"}},
    ["not", "an", "envelope"],
])
def test_anything_else_is_refused(message: object) -> None:
    with pytest.raises(EventError):
        from_envelope(message)  # type: ignore[arg-type]


async def test_subscribers_hear_in_order_and_a_failing_one_is_isolated(
        caplog: pytest.LogCaptureFixture) -> None:
    bus, heard = Bus(), []

    async def broken(event: HearingChanged) -> None:
        raise RuntimeError("the room is gone")

    async def room(event: HearingChanged) -> None:
        heard.append(("room", event.action))

    async def recorder(event: RecordingChanged) -> None:
        heard.append(("recorder", event.state.value))

    bus.subscribe(HearingChanged, broken)
    bus.subscribe(HearingChanged, room)
    bus.subscribe(RecordingChanged, recorder)
    with caplog.at_level(logging.ERROR, "yunting.bus"):
        await bus.publish([PAUSED, CLOSED])
    assert heard == [("recorder", "paused"), ("room", "close")]
    assert "the room is gone" in caplog.text and "hearing.changed" in caplog.text
