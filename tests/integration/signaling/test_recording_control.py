"""The judge pauses and resumes the recording over the wire; the domain decides and audits."""

from __future__ import annotations

from tests.integration.signaling.conftest import Room_, in_session


async def recording_state(room: Room_) -> str:
    hearing = await room.services.scheduling.hearing(room.trial.judge_actor,
                                                     room.trial.hearing.id)
    return hearing.recording_state.value


async def test_judge_pauses_and_resumes_the_recording(room: Room_) -> None:
    judge, _people = await in_session(room, "defendant")
    assert await recording_state(room) == "recording"
    assert await judge.call("recording.control", {"action": "pause"}) == {
        "ok": True, "recording_state": "paused"}
    assert await recording_state(room) == "paused"
    ack = await judge.call("recording.control", {"action": "pause"})
    assert ack["error"] == {"event": "recording.control", "code": "illegal_transition",
                            "message": "cannot pause a recording that is paused"}
    assert await judge.call("recording.control", {"action": "resume"}) == {
        "ok": True, "recording_state": "recording"}
    async with room.services.uow() as uow:
        actions = [e.action for e in await uow.audit.entries(room.trial.hearing.id)
                   if e.action.startswith("recording.")]
    assert actions[-2:] == ["recording.pause", "recording.resume"]


async def test_resume_waits_for_the_hearing(room: Room_) -> None:
    judge, _people = await in_session(room, "defendant")
    assert (await judge.call("hearing.control", {"action": "pause"}))["state"] == "paused"
    assert await recording_state(room) == "paused"
    ack = await judge.call("recording.control", {"action": "resume"})
    assert ack["error"] == {
        "event": "recording.control", "code": "illegal_transition",
        "message": "cannot resume a recording that is paused while the hearing is paused"}
    assert await recording_state(room) == "paused"


async def test_only_the_host_controls_the_recording(room: Room_) -> None:
    _judge, people = await in_session(room, "lawyer")
    ack = await people["lawyer"].call("recording.control", {"action": "pause"})
    assert ack["error"] == {"event": "recording.control", "code": "forbidden", "message":
                            "recording.control is not allowed for a connection that is party"}
    bad = await _judge.call("recording.control", {"action": "stop"})
    assert bad["error"]["code"] == "invalid_message"
    assert await recording_state(room) == "recording"
