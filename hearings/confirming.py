"""Service handlers for judicial confirmation: apply, take, decide and deliver, withdraw,
the duty queue and roster, the figures; and reading, verifying and receipting documents.

Each handler is one unit of work (two where a PDF is made in between, so that a signature
never holds a transaction open) with its audit entries; events go out after commit.
"""

from __future__ import annotations

import asyncio
import statistics
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from hearings.access import CALLER
from hearings.actors import Actor
from hearings.cases import CONFIRMATION_CODE, Case, CaseNumber, CaseType
from hearings.confirmation import (
    CONFIRM_BASIS,
    GROUNDS,
    ApplicationState,
    DutyRoster,
    DutyShift,
    JudicialConfirmation,
    check_grounds,
    reject_basis,
)
from hearings.documents import (
    ApplicationContext,
    Delivery,
    DeliveryHow,
    Document,
    DocumentKind,
    PartyInfo,
    RulingContext,
)
from hearings.errors import Conflict, IllegalTransition, InvalidInput, PermissionDenied
from hearings.events import (
    ApplicationQueued,
    ApplicationTaken,
    ApplicationWithdrawn,
    DocumentDelivered,
)
from hearings.hearing import Hearing
from hearings.identity import utcnow
from hearings.mediating import (
    document_url,
    mediator_of,
    organisation_of,
    parties_of,
    record_change,
    require_mediator,
)
from hearings.mediation import PARTY_ROLES
from hearings.notify import Notification
from hearings.participants import Participant, Role
from hearings.policy import document_action, require
from hearings.ports import Documents, UnitOfWork
from hearings.staff import StaffRole
from hearings.states import MEDIATION, MediationState, ParticipantState

__all__ = ["Confirmations", "Decided", "record_judge_arrival"]

_PRESENT = frozenset({ParticipantState.JOINING, ParticipantState.WAITING,
                      ParticipantState.IN_HEARING, ParticipantState.IN_CONSULTATION})
_OPEN = (ApplicationState.QUEUED.value, ApplicationState.TAKEN.value)
CONFIRM_REASONS = ("申请人达成的调解协议系双方真实意思表示，内容不违反法律、行政法规的强制性规定，"
                   "不损害国家利益、社会公共利益和他人合法权益，不违背公序良俗，符合司法确认调解协议的"
                   "法定条件。")
