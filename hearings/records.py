"""Service handlers for the hearing record (笔录): save with a version, freeze and render,
sign in order, seal and deliver (the aggregate and its rules are hearings/hearing_record.py).

The document machinery is the mediation agreement's: the `Documents` port renders and
signs, a `Document` row carries the hash and signatures, the signed copy goes out as a
`document.delivered` event and each receipt is proof of service (hearings/confirming.py).
Rendering and signing run outside the unit of work; the second unit of work checks that
nothing moved meanwhile (the version, or the document's hash).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from hearings.actors import SYSTEM, Actor
from hearings.cases import Case
from hearings.documents import Document, DocumentKind, PartyInfo, RecordContext
from hearings.errors import Conflict, InvalidInput, NotFound
from hearings.events import DocumentDelivered, TranscriptChanged
from hearings.hearing import Hearing
from hearings.hearing_record import (
    ROLE_LABELS,
    HearingRecord,
    RecordSlot,
    edit_between,
    recorded_persons,
    utterances,
)
from hearings.participants import Participant, Role
from hearings.policy import require, require_seat
from hearings.ports import Documents, UnitOfWork
from hearings.signing import Signature, Turn, sign_next_slot
from hearings.staff import StaffRole
from hearings.states import ParticipantState, RecordState

__all__ = ["RecordView", "Records"]

SIGNING_ROLES = {"person": None, "clerk": "书记员", "judge": "审判员"}


def _url(document_id: str) -> str:
    return f"/api/documents/{document_id}/pdf"


@dataclass(frozen=True)
class RecordView:
    hearing: Hearing
    case: Case
    record: HearingRecord | None
    with_body: bool

    @property
    def state(self) -> RecordState:
        return self.record.state if self.record else RecordState.DRAFTING

    def as_json(self) -> dict[str, Any]:
        r = self.record
        signing = None
        if r is not None and r.signing:
            nxt = r.next_slot
            signing = {"order": [{"field": s.field, "signer": s.signer, "role": s.role,
                                  "participant_id": s.participant_id,
                                  "signed": s.signed_at is not None, "how": s.how}
                                 for s in r.slots],
                       "next": nxt.field if nxt else None}
        out: dict[str, Any] = {
            "hearing_id": self.hearing.id, "case_number": self.case.number,
            "title": self.hearing.title, "hearing_state": self.hearing.state.value,
            "state": self.state.value, "version": r.version if r else 0,
            "updated_at": r.updated_at.isoformat() if r else None,
            "updated_by": r.updated_by if r else None,
            "clerk": r.clerk_name if r else None,
            "signing": signing,
            "document": ({"id": r.document_id, "url": _url(r.document_id), "title": "庭审笔录"}
                         if r is not None and r.document_id else None),
        }
        if self.with_body:
            out["body"] = r.body if r else ""
        return out

    def event(self) -> dict[str, Any]:
        """What `record.updated` / `record.signing` carry: everything but the text."""
        out = self.as_json()
        out.pop("body", None)
        return out


class Records:
    def __init__(self, uow: Callable[[], UnitOfWork], documents: Documents, *,
                 court_tz: tzinfo) -> None:
        self._uow = uow
        self._documents = documents
        self._tz = court_tz
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._tasks: set[asyncio.Task[None]] = set()

    # -- reading ---------------------------------------------------------------------------
    async def view(self, actor: Actor, hearing_id: str) -> RecordView:
        async with self._uow() as uow:
            hearing = await uow.hearings.get(hearing_id)
            case = await uow.cases.get(hearing.case_id)
            require(actor, "record.read", court_id=case.court_id, hearing=hearing)
            record = await uow.records.of_hearing(hearing_id)
            return self._view(actor, hearing, case, record)

    async def pdf(self, actor: Actor, hearing_id: str) -> tuple[Document, bytes]:
        async with self._uow() as uow:
            hearing = await uow.hearings.get(hearing_id)
            case = await uow.cases.get(hearing.case_id)
            require(actor, "record.read", court_id=case.court_id, hearing=hearing)
            record = await uow.records.of_hearing(hearing_id)
            if record is None or record.document_id is None:
                raise NotFound("hearing record document", hearing_id)
            document = await uow.documents.get(record.document_id)
        return document, await self._documents.read(document)

    # -- the clerk (and the judge) ---------------------------------------------------------
    async def save(self, actor: Actor, hearing_id: str, body: object, version: object
                   ) -> RecordView:
        async with self._locks[hearing_id], self._uow() as uow:
            hearing = await uow.hearings.get(hearing_id)
            case = await uow.cases.get(hearing.case_id)
            require(actor, "record.edit", court_id=case.court_id, hearing=hearing)
            if hearing.state.value == "cancelled":
                raise InvalidInput("a cancelled hearing has no record")
            record = await uow.records.of_hearing(hearing_id)
            if record is None:
                record = HearingRecord(hearing_id=hearing.id, case_id=hearing.case_id)
                uow.records.add(record)
            before = record.body
            record.save(body, version, actor.label)
            if actor.kind == "staff" and actor.staff_role is StaffRole.CLERK:
                record.keeper(actor.id, actor.name)
            await uow.audit.append(actor.label, "record.saved", hearing_id, {
                "version": record.version, "length": len(record.body),
                "sha256": hashlib.sha256(record.body.encode()).hexdigest(),
                "edit": edit_between(before, record.body)})
            view = self._view(actor, hearing, case, record)
            uow.record(TranscriptChanged(hearing_id, "record.saved", view.event()))
            await uow.commit()
        return view

    async def send_for_signature(self, actor: Actor, hearing_id: str) -> RecordView:
        """Freeze the text, render the record, and open the signing order."""
        async with self._locks[hearing_id]:
            async with self._uow() as uow:
                hearing = await uow.hearings.get(hearing_id)
                case = await uow.cases.get(hearing.case_id)
                require(actor, "record.edit", court_id=case.court_id, hearing=hearing)
                record = await uow.records.of_hearing(hearing_id)
                if record is None:
                    raise InvalidInput("the record is empty: there is nothing to sign")
                record.check_freezable()
                court = await uow.courts.get(case.court_id)
                persons = recorded_persons(hearing.participants)
                clerk = await _clerk(uow, hearing, record, case.court_id)
                judge = await _judge(uow, hearing)
                start = hearing.started_at or hearing.scheduled_at
                context = RecordContext(
                    court=court.name, case_number=case.number,
                    date=start.astimezone(self._tz).date(),
                    start=start.astimezone(self._tz),
                    end=hearing.closed_at.astimezone(self._tz) if hearing.closed_at else None,
                    place=f"{court.name}云庭在线法庭", presiding_judge=judge[1], clerk=clerk[1],
                    participants=tuple(PartyInfo(p.name, ROLE_LABELS[p.role]) for p in persons),
                    utterances=tuple(utterances(record.body)))
                seen = record.version
            document = Document(kind=DocumentKind.HEARING_RECORD, hearing_id=hearing_id,
                                case_id=case.id, sha256="")
            document.start_signing(await self._documents.draft_record(document, context))
            async with self._uow() as uow:
                hearing = await uow.hearings.get(hearing_id)
                record = await uow.records.of_hearing(hearing_id)
                if record is None or record.version != seen:
                    raise Conflict("the record changed while it was being prepared; retry")
                record.freeze(document.id, persons, clerk, judge)
                uow.documents.add(document)
                await uow.audit.append(actor.label, "record.frozen", hearing_id, {
                    "version": record.version, "document_id": document.id,
                    "sha256": document.sha256, "order": [s.field for s in record.slots]})
                view = self._view(actor, hearing, case, record)
                uow.record(TranscriptChanged(hearing_id, "record.frozen", view.event()))
                await uow.commit()
        return view

    async def hearing_closed(self, hearing_id: str) -> None:
        """At close (`freeze_transcript`, subscribed to `HearingChanged` by bootstrap): freeze
        a record with text in it, in the background, so that the bus — and the room's
        `hearing.closed` after it — is not held up by the rendering."""
        task = asyncio.create_task(self._freeze_at_close(hearing_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _freeze_at_close(self, hearing_id: str) -> None:
        async with self._uow() as uow:
            record = await uow.records.of_hearing(hearing_id)
            if record is None or record.state is not RecordState.DRAFTING \
                    or not utterances(record.body):
                return  # nothing written yet: the clerk finishes it and sends it later
        try:
            await self.send_for_signature(SYSTEM, hearing_id)
        except (Conflict, InvalidInput) as exc:  # saved meanwhile, or sent by hand
            async with self._uow() as uow:
                await uow.audit.append(SYSTEM.label, "record.freeze_deferred", hearing_id,
                                       {"reason": str(exc)})
                await uow.commit()

    async def idle(self) -> None:
        """Wait for the freezes started at close (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # -- signing ---------------------------------------------------------------------------
    async def sign(self, actor: Actor, hearing_id: str, field_name: object,
                   capture: object) -> RecordView:
        if capture is not None and not isinstance(capture, dict):
            raise InvalidInput("'capture' must be a signature capture object")
        case: Case | None = None

        async def read(uow: UnitOfWork) -> Turn[RecordSlot]:
            nonlocal case
            hearing = await uow.hearings.get(hearing_id)
            case = await uow.cases.get(hearing.case_id)
            record = await uow.records.of_hearing(hearing_id)
            if record is None:
                raise InvalidInput("the record has not been sent for signature")
            slot = record.check_turn(field_name)
            _require_signer(actor, hearing, slot)
            assert record.document_id is not None
            document = await uow.documents.get(record.document_id)
            if slot.role == "person" and capture is None:
                raise InvalidInput("'capture' is required: a person recorded signs by hand")
            return Turn(slot, document, record.order.is_last(slot),
                        SIGNING_ROLES[slot.role] or _person_role(hearing, slot),
                        slot.staff_user_id)  # a staff field signs by key: _require_signer

        record: HearingRecord | None = None

        async def mark(uow: UnitOfWork, slot: RecordSlot, how: str) -> bool | None:
            nonlocal record
            record = await uow.records.of_hearing(hearing_id)
            return None if record is None else record.record_signature(slot.field, how)

        async def tell(uow: UnitOfWork, signed: Signature[RecordSlot]) -> RecordView:
            assert case is not None and record is not None
            hearing = await uow.hearings.get(hearing_id)
            document = signed.document
            await uow.audit.append(actor.label, "record.signed", hearing_id, {
                "field": signed.slot.field, "signer": signed.slot.signer, "how": signed.how,
                "document_id": document.id, "sha256": signed.sha256,
                "complete": signed.complete})
            view = self._view(actor, hearing, case, record)
            uow.record(TranscriptChanged(hearing_id, "record.signed", view.event()))
            if signed.complete:
                uow.record(DocumentDelivered(hearing_id, document.id, document.kind.value,
                                             document.title, _url(document.id)))
            return view

        async with self._locks[hearing_id]:
            return await sign_next_slot(
                self._uow, self._documents, capture,
                read=read, mark=mark, tell=tell,
                changed="the record changed while it was being signed; retry")

    def _view(self, actor: Actor, hearing: Hearing, case: Case,
              record: HearingRecord | None) -> RecordView:
        # A participant reads the text once it is frozen, never the clerk's live draft.
        with_body = actor.kind != "participant" or (
            record is not None and record.state is not RecordState.DRAFTING)
        return RecordView(hearing, case, record, with_body)


def _person_role(hearing: Hearing, slot: RecordSlot) -> str:
    if slot.participant_id is None:
        return "当事人"
    return ROLE_LABELS.get(hearing.participant(slot.participant_id).role, "当事人")


async def _clerk(uow: UnitOfWork, hearing: Hearing, record: HearingRecord, court_id: str
                 ) -> tuple[str | None, str]:
    """Who signs as clerk: the record's keeper, else the hearing's clerk, else the court's."""
    if record.clerk_user_id and record.clerk_name:
        return record.clerk_user_id, record.clerk_name
    seat = next((p for p in hearing.participants if p.role is Role.CLERK
                 and p.state is not ParticipantState.REMOVED), None)
    if seat is not None:
        return await _seated(uow, seat)
    clerks = await uow.staff.of_court(court_id, StaffRole.CLERK)
    if clerks:
        return clerks[0].id, clerks[0].display_name
    raise InvalidInput("the court has no clerk to sign the record")


async def _judge(uow: UnitOfWork, hearing: Hearing) -> tuple[str | None, str]:
    if hearing.presiding_user_id:
        judge = await uow.staff.get(hearing.presiding_user_id)
        return judge.id, judge.display_name
    seat = next((p for p in hearing.participants if p.role is Role.JUDGE
                 and p.state is not ParticipantState.REMOVED), None)
    if seat is None:
        raise InvalidInput("the hearing has no presiding judge to sign the record")
    return await _seated(uow, seat)


async def _seated(uow: UnitOfWork, seat: Participant) -> tuple[str | None, str]:
    """Who signs for a staff seat: the account bound to it, under the account's own name."""
    if seat.staff_user_id is None:
        return None, seat.name
    user = await uow.staff.get(seat.staff_user_id)
    return user.id, user.display_name


def _require_signer(actor: Actor, hearing: Hearing, slot: RecordSlot) -> None:
    """A field belongs to one identity: the person recorded (their own join token) or the
    staff account bound to the clerk's or judge's seat (its own session); that account's
    key signs, so nobody signs with someone else's key."""
    require_seat(actor, staff_user_id=slot.staff_user_id,
                 participant_id=slot.participant_id if slot.role == "person" else None,
                 hearing=hearing, what=f"field {slot.field!r} ({slot.signer})")
