"""What the application (司法确认申请书) and the ruling (民事裁定书) say and who signs them by
key: their render contexts, in the legal wording of hearings/domain/confirmation.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from hearings.domain.actors import Actor
from hearings.domain.confirmation import (
    APPLICATION_ROLE,
    JudicialConfirmation,
    application_requests,
    ruling_wording,
)
from hearings.domain.documents import (
    ApplicationContext,
    Document,
    DocumentKind,
    KeySignature,
    PartyInfo,
    RulingContext,
)
from hearings.domain.mediation import AgreementTerm
from hearings.domain.participants import Participant

__all__ = ["Mediated", "Paper", "application_paper", "ruling_paper"]


@dataclass(frozen=True)
class Mediated:
    """What both papers say of the mediation: the court, where and by whom it was mediated,
    the parties (who apply), the day they agreed."""

    court: str
    organisation: str
    mediator: str
    parties: tuple[Participant, ...]
    agreed: date

    def applicants(self) -> tuple[PartyInfo, ...]:
        return tuple(PartyInfo(p.name, "申请人") for p in self.parties)


@dataclass(frozen=True)
class Paper:
    """A document signed by key only, ready for one `Documents.issue` call."""

    document: Document
    context: ApplicationContext | RulingContext
    signatures: tuple[KeySignature, ...]


def application_paper(about: Mediated, hearing_id: str, case_id: str, case_number: str,
                      on: date) -> Paper:
    """The parties applied orally in the room: each applicant's field is signed by key
    naming them (their own hands signed the agreement)."""
    context = ApplicationContext(
        court=about.court, case_number=case_number, date=on, organisation=about.organisation,
        mediator=about.mediator, parties=about.applicants(), agreement_date=about.agreed,
        requests=application_requests(about.agreed, about.organisation))
    signatures = tuple(KeySignature(f"party{i}", p.name, APPLICATION_ROLE, f"participant:{p.id}")
                       for i, p in enumerate(about.parties, 1))
    document = Document(kind=DocumentKind.CONFIRMATION_APPLICATION, hearing_id=hearing_id,
                        case_id=case_id, sha256="")
    return Paper(document, context, signatures)


def ruling_paper(about: Mediated, app: JudicialConfirmation, on: date,
                 terms: tuple[AgreementTerm, ...], decision: str, codes: list[str], free: str,
                 *, judge: Actor, clerk: str) -> Paper:
    """The ruling on `decision` (confirm | reject), signed by the judge who took it."""
    reasons, basis = ruling_wording(decision, codes, free)
    context = RulingContext(
        court=about.court, case_number=app.case_number, date=on,
        organisation=about.organisation, mediator=about.mediator, parties=about.applicants(),
        agreement_date=about.agreed, terms=terms,
        decision="confirmed" if decision == "confirm" else "rejected",
        reasons=reasons, legal_basis=basis, judge=judge.name, clerk=clerk)
    document = Document(kind=DocumentKind.CONFIRMATION_RULING,
                        hearing_id=app.mediation_hearing_id, case_id=app.case_id, sha256="")
    return Paper(document, context, (KeySignature("judge", judge.name, "审判员", judge.id),))
