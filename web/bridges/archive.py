"""The recording archive as the clerk sees it: what a hearing's recording holds, which files
may be served, its offline check, and the evidence package with its audit extract.

Names served are only ever names this module listed itself (the sealed manifest's entries,
or before sealing the files found under the hearing's directory): a requested name is
looked up, never joined onto a path, so `../` and absolute paths have nowhere to go.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from hearings.domain.audit import AuditEntry
from hearings.domain.documents import Document
from hearings.domain.errors import NotFound
from media.evidence import (
    DOCUMENT_INDEX,
    MANIFEST,
    TOKEN,
    ManifestSigner,
    PackageReport,
    build_package,
    verify_package,
)
from media.manifest import Manifest

__all__ = [
    "NOT_HEARINGS", "ArchiveFile", "RecordingArchive", "audit_extract", "is_hearing_directory",
]

_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}\Z")
# Directories of archive_dir that are not a hearing's: the document store keeps its PDFs at
# archive_dir/documents/<document id>/<sha256>.pdf (ForgeDocuments, wired in
# web/app/application.py).
NOT_HEARINGS = frozenset({"documents"})


def is_hearing_directory(path: Path) -> bool:
    """A hearing's recording directory under archive_dir (not the document store)."""
    return path.is_dir() and path.name not in NOT_HEARINGS and bool(_ID.match(path.name))
VerifyToken = Callable[[bytes, bytes], Awaitable[bool]]


@dataclass(frozen=True)
class ArchiveFile:
    name: str  # relative to the hearing's directory, POSIX separators
    size: int
    kind: str  # segment | sidecar | composite | gaps | manifest | token | other
    participant_id: str | None = None
    duration: float | None = None
    sha256: str | None = None  # from the sealed manifest; None before sealing

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class RecordingArchive:
    """`root` is settings.archive_dir: one directory per hearing (and the document store's
    `documents/`, which is no hearing's: see `NOT_HEARINGS`)."""

    root: Path

    def directory(self, hearing_id: str) -> Path:
        if not _ID.match(hearing_id) or hearing_id in NOT_HEARINGS:
            raise NotFound("recording", hearing_id)
        return self.root / hearing_id

    def hearing_ids(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if is_hearing_directory(p))

    def manifest(self, hearing_id: str) -> tuple[Manifest, bytes] | None:
        path = self.directory(hearing_id) / MANIFEST
        if not path.is_file():
            return None
        body = path.read_bytes()
        return Manifest.from_bytes(body), body

    def files(self, hearing_id: str) -> list[ArchiveFile]:
        """Blocking. The sealed manifest's files (+ manifest and token), or what is on disk."""
        directory = self.directory(hearing_id)
        sealed = self.manifest(hearing_id)
        if sealed is not None:
            manifest, body = sealed
            listed = [ArchiveFile(e.path, e.size, e.kind, e.participant_id, e.duration, e.sha256)
                      for e in manifest.entries]
            listed.append(ArchiveFile(MANIFEST, len(body), "manifest",
                                      sha256=hashlib.sha256(body).hexdigest()))
            token = directory / TOKEN
            if token.is_file():
                listed.append(ArchiveFile(TOKEN, token.stat().st_size, "token"))
            return listed
        if not directory.is_dir():
            return []
        found = []
        for path in sorted(directory.rglob("*")):
            if path.is_file() and not path.name.endswith(".tmp"):
                relative = path.relative_to(directory)
                found.append(ArchiveFile(relative.as_posix(), path.stat().st_size,
                                         _kind(relative), _participant(relative)))
        return found

    def file(self, hearing_id: str, name: str) -> Path:
        """Blocking. The path of a listed file; anything else is not found."""
        for listed in self.files(hearing_id):
            if listed.name == name:
                path = self.directory(hearing_id) / listed.name
                if path.is_file() and path.resolve().is_relative_to(self.root.resolve()):
                    return path
        raise NotFound("recording file", name)

    def duration(self, hearing_id: str, files: list[ArchiveFile]) -> float | None:
        """Seconds: the composite's length once sealed, else the span the segments cover."""
        composite = [f.duration for f in files if f.kind == "composite" and f.duration]
        if composite:
            return composite[0]
        directory = self.directory(hearing_id)
        starts, ends = [], []
        for f in files:
            if f.kind == "sidecar":
                try:
                    sidecar = json.loads((directory / f.name).read_text(encoding="utf-8"))
                    starts.append(float(sidecar["start_wall_clock"]))
                    ends.append(float(sidecar.get("end_wall_clock") or sidecar["start_wall_clock"]))
                except (OSError, ValueError, KeyError, TypeError):
                    continue
        return round(max(ends) - min(starts), 3) if starts else None

    async def verify(self, hearing_id: str, verify_token: VerifyToken | None = None
                     ) -> PackageReport:
        """The sealed archive against its own manifest; the token checked by `verify_token`
        (docforge's RFC 3161 validation) when its imprint matches."""
        directory = self.directory(hearing_id)
        if not (directory / MANIFEST).is_file():
            raise NotFound("sealed recording", hearing_id)
        report = await asyncio.to_thread(verify_package, directory)
        if report.timestamp == "imprint_ok" and verify_token is not None:
            body = await asyncio.to_thread((directory / MANIFEST).read_bytes)
            token = await asyncio.to_thread((directory / TOKEN).read_bytes)
            valid = await verify_token(token, hashlib.sha256(body).digest())
            report.timestamp = "valid" if valid else "invalid"
        return report

    async def package(self, hearing_id: str, work_dir: Path, *, sign: ManifestSigner,
                      audit: list[dict[str, Any]], name: str,
                      documents: Sequence[tuple[Document, bytes]] = ()) -> Path:
        """Build the evidence package (ZIP) in a fresh folder under `work_dir`; `documents`
        (from `DocumentService.signed`) go under documents/ with their records in index.json."""
        folder = work_dir / secrets.token_hex(8)
        await asyncio.to_thread(folder.mkdir, parents=True)
        extract = folder / "audit-extract.json"
        await asyncio.to_thread(extract.write_text, json.dumps(
            {"hearing_id": hearing_id, "entries": audit}, ensure_ascii=False, indent=1),
            "utf-8")
        pdfs = await asyncio.to_thread(_write_documents, folder / "documents", hearing_id,
                                       list(documents))
        return await build_package(
            self.directory(hearing_id), folder / name, hearing_id=hearing_id,
            sign=sign, documents=pdfs, audit_extract=[extract], as_zip=True)


