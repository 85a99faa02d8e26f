"""Signature marks: the moment a document was signed during a recording, kept with it.

When a record is signed on camera, web hands media a mark — document kind, id and SHA-256,
field, signer, the signer's track (participant directory), the wall-clock time and when
the pad took the signer's photo. It goes into `<hearing>/signatures.jsonl` at once
(`record_mark`); when the recording is sealed (`annotate_sidecars`, before composing and
the manifest) each mark is written into the sidecar of every segment recording at that
moment, with its offset into the segment and into that participant's track; the composer
draws it as a caption and the manifest lists it. `check_marks` is what an evidence
package's verification asks of them: each signature falls inside a recorded, gap-free
stretch of the signer's own track, the sidecars and `signatures.jsonl` agree, and the
photo was taken then.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from media.segments import write_sidecar

__all__ = ["MARKS", "PHOTO_TOLERANCE", "annotate_sidecars", "captions", "check_marks",
           "marks_summary", "offsets_at", "read_marks", "record_mark", "track_spans"]

MARKS = "signatures.jsonl"
# How far the pad's photo time may be from the server's signing time (clock skew, upload).
PHOTO_TOLERANCE = 120.0
_KEYS = ("kind", "title", "document_id", "sha256", "field", "signer", "participant_id", "track",
         "at", "captured_at")
_JOIN = 1.5  # s: segments of one track closer than this are one stretch (rotation, keyframe)


def _sidecars(hearing_dir: Path) -> dict[str, list[tuple[Path, dict[str, Any]]]]:
    """Per participant directory, its segments' sidecars in order (those with a file)."""
    found: dict[str, list[tuple[Path, dict[str, Any]]]] = {}
    for path in sorted(hearing_dir.glob("*/seg-*.json")):
        if not path.with_suffix(".mkv").is_file():
            continue
        try:
            body = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(body, dict):
            found.setdefault(path.parent.name, []).append((path, body))
    return found


def _bounds(sidecar: Mapping[str, Any]) -> tuple[float, float] | None:
    try:
        start = float(sidecar["start_wall_clock"])
        duration = sidecar.get("duration")
        end = (start + float(duration) if isinstance(duration, int | float)
               else float(sidecar["end_wall_clock"]))
    except (KeyError, TypeError, ValueError):
        return None
    return (start, max(start, end))


def offsets_at(hearing_dir: Path, at: float, *, slack: float = 2.0) -> dict[str, Any]:
    """Where each participant's track is at `at`: its segment, the offset into it and into
    the track (seconds since the track's first segment began). A segment being written
    rewrites its sidecar about once a second, so `slack` seconds past its last rewrite
    still count as inside it. Blocking."""
    out: dict[str, Any] = {}
    for track, sidecars in _sidecars(hearing_dir).items():
        bounds = [(path, _bounds(body), body) for path, body in sidecars]
        known = [(path, b, body) for path, b, body in bounds if b is not None]
        if not known:
            continue
        first = known[0][1][0]
        for path, (start, end), body in known:
            open_ = not body.get("complete")
            if start <= at <= end + (slack if open_ else 0.0):
                out[track] = {"segment": path.with_suffix(".mkv").name,
                              "offset": round(at - start, 3),
                              "track_offset": round(at - first, 3)}
    return out


def record_mark(hearing_dir: Path, mark: Mapping[str, Any]) -> None:
    """Append one mark to `signatures.jsonl`, synced. Blocking."""
    body = {key: mark.get(key) for key in _KEYS}
    hearing_dir.mkdir(parents=True, exist_ok=True)
    line = json.dumps(body, ensure_ascii=False, sort_keys=True) + "\n"
    with (hearing_dir / MARKS).open("a", encoding="utf-8") as stream:
        stream.write(line)
        stream.flush()
        os.fsync(stream.fileno())


def read_marks(text: str) -> list[dict[str, Any]]:
    """The marks of a `signatures.jsonl` (unreadable lines are skipped by no one: they raise)."""
    marks = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            mark = json.loads(line)
        except ValueError as exc:
            raise ValueError(f"{MARKS} line {number} is not JSON: {exc}") from None
        if not isinstance(mark, dict):
            raise ValueError(f"{MARKS} line {number} is not an object")
        marks.append(mark)
    return marks


