"""Crash safety: SIGKILL the recorder mid-segment; the segment plays; recovery notes the gap."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from pathlib import Path

import av
import pytest

from media.participant import ParticipantInfo
from media.peers import MediaService, MediaSettings
from media.recorder import RecordingEvent
from media.recovery import GAPS_FILE, recover_hearing
from tests.integration.media.streams import Sender, count_frames

ROOT = Path(__file__).resolve().parents[3]


async def read_json_line(stream: asyncio.StreamReader, key: str) -> dict[str, object]:
    while True:
        line = await asyncio.wait_for(stream.readline(), 20)
        assert line, "recorder process ended early"
        message = json.loads(line)
        if key in message:
            return message  # type: ignore[no-any-return]


async def record_then_kill(archive: Path, source: Path, seconds: float) -> float:
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.integration.media.recorder_child", str(archive),
        cwd=ROOT, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert child.stdin is not None and child.stdout is not None
    sender = Sender(source)
    try:
        child.stdin.write((json.dumps({"participant_id": "p1", "offer": await sender.offer()}) + "\n").encode())
        await child.stdin.drain()
        answer = await read_json_line(child.stdout, "answer")
        await sender.accept(str(answer["answer"]))
        await read_json_line(child.stdout, "event")  # recording started
        await asyncio.sleep(seconds)
        killed_at = time.time()
        child.send_signal(signal.SIGKILL)
        await child.wait()
    finally:
        await sender.close()
        if child.returncode is None:
            child.kill()
            await child.wait()
    return killed_at


@pytest.mark.slow
async def test_sigkill_leaves_a_playable_segment_then_recovery_resumes(tmp_path: Path, source_webm: Path) -> None:
    killed_at = await record_then_kill(tmp_path, source_webm, seconds=6)
    segment = tmp_path / "h1" / "p1" / "seg-00001.mkv"
    counts = count_frames(segment)
    assert counts["video"] >= 120, counts  # ~6 s at 30 fps, less connection setup
    sidecar = json.loads(segment.with_suffix(".json").read_text())
    assert sidecar["complete"] is False
    with av.open(str(segment)) as container:
        last = max(float(p.pts * p.time_base) for p in container.demux() if p.pts is not None)
    print(f"crash: {counts} frames kept, last media {killed_at - (sidecar['start_wall_clock'] + last):.2f} s before SIGKILL")
    assert killed_at - (sidecar["start_wall_clock"] + last) < 2.0

    gaps = recover_hearing(tmp_path / "h1")
    assert [g.participant_id for g in gaps] == ["p1"]
    assert killed_at - gaps[0].last_media_wall_clock < 2.0
    assert json.loads(segment.with_suffix(".json").read_text())["recovered"] is True
    assert len((tmp_path / "h1" / GAPS_FILE).read_text().splitlines()) == 1
    assert recover_hearing(tmp_path / "h1") == []  # idempotent

    # After the restart, the same participant records on into the next segment.
    events: list[RecordingEvent] = []
    settings = MediaSettings(archive_dir=tmp_path, host_addresses=("127.0.0.1",))
    async with MediaService(settings, events.append) as service:
        service.start("h1")
        sender = Sender(source_webm)
        await sender.accept(await service.answer(ParticipantInfo("h1", "p1"), await sender.offer()))
        await asyncio.sleep(2)
        await service.stop("h1")
        await sender.close()
    assert count_frames(tmp_path / "h1" / "p1" / "seg-00002.mkv")["video"] > 20
