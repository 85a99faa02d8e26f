"""Service handlers for a judicial-confirmation application's life cycle: apply, take,
decide (and deliver), withdraw, read. Beside it: the duty desk (hearings/services/duty.py), the
papers' wording (confirmation_papers.py), the ruling's delivery (ruling_delivery.py).

Each handler is one unit of work, two where a PDF is made in between (read, then one
`Documents.issue` call drafts, signs and finishes it, then commit), so that a signature
never holds a transaction open; audit entries go in the same unit, events after commit.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, tzinfo

from hearings.domain.actors import Actor
from hearings.domain.cases import CONFIRMATION_CODE, Case, CaseNumber, CaseType
from hearings.domain.confirmation import (
    ApplicationState,
    JudicialConfirmation,
    application_title,
    check_grounds,
)
from hearings.domain.confirmation_papers import Mediated, Paper, application_paper, ruling_paper
from hearings.domain.documents import Document
from hearings.domain.errors import Conflict, IllegalTransition, PermissionDenied
from hearings.domain.events import ApplicationQueued, ApplicationTaken, ApplicationWithdrawn
from hearings.domain.hearing import Hearing
from hearings.domain.identity import utcnow
from hearings.domain.mediation import Mediation
from hearings.domain.participants import Participant, Role
from hearings.domain.policy import require
from hearings.domain.staff import StaffRole
from hearings.domain.states import ParticipantState
from hearings.services.duty import court_of, duty_roster, queue_entry
from hearings.services.mediations import (
    mediation_to,
    mediator_of,
    organisation_of,
    parties_of,
    record_change,
    require_mediator,
)
from hearings.services.ports import Documents, UnitOfWork
from hearings.services.ruling_delivery import deliver_ruling

__all__ = ["Confirmations", "Decided", "record_judge_arrival"]


@dataclass(frozen=True)
class Decided:
    application: JudicialConfirmation
    ruling: Document


async def record_judge_arrival(uow: UnitOfWork, hearing: Hearing, p: Participant) -> None:
    """Room.arrive's hook: the judge who took an application is in the mediation room."""
    if p.role is not Role.JUDGE or p.staff_user_id is None:
        return
    for app in await uow.confirmations.of_hearing(hearing.id):
        if app.state is ApplicationState.TAKEN and app.taken_by == p.staff_user_id \
                and app.judge_joined():
            await uow.audit.append(f"staff:{p.staff_user_id}", "application.judge_joined",
                                   hearing.id, {"application_id": app.id})


