"""What a hearing's archive holds per participant: the wall-clock spans its segments cover,
and how many seconds of the time the hearing was being recorded they miss.

Read from the sidecars alone (each final one carries its `duration`; an interrupted one its
last rewrite), so a clerk's listing, a manifest or an evidence package can say "p1: 95 s
missing" without opening a media file. The hearing's recording intervals (from recording
to pause or close) are the caller's: media does not know when the judge paused.
"""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["Span", "holes", "missing_seconds", "recorded_spans"]

Span = tuple[float, float]  # wall clock: start, end (seconds since the epoch)


def _span(sidecar: dict[str, object]) -> Span | None:
    try:
        start = float(sidecar["start_wall_clock"])  # type: ignore[arg-type]
        duration = sidecar.get("duration")
        end = (start + float(duration) if isinstance(duration, int | float)
               else float(sidecar["end_wall_clock"]))  # type: ignore[arg-type]
    except (KeyError, TypeError, ValueError):
        return None
    return (start, end) if end > start else None


def _merged(spans: list[Span]) -> list[Span]:
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def recorded_spans(hearing_dir: Path) -> dict[str, list[Span]]:
    """Per participant directory: the merged spans its segments cover, in order. Blocking."""
    spans: dict[str, list[Span]] = {}
    for sidecar_path in sorted(hearing_dir.glob("*/seg-*.json")):
        if not sidecar_path.with_suffix(".mkv").is_file():
            continue
        try:
            sidecar = json.loads(sidecar_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        span = _span(sidecar) if isinstance(sidecar, dict) else None
        if span is not None:
            spans.setdefault(sidecar_path.parent.name, []).append(span)
    return {participant: _merged(found) for participant, found in spans.items()}


def holes(recorded: list[Span], wanted: list[Span], *, tolerance: float = 1.0) -> list[Span]:
    """The spans of `wanted` (when the hearing was being recorded) that `recorded` misses.

    Holes of at most `tolerance` seconds are not counted: a segment opens at the first
    keyframe, and the arrival clock is only that good.
    """
    found: list[Span] = []
    for want_start, want_end in _merged(wanted):
        cursor = want_start
        for start, end in recorded:
            if end <= cursor or start >= want_end:
                continue
            if min(start, want_end) - cursor > tolerance:
                found.append((cursor, min(start, want_end)))
            cursor = max(cursor, end)
        if want_end - cursor > tolerance:
            found.append((cursor, want_end))
    return found


def missing_seconds(recorded: list[Span], wanted: list[Span], *, tolerance: float = 1.0) -> float:
    """Seconds of `wanted` that `recorded` misses: the sum of its `holes`."""
    return round(sum(end - start for start, end in holes(recorded, wanted,
                                                          tolerance=tolerance)), 3)
