"""Service handlers for the mediation room: draft the agreement, sign it in order, refuse.

Signing is slow (a PAdES signature, ~0.1–0.3 s), so each signature is made outside the
unit of work and committed in a second one that checks nothing moved meanwhile (the
document's hash is still the one that was signed over).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from hearings.domain.actors import Actor
from hearings.domain.cases import Case
from hearings.domain.confirmation import ApplicationState, JudicialConfirmation
from hearings.domain.documents import (
    AgreementContext,
    Document,
    DocumentKind,
    PartyInfo,
    document_url,
)
from hearings.domain.errors import Conflict, InvalidInput, PermissionDenied
from hearings.domain.events import MediationChanged
from hearings.domain.hearing import Hearing, HearingKind
from hearings.domain.identity import utcnow
from hearings.domain.mediation import PARTY_ROLES, AgreementTerm, Mediation, SigningSlot
from hearings.domain.participants import Participant, Role
from hearings.domain.policy import require_seat
from hearings.domain.states import MEDIATION, MediationState, ParticipantState
from hearings.services.policy_checks import require_in
from hearings.services.ports import Documents, UnitOfWork
from hearings.services.signing import Signature, Turn, sign_next_slot

__all__ = ["MediationView", "Mediations", "application_json", "load_view",
           "mediation_to", "mediator_of", "organisation_of", "parties_of", "record_change",
           "require_mediator"]


def parties_of(hearing: Hearing) -> list[Participant]:
    return [p for p in hearing.participants
            if p.role in PARTY_ROLES and p.state is not ParticipantState.REMOVED]


def mediator_of(hearing: Hearing) -> Participant | None:
    return next((p for p in hearing.participants if p.role is Role.MEDIATOR
                 and p.state is not ParticipantState.REMOVED), None)


async def mediation_to(uow: UnitOfWork, actor: Actor, hearing_id: str, action: str
                       ) -> tuple[Hearing, Mediation | None]:
    """The hearing and its mediation, for the mediator to move by `action`: refused by the
    state table before anything is touched (no mediation yet stands at `open`)."""
    hearing = await uow.hearings.get(hearing_id)
    await require_mediator(uow, actor, hearing)
    mediation = await uow.mediations.of_hearing(hearing_id)
    MEDIATION.next(mediation.state if mediation else MediationState.OPEN, action)
    return hearing, mediation


async def require_mediator(uow: UnitOfWork, actor: Actor, hearing: Hearing) -> None:
    """The mediator runs the mediation: by staff session (presiding or seated) or join token."""
    if hearing.kind is not HearingKind.MEDIATION:
        raise InvalidInput(f"hearing {hearing.id!r} is a {hearing.kind.value}, not a mediation")
    await require_in(uow, actor, "mediation.conduct", hearing)


@dataclass(frozen=True)
class MediationView:
    """Everything the mediation console and the kiosk show, in one read."""

    hearing: Hearing
    case: Case
    mediation: Mediation | None
    application: JudicialConfirmation | None

    @property
    def state(self) -> MediationState:
        return self.mediation.state if self.mediation else MediationState.OPEN

    def as_json(self) -> dict[str, Any]:
        m, app = self.mediation, self.application
        agreement = None
        if m is not None and m.facts is not None:
            agreement = {"facts": m.facts, "terms": m.terms}
        signing = None
        if m is not None and m.signing:
            nxt = m.next_slot
            signing = {"order": [{"field": s.field, "signer": s.signer,
                                  "participant_id": s.participant_id,
                                  "signed": s.signed_at is not None} for s in m.slots],
                       "next": nxt.field if nxt else None}
        ruling = None
        if app is not None and app.ruling_document_id and app.delivered_at is not None:
            ruling = {"id": app.ruling_document_id, "url": document_url(app.ruling_document_id),
                      "decision": app.decision}
        return {
            "hearing_id": self.hearing.id, "case_number": self.case.number,
            "state": self.state.value, "agreement": agreement,
            "parties": [{"participant_id": p.id, "name": p.name, "role": p.role.value}
                        for p in parties_of(self.hearing)],
            "signing": signing,
            "document": ({"id": m.document_id, "url": document_url(m.document_id)}
                         if m is not None and m.document_id else None),
            "application": application_json(app) if app else None,
            "ruling": ruling,
        }


def application_json(app: JudicialConfirmation) -> dict[str, Any]:
    return {"id": app.id, "case_number": app.case_number, "state": app.state.value,
            "mediation_hearing_id": app.mediation_hearing_id, "decision": app.decision,
            "grounds": app.grounds, "reasons": app.reasons, "taken_by": app.taken_by,
            "agreement_document": _doc(app.agreement_document_id),
            "application_document": _doc(app.application_document_id),
            "ruling_document": _doc(app.ruling_document_id),
            "timings": app.timings()}


def _doc(document_id: str | None) -> dict[str, str] | None:
    return None if document_id is None else {"id": document_id, "url": document_url(document_id)}


async def load_view(uow: UnitOfWork, hearing_id: str) -> MediationView:
    hearing = await uow.hearings.get(hearing_id)
    case = await uow.cases.get(hearing.case_id)
    mediation = await uow.mediations.of_hearing(hearing_id)
    apps = await uow.confirmations.of_hearing(hearing_id)
    live = [a for a in apps if a.state is not ApplicationState.WITHDRAWN]
    latest = (live or apps)[-1] if (live or apps) else None
    return MediationView(hearing, case, mediation, latest)


async def record_change(uow: UnitOfWork, hearing_id: str, because: str) -> MediationView:
    """Before the commit: the mediation as it now stands, recorded as `MediationChanged`
    (the room hears it as `mediation.state` once the commit succeeded)."""
    view = await load_view(uow, hearing_id)
    uow.record(MediationChanged(hearing_id, because, view.as_json()))
    return view


class Mediations:
    def __init__(self, uow: Callable[[], UnitOfWork], documents: Documents, *,
                 court_tz: tzinfo) -> None:
        self._uow = uow
        self._documents = documents
        self._tz = court_tz
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def view(self, actor: Actor, hearing_id: str) -> MediationView:
        async with self._uow() as uow:
            hearing = await uow.hearings.get(hearing_id)
            await require_in(uow, actor, "mediation.read", hearing)
            if hearing.kind is not HearingKind.MEDIATION:
                raise InvalidInput(f"hearing {hearing_id!r} is not a mediation")
            return await load_view(uow, hearing_id)

    async def draft(self, actor: Actor, hearing_id: str, facts: str, terms: list[object]
                    ) -> MediationView:
        parsed = [AgreementTerm.from_json(t) for t in terms]
        async with self._locks[hearing_id], self._uow() as uow:
            hearing = await uow.hearings.get(hearing_id)
            await require_mediator(uow, actor, hearing)
            mediation = await uow.mediations.of_hearing(hearing_id)
            if mediation is None:
                mediation = Mediation(hearing_id=hearing.id, case_id=hearing.case_id)
                uow.mediations.add(mediation)
            mediation.draft(facts, parsed)
            await uow.audit.append(actor.label, "mediation.drafted", hearing_id,
                                   {"terms": mediation.terms})
            view = await record_change(uow, hearing_id, "mediation.drafted")
            await uow.commit()
        return view

    async def start_signing(self, actor: Actor, hearing_id: str) -> MediationView:
        async with self._locks[hearing_id]:
            async with self._uow() as uow:
                hearing, mediation = await mediation_to(uow, actor, hearing_id, "start_signing")
                assert mediation is not None and mediation.facts is not None
                case = await uow.cases.get(hearing.case_id)
                court = await uow.courts.get(case.court_id)
                organisation = await organisation_of(uow, hearing)
                parties = parties_of(hearing)
                if len(parties) < 2:
                    raise InvalidInput(f"a mediation agreement needs at least 2 parties "
                                       f"(got {len(parties)})")
                mediator = mediator_of(hearing)
                mediator_name = mediator.name if mediator else actor.name
                context = AgreementContext(
                    court=court.name, case_number=case.number, date=utcnow().astimezone(
                        self._tz).date(), organisation=organisation, mediator=mediator_name,
                    parties=tuple(PartyInfo(p.name, "当事人") for p in parties),
                    facts=mediation.facts, terms=tuple(mediation.agreement_terms))
                seen = mediation.updated_at
            document = Document(kind=DocumentKind.MEDIATION_AGREEMENT, hearing_id=hearing_id,
                                case_id=case.id, sha256="")
            sha = await self._documents.draft_agreement(document, context)
            document.start_signing(sha)
            async with self._uow() as uow:
                mediation = await uow.mediations.of_hearing(hearing_id)
                if mediation is None or mediation.updated_at != seen:
                    raise Conflict("the agreement changed while it was being prepared; retry")
                mediation.start_signing(document.id, parties, mediator, mediator_name)
                uow.documents.add(document)
                await uow.audit.append(actor.label, "mediation.signing_started", hearing_id, {
                    "document_id": document.id, "sha256": sha,
                    "order": [s.field for s in mediation.slots]})
                view = await record_change(uow, hearing_id, "mediation.signing_started")
                await uow.commit()
        return view

    async def sign(self, actor: Actor, hearing_id: str, field_name: str,
                   capture: dict[str, Any] | None) -> MediationView:
        if not isinstance(field_name, str):
            raise InvalidInput("'field' must be a string")

        async def read(uow: UnitOfWork) -> Turn[SigningSlot]:
            hearing = await uow.hearings.get(hearing_id)
            mediation = await uow.mediations.of_hearing(hearing_id)
            if mediation is None:
                MEDIATION.next(MediationState.OPEN, "sign")
            assert mediation is not None
            slot = mediation.check_turn(field_name)
            key_holder = _signing_key(actor, hearing, slot)
            assert mediation.document_id is not None
            document = await uow.documents.get(mediation.document_id)
            if slot.role == "party" and capture is None:
                raise InvalidInput("'capture' is required: a party signs by hand")
            return Turn(slot, document, mediation.order.is_last(slot),
                        "当事人" if slot.role == "party" else "人民调解员", key_holder)

        async def mark(uow: UnitOfWork, slot: SigningSlot, how: str) -> bool | None:
            mediation = await uow.mediations.of_hearing(hearing_id)
            return None if mediation is None else mediation.record_signature(slot.field)

        async def tell(uow: UnitOfWork, signed: Signature[SigningSlot]) -> MediationView:
            await uow.audit.append(actor.label, "mediation.signed", hearing_id, {
                "field": signed.slot.field, "signer": signed.slot.signer,
                "document_id": signed.document.id, "sha256": signed.sha256,
                "complete": signed.complete})
            return await record_change(uow, hearing_id, "mediation.signed")

        async with self._locks[hearing_id]:
            return await sign_next_slot(
                self._uow, self._documents, capture, read=read, mark=mark, tell=tell,
                changed="the document changed while it was being signed; retry")

    async def refuse(self, actor: Actor, hearing_id: str, reason: str) -> MediationView:
        async with self._locks[hearing_id], self._uow() as uow:
            hearing = await uow.hearings.get(hearing_id)
            if actor.kind != "participant" or actor.hearing_id != hearing.id:
                raise PermissionDenied("only a party in the room may refuse to sign")
            await require_in(uow, actor, "mediation.refuse", hearing)
            mediation = await uow.mediations.of_hearing(hearing_id)
            if mediation is None:
                MEDIATION.next(MediationState.OPEN, "refuse")
            assert mediation is not None
            abandoned = mediation.document_id
            mediation.refuse(actor.id, reason)
            await uow.audit.append(actor.label, "mediation.refused", hearing_id, {
                "participant_id": actor.id, "reason": mediation.refusal,
                "abandoned_document_id": abandoned})
            view = await record_change(uow, hearing_id, "mediation.refused")
            await uow.commit()
        return view



async def organisation_of(uow: UnitOfWork, hearing: Hearing) -> str:
    """The mediation organisation as documents name it: the mediator's site."""
    mediator = mediator_of(hearing)
    if mediator is not None and mediator.site_id is not None:
        return (await uow.sites.get(mediator.site_id)).name
    return "人民调解委员会"


def _signing_key(actor: Actor, hearing: Hearing, slot: SigningSlot) -> str | None:
    """Check that `actor` is the one identity the field belongs to; for the mediator's field
    return whose key signs it (the seat's staff account, else the seat itself)."""
    if slot.role != "mediator":
        require_seat(actor, staff_user_id=None, participant_id=slot.participant_id,
                     hearing=hearing, what=f"field {slot.field!r}")
        return None
    seat = mediator_of(hearing)
    staff_user_id = (seat.staff_user_id if seat else None) or hearing.presiding_user_id
    require_seat(actor, staff_user_id=staff_user_id, participant_id=seat.id if seat else None,
                 hearing=hearing, what=f"field {slot.field!r}")
    if staff_user_id is not None:
        return staff_user_id
    assert seat is not None  # require_seat refused a mediator field with no identity at all
    return f"participant:{seat.id}"
