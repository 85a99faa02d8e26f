"""Service handlers for the documents themselves: read, verify and receipt any document
(the mediation agreement, the confirmation application and ruling, the transcript),
each asking the policy what the document is (`policy.document_action`).

Staff reads are audited with the grounds and the reason; a receipt is a `Delivery`
(proof of service), idempotent per recipient and way.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from hearings.domain.actors import Actor
from hearings.domain.documents import Delivery, DeliveryHow, Document
from hearings.domain.errors import Conflict, InvalidInput
from hearings.domain.policy import document_action, require
from hearings.domain.states import DocumentState
from hearings.services.access import CALLER
from hearings.services.ports import Documents, UnitOfWork

__all__ = ["DocumentService"]

_RECEIPTS = ("download", "print", "screen")


class DocumentService:
    def __init__(self, uow: Callable[[], UnitOfWork], documents: Documents) -> None:
        self._uow = uow
        self._documents = documents

    async def read(self, actor: Actor, document_id: str, reason: str | None = None
                   ) -> tuple[Document, bytes]:
        """The document's bytes; staff reads are audited with the grounds and the reason."""
        async with self._uow() as uow:
            document = await _readable(uow, actor, document_id)
        data = await self._documents.read(document)
        if actor.kind == "staff":
            async with self._uow() as uow:
                await uow.audit.append(actor.label, "document.read", document.hearing_id, {
                    "document_id": document.id, "kind": document.kind.value,
                    "grounds": f"{document_action(document.kind)} as {actor.staff_role}",
                    "reason": reason, "sha256": document.sha256}
                    | ({"address": caller.address} if (caller := CALLER.get()) else {}))
                await uow.commit()
        return document, data

    async def verification(self, actor: Actor, document_id: str) -> dict[str, Any]:
        async with self._uow() as uow:
            document = await _readable(uow, actor, document_id)
        return await self._documents.verify(document)

    async def signed(self, hearing_id: str) -> list[tuple[Document, bytes]]:
        """Every document of the hearing past its draft (being signed, sealed, delivered), as
        its record and current bytes, for the evidence package (the request that asked for
        it was allowed). Bytes that are not what the record's SHA-256 names are refused: an
        evidence package must not carry a document silently."""
        async with self._uow() as uow:
            documents = [d for d in await uow.documents.of_hearing(hearing_id)
                         if d.state not in (DocumentState.DRAFTED, DocumentState.ABANDONED)]
        found = []
        for document in documents:
            pdf = await self._documents.read(document)
            if hashlib.sha256(pdf).hexdigest() != document.sha256:
                raise Conflict(f"the stored file of document {document.id} ({document.title}) "
                               "does not match its record's SHA-256; the package is not made")
            found.append((document, pdf))
        return found

    async def receipt(self, actor: Actor, document_id: str, how: str) -> Delivery:
        """A recipient saw, printed or downloaded the document (idempotent per how)."""
        if how not in _RECEIPTS:
            raise InvalidInput(f"'how' must be in {list(_RECEIPTS)} (got {how!r})")
        how_ = DeliveryHow(how)
        recipient = actor.id if actor.kind == "participant" else actor.label
        async with self._uow() as uow:
            document = await _readable(uow, actor, document_id)
            for d in await uow.deliveries.of_document(document.id):
                if d.recipient == recipient and d.how is how_:
                    return d
            delivery = Delivery(document.id, document.hearing_id, recipient, actor.name, how_,
                                document.sha256)
            uow.deliveries.add(delivery)
            document.deliver()
            await uow.audit.append(actor.label, "document.receipt", document.hearing_id, {
                "document_id": document.id, "how": how_.value, "sha256": document.sha256})
            await uow.commit()
            return delivery


async def _readable(uow: UnitOfWork, actor: Actor, document_id: str) -> Document:
    """Trial documents (the transcript) for trial staff, mediation documents for all
    staff of the court, any document of their hearing for its participants."""
    document = await uow.documents.get(document_id)
    hearing = await uow.hearings.get(document.hearing_id)
    case = await uow.cases.get(document.case_id)
    require(actor, document_action(document.kind), court_id=case.court_id, hearing=hearing)
    return document
