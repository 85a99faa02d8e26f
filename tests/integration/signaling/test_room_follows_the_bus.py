"""The room hears the domain's events whoever made the change: here the service itself,
called as the REST API or the system would call it, with no socket command at all."""

from __future__ import annotations

from hearings.domain.commands import ChangeHearing, ChangeRecording
from tests.integration.signaling.conftest import Room_, in_session


async def test_a_change_made_outside_the_socket_is_heard_and_close_lets_everyone_go(
        room: Room_) -> None:
    judge, people = await in_session(room, "lawyer", "defendant")
    control, hid, actor = room.services.control, room.trial.hearing.id, room.trial.judge_actor
    await control.change_recording(actor, ChangeRecording(hid, "pause"))
    for c in (judge, *people.values()):
        state = await c.wait("recording.state", lambda d: d["state"] == "paused")
        assert state["because"] == "recording.pause" and state["previous"] == "recording"
    await control.change_hearing(actor, ChangeHearing(hid, "close"))
    for c in (judge, *people.values()):
        state = await c.wait("hearing.state", lambda d: d["state"] == "closed")
        assert state["action"] == "close" and state["by"] == room.trial.judge.display_name
        assert (await c.wait("hearing.closed"))["reason"] == "hearing_closed"
        await c.disconnected.wait()
