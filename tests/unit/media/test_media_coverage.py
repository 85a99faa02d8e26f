"""Per-participant coverage from sidecars: spans merged, missing seconds against the time
the hearing was being recorded."""

from __future__ import annotations

import json
from pathlib import Path

from media.coverage import missing_seconds, recorded_spans


def segment(directory: Path, index: int, start: float, end: float, **extra: object) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"seg-{index:05d}.mkv").write_bytes(b"")
    body = {"start_wall_clock": start, "end_wall_clock": end, **extra}
    (directory / f"seg-{index:05d}.json").write_text(json.dumps(body))


def test_spans_merge_per_participant_and_prefer_the_final_duration(tmp_path: Path) -> None:
    segment(tmp_path / "judge", 1, 100.0, 160.0)
    segment(tmp_path / "judge", 2, 160.0, 220.0)  # a rotation: contiguous
    segment(tmp_path / "judge", 3, 300.0, 301.0, duration=30.0)  # recovered after a kill
    segment(tmp_path / "party", 1, 100.0, 108.6)
    (tmp_path / "party" / "seg-00002.json").write_text("{not json")  # cut: ignored
    segment(tmp_path / "party", 3, 0.0, 0.0)  # nothing in it
    (tmp_path / "party" / "seg-00004.json").write_text(json.dumps(
        {"start_wall_clock": 1.0, "end_wall_clock": 9.0}))  # no media file beside it
    assert recorded_spans(tmp_path) == {
        "judge": [(100.0, 220.0), (300.0, 330.0)],
        "party": [(100.0, 108.6)],
    }


def test_missing_seconds_count_only_while_the_hearing_was_recorded() -> None:
    recorded = [(100.0, 220.0), (300.0, 330.0)]
    assert missing_seconds(recorded, [(100.0, 220.0)]) == 0.0
    # Paused from 220 to 300: not missing. Recording again 300–400: 70 s missing at the end.
    assert missing_seconds(recorded, [(100.0, 220.0), (300.0, 400.0)]) == 70.0
    # A hole inside: 220–300 while recording.
    assert missing_seconds(recorded, [(100.0, 330.0)]) == 80.0
    # The judge's recording that ended 8.6 s into an 89 s hearing.
    assert missing_seconds([(0.0, 8.6)], [(0.0, 89.0)]) == 80.4
    # Keyframe waits and arrival jitter (<= 1 s) are no gap.
    assert missing_seconds([(100.8, 199.5)], [(100.0, 200.0)]) == 0.0
    assert missing_seconds([], [(0.0, 10.0)]) == 10.0
