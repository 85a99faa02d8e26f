"""The composer: grid video and mixed audio on the hearing's wall-clock timeline."""

from __future__ import annotations

from pathlib import Path

import av
import pytest

from media import composer
from media.composer import FPS, compose_hearing, plan_grid
from media.participant import ParticipantInfo
from tests.integration.media.streams import remux_as_segments

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
