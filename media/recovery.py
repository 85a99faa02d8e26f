"""Recovery after a crash: close every interrupted segment, record the gap, continue.

A killed recorder (or one whose last sidecar write failed) leaves a playable segment whose
sidecar says `"complete": false` and whose file has no Duration. `recover_participant`
reads each such file back with PyAV (`read_segment`: its packets and last timestamp),
writes the Duration into the file (`matroska.write_duration`, in place), makes the sidecar
final with what the file holds, appends a gap record to `<hearing>/gaps.jsonl`, and
recording then goes on in the next segment index (`next_segment_index`).
"""

from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from media.matroska import write_duration
from media.segments import SIDECAR_VERSION, read_segment, segment_path, write_sidecar

__all__ = ["Gap", "last_timestamp", "next_segment_index", "recover_hearing", "recover_participant"]

logger = logging.getLogger(__name__)
_SEGMENT = re.compile(r"^seg-(\d{5})\.mkv\Z")
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
    return read_segment(path).duration


def _close_out(segment: Path) -> float | None:
    """Make an incomplete segment final; its last media moment (wall clock), or None if its
    sidecar is complete already."""
    sidecar_path = segment.with_suffix(".json")
    sidecar: dict[str, Any] = {}
    if sidecar_path.exists():
        try:
            sidecar = json.loads(sidecar_path.read_text(encoding="utf-8"))
        except ValueError:  # cut while rewritten in place (a full disk, then a kill)
            logger.warning("sidecar %s is unreadable; rebuilt from the segment", sidecar_path)
    if sidecar.get("complete"):
        return None
    found = read_segment(segment)
    if not sidecar:  # cut before its first sidecar: only the file says what it holds
        if not found.packets:
            return None
        sidecar = {"version": SIDECAR_VERSION, "hearing_id": segment.parent.parent.name,
                   "participant_id": segment.parent.name,
                   "streams": [{"kind": kind} for kind in sorted(found.packets)]}
    # Without a sidecar's start, the file's last write is about when its last packet came.
    start = float(sidecar.get("start_wall_clock") or segment.stat().st_mtime - found.duration)
    try:
        repaired = write_duration(segment, found.duration)
    except (OSError, ValueError) as exc:  # the sidecar still carries the duration
        logger.warning("cannot write the duration into %s: %s", segment, exc)
        repaired = False
    for stream in sidecar.get("streams", []):
        kind = stream.get("kind")
        stream.update(packets=found.packets.get(kind, 0), keyframes=found.keyframes.get(kind, 0),
                      bytes=found.bytes.get(kind, 0))
        if kind in found.last:
            stream["last_wall_clock"] = start + found.last[kind]
    end = start + found.duration
    sidecar.update(complete=True, recovered=True, start_wall_clock=start, end_wall_clock=end,
                   duration=found.duration, file=segment.name, duration_written=repaired)
    write_sidecar(sidecar_path, sidecar)
    return end


def recover_participant(directory: Path) -> Gap | None:
    """Close out every interrupted segment; the gap after the last one, if any.

    Never raises for a full or failing disk: a participant must be able to join (and be
    recorded again when there is room) even when the archive cannot be updated; what
    cannot be written is logged, and a segment left incomplete is closed next time.
    """
    gap: Gap | None = None
    for index in segment_indexes(directory):
        segment = segment_path(directory, index)
        try:
            end = _close_out(segment)
        except OSError as exc:
            logger.error("cannot close out %s: %s", segment, exc)
            continue
        if end is None:
            continue
        gap = Gap(directory.name, segment.name, end, time.time())
        try:
            with (directory.parent / GAPS_FILE).open("a", encoding="utf-8") as gaps:
                gaps.write(json.dumps(asdict(gap)) + "\n")
        except OSError as exc:
            logger.error("cannot note the gap after %s in %s: %s", segment, GAPS_FILE, exc)
    return gap


def recover_hearing(hearing_dir: Path) -> list[Gap]:
    """Run `recover_participant` over every participant directory of a hearing."""
    if not hearing_dir.is_dir():
        return []
    gaps = [recover_participant(d) for d in sorted(hearing_dir.iterdir()) if d.is_dir()]
    return [g for g in gaps if g is not None]
