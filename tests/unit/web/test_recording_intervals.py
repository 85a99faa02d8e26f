"""When a hearing was being recorded, read from its audit log, and what its archive misses."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hearings.domain.audit import AuditEntry
from web.bridges.recording import recording_intervals, recording_truth

T0 = 1_800_000_000.0


def entry(seq: int, action: str, at: float, **payload: Any) -> AuditEntry:
    return AuditEntry(seq, "system:yunting", action, "h1", payload, prev_hash="",
                      at=datetime.fromtimestamp(at, UTC))


def test_recording_and_failed_count_paused_does_not() -> None:
    spans, failed_at_stop = recording_intervals([
        entry(1, "recording.recording", T0, because="hearing.start"),
        entry(2, "recording.pause", T0 + 10, state="paused"),
        entry(3, "recording.searched", T0 + 11, query="x"),  # not a state change
        entry(4, "recording.resume", T0 + 20, state="recording"),
        entry(5, "recording.fail", T0 + 25, state="failed"),
        entry(6, "recording.processing", T0 + 40, because="hearing.close"),
    ])
    assert spans == [(T0, T0 + 10), (T0 + 20, T0 + 40)]
    assert failed_at_stop


def test_a_recovered_failure_is_not_failed_at_the_stop() -> None:
    _, failed_at_stop = recording_intervals([
        entry(1, "recording.recording", T0, because="hearing.start"),
        entry(2, "recording.fail", T0 + 5, state="failed"),
        entry(3, "recording.recover", T0 + 9, state="recording"),
        entry(4, "recording.processing", T0 + 30, because="hearing.close"),
    ])
    assert not failed_at_stop


def segment(directory: Path, index: int, start: float, duration: float) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"seg-{index:05d}.mkv").write_bytes(b"")
    (directory / f"seg-{index:05d}.json").write_text(json.dumps({
        "start_wall_clock": start, "end_wall_clock": start + duration, "duration": duration,
        "complete": True}))


def test_gaps_count_between_a_participants_first_and_last_recorded_moment(
        tmp_path: Path) -> None:
    segment(tmp_path / "judge", 1, T0, 10)
    segment(tmp_path / "judge", 2, T0 + 18, 22)  # 8 s missing in the middle
    segment(tmp_path / "witness", 1, T0 + 20, 5)  # came late, left early: no gap
    truth = recording_truth(tmp_path, [(T0, T0 + 40)], composite_error=None,
                            failed_at_stop=False)
    assert truth == {"complete": False, "missing_seconds": {"judge": 8.0},
                     "gaps": [{"participant_id": "judge", "from": T0 + 10, "to": T0 + 18,
                               "seconds": 8.0}],
                     "composite_error": None, "failed_at_stop": False}
    whole = recording_truth(tmp_path, [(T0, T0 + 10)], composite_error=None,
                            failed_at_stop=False)
    assert whole["complete"] is True and whole["missing_seconds"] == {}
