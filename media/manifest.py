"""The manifest: every file of a recording with its SHA-256, size, duration and participant.

Serialised canonically (sorted keys, no spaces) so the bytes that were timestamped can
be re-derived; the timestamp token covers SHA-256 of exactly those bytes.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import av

from media.errors import PackageError
from media.marks import marks_summary

__all__ = [
    "MANIFEST_VERSION",
    "Manifest",
    "ManifestEntry",
    "Timestamper",
    "describe_file",
    "segment_notes",
    "sha256_file",
]

MANIFEST_VERSION = 1
Timestamper = Callable[[bytes], bytes]  # SHA-256 digest → RFC 3161 token (DER), e.g. docforge's TSA
_CHUNK = 1 << 20
_MEDIA_SUFFIXES = {".mkv", ".webm", ".mp4"}


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def media_duration(path: Path) -> float | None:
    """Seconds of media, from the container or (crash-cut segments) from the last packet."""
    try:
        with av.open(str(path)) as container:
            if container.duration:
                return round(float(container.duration) / av.time_base, 3)
            last = 0.0
            for packet in container.demux():
                if packet.pts is not None and packet.time_base is not None:
                    last = max(last, float(packet.pts * packet.time_base))
            return round(last, 3)
    except (OSError, av.FFmpegError):
        return None


@dataclass(frozen=True)
class ManifestEntry:
    path: str  # relative, POSIX separators
    sha256: str
    size: int
    kind: str  # segment | sidecar | composite | gaps | document | audit | other
    participant_id: str | None = None
    duration: float | None = None


def _kind(relative: Path) -> str:
    if relative.parts and relative.parts[0] in ("documents", "audit"):
        return "document" if relative.parts[0] == "documents" else "audit"
    if relative.name.startswith("seg-"):
        return "segment" if relative.suffix == ".mkv" else "sidecar"
    if relative.suffix == ".mp4":
        return "composite"
    return "gaps" if relative.name == "gaps.jsonl" else "other"


def describe_file(root: Path, path: Path) -> ManifestEntry:
    relative = path.relative_to(root)
    kind = _kind(relative)
    participant = None
    if kind in ("segment", "sidecar") and len(relative.parts) >= 2:
        participant = relative.parts[-2]
    duration = media_duration(path) if path.suffix in _MEDIA_SUFFIXES else None
    return ManifestEntry(
        relative.as_posix(), sha256_file(path), path.stat().st_size, kind, participant, duration
    )


def segment_notes(root: Path, files: Iterable[Path]) -> dict[str, dict[str, Any]]:
    """Per segment (relative path) what its sidecar says went wrong: the write `error` that
    closed it, and whether recovery closed it after a crash (`recovered`). Only segments
    with something to say are named."""
    notes: dict[str, dict[str, Any]] = {}
    for path in files:
        if path.suffix != ".mkv" or not path.name.startswith("seg-"):
            continue
        try:
            sidecar = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            notes[path.relative_to(root).as_posix()] = {"error": "no readable sidecar"}
            continue
        if not isinstance(sidecar, dict):
            continue
        note = {key: sidecar[key] for key in ("error", "recovered") if sidecar.get(key)}
        if note:
            notes[path.relative_to(root).as_posix()] = note
    return notes


@dataclass(frozen=True)
class Manifest:
    hearing_id: str
    created_at: float
    entries: tuple[ManifestEntry, ...]
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(cls, hearing_id: str, root: Path, files: Iterable[Path], **extra: Any) -> Manifest:
        """A hearing's archive (`root`) with documents signed while recording lists them
        under `signatures`: document, signer, field, time, offsets per track (media/marks)."""
        entries = tuple(sorted((describe_file(root, f) for f in files), key=lambda e: e.path))
        signed = marks_summary(root)
        return cls(hearing_id, time.time(), entries,
                   {**extra, **({"signatures": signed} if signed else {})})

    def to_bytes(self) -> bytes:
        body = {
            "version": MANIFEST_VERSION,
            "hearing_id": self.hearing_id,
            "created_at": self.created_at,
            "hash": "sha256",
            "files": [asdict(e) for e in self.entries],
            **({"extra": self.extra} if self.extra else {}),
        }
        return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()

    def digest(self) -> bytes:
        return hashlib.sha256(self.to_bytes()).digest()

    @classmethod
    def from_bytes(cls, data: bytes) -> Manifest:
        try:
            body = json.loads(data)
            if body.get("version") != MANIFEST_VERSION or body.get("hash") != "sha256":
                raise PackageError(f"unsupported manifest version/hash: {body.get('version')!r}")
            entries = tuple(ManifestEntry(**entry) for entry in body["files"])
            return cls(body["hearing_id"], body["created_at"], entries, body.get("extra", {}))
        except (ValueError, KeyError, TypeError) as exc:
            raise PackageError(f"manifest is not readable: {exc}") from exc
