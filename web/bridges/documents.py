"""The hearings `Documents` port made real: docforge makes and signs, a folder keeps the bytes.

Each version of a document is kept under its own hash (documents/<id>/<sha256>.pdf), so a
signature that loses a race leaves an orphan file, never a half-written current one.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from pathlib import Path
from typing import Any

from docforge import from_hearings
from docforge.biometric import SignerIdentity
from docforge.errors import InvalidSignatureCapture, TemplateDataError
from docforge.forge import DocumentForge
from hearings.domain.documents import (
    AgreementContext,
    ApplicationContext,
    Document,
    KeySignature,
    RulingContext,
    TranscriptContext,
)
from hearings.domain.errors import InvalidInput, NotFound
from hearings.domain.plea import PleaContext

__all__ = ["ForgeDocuments"]


class ForgeDocuments:
    def __init__(self, forge: DocumentForge, root: Path) -> None:
        self._forge = forge
        self._root = root

    # -- making ----------------------------------------------------------------------------
    async def draft_agreement(self, document: Document, context: AgreementContext) -> str:
        return await self._store(document, await self._forge.arender_and_seal(
            _view(from_hearings.agreement, context)))

    async def issue(self, document: Document, context: ApplicationContext | RulingContext,
                    signatures: tuple[KeySignature, ...]) -> str:
        build = (from_hearings.application if isinstance(context, ApplicationContext)
                 else from_hearings.ruling)
        pdf = await self._forge.arender_and_seal(_view(build, context))
        for s in signatures:
            pdf = await self._forge.asign_as(pdf, s.field, s.name, s.role, user_id=s.user_id)
        return await self._store(document, await self._forge.afinish(pdf))

    async def draft_transcript(self, document: Document, context: TranscriptContext) -> str:
        return await self._store(document, await self._forge.arender_and_seal(
            _view(from_hearings.transcript, context)))

    async def draft_plea(self, document: Document, context: PleaContext) -> str:
        return await self._store(document, await self._forge.arender_and_seal(
            _view(from_hearings.plea, context)))

    async def sign_by_hand(self, document: Document, field: str, signer: str, role: str,
                           capture: dict[str, Any]) -> str:
        if not isinstance(capture, dict):
            raise InvalidInput("'capture' must be a signature capture object")
        pdf = await self.read(document)
        try:
            signed = await self._forge.asign_handwritten(pdf, field, SignerIdentity(signer, role),
                                                         capture)
        except InvalidSignatureCapture as exc:
            raise InvalidInput(f"signature capture refused: {exc}") from None
        return await self._store(document, signed)

    async def sign_as(self, document: Document, field: str, name: str, role: str, *,
                      user_id: str) -> str:
        pdf = await self.read(document)
        return await self._store(document, await self._forge.asign_as(pdf, field, name, role,
                                                                      user_id=user_id))

    async def finish(self, document: Document) -> str:
        return await self._store(document, await self._forge.afinish(await self.read(document)))

    # -- reading ---------------------------------------------------------------------------
    async def verify(self, document: Document) -> dict[str, Any]:
        report = await self._forge.averify(await self.read(document))
        return report.as_json()

    async def read(self, document: Document) -> bytes:
        path = self._path(document.id, document.sha256)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            raise NotFound("document file", document.id) from None

    # -- the store -------------------------------------------------------------------------
    def _path(self, document_id: str, sha256: str) -> Path:
        if not (document_id.isalnum() and sha256.isalnum()):
            raise NotFound("document", document_id)
        return self._root / document_id / f"{sha256}.pdf"

    async def _store(self, document: Document, pdf: bytes) -> str:
        sha = hashlib.sha256(pdf).hexdigest()
        path = self._path(document.id, sha)
        await asyncio.to_thread(_write_atomically, path, pdf)
        document.sha256 = sha
        return sha


def _view(build: Any, context: Any) -> Any:
    try:
        return build(context)
    except (ValueError, TemplateDataError) as exc:
        raise InvalidInput(str(exc)) from None


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    with tmp.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