def document_file(document: Document) -> str:
    """The document's name in a package: its kind and id (ids are unique; titles are not)."""
    return f"{document.kind.value}-{document.id}.pdf"


def _write_documents(folder: Path, hearing_id: str, documents: list[tuple[Document, bytes]]
                     ) -> list[Path]:
    if not documents:
        return []
    folder.mkdir()
    paths, records = [], []
    for document, pdf in documents:
        path = folder / document_file(document)
        path.write_bytes(pdf)
        paths.append(path)
        records.append({
            "file": path.name, "id": document.id, "kind": document.kind.value,
            "title": document.title, "state": document.state.value, "sha256": document.sha256,
            "signatures": document.signatures,
            "sealed_at": document.sealed_at.isoformat() if document.sealed_at else None})
    index = folder / PurePosixPath(DOCUMENT_INDEX).name
    index.write_text(json.dumps({"hearing_id": hearing_id, "documents": records},
                                ensure_ascii=False, indent=1), encoding="utf-8")
    return [*paths, index]


def _kind(relative: Path) -> str:
    if relative.name.startswith("seg-"):
        return "segment" if relative.suffix == ".mkv" else "sidecar"
    if relative.suffix == ".mp4":
        return "composite"
    return "gaps" if relative.name == "gaps.jsonl" else "other"


def _participant(relative: Path) -> str | None:
    return relative.parts[-2] if len(relative.parts) >= 2 else None


def audit_extract(entries: list[AuditEntry]) -> list[dict[str, Any]]:
    """The hearing's audit entries as JSON, with their chain hashes (checkable with the key)."""
    return [{"seq": e.seq, "at": e.at.isoformat(timespec="microseconds"), "actor": e.actor,
             "action": e.action, "hearing_id": e.hearing_id, "payload": e.payload,
             "prev_hash": e.prev_hash, "hash": e.hash} for e in entries]