def _entry(mark: Mapping[str, Any], start: float, first: float) -> dict[str, Any]:
    at = float(mark["at"])
    return {**{key: mark.get(key) for key in _KEYS}, "offset": round(at - start, 3),
            "track_offset": round(at - first, 3)}


def annotate_sidecars(hearing_dir: Path) -> int:
    """Write each mark of `signatures.jsonl` into the sidecar of every (closed) segment
    recording at its moment, as `signatures: [...]`; idempotent. Returns how many
    sidecars changed. Blocking; call only once the recorders have stopped."""
    path = hearing_dir / MARKS
    if not path.is_file():
        return 0
    marks = read_marks(path.read_text(encoding="utf-8"))
    changed = 0
    for sidecars in _sidecars(hearing_dir).values():
        bounds = [(p, body, _bounds(body)) for p, body in sidecars]
        firsts = [b[0] for _, _, b in bounds if b is not None]
        if not firsts:
            continue
        for sidecar_path, body, span in bounds:
            if span is None:
                continue
            entries = [_entry(m, span[0], firsts[0]) for m in marks
                       if isinstance(m.get("at"), int | float) and span[0] <= m["at"] <= span[1]]
            if entries and body.get("signatures") != entries:
                write_sidecar(sidecar_path, {**body, "signatures": entries})
                changed += 1
    return changed


def marks_summary(hearing_dir: Path) -> list[dict[str, Any]]:
    """For the manifest: each mark with, per participant track recording then, its segment
    and offsets (from the annotated sidecars). Blocking."""
    path = hearing_dir / MARKS
    if not path.is_file():
        return []
    marks = read_marks(path.read_text(encoding="utf-8"))
    tracks: dict[tuple[Any, Any], dict[str, Any]] = {}
    for track, sidecars in _sidecars(hearing_dir).items():
        for sidecar_path, body in sidecars:
            for entry in body.get("signatures") or []:
                if isinstance(entry, dict):
                    tracks.setdefault((entry.get("sha256"), entry.get("field")), {})[track] = {
                        "segment": f"{track}/{sidecar_path.with_suffix('.mkv').name}",
                        "offset": entry.get("offset"), "track_offset": entry.get("track_offset")}
    return [{**{key: m.get(key) for key in _KEYS},
             "tracks": tracks.get((m.get("sha256"), m.get("field")), {})} for m in marks]


def captions(hearing_dir: Path) -> list[tuple[float, str]]:
    """(wall-clock time, caption) of each mark, for the composite: "张某 签名 · 讯问笔录 ·
    sha256 1a2b3c4d…". Blocking."""
    path = hearing_dir / MARKS
    if not path.is_file():
        return []
    out = []
    for mark in read_marks(path.read_text(encoding="utf-8")):
        if isinstance(mark.get("at"), int | float):
            title = mark.get("title") or mark.get("kind") or ""
            out.append((float(mark["at"]), f"{mark.get('signer')} 签名 · {title} · sha256 "
                                           f"{str(mark.get('sha256'))[:12]}…"))
    return out


