"""The recording follows the hearing through the real app: socket.io participants, aiortc media
over loopback, the judge's controls, the sealed archive, alerts, and a tab that closes."""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path

from media.evidence import verify_package
from tests.integration.signaling.conftest import in_session
from tests.integration.web.conftest import Court, until
from web.bridges.archive import RecordingArchive
from web.keys import FORGE, MEDIA, RECORDING


async def test_recording_follows_the_hearing_to_a_sealed_archive(
        court: Court, source_webm: Path) -> None:
    judge, people = await in_session(court, "defendant")
    state = await judge.wait("recording.state", lambda d: d["state"] == "recording")
    judge_label = f"participant:{court.trial.people['judge'].id}"  # the judge came by token
    assert state == {"hearing_id": court.hearing_id, "state": "recording",
                     "previous": "standby", "because": "hearing.start", "by": judge_label}
    await court.publish(people["defendant"], source_webm)
    await until(lambda: len(court.segments("defendant")) >= 2, 10, "two segments written")
    media, pid = court.app[MEDIA], court.trial.people["defendant"].id

    ack = await judge.call("recording.control", {"action": "pause"})
    assert ack == {"ok": True, "recording_state": "paused"}
    paused = await judge.wait("recording.state", lambda d: d["state"] == "paused")
    assert paused["because"] == "recording.pause"
    assert media.states(court.hearing_id) == {pid: "paused"}
    assert await court.recording_state() == "paused"
    await asyncio.sleep(0.5)
    ack = await judge.call("recording.control", {"action": "resume"})
    assert ack == {"ok": True, "recording_state": "recording"}
    await judge.wait("recording.state", lambda d: d["because"] == "recording.resume")
    assert media.states(court.hearing_id) == {pid: "recording"}
    before = len(court.segments("defendant"))
    await until(lambda: len(court.segments("defendant")) > before, 8, "a segment after resume")

    assert (await judge.call("hearing.control", {"action": "close"}))["state"] == "closed"
    await judge.wait("recording.state", lambda d: d["state"] == "processing")
    await court.app[RECORDING].drain()
    assert await court.recording_state() == "available"

    archive = court.archive
    manifest = json.loads((archive / "manifest.json").read_bytes())
    listed = {f["path"]: f for f in manifest["files"]}
    assert listed["composite.mp4"]["duration"] > 3
    segments = [p for p, f in listed.items() if f["kind"] == "segment"]
    assert len(segments) >= 3 and all(p.startswith(f"{pid}/") for p in segments)
    assert (archive / "manifest.tsr").stat().st_size > 1000
    report = verify_package(archive)  # hashes and the token's imprint, but nothing validated
    assert report.timestamp == "imprint_ok" and not report.ok, report
    forge = court.app[FORGE]
    report = await RecordingArchive(archive.parent).verify(court.hearing_id,
                                                           forge.averify_timestamp)
    assert report.ok and report.timestamp == "valid", report
    digest = hashlib.sha256((archive / "manifest.json").read_bytes()).hexdigest()
    entries = await court.audit()
    # A media stall of the loaded test process (> media_timeout) is audited as it happened:
    # a gap and the failure, each closed again (resumed, recover) before anything else.
    interruption = ("recording.gap", "recording.fail", "recording.resumed",
                    "recording.recover")
    stalls = [e.action for e in entries if e.action in interruption]
    assert stalls.count("recording.gap") == stalls.count("recording.resumed"), stalls
    assert stalls.count("recording.fail") == stalls.count("recording.recover"), stalls
    entries = [e for e in entries if e.action not in interruption]
    actions = [e.action for e in entries]
    # Changes the hearing drives are audited by the state reached, the judge's and the
    # recorder's own by their action.
    assert actions == ["recording.recording", "recording.pause", "recording.resume",
                       "recording.processing", "recording.finish"], actions
    assert entries[-1].payload == {"state": "available", "detail": f"manifest sha256 {digest}"}
    assert entries[1].actor == judge_label


