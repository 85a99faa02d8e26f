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


async def test_segments_rotate_at_keyframes(tmp_path: Path, source_webm: Path, events: list[RecordingEvent]) -> None:
    async with MediaService(settings(tmp_path, segment_seconds=2), events.append) as service:
        service.start("h1")
        sender = await connect(service, source_webm, "p1")
        await asyncio.sleep(7)
        await service.stop("h1")
        await sender.close()
    directory = tmp_path / "h1" / "p1"
    segments = sorted(directory.glob("seg-*.mkv"))
    assert len(segments) >= 3, segments
    total = 0
    for segment in segments:
        sidecar = json.loads(segment.with_suffix(".json").read_text())
        assert sidecar["complete"] is True
        video = next(s for s in sidecar["streams"] if s["kind"] == "video")
        # Every segment starts on a keyframe, so each one decodes on its own.
        counts = count_frames(segment)
        assert counts["video"] == video["packets"] > 0
        assert video["keyframes"] >= 1
        total += counts["video"]
    assert total >= 150
    starts = [json.loads(s.with_suffix(".json").read_text())["start_wall_clock"] for s in segments]
    assert starts == sorted(starts)


async def test_silent_participant_fails_within_5s_and_others_keep_recording(
    tmp_path: Path, source_webm: Path, events: list[RecordingEvent]
) -> None:
    async with MediaService(settings(tmp_path, media_timeout=2), events.append) as service:
        service.start("h1")
        one = await connect(service, source_webm, "p1")
        two = await connect(service, source_webm, "p2")
        await asyncio.sleep(2.5)
        two.stop_media()
        waited = await wait_for(events, lambda e: e.participant_id == "p2" and e.state == "failed", within=5)
        failure = next(e for e in events if e.state == "failed")
        assert failure.reason == "media_timeout" and failure.participant_id == "p2"
        assert waited < 5
        await two.close()  # the dropped participant's peer goes away entirely
        await service.close_participant("h1", "p2")
        await asyncio.sleep(1.5)
        assert service.states("h1") == {"p1": "recording"}
        await service.stop("h1")
        await one.close()
    assert not [e for e in events if e.participant_id == "p1" and e.state == "failed"]
    p1 = count_frames(tmp_path / "h1" / "p1" / "seg-00001.mkv")
    p2 = count_frames(tmp_path / "h1" / "p2" / "seg-00001.mkv")
    assert p1["video"] > p2["video"] + 60  # p1 went on recording ~3 s longer
    assert p2["video"] > 30  # what p2 sent before going silent is kept and playable


async def test_pause_resume_starts_a_new_segment(tmp_path: Path, source_webm: Path, events: list[RecordingEvent]) -> None:
    async with MediaService(settings(tmp_path), events.append) as service:
        service.start("h1")
        sender = await connect(service, source_webm, "p1")
        await asyncio.sleep(2.5)
        service.pause("h1")
        await asyncio.sleep(1.5)
        service.resume("h1")
        await asyncio.sleep(2.5)
        await service.stop("h1")
        await sender.close()
    states = [e.state for e in events]
    assert "paused" in states and states[-1] == "stopped"
    segments = sorted((tmp_path / "h1" / "p1").glob("seg-*.mkv"))
    assert [s.name for s in segments] == ["seg-00001.mkv", "seg-00002.mkv"]
    first, second = (json.loads(s.with_suffix(".json").read_text()) for s in segments)
    assert second["start_wall_clock"] - first["end_wall_clock"] > 1.0  # the pause is a visible gap


async def test_writer_error_reports_failed(
    tmp_path: Path, source_webm: Path, events: list[RecordingEvent], monkeypatch: pytest.MonkeyPatch
) -> None:
    from media import segments
    from media.errors import SegmentWriteError

    original = segments.SegmentWriter.write

    def full_disk(self: segments.SegmentWriter, kind: str, packet: object, wall: float) -> None:
        if self.packets > 40:
            raise SegmentWriteError("No space left on device")
        original(self, kind, packet, wall)  # type: ignore[arg-type]

    monkeypatch.setattr(segments.SegmentWriter, "write", full_disk)
    async with MediaService(settings(tmp_path), events.append) as service:
        service.start("h1")
        sender = await connect(service, source_webm, "p1")
        await wait_for(events, lambda e: e.state == "failed", within=6)
        await service.stop("h1")
        await sender.close()
    failure = next(e for e in events if e.state == "failed")
    assert failure.reason == "writer_error" and "No space" in (failure.detail or "")
