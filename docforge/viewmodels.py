"""View models: the data each legal document shows, as frozen, validated dataclasses."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import ClassVar, Literal

Decision = Literal["confirmed", "rejected"]
SIGNING_STAGES: tuple[str, ...] = ("party", "mediator", "judge", "seal")


def _require(value: str, name: str) -> None:
    if not value.strip():
        raise ValueError(f"'{name}' must not be empty")


@dataclass(frozen=True)
class Court:
    name: str

    def __post_init__(self) -> None:
        _require(self.name, "name")


@dataclass(frozen=True)
class Party:
    name: str
    role: str  # 申请人 / 被申请人 / 被告人 …, printed as given
    gender: str | None = None
    birth_date: dt.date | None = None
    id_number: str | None = None
    address: str | None = None
    phone: str | None = None

    def __post_init__(self) -> None:
        _require(self.name, "name")
        _require(self.role, "role")


@dataclass(frozen=True)
class MediationOrganisation:
    name: str
    mediator: str
    address: str | None = None

    def __post_init__(self) -> None:
        _require(self.name, "name")
        _require(self.mediator, "mediator")


@dataclass(frozen=True)
class AgreementTerm:
    obligor: str
    obligee: str
    obligation: str
    amount_yuan: Decimal | None = None
    deadline: dt.date | None = None

    def __post_init__(self) -> None:
        _require(self.obligation, "obligation")
        if self.amount_yuan is not None and self.amount_yuan < 0:
            raise ValueError(f"'amount_yuan' must not be negative (got {self.amount_yuan})")


@dataclass(frozen=True)
class Utterance:
    speaker: str
    text: str


@dataclass(frozen=True)
class SignatureField:
    """A visible signature box; ``stage`` orders the signers (parties → … → court seal)."""

    name: str
    signer: str
    stage: str
    order: int

    def __post_init__(self) -> None:
        if self.stage not in SIGNING_STAGES:
            raise ValueError(f"'stage' must be in {list(SIGNING_STAGES)} (got {self.stage!r})")
        if not self.name.isidentifier():
            raise ValueError(f"'name' must be an identifier (got {self.name!r})")


def _party_fields(parties: tuple[Party, ...]) -> list[SignatureField]:
    return [SignatureField(f"party{i}", p.name, "party", i) for i, p in enumerate(parties, 1)]


def _seal(order: int) -> SignatureField:
    return SignatureField("court_seal", "法院印章", "seal", order)


@dataclass(frozen=True)
class Document:
    """Common part: every kind has a court, a case number and a date."""

    kind: ClassVar[str] = ""
    title: ClassVar[str] = ""
    court: Court
    case_number: str
    date: dt.date

    def __post_init__(self) -> None:
        _require(self.case_number, "case_number")

    def signature_fields(self) -> list[SignatureField]:
        raise NotImplementedError


@dataclass(frozen=True)
class MediationAgreement(Document):
    kind: ClassVar[str] = "mediation_agreement"
    title: ClassVar[str] = "调解协议书"
    organisation: MediationOrganisation = field(kw_only=True)
    parties: tuple[Party, ...] = field(kw_only=True)
    facts: str = field(kw_only=True)
    terms: tuple[AgreementTerm, ...] = field(kw_only=True)

    def __post_init__(self) -> None:
        super().__post_init__()
        if len(self.parties) < 2:
            raise ValueError(f"'parties' must list at least 2 parties (got {len(self.parties)})")
        if not self.terms:
            raise ValueError("'terms' must not be empty")

    def signature_fields(self) -> list[SignatureField]:
        fields = _party_fields(self.parties)
        return [*fields, SignatureField("mediator", self.organisation.mediator, "mediator", 90)]


@dataclass(frozen=True)
class ConfirmationApplication(Document):
    kind: ClassVar[str] = "confirmation_application"
    title: ClassVar[str] = "司法确认申请书"
    organisation: MediationOrganisation = field(kw_only=True)
    parties: tuple[Party, ...] = field(kw_only=True)
    agreement_date: dt.date = field(kw_only=True)
    requests: str = field(kw_only=True)

    def signature_fields(self) -> list[SignatureField]:
        return _party_fields(self.parties)


@dataclass(frozen=True)
class ConfirmationRuling(Document):
    kind: ClassVar[str] = "confirmation_ruling"
    title: ClassVar[str] = "民事裁定书"
    parties: tuple[Party, ...] = field(kw_only=True)
    organisation: MediationOrganisation = field(kw_only=True)
    agreement_date: dt.date = field(kw_only=True)
    terms: tuple[AgreementTerm, ...] = field(kw_only=True)
    decision: Decision = field(kw_only=True)
    reasons: str = field(kw_only=True)
    legal_basis: str = field(kw_only=True)
    judge: str = field(kw_only=True)
    clerk: str = field(kw_only=True)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.decision not in ("confirmed", "rejected"):
            raise ValueError(
                f"'decision' must be in ['confirmed', 'rejected'] (got {self.decision!r})"
            )

    def signature_fields(self) -> list[SignatureField]:
        return [SignatureField("judge", self.judge, "judge", 1)]


@dataclass(frozen=True)
class Transcript(Document):
    kind: ClassVar[str] = "hearing_record"
    title: ClassVar[str] = "庭审笔录"
    start: dt.datetime = field(kw_only=True)
    end: dt.datetime | None = field(default=None, kw_only=True)
    place: str = field(kw_only=True)
    presiding_judge: str = field(kw_only=True)
    clerk: str = field(kw_only=True)
    participants: tuple[Party, ...] = field(kw_only=True)
    utterances: tuple[Utterance, ...] = field(kw_only=True)

    def signature_fields(self) -> list[SignatureField]:
        return [
            *_party_fields(self.participants),
            SignatureField("clerk", self.clerk, "judge", 90),
            SignatureField("judge", self.presiding_judge, "judge", 91),
        ]


@dataclass(frozen=True)
class InterrogationTranscript(Transcript):
    """讯问笔录: signed by the persons recorded (detainee, appropriate adult, lawyer,
    interpreter) by hand, then each interrogator (``interrogators``, else the
    ``presiding_judge``), then the recorder (``clerk``) — no judge's field."""

    kind: ClassVar[str] = "interrogation_record"
    title: ClassVar[str] = "讯问笔录"
    interrogators: tuple[str, ...] = field(default=(), kw_only=True)
    rights_notice: str | None = field(default=None, kw_only=True)
    rights_acknowledged_at: dt.datetime | None = field(default=None, kw_only=True)
    statement: str | None = field(default=None, kw_only=True)

    def signature_fields(self) -> list[SignatureField]:
        asking = self.interrogators or (self.presiding_judge,)
        return [
            *_party_fields(self.participants),
            *(SignatureField(f"interrogator{i}", name, "judge", 80 + i)
              for i, name in enumerate(asking, 1)),
            SignatureField("clerk", self.clerk, "judge", 90),
        ]


