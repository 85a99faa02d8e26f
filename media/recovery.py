"""Recovery after a crash: find each participant's last segment, record the gap, continue.

A killed recorder leaves a playable segment whose sidecar says `"complete": false`.
`recover_participant` probes the file for its real last timestamp, marks the sidecar
recovered, appends a gap record to `<hearing>/gaps.jsonl`, and recording then goes on
in the next segment index (`next_segment_index`).
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import av

__all__ = ["Gap", "last_timestamp", "next_segment_index", "recover_hearing", "recover_participant"]

_SEGMENT = re.compile(r"^seg-(\d{5})\.mkv$")
GAPS_FILE = "gaps.jsonl"


@dataclass(frozen=True)
class Gap:
    participant_id: str
    after_segment: str
    last_media_wall_clock: float  # the last moment the interrupted segment holds
    detected_at: float
    reason: str = "recorder_restart"


def segment_indexes(directory: Path) -> list[int]:
    if not directory.is_dir():
        return []
    return sorted(int(m.group(1)) for p in directory.iterdir() if (m := _SEGMENT.match(p.name)))


def next_segment_index(directory: Path) -> int:
    return max(segment_indexes(directory), default=0) + 1


def last_timestamp(path: Path) -> float:
    """Seconds from the segment's start to its last readable packet (0.0 if unreadable)."""
    last = 0.0
    try:
        with av.open(str(path)) as container:
            for packet in container.demux():
                if packet.pts is not None and packet.time_base is not None:
                    last = max(last, float(packet.pts * packet.time_base))
    except (OSError, av.FFmpegError):
        pass  # a truncated tail is expected after a crash: keep what was read
    return last


def recover_participant(directory: Path) -> Gap | None:
    """Close out an interrupted last segment, if any, and note the gap it leaves."""
    indexes = segment_indexes(directory)
    if not indexes:
        return None
    segment = directory / f"seg-{indexes[-1]:05d}.mkv"
    sidecar_path = segment.with_suffix(".json")
    sidecar: dict[str, Any] = {}
    if sidecar_path.exists():
        sidecar = json.loads(sidecar_path.read_text(encoding="utf-8"))
    if sidecar.get("complete"):
        return None
    start = float(sidecar.get("start_wall_clock") or segment.stat().st_mtime)
    end = start + last_timestamp(segment)
    sidecar.update(complete=True, recovered=True, end_wall_clock=end, file=segment.name)
    temporary = sidecar_path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(sidecar, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(temporary, sidecar_path)
    gap = Gap(directory.name, segment.name, end, time.time())
    with (directory.parent / GAPS_FILE).open("a", encoding="utf-8") as gaps:
        gaps.write(json.dumps(asdict(gap)) + "\n")
    return gap


def recover_hearing(hearing_dir: Path) -> list[Gap]:
    """Run `recover_participant` over every participant directory of a hearing."""
    if not hearing_dir.is_dir():
        return []
    gaps = [recover_participant(d) for d in sorted(hearing_dir.iterdir()) if d.is_dir()]
    return [g for g in gaps if g is not None]
