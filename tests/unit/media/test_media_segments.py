"""Segment series logic with synthetic packets: opening, keyframe waits, rotation, sidecars."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import av
import pytest

from media.participant import ParticipantInfo
from media.recovery import next_segment_index
from media.segments import SegmentSeries, TrackSpec, vp8_dimensions

SPECS = [TrackSpec("video", "video/VP8", 90000), TrackSpec("audio", "audio/opus", 48000)]
WHO = ParticipantInfo("h1", "p1", role="party")


def vp8(key: bool, size: tuple[int, int] = (640, 360)) -> av.Packet:
    if key:
        data = b"\x10\x02\x00\x9d\x01\x2a" + struct.pack("<HH", *size) + b"\x00" * 40
    else:
        data = b"\x31\x02\x00" + b"\x00" * 40
    packet = av.Packet(data)
    packet.pts = 0
    packet.is_keyframe = key
    return packet


def opus() -> av.Packet:
    packet = av.Packet(b"\xfc\xff\xfe")
    packet.pts = 0
    return packet


def sidecar(path: Path) -> dict[str, object]:
    return json.loads(path.with_suffix(".json").read_text())  # type: ignore[no-any-return]


def streams(path: Path) -> dict[str, dict[str, object]]:
    return {s["kind"]: s for s in sidecar(path)["streams"]}  # type: ignore[index,union-attr]


def test_audio_waits_for_the_first_keyframe_and_leading_deltas_are_dropped(tmp_path: Path) -> None:
    series = SegmentSeries(tmp_path, WHO, SPECS)
    series.add("video", vp8(False), 100.00)
    series.add("audio", opus(), 100.02)
    series.add("audio", opus(), 100.04)
    assert series.current is None
    series.add("video", vp8(True), 100.05)
    series.add("video", vp8(False), 100.08)
    path = series.finish()
    assert path is not None and path.name == "seg-00001.mkv"
    assert series.dropped == 1
    info = streams(path)
    assert info["audio"]["packets"] == 2 and info["video"]["packets"] == 2
    assert sidecar(path)["start_wall_clock"] == 100.02 and sidecar(path)["complete"] is True


def test_audio_is_not_held_hostage_by_a_camera_without_keyframes(tmp_path: Path) -> None:
    series = SegmentSeries(tmp_path, WHO, SPECS, keyframe_wait=0.5)
    for n in range(40):
        series.add("audio", opus(), 100 + n * 0.02)
        series.add("video", vp8(False), 100 + n * 0.02)
    assert series.current is not None  # opened after 0.5 s of audio
    series.add("video", vp8(True), 101)
    path = series.finish()
    assert path is not None
    info = streams(path)
    assert info["audio"]["packets"] == 40
    assert info["video"]["packets"] == 1 and info["video"]["keyframes"] == 1


def test_rotation_waits_for_a_keyframe(tmp_path: Path) -> None:
    series = SegmentSeries(tmp_path, WHO, SPECS)
    series.add("video", vp8(True), 100)
    series.request_rotation()
    series.add("video", vp8(False), 100.1)
    series.add("audio", opus(), 100.1)
    assert series.next_index == 2
    series.add("video", vp8(True), 100.2)
    assert series.next_index == 3 and not series.rotation_pending
    series.finish()
    first, second = series.closed
    assert streams(first)["video"]["packets"] == 2
    assert streams(second)["video"]["keyframes"] == 1
    assert next_segment_index(tmp_path) == 3
    with av.open(str(second)) as container:
        assert container.streams.video[0].codec_context.name == "vp8"


def test_the_sidecar_notes_each_resolution_change_of_the_original(tmp_path: Path) -> None:
    """Chromium lowers the camera's resolution under load, at a keyframe (issue 13.1)."""
    series = SegmentSeries(tmp_path, WHO, SPECS)
    sizes = [(640, 360), (640, 360), (480, 270), (320, 180), (480, 360)]
    for n, size in enumerate(sizes):
        series.add("video", vp8(True, size), 100 + n)
        series.add("video", vp8(False), 100 + n + 0.5)
        assert sidecar(series.current.path)["complete"] is False  # type: ignore[union-attr]
    path = series.finish()
    assert path is not None
    assert sidecar(path)["resolutions"] == [
        {"at": 0.0, "wall_clock": 100, "width": 640, "height": 360},
        {"at": 2.0, "wall_clock": 102, "width": 480, "height": 270},
        {"at": 3.0, "wall_clock": 103, "width": 320, "height": 180},
        {"at": 4.0, "wall_clock": 104, "width": 480, "height": 360},
    ]
    audio_only = SegmentSeries(tmp_path / "audio", WHO, [SPECS[1]])
    audio_only.add("audio", opus(), 100)
    assert "resolutions" not in sidecar(audio_only.finish())  # type: ignore[arg-type]


def test_audio_only_participant_rotates_on_audio(tmp_path: Path) -> None:
    series = SegmentSeries(tmp_path, WHO, [SPECS[1]])
    series.add("audio", opus(), 100)
    series.request_rotation()
    series.add("audio", opus(), 100.02)
    series.finish()
    assert [p.name for p in series.closed] == ["seg-00001.mkv", "seg-00002.mkv"]


def test_vp8_dimensions() -> None:
    assert vp8_dimensions(bytes(vp8(True))) == (640, 360)
    assert vp8_dimensions(bytes(vp8(False))) is None


@pytest.mark.parametrize("bad", ["../etc", ".hidden", "a/b", "", "x" * 129])
def test_participant_ids_cannot_escape_the_archive(bad: str) -> None:
    with pytest.raises(ValueError, match="'participant_id' must be"):
        ParticipantInfo("h1", bad)


def test_track_spec_rejects_unrecordable_codecs() -> None:
    with pytest.raises(ValueError, match=r"'mime_type' must be in .* \(got 'video/AV1'\)"):
        TrackSpec("video", "video/AV1", 90000)
