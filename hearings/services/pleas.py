"""Service handlers for the plea statement (认罪认罚具结书) of a remote interrogation: the
prosecutor drafts it (rendered and out for signature at once), the detainee signs by hand,
then the lawyer present; either may refuse with a reason; the signed copy is sealed and
delivered like the transcript (the aggregate is hearings/domain/plea.py). The room is told each move
(`PleaChanged` → `plea.signing` / `plea.refused`, signaling/follow.py).

Rendering and signing run outside the unit of work; the second unit of work checks that
nothing moved meanwhile (the latest draft, or the document's hash: hearings/services/signing.py).
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
from hearings.domain.documents import Document, DocumentKind, document_url
from hearings.domain.errors import Conflict, InvalidInput, PermissionDenied
from hearings.domain.events import DocumentDelivered, PleaChanged
from hearings.domain.hearing import Hearing, HearingKind
from hearings.domain.identity import utcnow
from hearings.domain.participants import Role
from hearings.domain.plea import PleaContext, PleaStatement, PleaTerms, plea_slots
from hearings.domain.policy import require, require_seat
from hearings.domain.states import DocumentState, PleaState
from hearings.domain.transcript import TranscriptSlot
from hearings.services.ports import Documents, UnitOfWork
from hearings.services.signature_marks import ON_CAMERA, SignatureMarks, mark_on_camera, no_marks
from hearings.services.signing import Signature, Turn, sign_next_slot

__all__ = ["PleaView", "Pleas"]

# As the signature names the signer (docforge's signer identity).
SIGNER_ROLES = {Role.DEFENDANT: "犯罪嫌疑人", Role.APPROPRIATE_ADULT: "合适成年人",
                Role.DEFENCE_LAWYER: "辩护人"}


@dataclass(frozen=True)
class PleaView:
    hearing: Hearing
    case: Case
    plea: PleaStatement | None

    def as_json(self) -> dict[str, Any]:
        p = self.plea
        out: dict[str, Any] = {"hearing_id": self.hearing.id, "case_number": self.case.number,
                               "kind": "plea_statement", "title": "认罪认罚具结书",
                               "state": p.state.value if p else None}
        if p is None:
            return out | {"signing": None, "document": None, "refusal": None}
        nxt = p.order.next
        return out | {
            "id": p.id, "charges": p.charges, "facts": p.facts,
            "sentencing_proposal": p.sentencing_proposal, "procedure": p.procedure,
            "drafted_by": p.drafted_by, "drafted_at": p.created_at.isoformat(),
            "signing": {"order": [{"field": s.field, "signer": s.signer,
                                   "participant_id": s.participant_id,
                                   "signed": s.signed_at is not None, "how": s.how}
                                  for s in p.order.slots],
                        "next": nxt.field if nxt else None},
            "document": {"id": p.document_id, "url": document_url(p.document_id),
                         "title": "认罪认罚具结书"},
            "refusal": p.refusal,
        }


class Pleas:
    def __init__(self, uow: Callable[[], UnitOfWork], documents: Documents, *,
                 court_tz: tzinfo, marks: SignatureMarks = no_marks) -> None:
        self._uow = uow
        self._documents = documents
        self._tz = court_tz
        self._marks = marks
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    def mark_with(self, marks: SignatureMarks) -> None:
        """Where signatures made while recording are marked (web: the recording driver),
        as for the transcript (hearings/services/transcripts.py)."""
        self._marks = marks

    async def view(self, actor: Actor, hearing_id: str) -> PleaView:
        async with self._uow() as uow:
            hearing, case = await _read(uow, actor, hearing_id, "transcript.read")
            return PleaView(hearing, case, await uow.pleas.of_hearing(hearing_id))

    async def draft(self, actor: Actor, hearing_id: str, charges: object, facts: object,
                    sentencing_proposal: object, procedure: object) -> PleaView:
        """Render the prosecutor's draft and open its signing order; a draft still out for
        signature is superseded (abandoned, kept), a signed one is final."""
        terms = PleaTerms.parse(charges, facts, sentencing_proposal, procedure)
        async with self._locks[hearing_id]:
            async with self._uow() as uow:
                hearing, case = await _read(uow, actor, hearing_id, "plea.draft")
                if hearing.kind is not HearingKind.REMOTE_INTERROGATION:
                    raise InvalidInput("only a remote interrogation has a plea statement")
                if not hearing.is_live:
                    raise Conflict("a plea statement is drafted and signed during the "
                                   "interrogation, with the lawyer present")
                before = await uow.pleas.of_hearing(hearing_id)
                if before is not None and before.state is PleaState.SIGNED:
                    raise Conflict("the plea statement is signed already")
                slots = plea_slots(hearing.participants)
                court = await uow.courts.get(case.court_id)
                detainee = hearing.participant(slots[0].participant_id or "")
                signer = {s.field: s.signer for s in slots}
                context = PleaContext(
                    court=court.name, case_number=case.number,
                    date=utcnow().astimezone(self._tz).date(), defendant=detainee.name,
                    defendant_role="犯罪嫌疑人", minor=detainee.minor, lawyer=signer["lawyer"],
                    prosecutor=actor.name if actor.kind != "system" else "", terms=terms,
                    appropriate_adult=signer.get("party2"))
                seen = (before.id, before.state) if before else None
            document = Document(kind=DocumentKind.PLEA_STATEMENT, hearing_id=hearing_id,
                                case_id=case.id, sha256="")
            document.start_signing(await self._documents.draft_plea(document, context))
            async with self._uow() as uow:
                hearing = await uow.hearings.get(hearing_id)
                before = await uow.pleas.of_hearing(hearing_id)
                now = (before.id, before.state) if before else None
                if now != seen:
                    raise Conflict("the plea statement changed while it was being drafted; "
                                   "retry")
                if before is not None and before.state is PleaState.SIGNING:
                    before.supersede()
                    (await uow.documents.get(before.document_id)).abandon()
                    await uow.audit.append(actor.label, "plea.superseded", hearing_id, {
                        "plea_id": before.id, "abandoned_document_id": before.document_id,
                        "abandoned_signatures": [s.field for s in before.order.slots
                                                 if s.signed_at is not None]})
                plea = PleaStatement.draft(hearing_id, case.id, terms, slots, by=actor.label,
                                           document_id=document.id)
                uow.documents.add(document)
                uow.pleas.add(plea)
                await uow.audit.append(actor.label, "plea.drafted", hearing_id, {
                    "plea_id": plea.id, "document_id": document.id, "sha256": document.sha256,
                    "charges": terms.charges, "facts": terms.facts,
                    "sentencing_proposal": terms.sentencing_proposal,
                    "procedure": terms.procedure, "order": [s.field for s in slots]})
                view = PleaView(hearing, case, plea)
                uow.record(PleaChanged(hearing_id, "plea.drafted", view.as_json()))
                await uow.commit()
        return view

    async def refuse(self, actor: Actor, hearing_id: str, reason: object) -> PleaView:
        """The detainee or the lawyer refuses to sign, with a reason (kept on the draft and
        in the audit log); the copy out for signature is abandoned."""
        async with self._locks[hearing_id], self._uow() as uow:
            hearing, case = await _read(uow, actor, hearing_id, "transcript.read")
            if actor.kind != "participant":
                raise PermissionDenied("only the detainee, the appropriate adult or the "
                                       "lawyer may refuse to sign the plea statement")
            plea = await uow.pleas.of_hearing(hearing_id)
            if plea is None:
                raise InvalidInput("no plea statement has been drafted")
            signed = [s.field for s in plea.order.slots if s.signed_at is not None]
            why = plea.refuse(actor.id, actor.name, reason)
            (await uow.documents.get(plea.document_id)).abandon()
            await uow.audit.append(actor.label, "plea.refused", hearing_id, {
                "plea_id": plea.id, "participant_id": actor.id, "reason": why,
                "abandoned_document_id": plea.document_id, "abandoned_signatures": signed})
            view = PleaView(hearing, case, plea)
            uow.record(PleaChanged(hearing_id, "plea.refused", view.as_json()))
            await uow.commit()
        return view

    async def sign(self, actor: Actor, hearing_id: str, field_name: object,
                   capture: object) -> PleaView:
        """The next field, by hand on the pad (the detainee, then the lawyer)."""
        if not isinstance(capture, dict):
            raise InvalidInput("'capture' is required: the plea statement is signed by hand")
        found: dict[str, Any] = {}

        async def read(uow: UnitOfWork) -> Turn[TranscriptSlot]:
            hearing, case = await _read(uow, actor, hearing_id, "transcript.read")
            plea = await uow.pleas.of_hearing(hearing_id)
            if plea is None:
                raise InvalidInput("no plea statement has been drafted")
            slot = plea.order.check_turn(field_name)
            require_seat(actor, staff_user_id=None, participant_id=slot.participant_id,
                         hearing=hearing, what=f"field {slot.field!r} ({slot.signer})")
            document = await uow.documents.get(plea.document_id)
            if document.state is not DocumentState.SIGNING:
                raise Conflict("the plea statement is not out for signature")
            found.update(plea_id=plea.id, case=case)
            role = hearing.participant(slot.participant_id or "").role
            return Turn(slot, document, plea.order.is_last(slot), SIGNER_ROLES.get(role, "当事人"))

        async def mark(uow: UnitOfWork, slot: TranscriptSlot, how: str) -> bool | None:
            plea = await uow.pleas.of_hearing(hearing_id)
            if plea is None or plea.id != found["plea_id"]:
                return None
            found["plea"] = plea
            return plea.record_signature(slot.field, how)

        async def tell(uow: UnitOfWork, signed: Signature[TranscriptSlot]) -> PleaView:
            hearing = await uow.hearings.get(hearing_id)
            document = signed.document
            media: dict[str, Any] = {}
            if hearing.recording_state in ON_CAMERA:  # signed on camera: the moment is evidence
                found["mark"], media = await mark_on_camera(
                    self._marks, hearing_id, signed, signed.slot.participant_id, None, capture)
            await uow.audit.append(actor.label, "plea.signed", hearing_id, {
                "plea_id": found["plea_id"], "field": signed.slot.field,
                "signer": signed.slot.signer, "how": signed.how, "document_id": document.id,
                "sha256": signed.sha256, "complete": signed.complete,
                **({"media": media} if media else {})})
            view = PleaView(hearing, found["case"], found["plea"])
            uow.record(PleaChanged(hearing_id, "plea.signed", view.as_json()))
            if signed.complete:
                uow.record(DocumentDelivered(hearing_id, document.id, document.kind.value,
                                             document.title, document_url(document.id)))
            return view

        async with self._locks[hearing_id]:
            view = await sign_next_slot(
                self._uow, self._documents, capture, read=read, mark=mark, tell=tell,
                changed="the plea statement changed while it was being signed; retry")
            if "mark" in found:  # committed: the recording's evidence names the moment
                await self._marks.signed(hearing_id, found["mark"])
        return view



async def _read(uow: UnitOfWork, actor: Actor, hearing_id: str, action: str
                ) -> tuple[Hearing, Case]:
    hearing = await uow.hearings.get(hearing_id)
    case = await uow.cases.get(hearing.case_id)
    require(actor, action, court_id=case.court_id, hearing=hearing)
    return hearing, case
