"""The clerk's case e-file (电子卷宗) in the app: every document the platform holds for a case,
past its draft, plus scans the clerk uploads, compiled into one sealed, timestamped bundle.

Uploads are PDFs only (their first bytes are ``%PDF-``), hashed with SHA-256 and timestamped
at intake by the configured TSA, kept by an `UploadStore`, and audited (`case.upload`).
A compilation takes an ordered list of document and upload ids (none: all of them, oldest
first) and is audited with those ids and the SHA-256 of the result (`case.efile`). The
policy's `case.efile` decides who may: the clerks and administrators of the case's court.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from hearings.access import CALLER
from hearings.actors import Actor
from hearings.documents import Document
from hearings.errors import InvalidInput, NotFound
from hearings.identity import new_id, utcnow
from hearings.policy import require
from hearings.ports import UnitOfWork
from hearings.states import DocumentState

__all__ = ["CompiledCaseEfile", "EfileItem", "Efiles", "Upload", "UploadStore"]

PDF_MAGIC = b"%PDF-"
MAX_NAME = 200
MAX_ITEMS = 500


@dataclass(frozen=True)
class Upload:
    """A scan the clerk brought in: its bytes are the store's, under `id`."""

    case_id: str
    filename: str
    sha256: str
    size: int
    uploaded_by: str  # the audit label
    timestamp_token: bytes  # the TSA's answer for sha256 (DER)
    id: str = field(default_factory=new_id)
    at: datetime = field(default_factory=utcnow)

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "case_id": self.case_id, "filename": self.filename,
                "sha256": self.sha256, "size": self.size, "uploaded_by": self.uploaded_by,
                "at": self.at.isoformat(), "timestamped": bool(self.timestamp_token)}


class UploadStore(Protocol):
    async def put(self, upload: Upload, data: bytes) -> None: ...
    async def get(self, case_id: str, upload_id: str) -> tuple[Upload, bytes]: ...
    async def of_case(self, case_id: str) -> list[Upload]: ...


@dataclass(frozen=True)
class EfileItem:
    """One part of the bundle: `name` its file name, `title` what the contents say."""

    id: str
    name: str
    title: str
    data: bytes


@dataclass(frozen=True)
class CompiledCaseEfile:
    data: bytes
    sha256: str
    page_count: int
    items: tuple[str, ...]  # the ids, in bundle order


# (items, case number, court name) -> (bundle bytes, page count)
Compile = Callable[[Sequence[EfileItem], str, str], Awaitable[tuple[bytes, int]]]
Timestamp = Callable[[bytes], Awaitable[bytes]]  # SHA-256 digest -> token
ReadDocument = Callable[[Document], Awaitable[bytes]]


def _address() -> dict[str, Any]:
    caller = CALLER.get()
    return {"address": caller.address} if caller else {}


class Efiles:
    def __init__(self, uow: Callable[[], UnitOfWork], *, store: UploadStore,
                 read_document: ReadDocument, timestamp: Timestamp, compile: Compile) -> None:
        self._uow = uow
        self._store = store
        self._read = read_document
        self._timestamp = timestamp
        self._compile = compile

    async def _case(self, actor: Actor, case_id: str) -> tuple[Any, Any]:
        async with self._uow() as uow:
            case = await uow.cases.get(case_id)
            require(actor, "case.efile", court_id=case.court_id)
            court = await uow.courts.get(case.court_id)
        return case, court

    async def upload(self, actor: Actor, case_id: str, filename: str, data: bytes) -> Upload:
        """Take in a scanned PDF: magic bytes checked, hashed, timestamped, stored, audited."""
        case, _ = await self._case(actor, case_id)
        name = (filename or "").strip().replace("/", "_").replace("\\", "_")[:MAX_NAME]
        if not name or any(ord(ch) < 32 for ch in name):
            raise InvalidInput("'filename' must name the file (printable, at most 200 chars)")
        if not data.startswith(PDF_MAGIC):
            raise InvalidInput("an upload must be a PDF (it does not begin with %PDF-)")
        digest = hashlib.sha256(data)
        token = await self._timestamp(digest.digest())
        upload = Upload(case.id, name, digest.hexdigest(), len(data), actor.label, token)
        await self._store.put(upload, data)
        async with self._uow() as uow:
            await uow.audit.append(actor.label, "case.upload", None, {
                "case_id": case.id, "upload_id": upload.id, "filename": upload.filename,
                "sha256": upload.sha256, "size": upload.size} | _address())
            await uow.commit()
        return upload

    async def contents(self, actor: Actor, case_id: str) -> list[dict[str, Any]]:
        """What an e-file of the case can hold, oldest first."""
        case, _ = await self._case(actor, case_id)
        documents = await self._documents(case.id)
        uploads = await self._store.of_case(case.id)
        rows = [{"id": d.id, "source": "document", "kind": d.kind.value, "title": d.title,
                 "sha256": d.sha256, "at": d.created_at.isoformat()} for d in documents]
        rows += [{"id": u.id, "source": "upload", "kind": "upload", "title": u.filename,
                  "sha256": u.sha256, "at": u.at.isoformat()} for u in uploads]
        return sorted(rows, key=lambda r: r["at"])

    async def compile(self, actor: Actor, case_id: str, ids: Sequence[str] = ()
                      ) -> CompiledCaseEfile:
        """The sealed bundle of `ids` in that order (none: everything, oldest first)."""
        case, court = await self._case(actor, case_id)
        if len(ids) > MAX_ITEMS:
            raise InvalidInput(f"an e-file holds at most {MAX_ITEMS} items")
        if len(set(ids)) != len(ids):
            raise InvalidInput("an item is listed twice")
        documents = {d.id: d for d in await self._documents(case.id)}
        uploads = {u.id: u for u in await self._store.of_case(case.id)}
        if not ids:
            ordered = sorted([(d.created_at, d.id) for d in documents.values()]
                             + [(u.at, u.id) for u in uploads.values()])
            ids = [i for _, i in ordered]
        if not ids:
            raise InvalidInput("the case has no documents past their draft and no uploads")
        items: list[EfileItem] = []
        for item_id in ids:
            if item_id in documents:
                d = documents[item_id]
                items.append(EfileItem(d.id, f"{d.kind.value}-{d.id}.pdf", d.title,
                                       await self._read(d)))
            elif item_id in uploads:
                _, data = await self._store.get(case.id, item_id)
                u = uploads[item_id]
                items.append(EfileItem(u.id, u.filename, u.filename.removesuffix(".pdf")
                                       .removesuffix(".PDF") or u.filename, data))
            else:
                raise NotFound("document or upload of the case", item_id)
        data, pages = await self._compile(items, case.number, court.name)
        result = CompiledCaseEfile(data, hashlib.sha256(data).hexdigest(), pages,
                                   tuple(i.id for i in items))
        async with self._uow() as uow:
            await uow.audit.append(actor.label, "case.efile", None, {
                "case_id": case.id, "items": list(result.items), "sha256": result.sha256,
                "pages": pages} | _address())
            await uow.commit()
        return result

    async def _documents(self, case_id: str) -> list[Document]:
        async with self._uow() as uow:
            found: list[Document] = []
            for hearing in await uow.hearings.of_case(case_id):
                found += [d for d in await uow.documents.of_hearing(hearing.id)
                          if d.state is not DocumentState.DRAFTED]
        return sorted(found, key=lambda d: d.created_at)
