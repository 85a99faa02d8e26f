"""Fakes of the ports that, for real, need docforge (a signer, WeasyPrint) or a gateway: the
services' tests run them in memory (docforge itself is exercised by its own tests and by
the API tests, which wire the real forge)."""

from __future__ import annotations

import hashlib
from typing import Any

from hearings.domain.documents import (
    AgreementContext,
    ApplicationContext,
    Document,
    KeySignature,
    RulingContext,
    TranscriptContext,
)
from hearings.domain.errors import InvalidInput
from hearings.domain.plea import PleaContext

__all__ = ["FakeDocuments"]


class FakeDocuments:
    """The Documents port in memory: each operation appends to the bytes and rehashes."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.calls: list[tuple[str, str]] = []
        self.contexts: list[Any] = []
        self.keys: list[tuple[str, str]] = []
        self.writes = 0

    def _put(self, document: Document, op: str, extra: str) -> str:
        data = self.files.get(document.id, b"%PDF-fake\n") + f"{op}:{extra}\n".encode()
        self.files[document.id] = data
        self.writes += 1
        self.calls.append((op, extra))
        document.sha256 = hashlib.sha256(data).hexdigest()
        return document.sha256

    async def draft_agreement(self, document: Document, context: AgreementContext) -> str:
        self.contexts.append(context)
        return self._put(document, "agreement", context.case_number)

    async def issue(self, document: Document, context: ApplicationContext | RulingContext,
                    signatures: tuple[KeySignature, ...]) -> str:
        self.contexts.append(context)
        if isinstance(context, ApplicationContext):
            data = f"application:{context.case_number}\n"
        else:
            data = f"ruling:{context.decision}\n"
        for s in signatures:
            self.keys.append((s.field, s.user_id))
            data += f"as:{s.field}\n"
        return self._put(document, "issue", data + "finish:")

    async def draft_transcript(self, document: Document, context: TranscriptContext) -> str:
        self.contexts.append(context)
        return self._put(document, "transcript", context.case_number)

    async def draft_plea(self, document: Document, context: PleaContext) -> str:
        self.contexts.append(context)
        return self._put(document, "plea", context.case_number)

    async def sign_by_hand(self, document: Document, field: str, signer: str, role: str,
                           capture: dict[str, Any]) -> str:
        if not isinstance(capture, dict) or not capture.get("strokes"):
            raise InvalidInput("signature capture refused: no strokes")
        return self._put(document, "hand", field)

    async def sign_as(self, document: Document, field: str, name: str, role: str, *,
                      user_id: str) -> str:
        self.keys.append((field, user_id))  # whose key signed: an identity, never a name
        return self._put(document, "as", field)

    async def finish(self, document: Document) -> str:
        return self._put(document, "finish", "")

    async def verify(self, document: Document) -> dict[str, Any]:
        return {"ok": True, "signatures": [], "problems": []}

    async def read(self, document: Document) -> bytes:
        return self.files[document.id]