class Confirmations:
    def __init__(self, uow: Callable[[], UnitOfWork], documents: Documents, *,
                 court_tz: tzinfo) -> None:
        self._uow = uow
        self._documents = documents
        self._tz = court_tz
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    def _today(self) -> date:
        return utcnow().astimezone(self._tz).date()

    async def _issue(self, paper: Paper) -> Document:
        """Render, seal, sign, finish: one port call, outside any unit of work."""
        document = paper.document
        document.issued(paper.signatures, await self._documents.issue(
            document, paper.context, paper.signatures))
        return document

    async def _mediated(self, uow: UnitOfWork, hearing: Hearing, mediation: Mediation,
                        court: str, mediator: str) -> Mediated:
        seat = mediator_of(hearing)
        return Mediated(court, await organisation_of(uow, hearing),
                        seat.name if seat else mediator, tuple(parties_of(hearing)),
                        mediation.updated_at.astimezone(self._tz).date())

    # -- the mediator ----------------------------------------------------------------------
    async def apply(self, actor: Actor, hearing_id: str) -> JudicialConfirmation:
        """One click: a 民特 case in the court's sequence, the application document, queued."""
        async with self._uow() as uow:
            hearing, mediation = await mediation_to(uow, actor, hearing_id,
                                                    "request_confirmation")
            assert mediation is not None and mediation.document_id is not None
            mediation_case = await uow.cases.get(hearing.case_id)
            court = await uow.courts.hold(mediation_case.court_id)
            year = self._today().year
            last = await uow.cases.last_sequence(court.code, year, CONFIRMATION_CODE)
            number = str(CaseNumber(year, court.code, CONFIRMATION_CODE, last + 1))
            case = Case(court_id=court.id, number=number, case_type=CaseType.CIVIL,
                        title=application_title(mediation_case.title))
            uow.cases.add(case)
            app = JudicialConfirmation(court_id=court.id, case_id=case.id, case_number=number,
                                       mediation_hearing_id=hearing.id,
                                       agreement_document_id=mediation.document_id)
            uow.confirmations.add(app)
            mediation.request_confirmation(app.id)
            await uow.audit.append(actor.label, "application.filed", hearing.id, {
                "application_id": app.id, "case_number": number,
                "agreement_document_id": mediation.document_id})
            await uow.commit()
            about = await self._mediated(uow, hearing, mediation, court.name, actor.name)
        document = await self._issue(application_paper(about, hearing.id, case.id, number,
                                                       self._today()))
        async with self._uow() as uow:
            app = await uow.confirmations.get(app.id)
            uow.documents.add(document)
            app.application_document_id = document.id
            await uow.audit.append(actor.label, "application.document", hearing.id, {
                "application_id": app.id, "document_id": document.id,
                "sha256": document.sha256})
            uow.record(ApplicationQueued(hearing_id, app.court_id, app.id,
                                         await queue_entry(uow, app)))
            await record_change(uow, hearing_id, "application.document")
            await uow.commit()
        return app

    async def withdraw(self, actor: Actor, application_id: str, reason: str | None
                       ) -> JudicialConfirmation:
        async with self._locks[application_id], self._uow() as uow:
            app = await uow.confirmations.get(application_id)
            hearing = await uow.hearings.get(app.mediation_hearing_id)
            await require_mediator(uow, actor, hearing)
            mediation = await uow.mediations.of_hearing(hearing.id)
            app.withdraw(reason)
            if mediation is not None:
                mediation.withdraw()
            await uow.audit.append(actor.label, "application.withdrawn", hearing.id, {
                "application_id": app.id, "reason": app.withdraw_reason})
            uow.record(ApplicationWithdrawn(hearing.id, app.court_id, app.id))
            await record_change(uow, hearing.id, "application.withdrawn")
            await uow.commit()
        return app

    # -- the duty judge --------------------------------------------------------------------
    async def take(self, actor: Actor, application_id: str) -> JudicialConfirmation:
        court_id = court_of(actor, None)
        require(actor, "confirmation.take", court_id=court_id)
        async with self._uow() as uow:
            if not (await duty_roster(uow, court_id)).on_duty(actor.id):
                raise PermissionDenied("only a judge on the duty roster takes applications")
            app = await uow.confirmations.get(application_id)
            if app.court_id != court_id:
                raise PermissionDenied("the application is for another court")
            at = utcnow()
            if not await uow.confirmations.take_if_free(app.id, actor.id, at):
                if app.state is ApplicationState.WITHDRAWN:
                    raise IllegalTransition("application", app.state.value, "take")
                raise Conflict("another judge has taken this application")
            app.take(actor.id, at)  # the row changed already; mirror it in the object
            hearing = await uow.hearings.get(app.mediation_hearing_id)
            seat = next((p for p in hearing.participants if p.staff_user_id == actor.id
                         and p.state is not ParticipantState.REMOVED), None)
            await uow.audit.append(actor.label, "application.taken", hearing.id,
                                   {"application_id": app.id})
            if seat is None and not hearing.is_over:
                seat = hearing.invite(actor.name, Role.JUDGE, staff_user_id=actor.id)
                await uow.audit.append(actor.label, "participant.invited", hearing.id, {
                    "participant_id": seat.id, "name": seat.name, "role": seat.role,
                    "site_id": None})
            uow.record(ApplicationTaken(hearing.id, court_id, app.id, actor.id))
            await record_change(uow, hearing.id, "application.taken")
            await uow.commit()
        return app

    async def decide(self, actor: Actor, application_id: str, decision: str,
                     grounds: object, reasons: object) -> Decided:
        """Render the ruling, court seal, judge signs, timestamp (one `issue` call); then in
        one unit of work store the decision and deliver the ruling at once."""
        received = utcnow()
        codes, free = check_grounds(decision, grounds, reasons)
        async with self._locks[application_id]:
            async with self._uow() as uow:
                app = await uow.confirmations.get(application_id)
                _require_taker(actor, app, "decide")
                hearing = await uow.hearings.get(app.mediation_hearing_id)
                mediation = await uow.mediations.of_hearing(hearing.id)
                assert mediation is not None
                court = await uow.courts.get(app.court_id)
                clerks = await uow.staff.of_court(court.id, StaffRole.CLERK)
                about = await self._mediated(uow, hearing, mediation, court.name, "调解员")
            document = await self._issue(ruling_paper(
                about, app, self._today(), tuple(mediation.agreement_terms), decision, codes,
                free, judge=actor, clerk=clerks[0].display_name if clerks else "—"))
            async with self._uow() as uow:
                app = await uow.confirmations.get(application_id)
                _require_taker(actor, app, "decide")  # withdrawn meanwhile: the ruling is void
                mediation = await uow.mediations.of_hearing(app.mediation_hearing_id)
                app.decide(decision, codes, free, document.id, received)
                if mediation is not None:
                    mediation.decide(decision == "confirm")
                uow.documents.add(document)
                await uow.audit.append(actor.label, "application.decided", app.mediation_hearing_id,
                                       {"application_id": app.id, "decision": app.decision,
                                        "grounds": codes, "document_id": document.id,
                                        "sha256": document.sha256})
                await deliver_ruling(uow, app, document)
                await uow.commit()
        return Decided(app, document)

    # -- reading ---------------------------------------------------------------------------
    async def application(self, actor: Actor, application_id: str) -> JudicialConfirmation:
        async with self._uow() as uow:
            app = await uow.confirmations.get(application_id)
            hearing = await uow.hearings.get(app.mediation_hearing_id)
            require(actor, "confirmation.read", court_id=app.court_id, hearing=hearing)
            return app


def _require_taker(actor: Actor, app: JudicialConfirmation, action: str) -> None:
    if app.state is not ApplicationState.TAKEN:
        raise IllegalTransition("application", app.state.value, action)
    if actor.kind != "system" and app.taken_by != actor.id:
        raise PermissionDenied("only the judge who took the application decides it")