APPLICATION_ROLE = "申请人（当场口头申请，由人民调解员代为提交）"


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

    def _today(self) -> Any:
        return utcnow().astimezone(self._tz).date()

    # -- the mediator ----------------------------------------------------------------------
    async def apply(self, actor: Actor, hearing_id: str) -> JudicialConfirmation:
        """One click: a 民特 case in the court's sequence, the application document, queued."""
        async with self._uow() as uow:
            hearing = await uow.hearings.get(hearing_id)
            await require_mediator(uow, actor, hearing)
            mediation = await uow.mediations.of_hearing(hearing_id)
            MEDIATION.next(mediation.state if mediation else MediationState.OPEN,
                           "request_confirmation")
            assert mediation is not None and mediation.document_id is not None
            mediation_case = await uow.cases.get(hearing.case_id)
            court = await uow.courts.hold(mediation_case.court_id)
            year = self._today().year
            last = await uow.cases.last_sequence(court.code, year, CONFIRMATION_CODE)
            number = str(CaseNumber(year, court.code, CONFIRMATION_CODE, last + 1))
            case = Case(court_id=court.id, number=number, case_type=CaseType.CIVIL,
                        title=f"申请司法确认调解协议（{mediation_case.title}）"[:500])
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
            parties = parties_of(hearing)
            mediator = mediator_of(hearing)
            organisation = await organisation_of(uow, hearing)
        context = ApplicationContext(
            court=court.name, case_number=number, date=self._today(),
            organisation=organisation, mediator=mediator.name if mediator else actor.name,
            parties=tuple(PartyInfo(p.name, "申请人") for p in parties),
            agreement_date=mediation.updated_at.astimezone(self._tz).date(),
            requests=f"请求依法确认双方于{mediation.updated_at.astimezone(self._tz).date():%Y年%m月%d日}"
                     f"经{organisation}主持达成的调解协议有效。")
        document = Document(kind=DocumentKind.CONFIRMATION_APPLICATION, hearing_id=hearing.id,
                            case_id=case.id, sha256="")
        sha = await self._documents.draft_application(document, context)
        document.start_signing(sha)
        for i, p in enumerate(parties, 1):
            # The parties applied orally in the room; the signing service signs each
            # applicant's field naming them and saying so (their own hands signed the agreement).
            sha = await self._documents.sign_as(document, f"party{i}", p.name, APPLICATION_ROLE,
                                                user_id=f"participant:{p.id}")
            document.signed(f"party{i}", p.name, "as", sha)
        document.seal(await self._documents.finish(document))
        async with self._uow() as uow:
            app = await uow.confirmations.get(app.id)
            uow.documents.add(document)
            app.application_document_id = document.id
            await uow.audit.append(actor.label, "application.document", hearing.id, {
                "application_id": app.id, "document_id": document.id,
                "sha256": document.sha256})
            uow.record(ApplicationQueued(hearing_id, app.court_id, app.id,
                                         await self._queue_entry(uow, app)))
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
    async def roster(self, court_id: str) -> DutyRoster:
        async with self._uow() as uow:
            return DutyRoster(court_id, tuple(await uow.roster.of_court(court_id)),
                              frozenset(await uow.roster.standing(court_id)))

    async def add_shift(self, actor: Actor, court_id: str, judge_user_id: str,
                        starts_at: datetime, ends_at: datetime | None) -> DutyShift:
        async with self._uow() as uow:
            await uow.courts.get(court_id)
            require(actor, "confirmation.roster", court_id=court_id)
            judge = await uow.staff.get(judge_user_id)
            if judge.role is not StaffRole.JUDGE or judge.court_id != court_id:
                raise PermissionDenied(f"{judge.display_name} is not a judge of this court")
            shift = DutyShift(court_id, judge.id, starts_at, ends_at)
            uow.roster.add(shift)
            await uow.audit.append(actor.label, "roster.shift_added", None, {
                "court_id": court_id, "judge_user_id": judge.id,
                "starts_at": starts_at.isoformat(),
                "ends_at": ends_at.isoformat() if ends_at else None})
            await uow.commit()
            return shift

    async def queue(self, actor: Actor, court_id: str | None = None) -> list[dict[str, Any]]:
        """The court's open applications (`court_id`: only for an admin without a court)."""
        court_id = _court_of(actor, court_id)
        require(actor, "confirmation.queue", court_id=court_id)
        async with self._uow() as uow:
            apps = await uow.confirmations.of_court(court_id, _OPEN)
            return [await self._queue_entry(uow, a) for a in apps]

    async def take(self, actor: Actor, application_id: str) -> JudicialConfirmation:
        court_id = _court_of(actor, None)
        require(actor, "confirmation.take", court_id=court_id)
        roster = await self.roster(court_id)
        if not roster.on_duty(actor.id):
            raise PermissionDenied("only a judge on the duty roster takes applications")
        async with self._uow() as uow:
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
        """Render the ruling, judge signs, court seals, timestamp; store; deliver at once."""
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
                organisation = await organisation_of(uow, hearing)
                mediator = mediator_of(hearing)
                context = self._ruling(app, court.name, organisation, mediator, hearing, mediation,
                                       decision, codes, free, actor.name,
                                       clerks[0].display_name if clerks else "—")
            document = Document(kind=DocumentKind.CONFIRMATION_RULING, hearing_id=hearing.id,
                                case_id=app.case_id, sha256="")
            document.start_signing(await self._documents.draft_ruling(document, context))
            sha = await self._documents.sign_as(document, "judge", actor.name, "审判员",
                                                user_id=actor.id)
            document.signed("judge", actor.name, "as", sha)
            document.seal(await self._documents.finish(document))
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
                await uow.commit()
            await self.deliver(app.id)
        async with self._uow() as uow:
            app = await uow.confirmations.get(application_id)
            document = await uow.documents.get(document.id)
        return Decided(app, document)

    async def deliver(self, application_id: str) -> None:
        """Push the ruling into the room; record who had it there; notify the absent parties.

        Runs whether or not the room's session is still live: a closed room has nobody to
        push to, so every party is notified through the outbox. The room hears
        `DocumentDelivered` (then the mediation's new state) once the deliveries committed.
        """
        published = utcnow()
        async with self._uow() as uow:
            app = await uow.confirmations.get(application_id)
            assert app.ruling_document_id is not None
            hearing = await uow.hearings.get(app.mediation_hearing_id)
            document = await uow.documents.get(app.ruling_document_id)
            app.delivered(published)
            present, absent = _split(hearing)
            for p in present:
                uow.deliveries.add(Delivery(document.id, hearing.id, p.id, p.name,
                                            DeliveryHow.PUSHED, document.sha256, at=published))
            for p in absent:
                uow.outbox.add(Notification(
                    hearing.id, p.id, p.name, f"{document.title} {app.case_number}",
                    f"{p.name}：您申请司法确认的调解协议，{app.case_number}"
                    f"{'已裁定确认有效' if app.decision == 'confirmed' else '已裁定驳回申请'}。"
                    f"请凭参与码查看、下载：{document_url(document.id)}",
                    document_id=document.id, address=p.service_address))
            document.deliver()
            await uow.audit.append("system:yunting", "document.delivered", hearing.id, {
                "document_id": document.id, "sha256": document.sha256,
                "pushed_to": [p.id for p in present], "notified": [p.id for p in absent],
                "decide_to_delivered_ms": round(app.decide_to_delivered_ms or 0, 1)})
            uow.record(DocumentDelivered(hearing.id, document.id, document.kind.value,
                                         document.title, document_url(document.id),
                                         decision=app.decision))
            await record_change(uow, hearing.id, "document.delivered")
            await uow.commit()

    # -- reading ---------------------------------------------------------------------------
    async def application(self, actor: Actor, application_id: str) -> JudicialConfirmation:
        async with self._uow() as uow:
            app = await uow.confirmations.get(application_id)
            hearing = await uow.hearings.get(app.mediation_hearing_id)
            require(actor, "confirmation.read", court_id=app.court_id, hearing=hearing)
            return app

    async def stats(self, actor: Actor, court_id: str | None = None) -> dict[str, Any]:
        court_id = _court_of(actor, court_id)
        require(actor, "confirmation.stats", court_id=court_id)
        async with self._uow() as uow:
            done = await uow.confirmations.delivered(court_id)
        apply_s = [(a.delivered_at - a.applied_at).total_seconds() for a in done
                   if a.delivered_at]
        system_ms = [a.decide_to_delivered_ms for a in done if a.decide_to_delivered_ms is not None]
        return {"count": len(done),
                "median_apply_to_delivery_s": statistics.median(apply_s) if apply_s else None,
                "median_decide_to_delivery_ms": (statistics.median(system_ms)
                                                 if system_ms else None)}

    async def document(self, actor: Actor, document_id: str, reason: str | None = None
                       ) -> tuple[Document, bytes]:
        """The document's bytes; staff reads are audited with the grounds and the reason."""
        document = await self._readable(actor, document_id)
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
        return await self._documents.verify(await self._readable(actor, document_id))

    async def receipt(self, actor: Actor, document_id: str, how: str) -> Delivery:
        """A recipient saw, printed or downloaded the document (idempotent per how)."""
        how_ = DeliveryHow(how) if how in ("screen", "print", "download") else None
        if how_ is None:
            raise InvalidInput(f"'how' must be in ['download', 'print', 'screen'] (got {how!r})")
        document = await self._readable(actor, document_id)
        recipient = actor.id if actor.kind == "participant" else actor.label
        async with self._uow() as uow:
            for d in await uow.deliveries.of_document(document.id):
                if d.recipient == recipient and d.how is how_:
                    return d
            document = await uow.documents.get(document_id)
            delivery = Delivery(document.id, document.hearing_id, recipient, actor.name, how_,
                                document.sha256)
            uow.deliveries.add(delivery)
            document.deliver()
            await uow.audit.append(actor.label, "document.receipt", document.hearing_id, {
                "document_id": document.id, "how": how_.value, "sha256": document.sha256})
            await uow.commit()
            return delivery

    async def _readable(self, actor: Actor, document_id: str) -> Document:
        """Trial documents (the hearing record) for trial staff, mediation documents for all
        staff of the court, any document of their hearing for its participants."""
        async with self._uow() as uow:
            document = await uow.documents.get(document_id)
            hearing = await uow.hearings.get(document.hearing_id)
            case = await uow.cases.get(document.case_id)
            require(actor, document_action(document.kind), court_id=case.court_id,
                    hearing=hearing)
            return document

    async def _queue_entry(self, uow: UnitOfWork, app: JudicialConfirmation) -> dict[str, Any]:
        hearing = await uow.hearings.get(app.mediation_hearing_id)
        return {"id": app.id, "case_number": app.case_number,
                "mediation_hearing_id": app.mediation_hearing_id,
                "parties": [p.name for p in parties_of(hearing)],
                "applied_at": app.applied_at.isoformat(), "state": app.state.value,
                "taken_by": app.taken_by}

    def _ruling(self, app: JudicialConfirmation, court: str, organisation: str,
                mediator: Participant | None, hearing: Hearing, mediation: Any, decision: str,
                codes: list[str], free: str, judge: str, clerk: str) -> RulingContext:
        if decision == "confirm":
            reasons, basis = (CONFIRM_REASONS + (f"{free}" if free else "")), CONFIRM_BASIS
        else:
            found = "；".join(GROUNDS[c].label_zh for c in codes)
            reasons = f"经审查，该调解协议存在下列情形：{found}。" + (free or "")
            basis = reject_basis(codes)
        return RulingContext(
            court=court, case_number=app.case_number, date=self._today(),
            organisation=organisation, mediator=mediator.name if mediator else "调解员",
            parties=tuple(PartyInfo(p.name, "申请人") for p in parties_of(hearing)),
            agreement_date=mediation.updated_at.astimezone(self._tz).date(),
            terms=tuple(mediation.agreement_terms),
            decision="confirmed" if decision == "confirm" else "rejected",
            reasons=reasons, legal_basis=basis, judge=judge, clerk=clerk)


def _court_of(actor: Actor, court_id: str | None) -> str:
    """The court a per-court list is about: the actor's own; an administrator without a
    court names one."""
    if actor.court_id is not None:
        return actor.court_id
    if court_id is None:
        raise InvalidInput("'court_id' is required: you belong to no court")
    return court_id


def _require_taker(actor: Actor, app: JudicialConfirmation, action: str) -> None:
    if app.state is not ApplicationState.TAKEN:
        raise IllegalTransition("application", app.state.value, action)
    if actor.kind != "system" and app.taken_by != actor.id:
        raise PermissionDenied("only the judge who took the application decides it")


def _split(hearing: Hearing) -> tuple[list[Participant], list[Participant]]:
    """Who had the pushed ruling (connected to the live room), and which parties did not."""
    people = [p for p in hearing.participants if p.state is not ParticipantState.REMOVED]
    present = [p for p in people if hearing.is_live and p.state in _PRESENT]
    absent = [p for p in people if p.role in PARTY_ROLES and p not in present]
    return present, absent
