"""The composer: grid video and mixed audio on the hearing's wall-clock timeline."""

from __future__ import annotations

import json
from pathlib import Path

import av
import pytest

from media import composer
from media.composer import FPS, compose_hearing, plan_grid
from media.participant import ParticipantInfo
from media.segments import SegmentSeries, TrackSpec
from tests.integration.media.streams import make_source, remux_as_segments

T0 = 1_790_000_000.0


@pytest.fixture(scope="module")
def hearing(tmp_path_factory: pytest.TempPathFactory, source_webm: Path) -> Path:
    archive = tmp_path_factory.mktemp("archive")
    judge = ParticipantInfo("h1", "judge", role="judge", display_name="王法官",
                            role_label="审判长")
    party = ParticipantInfo("h1", "party", role="原告", site="e-station", display_name="李村民")
    remux_as_segments(source_webm, archive, judge, start_wall=T0, seconds=8)
    # The party joins 2 s late, drops for 2 s, and records on in a second segment.
    remux_as_segments(source_webm, archive, party, start_wall=T0 + 2, seconds=3)
    remux_as_segments(source_webm, archive, party, start_wall=T0 + 7, seconds=3, first_index=2)
    return archive / "h1"


def test_name_plates_read_the_role_in_the_record_language(hearing: Path) -> None:
    plates = sorted(p.label for p in composer._load(hearing))
    assert plates == ["李村民 · 原告", "王法官 · 审判长"]  # no role_label: the role as given


def test_grid_plan() -> None:
    assert plan_grid(1) == (1, 1, 1280, 720)
    assert plan_grid(2) == (2, 1, 640, 720)
    assert plan_grid(5) == (3, 2, 426, 360)


async def test_composite_has_video_and_audio_for_the_whole_hearing(hearing: Path) -> None:
    result = await compose_hearing(hearing)
    assert result.participants == 2
    assert result.duration == pytest.approx(10, abs=0.3)
    with av.open(str(result.path)) as container:
        video = container.streams.video[0]
        audio = container.streams.audio[0]
        assert (video.width, video.height) == (1280, 720)
        assert video.average_rate == FPS  # the viewing copy's rate; originals keep theirs
        assert audio.sample_rate == 48000
        duration = float(container.duration) / av.time_base
    assert duration == pytest.approx(10, abs=0.5)
    print(f"compose: {result.duration:.1f} s of hearing in {result.elapsed:.2f} s = {result.x_realtime:.1f}x real time")


# Chromium lowers a camera's resolution under CPU or bandwidth pressure, within one stream.
RESOLUTIONS = ("640x360", "480x270", "320x180", "480x360", "320x180")
CLIP_SECONDS = 2.0


@pytest.fixture(scope="module")
def resizing_hearing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One participant whose single segment changes resolution four times (VP8 in Matroska)."""
    sources = tmp_path_factory.mktemp("resizing-src")
    clips = [make_source(sources / f"{size}.webm", seconds=CLIP_SECONDS, size=size)
             for size in sorted(set(RESOLUTIONS))]
    by_size = dict(zip(sorted(set(RESOLUTIONS)), clips, strict=True))
    archive = tmp_path_factory.mktemp("resizing-archive")
    person = ParticipantInfo("h2", "clinic", role="被告", display_name="张被告")
    specs = [TrackSpec("video", "video/VP8", 90000), TrackSpec("audio", "audio/opus", 48000)]
    series = SegmentSeries(archive / "h2" / "clinic", person, specs)
    for number, size in enumerate(RESOLUTIONS):
        base = number * CLIP_SECONDS
        with av.open(str(by_size[size])) as container:
            for packet in container.demux():
                if packet.pts is None or packet.time_base is None:
                    continue
                offset = float(packet.pts * packet.time_base)
                if offset >= CLIP_SECONDS:
                    continue
                kind = packet.stream.type
                copy = av.Packet(bytes(packet))
                copy.pts = round((base + offset) * (90000 if kind == "video" else 48000))
                copy.is_keyframe = packet.is_keyframe
                series.add(kind, copy, T0 + base + offset)
    series.finish()
    assert len(series.closed) == 1  # one stream whose frames change size, as recorded
    with av.open(str(series.closed[0])) as original:
        sizes = [(f.width, f.height) for f in original.decode(video=0)]
    assert len(set(sizes)) == len(set(RESOLUTIONS))
    return archive / "h2"


def test_the_sidecar_notes_every_resolution_change(resizing_hearing: Path) -> None:
    sidecar = json.loads((resizing_hearing / "clinic" / "seg-00001.json").read_text())
    noted = [f"{r['width']}x{r['height']}" for r in sidecar["resolutions"]]
    assert noted == list(RESOLUTIONS)
    starts = [r["at"] for r in sidecar["resolutions"]]
    assert starts == sorted(starts)
    assert all(abs(a - n * CLIP_SECONDS) < 0.5 for n, a in enumerate(starts))


def _mean_luma(frame: av.VideoFrame) -> float:
    small = frame.reformat(width=64, height=36, format="gray")
    plane = small.planes[0]
    data = bytes(plane)
    rows = [data[y * plane.line_size:y * plane.line_size + 64] for y in range(36)]
    return sum(sum(row) for row in rows) / (64 * 36)


async def test_a_participant_whose_resolution_changes_never_goes_black(
    resizing_hearing: Path,
) -> None:
    result = await compose_hearing(resizing_hearing)
    lumas: list[tuple[float, float]] = []
    with av.open(str(result.path)) as container:
        for frame in container.decode(video=0):
            assert frame.time is not None
            lumas.append((frame.time, _mean_luma(frame)))
    total = len(RESOLUTIONS) * CLIP_SECONDS
    sampled = [(t, y) for t, y in lumas if 0.3 < t < total - 0.3]
    dark = [f"{t:.2f}s" for t, y in sampled if y < 40]
    assert not dark, f"the cell went black at {dark[:5]}… ({len(dark)} of {len(sampled)} frames)"
    assert len(sampled) > FPS * (total - 1)  # and no frames were lost at the changes
