"""Legal documents as the domain sees them: kind, state, the hash of the current bytes,
signatures done, and deliveries (each one proof of service).

The bytes live behind the `Documents` port (hearings/services/ports.py); what they are made from is
one of the contexts below, built from hearings objects and turned into docforge's view
models at the edge (docforge/from_hearings.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from hearings.domain.identity import new_id, utcnow
from hearings.domain.mediation import AgreementTerm
from hearings.domain.states import DOCUMENT, DocumentState
from hearings.domain.values import member

__all__ = [
    "AgreementContext",
    "ApplicationContext",
    "Delivery",
    "DeliveryHow",
    "Document",
    "DocumentKind",
    "KeySignature",
    "PartyInfo",
    "RulingContext",
    "TranscriptContext",
    "document_url",
]


class DocumentKind(StrEnum):
    MEDIATION_AGREEMENT = "mediation_agreement"
    CONFIRMATION_APPLICATION = "confirmation_application"
    CONFIRMATION_RULING = "confirmation_ruling"
    HEARING_RECORD = "hearing_record"
    INTERROGATION_RECORD = "interrogation_record"
    PLEA_STATEMENT = "plea_statement"


TITLES = {
    DocumentKind.MEDIATION_AGREEMENT: "调解协议书",
    DocumentKind.CONFIRMATION_APPLICATION: "司法确认申请书",
    DocumentKind.CONFIRMATION_RULING: "民事裁定书",
    DocumentKind.HEARING_RECORD: "庭审笔录",
    DocumentKind.INTERROGATION_RECORD: "讯问笔录",
    DocumentKind.PLEA_STATEMENT: "认罪认罚具结书",
}


class DeliveryHow(StrEnum):
    PUSHED = "pushed"  # published into the room while the recipient was connected
    SCREEN = "screen"  # the recipient's client reported it on screen
    PRINT = "print"
    DOWNLOAD = "download"
    OUTBOX = "outbox"  # not in the room: a notification was queued



def document_url(document_id: str) -> str:
    """Where a party or the court reads a document's PDF (web/http/api/documents.py)."""
    return f"/api/documents/{document_id}/pdf"

@dataclass(eq=False)
class Document:
    kind: DocumentKind
    hearing_id: str
    case_id: str
    sha256: str
    state: DocumentState = DocumentState.DRAFTED
    signatures: list[dict[str, Any]] = field(default_factory=list)
    id: str = field(default_factory=new_id)
    created_at: datetime = field(default_factory=utcnow)
    sealed_at: datetime | None = None

    def __post_init__(self) -> None:
        self.kind = member(DocumentKind, self.kind, "kind")

    @property
    def title(self) -> str:
        return TITLES[self.kind]

    def start_signing(self, sha256: str) -> None:
        self.state = DOCUMENT.next(self.state, "start_signing")
        self.sha256 = sha256

    def signed(self, field_name: str, signer: str, how: str, sha256: str) -> None:
        if self.state is DocumentState.DRAFTED:
            self.state = DOCUMENT.next(self.state, "start_signing")
        self.state = DOCUMENT.next(self.state, "sign")
        self.signatures = [*self.signatures, {"field": field_name, "signer": signer, "how": how,
                                              "at": utcnow().isoformat()}]
        self.sha256 = sha256

    def issued(self, signatures: tuple[KeySignature, ...], sha256: str) -> None:
        """Drafted, signed by key in `signatures`' order and sealed in one go (one port call,
        `Documents.issue`); `sha256` names the finished bytes."""
        for s in signatures:
            self.signed(s.field, s.name, "as", sha256)
        self.seal(sha256)

    def seal(self, sha256: str) -> None:
        self.state = DOCUMENT.next(self.state, "seal")
        self.sha256, self.sealed_at = sha256, utcnow()

    def deliver(self) -> None:
        self.state = DOCUMENT.next(self.state, "deliver")

    def abandon(self) -> None:
        """Given up before it was sealed (a correction, a refusal): superseded."""
        self.state = DOCUMENT.next(self.state, "abandon")


@dataclass(frozen=True)
class KeySignature:
    """A field signed by key: the key of `user_id` (a staff account, or
    "participant:<id>") in `role`; `name` is only what the signature says."""

    field: str
    name: str
    role: str
    user_id: str


@dataclass(eq=False)
class Delivery:
    """One receipt of a document by one recipient, one way: proof of service."""

    document_id: str
    hearing_id: str
    recipient: str  # a participant id, or staff:<user id>
    recipient_name: str
    how: DeliveryHow
    sha256: str  # what was delivered
    at: datetime = field(default_factory=utcnow)
    id: str = field(default_factory=new_id)

    def __post_init__(self) -> None:
        self.how = member(DeliveryHow, self.how, "how")


@dataclass(frozen=True)
class PartyInfo:
    name: str
    role: str  # as printed: 当事人 / 申请人


@dataclass(frozen=True)
class AgreementContext:
    court: str
    case_number: str
    date: dt.date
    organisation: str
    mediator: str
    parties: tuple[PartyInfo, ...]
    facts: str
    terms: tuple[AgreementTerm, ...]


@dataclass(frozen=True)
class ApplicationContext:
    court: str
    case_number: str
    date: dt.date
    organisation: str
    mediator: str
    parties: tuple[PartyInfo, ...]
    agreement_date: dt.date
    requests: str


@dataclass(frozen=True)
class RulingContext:
    court: str
    case_number: str
    date: dt.date
    organisation: str
    mediator: str
    parties: tuple[PartyInfo, ...]
    agreement_date: dt.date
    terms: tuple[AgreementTerm, ...]
    decision: str  # confirmed | rejected
    reasons: str
    legal_basis: str
    judge: str
    clerk: str


@dataclass(frozen=True)
class TranscriptContext:
    """The transcript (庭审笔录) as frozen: who, when, where, and what was said."""

    court: str
    case_number: str
    date: dt.date
    start: datetime
    end: datetime | None
    place: str
    presiding_judge: str
    clerk: str
    participants: tuple[PartyInfo, ...]  # the persons recorded, in signing order
    utterances: tuple[tuple[str, str], ...]  # (speaker, text)
