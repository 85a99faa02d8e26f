"""The clerk's case e-file (电子卷宗) in the app: every document the platform holds for a case,
past its draft, plus scans the clerk uploads, compiled into one sealed, timestamped bundle.

Uploads are PDFs only (their first bytes are ``%PDF-``), received to disk by the web layer
(hashed as they stream in: a `StagedUpload`), timestamped at intake by the configured TSA,
kept by an `UploadStore`, and audited (`case.upload`). A compilation takes an ordered list of
document and upload ids (none: all of them, oldest first): `plan` checks who asks and what
is asked for at once, `build` (a job: web/bridges/jobs_efile.py) reads, compiles and seals it with
its progress told, and is audited with those ids and the SHA-256 of the result
(`case.efile`). The policy's `case.efile` decides who may: the clerks and administrators of
the case's court.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from hearings.domain.actors import Actor
from hearings.domain.documents import Document
from hearings.domain.errors import InvalidInput, NotFound
from hearings.domain.identity import new_id, utcnow
from hearings.domain.policy import require
from hearings.domain.states import DocumentState
from hearings.services.access import CALLER
from hearings.services.ports import UnitOfWork

__all__ = ["CompiledCaseEfile", "EfileItem", "EfilePlan", "Efiles", "Progress", "StagedUpload",
           "Upload", "UploadStore"]

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


@dataclass(frozen=True)
class StagedUpload:
    """A file received to disk, not yet taken in: its hash and size counted as it arrived,
    its first bytes kept for the magic check."""

    path: Path
    sha256: str
    size: int
    head: bytes


class UploadStore(Protocol):
    async def put(self, upload: Upload, staged: StagedUpload) -> None: ...
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


@dataclass(frozen=True)
class EfilePlan:
    """What a clerk asked to compile, checked: the case and the item ids in bundle order."""

    case_id: str
    case_number: str
    court: str
    items: tuple[str, ...]


# (percent 0-100, stage: reading | compiling | sealed) -> None
Progress = Callable[[int, str], Awaitable[None]]
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

    async def upload(self, actor: Actor, case_id: str, filename: str, staged: StagedUpload
                     ) -> Upload:
        """Take in a scanned PDF: magic bytes checked, hash timestamped, stored, audited."""
        case, _ = await self._case(actor, case_id)
        name = (filename or "").strip().replace("/", "_").replace("\\", "_")[:MAX_NAME]
        if not name or any(ord(ch) < 32 for ch in name):
            raise InvalidInput("'filename' must name the file (printable, at most 200 chars)")
        if not staged.head.startswith(PDF_MAGIC):
            raise InvalidInput("an upload must be a PDF (it does not begin with %PDF-)")
        token = await self._timestamp(bytes.fromhex(staged.sha256))
        upload = Upload(case.id, name, staged.sha256, staged.size, actor.label, token)
        await self._store.put(upload, staged)
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
        """The sealed bundle of `ids` in that order (none: everything, oldest first), now."""
        plan = await self.plan(actor, case_id, ids)
        result = await self.build(plan)
        await self.audit(plan, result, by=actor.label, address=_address().get("address"))
        return result

    async def downloaded(self, actor: Actor, case_id: str, job_id: str, sha256: str,
                         address: str | None) -> None:
        """`case.efile.download`: who took the built e-file, from where."""
        case, _ = await self._case(actor, case_id)
        async with self._uow() as uow:
            await uow.audit.append(actor.label, "case.efile.download", None, {
                "case_id": case.id, "job_id": job_id, "sha256": sha256}
                | ({"address": address} if address else {}))
            await uow.commit()

    async def allowed(self, actor: Actor, case_id: str) -> None:
        """Refuses (PermissionDenied, NotFound) unless `actor` may keep the case's e-file."""
        await self._case(actor, case_id)

    async def plan(self, actor: Actor, case_id: str, ids: Sequence[str] = ()) -> EfilePlan:
        """Who asks may, and every item is the case's (before any work is queued)."""
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
        for item_id in ids:
            if item_id not in documents and item_id not in uploads:
                raise NotFound("document or upload of the case", item_id)
        return EfilePlan(case.id, case.number, court.name, tuple(ids))

    async def build(self, plan: EfilePlan, progress: Progress | None = None
                    ) -> CompiledCaseEfile:
        """Read, compile, seal and timestamp the planned bundle, telling `progress` (not yet
        audited: `audit` once the result is kept)."""
        async def tell(percent: int, stage: str) -> None:
            if progress is not None:
                await progress(percent, stage)

        documents = {d.id: d for d in await self._documents(plan.case_id)}
        uploads = {u.id: u for u in await self._store.of_case(plan.case_id)}
        items: list[EfileItem] = []
        for n, item_id in enumerate(plan.items):
            await tell(5 + 35 * n // len(plan.items), "reading")
            if item_id in documents:
                d = documents[item_id]
                items.append(EfileItem(d.id, f"{d.kind.value}-{d.id}.pdf", d.title,
                                       await self._read(d)))
            elif item_id in uploads:
                _, data = await self._store.get(plan.case_id, item_id)
                u = uploads[item_id]
                items.append(EfileItem(u.id, u.filename, u.filename.removesuffix(".pdf")
                                       .removesuffix(".PDF") or u.filename, data))
            else:
                raise NotFound("document or upload of the case", item_id)
        await tell(40, "compiling")
        data, pages = await self._compile(items, plan.case_number, plan.court)
        result = CompiledCaseEfile(data, hashlib.sha256(data).hexdigest(), pages,
                                   tuple(i.id for i in items))
        await tell(95, "sealed")
        return result

    async def audit(self, plan: EfilePlan, result: CompiledCaseEfile, *, by: str,
                    address: str | None = None, job_id: str | None = None) -> None:
        """`case.efile` as `by` (who asked), from `address`, naming the job that built it."""
        async with self._uow() as uow:
            await uow.audit.append(by, "case.efile", None, {
                "case_id": plan.case_id, "items": list(result.items), "sha256": result.sha256,
                "pages": result.page_count} | ({"job_id": job_id} if job_id else {})
                | ({"address": address} if address else {}))
            await uow.commit()

    async def _documents(self, case_id: str) -> list[Document]:
        async with self._uow() as uow:
            found: list[Document] = []
            for hearing in await uow.hearings.of_case(case_id):
                found += [d for d in await uow.documents.of_hearing(hearing.id)
                          if d.state is not DocumentState.DRAFTED]
        return sorted(found, key=lambda d: d.created_at)
