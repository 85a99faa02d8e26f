"""The recording state tells the truth: `recording` only while every connected publisher is
recorded; an archive with gaps or a failed composition says what it holds."""

from __future__ import annotations

from pathlib import Path

from tests.integration.signaling.conftest import in_session
from tests.integration.web.conftest import Court, until
from web.keys import MEDIA, RECORDING


async def test_one_participant_back_does_not_hide_another_still_failed(
        court: Court, source_webm: Path) -> None:
    judge, people = await in_session(court, "defendant", "lawyer")
    media, hid = court.app[MEDIA], court.hearing_id
    defendant, lawyer = (court.trial.people[k].id for k in ("defendant", "lawyer"))
    senders = {k: await court.publish(people[k], source_webm) for k in ("defendant", "lawyer")}
    await until(lambda: court.segments("defendant") and court.segments("lawyer"), 10,
                "both recorded")
    for sender in senders.values():
        sender.stop_media()
    await until(lambda: media.states(hid) == {defendant: "failed", lawyer: "failed"}, 8,
                "both failed")
    await judge.wait("recording.state", lambda d: d["state"] == "failed")

    await court.publish(people["defendant"], source_webm)  # the defendant's media is back
    await until(lambda: media.states(hid).get(defendant) == "recording", 10,
                "the defendant recorded again")
    await court.app[RECORDING].drain()
    assert await court.recording_state() == "failed"  # the lawyer still sends nothing

    await court.publish(people["lawyer"], source_webm)
    await until(lambda: media.states(hid).get(lawyer) == "recording", 10,
                "the lawyer recorded again")
    await court.app[RECORDING].drain()
    assert await court.recording_state() == "recording"
