"""A failed archive is sealed as far as it got: a disk that fills mid-recording leaves
final sidecars describing what the files hold, and no empty composite; a segment cut by a
kill carries its duration once recovered. Real PyAV and ffmpeg, a real full filesystem."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import pytest

from media.composer import COMPOSITE_NAME, compose_hearing
from media.errors import ComposeError
from media.matroska import has_duration, write_duration
from media.participant import ParticipantInfo
from media.recorder import ParticipantRecorder, RecordingEvent
from media.recovery import GAPS_FILE, recover_hearing
from media.segments import TrackSpec, read_segment
from tests.conftest import unavailable
from tests.integration.media.streams import count_frames

ROOT = Path(__file__).resolve().parents[3]
SPECS = [TrackSpec("video", "video/VP8", 90000), TrackSpec("audio", "audio/opus", 48000)]
WHO = ParticipantInfo("h1", "p1", role="judge", display_name="审判长")


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 256 KiB tmpfs: about three seconds of the test stream, then ENOSPC."""
    yield from _tmpfs(tmp_path / "disk", "256k")


@pytest.fixture
def roomy_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs: about twelve seconds of the test stream."""
    yield from _tmpfs(tmp_path / "disk", "1m")


def _tmpfs(mount_point: Path, size: str) -> Iterator[Path]:
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs",
                              str(mount_point)], capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        unavailable("a small tmpfs (mount as root)", mounted.stderr.strip() or "mount failed")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def sidecar(segment: Path) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(segment.with_suffix(".json").read_text(encoding="utf-8"))
    return body


async def play_into(recorder: ParticipantRecorder, source: Path, seconds: float) -> None:
    """The source's packets into the recorder's sinks at the pace they were captured."""
    sinks = {"video": recorder.sink("video"), "audio": recorder.sink("audio")}
    mime = {"video": "video/VP8", "audio": "audio/opus"}
    started = time.monotonic()
    with av.open(str(source)) as container:
        for packet in container.demux():
            if packet.pts is None or packet.time_base is None or not packet.size:
                continue
            offset = float(packet.pts * packet.time_base)
            if offset > seconds:
                break
            await asyncio.sleep(max(0.0, started + offset - time.monotonic()))
            kind = packet.stream.type
            copy = av.Packet(bytes(packet))
            copy.pts = round(offset * (90000 if kind == "video" else 48000))
            copy.is_keyframe = packet.is_keyframe
            sinks[kind](copy, mime[kind])


async def test_a_full_disk_leaves_final_sidecars_and_no_composite(
    small_disk: Path, source_webm: Path,
) -> None:
    events: list[RecordingEvent] = []
    hearing = small_disk / "h1"
    recorder = ParticipantRecorder(WHO, SPECS, hearing / "p1", on_event=events.append,
                                   media_timeout=10)
    recorder.start()
    await play_into(recorder, source_webm, seconds=6)
    await recorder.stop("hearing_stopped")

    failed = [e for e in events if e.state == "failed"]
    assert [e.reason for e in failed] == ["writer_error"], events
    assert "No space left" in (failed[0].detail or "")
    segment = hearing / "p1" / "seg-00001.mkv"
    final = sidecar(segment)
    found = read_segment(segment)
    # Final, and true to what reached the disk: not the packets handed to the muxer.
    assert final["complete"] is True and "No space left" in str(final["error"])
    streams = {s["kind"]: s for s in final["streams"]}
    assert streams["video"]["packets"] == found.packets["video"] > 30
    assert streams["audio"]["packets"] == found.packets["audio"] > 50
    assert 1.0 < final["duration"] == found.duration < 6.0
    assert final["end_wall_clock"] == pytest.approx(final["start_wall_clock"] + found.duration)
    assert count_frames(segment)["video"] >= found.packets["video"] - 2
    assert not list((hearing / "p1").glob("*.tmp"))

    with pytest.raises(ComposeError, match="no space left for the composite"):
        await compose_hearing(hearing)
    assert sorted(p.name for p in hearing.iterdir()) == ["p1"]  # no composite, whole or empty
    assert recover_hearing(hearing) == []  # nothing left open to recover


async def test_a_failed_composition_removes_an_empty_composite(tmp_path: Path) -> None:
    """What the field saw: a 0-byte composite.mp4 beside segments ffmpeg could not use."""
    hearing = tmp_path / "h1"
    (hearing / "p1").mkdir(parents=True)
    (hearing / COMPOSITE_NAME).write_bytes(b"")
    (hearing / "p1" / "seg-00001.mkv").write_bytes(b"not matroska")
    (hearing / "p1" / "seg-00001.json").write_text(json.dumps({
        "participant_id": "p1", "start_wall_clock": 1.0, "end_wall_clock": 3.0,
        "streams": [{"kind": "video", "packets": 3}]}))
    with pytest.raises(ComposeError):
        await compose_hearing(hearing)
    assert not (hearing / COMPOSITE_NAME).exists()
    assert not (hearing / f"{COMPOSITE_NAME}.tmp").exists()


KILLED_WRITER = """
import os, signal, sys, time
from pathlib import Path
import av
from media.participant import ParticipantInfo
from media.segments import SegmentSeries, TrackSpec
specs = [TrackSpec("video", "video/VP8", 90000), TrackSpec("audio", "audio/opus", 48000)]
series = SegmentSeries(Path(sys.argv[2]), ParticipantInfo("h1", "p1", role="party"), specs)
start = time.time()
with av.open(sys.argv[1]) as container:
    for packet in container.demux():
        if packet.pts is None or not packet.size:
            continue
        offset = float(packet.pts * packet.time_base)
        if offset > float(sys.argv[3]):
            os.kill(os.getpid(), signal.SIGKILL)
        kind = packet.stream.type
        copy = av.Packet(bytes(packet))
        copy.pts = round(offset * (90000 if kind == "video" else 48000))
        copy.is_keyframe = packet.is_keyframe
        series.add(kind, copy, start + offset)
