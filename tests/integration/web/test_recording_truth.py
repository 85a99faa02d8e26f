"""The recording state tells the truth: `recording` only while every connected publisher is
recorded; an archive with gaps or a failed composition says what it holds."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from media.composer import COMPOSITE_NAME
from media.participant import ParticipantInfo
from tests.conftest import unavailable
from tests.integration.media.streams import remux_as_segments
from tests.integration.signaling.conftest import in_session
from tests.integration.web.conftest import Court, until
from web.bridges.recording import RecordingDriver
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


async def test_a_recording_with_a_gap_is_sealed_incomplete_and_says_how_much(
        court: Court, source_webm: Path) -> None:
    judge, people = await in_session(court, "defendant")
    media, hid = court.app[MEDIA], court.hearing_id
    pid = court.trial.people["defendant"].id
    sender = await court.publish(people["defendant"], source_webm)
    await until(lambda: len(court.segments("defendant")) >= 1, 10, "a segment written")
    sender.stop_media()
    await until(lambda: media.states(hid).get(pid) == "failed", 8, "the defendant failed")
    await asyncio.sleep(3)  # nothing of the defendant is recorded meanwhile
    await court.publish(people["defendant"], source_webm)
    await until(lambda: media.states(hid).get(pid) == "recording", 10, "recorded again")
    before = len(court.segments("defendant"))
    await until(lambda: len(court.segments("defendant")) > before, 10, "a segment after")

    assert (await judge.call("hearing.control", {"action": "close"}))["state"] == "closed"
    await judge.wait("recording.state", lambda d: d["state"] == "processing")
    await court.app[RECORDING].drain()
    assert await court.recording_state() == "incomplete"  # never `available`
    extra = json.loads((court.archive / "manifest.json").read_bytes())["extra"]
    assert extra["complete"] is False and extra["composite_error"] is None
    assert 3 <= extra["missing_seconds"][pid] < 15
    finished = (await court.audit())[-1]
    assert finished.action == "recording.finish_incomplete"
    assert pid in finished.payload["detail"]

    # The clerk's archive listing says so too.
    await court.login(court.trial.clerk.username, "clerk-password-1")
    r = await court.http.get("/api/recordings", params={
        "case_number": court.trial.case.number, "reason": "复核录像完整性"})
    assert r.status == 200, await r.text()
    [listed] = await r.json()
    assert listed["recording_state"] == "incomplete" and listed["sealed"] is True
    assert listed["complete"] is False
    assert listed["missing_seconds"] == extra["missing_seconds"]


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs",
                              str(mount_point)], capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        unavailable("a small tmpfs (mount as root)", mounted.stderr.strip() or "mount failed")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


async def test_a_composition_that_fails_still_seals_what_exists(
        small_disk: Path, source_webm: Path) -> None:
    info = ParticipantInfo("h1", "p1", role="judge", display_name="审判长")
    remux_as_segments(source_webm, small_disk, info, start_wall=time.time() - 30, seconds=3,
                      segment_seconds=2)
    stat = os.statvfs(small_disk)
    room = stat.f_bavail * stat.f_frsize
    (small_disk / "filler.bin").write_bytes(b"\0" * max(0, room - 48 * 1024))

    await RecordingDriver(small_disk)._finish("h1")

    hearing = small_disk / "h1"
    assert not (hearing / COMPOSITE_NAME).exists()  # no composite, whole or empty
    manifest = json.loads((hearing / "manifest.json").read_bytes())
    extra = manifest["extra"]
    assert extra["complete"] is False
    assert "no space" in extra["composite_error"]
    kinds = {f["path"]: f["kind"] for f in manifest["files"]}
    assert any(k == "segment" for k in kinds.values()), kinds
    assert all(json.loads(p.read_text())["complete"] for p in hearing.glob("p1/seg-*.json"))