@dataclass(frozen=True)
class PleaStatement(Document):
    """认罪认罚具结书 (刑事诉讼法 第一百七十四条): the detainee's plea and acceptance of the
    sentencing proposal, signed by the detainee on the pad and by the lawyer present."""

    kind: ClassVar[str] = "plea_statement"
    title: ClassVar[str] = "认罪认罚具结书"
    defendant: Party = field(kw_only=True)
    lawyer: str = field(kw_only=True)
    charges: str = field(kw_only=True)
    facts: str = field(kw_only=True)
    sentencing_proposal: str = field(kw_only=True)
    procedure: str = field(kw_only=True)
    prosecutor: str | None = field(default=None, kw_only=True)  # who drafted it
    # a minor detainee's appropriate adult (合适成年人 / 法定代理人), present and signing
    appropriate_adult: str | None = field(default=None, kw_only=True)

    def signature_fields(self) -> list[SignatureField]:
        adult = ([SignatureField("party2", self.appropriate_adult, "party", 2)]
                 if self.appropriate_adult else [])
        return [SignatureField("party1", self.defendant.name, "party", 1), *adult,
                SignatureField("lawyer", self.lawyer, "party", 3)]


@dataclass(frozen=True)
class ProofOfService(Document):
    kind: ClassVar[str] = "proof_of_service"
    title: ClassVar[str] = "送达回证"
    recipient: Party = field(kw_only=True)
    served_documents: tuple[str, ...] = field(kw_only=True)
    method: str = field(kw_only=True)
    served_at: dt.datetime = field(kw_only=True)
    server: str = field(kw_only=True)

    def signature_fields(self) -> list[SignatureField]:
        return [
            SignatureField("party1", self.recipient.name, "party", 1),
            SignatureField("server", self.server, "judge", 2),
        ]


@dataclass(frozen=True)
class Summons(Document):
    """传票: a party summoned to a trial (民事诉讼法 §139). Made from the hearing
    (docforge.summons), not from JSON: not in ``KINDS``. Sealed, nobody signs it."""

    kind: ClassVar[str] = "summons"
    title: ClassVar[str] = "传票"
    recipient: Party = field(kw_only=True)
    hearing_title: str = field(kw_only=True)
    hearing_at: dt.datetime = field(kw_only=True)  # aware, in the court's time zone
    place: str = field(kw_only=True)
    join_url: str = field(kw_only=True)
    inquiry_url: str | None = field(default=None, kw_only=True)
    inquiry_code: str | None = field(default=None, kw_only=True)
    # 8 digits for the kiosk of the recipient's site (hearings/services/kiosks.py); None: online
    kiosk_code: str | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        super().__post_init__()
        _require(self.place, "place")
        _require(self.join_url, "join_url")
        if self.hearing_at.tzinfo is None:
            raise ValueError("'hearing_at' must carry its time zone")
        if (self.inquiry_url is None) != (self.inquiry_code is None):
            raise ValueError("'inquiry_url' and 'inquiry_code' go together")

    def signature_fields(self) -> list[SignatureField]:
        return []


@dataclass(frozen=True)
class AppearanceNotice(Summons):
    """出庭通知书: everyone else asked to appear (witnesses, agents, interpreters …)."""

    kind: ClassVar[str] = "appearance_notice"
    title: ClassVar[str] = "出庭通知书"


KINDS: dict[str, type[Document]] = {
    cls.kind: cls
    for cls in (
        MediationAgreement,
        ConfirmationApplication,
        ConfirmationRuling,
        Transcript,
        InterrogationTranscript,
        PleaStatement,
        ProofOfService,
    )
}


# Kinds made from the hearing itself (docforge.summons), never from JSON: not in ``KINDS``.
FROM_HEARINGS: dict[str, type[Summons]] = {cls.kind: cls for cls in (Summons, AppearanceNotice)}


def signing_order(document: Document) -> list[SignatureField]:
    """Every kind ends with the court seal, which is applied first (see docs/docforge.md)."""
    rank = {stage: i for i, stage in enumerate(SIGNING_STAGES)}
    fields = [*document.signature_fields(), _seal(999)]
    return sorted(fields, key=lambda f: (rank[f.stage], f.order))