async def test_media_failure_alerts_judge_and_clerk_within_5_s(
        court: Court, source_webm: Path) -> None:
    clerk = await court.clerk()
    judge, people = await in_session(court, "defendant")
    sender = await court.publish(people["defendant"], source_webm)
    await until(lambda: len(court.segments("defendant")) >= 1, 10, "a segment written")
    loop = asyncio.get_running_loop()
    stopped = loop.time()
    sender.stop_media()  # a frozen camera and a dead microphone, the connection still up
    pid = court.trial.people["defendant"].id
    alerts = await asyncio.gather(*(c.wait("recording.alert", within=5) for c in (judge, clerk)))
    assert loop.time() - stopped < 5
    for alert in alerts:
        assert alert["hearing_id"] == court.hearing_id
        assert alert["participant_id"] == pid and alert["reason"] == "media_timeout"
    failed = await judge.wait("recording.state", lambda d: d["state"] == "failed")
    assert failed["because"] == "recording.fail"
    assert await court.recording_state() == "failed"
    assert not people["defendant"].seen("recording.alert")  # staff only
    fail = (await court.audit())[-1]
    assert fail.action == "recording.fail" and fail.actor == "system:yunting"
    assert fail.payload["detail"].startswith(f"{pid}: media_timeout")


async def test_a_participant_who_closes_the_tab_does_not_fail_the_recording(
        court: Court, source_webm: Path) -> None:
    judge, people = await in_session(court, "defendant", "witness")
    sender = await court.publish(people["defendant"], source_webm)
    await court.publish(people["witness"], source_webm)
    await until(lambda: bool(court.segments("defendant") and court.segments("witness")), 10,
                "both recorded")
    await people["defendant"].close()  # the tab goes: socket and media at once
    await sender.close()
    pid = court.trial.people["defendant"].id
    await judge.wait("participants", lambda d: any(
        p["id"] == pid and p["state"] == "disconnected" for p in d["participants"]))
    await asyncio.sleep(1.5 + 2)  # media_timeout + the watchdog's period, with margin
    assert not judge.seen("recording.alert")
    assert await court.recording_state() == "recording"
    assert court.app[MEDIA].states(court.hearing_id) == {
        court.trial.people["witness"].id: "recording"}
    assert json.loads(court.segments("defendant")[-1].with_suffix(".json").read_text())[
        "complete"] is True


async def test_a_participant_who_leaves_or_is_removed_is_hung_up_at_once(
        court: Court, source_webm: Path) -> None:
    """Leaving (the last connection gone) or removal hangs up the server peer at once, even
    while the media still flows (the media timeout would never fire): their segment is
    finished and the others record on."""
    judge, people = await in_session(court, "defendant", "witness")
    await court.publish(people["defendant"], source_webm)  # senders keep sending
    await court.publish(people["witness"], source_webm)
    await until(lambda: bool(court.segments("defendant") and court.segments("witness")), 10,
                "both recorded")
    media, hid = court.app[MEDIA], court.hearing_id
    defendant, witness = (court.trial.people[k].id for k in ("defendant", "witness"))
    assert set(media.states(hid)) == {defendant, witness}

    def finished(key: str) -> bool:
        sidecar = court.segments(key)[-1].with_suffix(".json")
        return bool(json.loads(sidecar.read_text())["complete"])

    await people["defendant"].close()  # the socket goes; its camera does not stop
    await until(lambda: defendant not in media.states(hid), 3, "the leaver's peer hung up")
    await until(lambda: finished("defendant"), 3, "the leaver's segment finished")
    assert not finished("witness")

    ack = await judge.call("participant.remove", {"participant_id": witness})
    assert ack["ok"] is True, ack
    await until(lambda: media.states(hid) == {}, 3, "the removed participant's peer hung up")
    await until(lambda: finished("witness"), 3, "the removed participant's segment finished")
    assert not judge.seen("recording.alert")
    assert await court.recording_state() == "recording"