def track_spans(sidecars: Iterable[Mapping[str, Any]]) -> list[tuple[float, float]]:
    """One track's recorded stretches: its segments' spans, joined where they touch."""
    spans = sorted(b for b in (_bounds(s) for s in sidecars) if b is not None)
    merged: list[tuple[float, float]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1] + _JOIN:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def check_marks(sidecars: Mapping[str, Mapping[str, Any]], marks: list[dict[str, Any]],
                gaps: Iterable[Mapping[str, Any]] = ()) -> tuple[list[dict[str, Any]], list[str]]:
    """Verify the signatures recorded in a hearing's archive.

    `sidecars` maps each sidecar's path (`<track>/seg-00001.json`) to its body; `marks` are
    `signatures.jsonl`'s; `gaps` the manifest's (`participant_id`, `from`, `to`). Returns
    one row per signature (with its offsets in the signer's track) and the problems, each
    naming the signer, the field and the document."""
    by_track: dict[str, list[tuple[str, Mapping[str, Any]]]] = {}
    for name, body in sorted(sidecars.items()):
        by_track.setdefault(name.rsplit("/", 1)[0], []).append((name, body))
    holes: dict[str, list[tuple[float, float]]] = {}
    for gap in gaps:
        try:
            holes.setdefault(str(gap["participant_id"]), []).append(
                (float(gap["from"]), float(gap["to"])))
        except (KeyError, TypeError, ValueError):
            continue
    rows: list[dict[str, Any]] = []
    problems: list[str] = []
    seen: set[tuple[Any, Any]] = set()
    for track, named in sorted(by_track.items()):
        for name, body in named:
            for entry in body.get("signatures") or []:
                if not isinstance(entry, dict) or entry.get("track") != track:
                    continue  # another participant's signature seen by this track's camera
                key = (entry.get("sha256"), entry.get("field"))
                seen.add(key)
                row, why = _check_one(track, name, body, entry, named, holes.get(track, []))
                rows.append(row)
                problems += why
    for mark in marks:
        if (mark.get("sha256"), mark.get("field")) not in seen:
            problems.append(f"signature {_who(mark)}: not found in the recording of its "
                            f"signer's own track ({mark.get('track')}): signed outside a "
                            "recorded stretch, or the sidecars were changed")
    return rows, problems


def _who(mark: Mapping[str, Any]) -> str:
    return (f"{mark.get('signer')} ({mark.get('field')}) on {mark.get('kind')} "
            f"sha256 {str(mark.get('sha256'))[:16]}…")


def _check_one(track: str, name: str, body: Mapping[str, Any], entry: Mapping[str, Any],
               named: list[tuple[str, Mapping[str, Any]]],
               holes: list[tuple[float, float]]) -> tuple[dict[str, Any], list[str]]:
    problems: list[str] = []
    span = _bounds(body)
    try:
        offset = float(entry["offset"])
        at = float(entry["at"])
    except (KeyError, TypeError, ValueError):
        return ({"segment": name, **entry}, [f"signature {_who(entry)}: unreadable mark in "
                                             f"{name}"])
    row = {"track": track, "segment": name, "field": entry.get("field"),
           "signer": entry.get("signer"), "kind": entry.get("kind"),
           "document_id": entry.get("document_id"), "sha256": entry.get("sha256"),
           "at": at, "offset": offset, "track_offset": entry.get("track_offset")}
    moment = span[0] + offset if span else None
    if span is None or not (span[0] <= moment <= span[1]):  # type: ignore[operator]
        problems.append(f"signature {_who(entry)}: its time (offset {offset:.3f} s into {name}) "
                        "is outside the recorded stretch of the signer's own track")
    elif abs(moment - at) > 0.01:  # type: ignore[operator]
        problems.append(f"signature {_who(entry)}: offset {offset:.3f} s into {name} is not its "
                        f"time {at}")
    stretches = track_spans(b for _, b in named)
    if moment is not None and not any(s <= moment <= e for s, e in stretches):
        problems.append(f"signature {_who(entry)}: not inside a recorded stretch of {track}")
    if moment is not None and any(s <= moment <= e for s, e in holes):
        problems.append(f"signature {_who(entry)}: falls in a gap of {track}'s recording")
    captured = entry.get("captured_at")
    photo = _epoch(captured)
    if captured is not None and photo is None:
        problems.append(f"signature {_who(entry)}: unreadable photo time {captured!r}")
    elif photo is not None and abs(photo - at) > PHOTO_TOLERANCE:
        problems.append(f"signature {_who(entry)}: the photo was taken at {captured}, "
                        f"{abs(photo - at):.0f} s from the signature")
    row["captured_at"] = captured
    return row, problems


def _epoch(value: object) -> float | None:
    import datetime as dt

    if not isinstance(value, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.timestamp() if moment.tzinfo else None
