"""Two aiortc peers over loopback: a sender playing VP8/Opus → the server peer recorder."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from media.participant import ParticipantInfo
from media.peers import MediaService, MediaSettings
from media.recorder import RecordingEvent
from tests.integration.media.streams import Sender, count_frames


@pytest.fixture
def events() -> list[RecordingEvent]:
    return []


def settings(tmp_path: Path, **overrides: float) -> MediaSettings:
    return MediaSettings(archive_dir=tmp_path, host_addresses=("127.0.0.1",), **overrides)  # type: ignore[arg-type]


async def connect(service: MediaService, source: Path, pid: str, **kwargs: bool) -> Sender:
    sender = Sender(source, **kwargs)
    info = ParticipantInfo("h1", pid, role="judge", site="courtroom-1", display_name="审判长")
    await sender.accept(await service.answer(info, await sender.offer()))
    return sender


async def wait_for(events: list[RecordingEvent], predicate: Callable[[RecordingEvent], bool], within: float) -> float:
    """Seconds until an event matching `predicate` is seen."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    while loop.time() - started < within:
        if any(predicate(e) for e in events):
            return loop.time() - started
        await asyncio.sleep(0.05)
    raise AssertionError(f"no matching event within {within} s in {events}")


async def test_records_vp8_opus_unchanged(tmp_path: Path, source_webm: Path, events: list[RecordingEvent]) -> None:
    async with MediaService(settings(tmp_path), events.append) as service:
        service.start("h1")
        sender = await connect(service, source_webm, "p1")
        await asyncio.sleep(5)
        await service.stop("h1")
        await sender.close()
    segment = tmp_path / "h1" / "p1" / "seg-00001.mkv"
    counts = count_frames(segment)
    # ~5 s at 30 fps minus connection setup; audio 20 ms packets.
    assert counts["video"] >= 100, counts
    assert counts["audio"] >= 150, counts
    sidecar = json.loads(segment.with_suffix(".json").read_text())
    assert sidecar["complete"] is True
    assert sidecar["role"] == "judge" and sidecar["display_name"] == "审判长"
    kinds = {s["kind"]: s for s in sidecar["streams"]}
    assert kinds["video"]["codec"].lower() == "video/vp8" and kinds["audio"]["codec"].lower() == "audio/opus"
    assert kinds["video"]["packets"] == counts["video"]
    states = [e.state for e in events]
    assert states[0] == "recording" and states[-1] == "stopped"
    assert any(e.segment and e.segment.endswith("seg-00001.mkv") for e in events)
