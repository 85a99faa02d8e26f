"""View models built from hearings objects: the contexts hearings/documents.py describes."""

from __future__ import annotations

from hearings.documents import (
    AgreementContext,
    ApplicationContext,
    PartyInfo,
    RecordContext,
    RulingContext,
)
from hearings.mediation import AgreementTerm as DomainTerm

from .viewmodels import (
    AgreementTerm,
    ConfirmationApplication,
    ConfirmationRuling,
    Court,
    HearingRecord,
    MediationAgreement,
    MediationOrganisation,
    Party,
    Utterance,
)

__all__ = ["agreement", "application", "record", "ruling"]


def _parties(parties: tuple[PartyInfo, ...]) -> tuple[Party, ...]:
    return tuple(Party(name=p.name, role=p.role) for p in parties)


def _terms(terms: tuple[DomainTerm, ...]) -> tuple[AgreementTerm, ...]:
    return tuple(AgreementTerm(t.obligor, t.obligee, t.obligation, t.amount_yuan, t.deadline)
                 for t in terms)


def agreement(c: AgreementContext) -> MediationAgreement:
    return MediationAgreement(
        court=Court(c.court), case_number=c.case_number, date=c.date,
        organisation=MediationOrganisation(c.organisation, c.mediator),
        parties=_parties(c.parties), facts=c.facts, terms=_terms(c.terms))


def application(c: ApplicationContext) -> ConfirmationApplication:
    return ConfirmationApplication(
        court=Court(c.court), case_number=c.case_number, date=c.date,
        organisation=MediationOrganisation(c.organisation, c.mediator),
        parties=_parties(c.parties), agreement_date=c.agreement_date, requests=c.requests)


def ruling(c: RulingContext) -> ConfirmationRuling:
    return ConfirmationRuling(
        court=Court(c.court), case_number=c.case_number, date=c.date,
        parties=_parties(c.parties),
        organisation=MediationOrganisation(c.organisation, c.mediator),
        agreement_date=c.agreement_date, terms=_terms(c.terms),
        decision="confirmed" if c.decision == "confirmed" else "rejected",
        reasons=c.reasons, legal_basis=c.legal_basis, judge=c.judge, clerk=c.clerk)


def record(c: RecordContext) -> HearingRecord:
    return HearingRecord(
        court=Court(c.court), case_number=c.case_number, date=c.date, start=c.start,
        end=c.end, place=c.place, presiding_judge=c.presiding_judge, clerk=c.clerk,
        participants=_parties(c.participants),
        utterances=tuple(Utterance(speaker, text) for speaker, text in c.utterances))
