"""`recording.control`: the judge's pause/resume of the recording, as a wire message."""

from __future__ import annotations

import pytest

from signaling import messages as m
from signaling.authz import Standing, authorise
from signaling.errors import MessageInvalid, NotAllowed


@pytest.mark.parametrize("action", ["pause", "resume"])
def test_round_trip(action: str) -> None:
    msg = m.parse("recording.control", {"action": action})
    assert msg == m.RecordingControl(action=action)
    assert m.serialise(msg) == {"action": action}


@pytest.mark.parametrize(("payload", "message"), [
    ({"action": "stop"}, "'action' must be in ['pause', 'resume'] (got 'stop')"),
    ({}, "'action' must be in ['pause', 'resume'] (got None)"),
    ({"action": "pause", "reason": "x"}, "unknown field 'reason' in recording.control"),
    ("pause", "payload must be an object (got str)"),
])
def test_refusals_name_the_field(payload: object, message: str) -> None:
    with pytest.raises(MessageInvalid) as refused:
        m.parse("recording.control", payload)
    assert refused.value.message == message


@pytest.mark.parametrize("standing", [s for s in Standing if s is not Standing.HOST])
def test_host_only(standing: Standing) -> None:
    authorise("recording.control", Standing.HOST)
    with pytest.raises(NotAllowed, match="recording.control is not allowed for a connection "
                                         f"that is {standing.value}"):
        authorise("recording.control", standing)
