"""View models built from hearings objects: the contexts hearings/domain/documents.py describes."""

from __future__ import annotations

from hearings.domain.documents import (
    AgreementContext,
    ApplicationContext,
    PartyInfo,
    RulingContext,
    TranscriptContext,
)
from hearings.domain.interrogation import RIGHTS_NOTICE, InterrogationContext
from hearings.domain.mediation import AgreementTerm as DomainTerm
from hearings.domain.plea import PleaContext

from .viewmodels import (
    AgreementTerm,
    ConfirmationApplication,
    ConfirmationRuling,
    Court,
    InterrogationTranscript,
    MediationAgreement,
    MediationOrganisation,
    Party,
    PleaStatement,
    Transcript,
    Utterance,
)

__all__ = ["agreement", "application", "interrogation", "plea", "ruling", "transcript"]


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


def transcript(c: TranscriptContext) -> Transcript:
    if isinstance(c, InterrogationContext):
        return interrogation(c)
    return Transcript(
        court=Court(c.court), case_number=c.case_number, date=c.date, start=c.start,
        end=c.end, place=c.place, presiding_judge=c.presiding_judge, clerk=c.clerk,
        participants=_parties(c.participants),
        utterances=tuple(Utterance(speaker, text) for speaker, text in c.utterances))


def interrogation(c: InterrogationContext) -> InterrogationTranscript:
    """The 讯问笔录: the notice of rights is printed only once it was acknowledged."""
    return InterrogationTranscript(
        court=Court(c.court), case_number=c.case_number, date=c.date, start=c.start,
        end=c.end, place=c.place, presiding_judge=c.presiding_judge, clerk=c.clerk,
        participants=_parties(c.participants),
        utterances=tuple(Utterance(speaker, text) for speaker, text in c.utterances),
        interrogators=c.interrogators,
        rights_notice=RIGHTS_NOTICE if c.rights_acknowledged_at else None,
        rights_acknowledged_at=c.rights_acknowledged_at, statement=c.statement or None)


def plea(c: PleaContext) -> PleaStatement:
    """The 认罪认罚具结书 as the prosecutor drafted it."""
    t = c.terms
    return PleaStatement(
        court=Court(c.court), case_number=c.case_number, date=c.date,
        defendant=Party(name=c.defendant, role=c.defendant_role), lawyer=c.lawyer,
        charges=t.charges, facts=t.facts, sentencing_proposal=t.sentencing_proposal,
        procedure=t.procedure, prosecutor=c.prosecutor or None,
        appropriate_adult=c.appropriate_adult)
