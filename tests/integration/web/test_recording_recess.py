"""A recess pauses everyone's recording, whatever one participant's recorder is doing (issue
13.2): a failed recording must not leave the others recording through 休庭."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.integration.signaling.conftest import in_session
from tests.integration.web.conftest import Court, until
from web.keys import MEDIA, RECORDING


async def test_a_recess_pauses_the_others_while_one_recording_has_failed(
        court: Court, source_webm: Path) -> None:
    judge, people = await in_session(court, "defendant", "lawyer")
    media, hid = court.app[MEDIA], court.hearing_id
    defendant, lawyer = (court.trial.people[k].id for k in ("defendant", "lawyer"))
    senders = {k: await court.publish(people[k], source_webm) for k in ("defendant", "lawyer")}
    await until(lambda: bool(court.segments("defendant") and court.segments("lawyer")), 10,
                "both recorded")
    senders["defendant"].stop_media()
    await until(lambda: media.states(hid).get(defendant) == "failed", 8, "the defendant failed")
    await judge.wait("recording.state", lambda d: d["state"] == "failed")
    await court.app[RECORDING].drain()

    ack = await judge.call("hearing.control", {"action": "pause"})  # 休庭
    assert ack["ok"], ack
    await until(lambda: media.states(hid).get(lawyer) == "paused", 5, "the lawyer paused")
    await judge.wait("recording.state", lambda d: d["state"] == "paused")
    assert await court.recording_state() == "paused"
    await asyncio.sleep(0.5)  # the writer closes the lawyer's segment
    during = court.segments("lawyer")
    await asyncio.sleep(2.5)  # longer than a segment: a recording lawyer would rotate
    assert court.segments("lawyer") == during

    ack = await judge.call("hearing.control", {"action": "resume"})
    assert ack["ok"], ack
    await until(lambda: media.states(hid).get(lawyer) == "recording", 5, "the lawyer resumed")
    await until(lambda: len(court.segments("lawyer")) > len(during), 10, "a segment after")
    await court.app[RECORDING].drain()
    # The defendant still sends nothing: once the recess is over the recording is failed.
    await judge.wait("recording.state", lambda d: d["state"] == "failed" and len(
        judge.seen("recording.state", lambda e: e["state"] == "failed")) >= 2)
    assert await court.recording_state() == "failed"
    actions = [e.action for e in await court.audit()]
    assert actions[-3:] == ["recording.paused", "recording.recording", "recording.fail"], actions