"""


def killed_segment(source: Path, directory: Path, seconds: float = 4) -> Path:
    """A segment whose writer was SIGKILLed `seconds` in."""
    child = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(source), str(directory),
                            str(seconds)],
                           cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
    assert child.returncode == -signal.SIGKILL
    return directory / "seg-00001.mkv"


def test_a_segment_cut_by_a_kill_carries_its_duration_once_recovered(
    tmp_path: Path, source_webm: Path,
) -> None:
    segment = killed_segment(source_webm, tmp_path / "h1" / "p1")
    with av.open(str(segment)) as container:
        assert container.duration is None  # what players showed: no duration
    before = read_segment(segment)
    frames = count_frames(segment)
    assert sidecar(segment)["complete"] is False

    gaps = recover_hearing(tmp_path / "h1")

    assert [g.after_segment for g in gaps] == ["seg-00001.mkv"]
    assert len((tmp_path / "h1" / GAPS_FILE).read_text().splitlines()) == 1
    recovered = sidecar(segment)
    assert recovered["complete"] is True and recovered["recovered"] is True
    assert recovered["duration"] == before.duration and 3.0 < before.duration <= 4.0
    assert recovered["duration_written"] is True
    with av.open(str(segment)) as container:
        assert container.duration is not None
        assert container.duration / av.time_base == pytest.approx(before.duration, abs=0.002)
    assert read_segment(segment) == before  # not one media byte moved
    assert count_frames(segment) == frames
    streams = {s["kind"]: s for s in recovered["streams"]}
    assert streams["video"]["packets"] == before.packets["video"]
    assert recover_hearing(tmp_path / "h1") == []  # idempotent


def test_the_duration_goes_only_where_the_muxer_reserved_it(tmp_path: Path,
                                                             source_webm: Path) -> None:
    finished = tmp_path / "finished.webm"
    finished.write_bytes(source_webm.read_bytes())
    assert has_duration(finished)
    assert write_duration(finished, 1.0) is False  # has one (and a CRC-32) already
    assert finished.read_bytes() == source_webm.read_bytes()
    other = tmp_path / "x.json"
    other.write_text("{}")
    with pytest.raises(ValueError, match="EBML"):
        write_duration(other, 1.0)


async def test_recording_resumes_in_a_new_segment_once_the_disk_has_room_again(
    roomy_disk: Path, source_webm: Path,
) -> None:
    """A full disk fails the recording loudly, but not for good: when space returns (an
    operator cleaned up) the next keyframe opens a new segment and the recording says so."""
    small_disk = roomy_disk
    ballast = small_disk / "ballast"
    free = os.statvfs(small_disk).f_bavail * os.statvfs(small_disk).f_frsize
    ballast.write_bytes(b"\0" * (free - 48 * 1024))  # leaves under 1 s of the stream
    events: list[RecordingEvent] = []

    def operator(event: RecordingEvent) -> None:  # cleans up when the alert comes
        events.append(event)
        if event.state == "failed":
            ballast.unlink(missing_ok=True)

    hearing = small_disk / "h1"
    recorder = ParticipantRecorder(WHO, SPECS, hearing / "p1", on_event=operator,
                                   media_timeout=10)
    recorder.start()
    # The first retry comes ~2 s after the failure; on a loaded machine the operator's
    # clean-up may come after it, so that retry fails too and the next comes 4 s later:
    # 10 s leave a new segment of seconds either way, and the freed room holds them.
    await play_into(recorder, source_webm, seconds=10)
    assert not ballast.exists()
    await recorder.stop("hearing_stopped")

    states = [(e.state, e.reason) for e in events]
    assert ("failed", "writer_error") in states
    assert states.index(("recording", "writer_recovered")) > states.index(("failed", "writer_error"))
    assert recorder.state == "stopped"
    first, *later = sorted((hearing / "p1").glob("seg-*.mkv"))
    assert "No space left" in str(sidecar(first)["error"])
    second = next(s for s in later if "error" not in sidecar(s))  # the one recording again
    assert sidecar(second)["complete"] is True
    assert read_segment(second).packets["video"] > 40
    assert sidecar(second)["start_wall_clock"] > sidecar(first)["end_wall_clock"]  # a gap


def test_recovery_on_a_full_disk_closes_what_it_can_and_never_raises(
    tmp_path: Path, small_disk: Path, source_webm: Path,
) -> None:
    """A participant joining after a kill, the disk still full: their media must be
    answered (recovery runs first), and the cut segment is still closed out in place."""
    killed = killed_segment(source_webm, tmp_path / "h1" / "p1", seconds=2)
    directory = small_disk / "h1" / "p1"
    directory.mkdir(parents=True)
    for name in ("seg-00001.mkv", "seg-00001.json"):
        (directory / name).write_bytes((killed.parent / name).read_bytes())
    with (small_disk / "ballast").open("wb", buffering=0) as ballast, contextlib.suppress(OSError):
        while True:
            ballast.write(b"\0" * 4096)
    assert shutil.disk_usage(small_disk).free == 0

    gaps = recover_hearing(small_disk / "h1")

    assert [g.after_segment for g in gaps] == ["seg-00001.mkv"]  # the caller audits it
    recovered = sidecar(directory / "seg-00001.mkv")
    assert recovered["complete"] is True and recovered["duration_written"] is True
    gaps_file = small_disk / "h1" / GAPS_FILE  # no room for the line: logged, not raised
    assert not gaps_file.exists() or gaps_file.read_text() == ""
