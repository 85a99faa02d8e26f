"""Service handlers for the transcript (笔录): save with a version, freeze and render,
sign in order, seal and deliver (the aggregate and its rules are hearings/domain/transcript.py).

The document machinery is the mediation agreement's: the `Documents` port renders and
signs, a `Document` row carries the hash and signatures, the signed copy goes out as a
`document.delivered` event and each receipt is proof of service (hearings/services/documents.py).
Rendering and signing run outside the unit of work; the second unit of work checks that
nothing moved meanwhile (the version, or the document's hash).
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from hearings.domain.actors import SYSTEM, Actor
from hearings.domain.cases import Case
from hearings.domain.documents import (
    Document,
    DocumentKind,
    PartyInfo,
    TranscriptContext,
    document_url,
)
from hearings.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from hearings.domain.events import DocumentDelivered, TranscriptChanged
from hearings.domain.hearing import Hearing, HearingKind
from hearings.domain.identity import utcnow
from hearings.domain.interrogation import InterrogationContext
from hearings.domain.participants import Participant, Role
from hearings.domain.policy import require, require_seat, transcript_send_action
from hearings.domain.staff import StaffRole
from hearings.domain.states import ParticipantState, TranscriptState
from hearings.domain.transcript import (
    DETAINEE_STATEMENT,
    INTERROGATION_LABELS,
    ROLE_LABELS,
    Transcript,
    TranscriptSlot,
    edit_between,
    interrogation_persons,
    interrogation_slots,
    interrogators,
    recorded_persons,
    trial_slots,
    utterances,
)
from hearings.services.ports import Documents, UnitOfWork
from hearings.services.signature_marks import ON_CAMERA, SignatureMarks, mark_on_camera, no_marks
from hearings.services.signing import Signature, Turn, sign_next_slot

__all__ = ["TranscriptView", "Transcripts"]

REOPENING = frozenset({"record.correction_requested", "record.refused"})
# Recording states in which a signature is made on camera (its moment goes into the evidence).
SIGNING_ROLES = {"person": None, "interrogator": None, "clerk": "书记员", "judge": "审判员"}


@dataclass(frozen=True)
class TranscriptView:
    hearing: Hearing
    case: Case
    transcript: Transcript | None
    with_body: bool
    # the last correction asked for (or refusal) since the last freeze: {by, reason, refused, at}
    reopened: dict[str, Any] | None = None

    @property
    def interrogation(self) -> bool:
        return self.hearing.kind is HearingKind.REMOTE_INTERROGATION

    @property
    def kind(self) -> str:
        return "interrogation_record" if self.interrogation else "hearing_record"

    @property
    def title(self) -> str:
        return "讯问笔录" if self.interrogation else "庭审笔录"

    @property
    def state(self) -> TranscriptState:
        return self.transcript.state if self.transcript else TranscriptState.DRAFTING

    def as_json(self) -> dict[str, Any]:
        r = self.transcript
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
            "document": ({"id": r.document_id, "url": document_url(r.document_id),
                          "title": self.title} if r is not None and r.document_id else None),
            "kind": self.kind,
            "rights_acknowledged_at": (r.rights_acknowledged_at.isoformat()
                                       if r is not None and r.rights_acknowledged_at else None),
            "statement": DETAINEE_STATEMENT if self.interrogation else None,
            "reopened": self.reopened,
        }
        if self.with_body:
            out["body"] = r.body if r else ""
        return out

    def event(self) -> dict[str, Any]:
        """What `record.updated` / `record.signing` carry: everything but the text."""
        out = self.as_json()
        out.pop("body", None)
        return out


class Transcripts:
    def __init__(self, uow: Callable[[], UnitOfWork], documents: Documents, *,
                 court_tz: tzinfo, marks: SignatureMarks = no_marks) -> None:
        self._uow = uow
        self._documents = documents
        self._marks = marks
        self._tz = court_tz
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._tasks: set[asyncio.Task[None]] = set()

    def mark_with(self, marks: SignatureMarks) -> None:
        """Where signatures made while recording are marked (web: the recording driver)."""
        self._marks = marks

    # -- reading ---------------------------------------------------------------------------
    async def view(self, actor: Actor, hearing_id: str) -> TranscriptView:
        async with self._uow() as uow:
            hearing = await uow.hearings.get(hearing_id)
            case = await uow.cases.get(hearing.case_id)
            require(actor, "transcript.read", court_id=case.court_id, hearing=hearing)
            transcript = await uow.transcripts.of_hearing(hearing_id)
            view = self._view(actor, hearing, case, transcript)
            if (transcript is not None and transcript.state is TranscriptState.DRAFTING
                    and transcript.version):
                view = dataclasses.replace(view, reopened=await _reopened(uow, hearing))
            return view

    async def document_id(self, actor: Actor, hearing_id: str) -> str:
        """The transcript's document, for reading through `DocumentService.read` (which audits
        staff reads as every document's are)."""
        async with self._uow() as uow:
            hearing = await uow.hearings.get(hearing_id)
            case = await uow.cases.get(hearing.case_id)
            require(actor, "transcript.read", court_id=case.court_id, hearing=hearing)
            transcript = await uow.transcripts.of_hearing(hearing_id)
            if transcript is None or transcript.document_id is None:
                raise NotFound("hearing transcript document", hearing_id)
            return transcript.document_id

    # -- the clerk (and the judge) ---------------------------------------------------------
    async def save(self, actor: Actor, hearing_id: str, body: object, version: object
                   ) -> TranscriptView:
        async with self._locks[hearing_id], self._uow() as uow:
            hearing = await uow.hearings.get(hearing_id)
            case = await uow.cases.get(hearing.case_id)
            require(actor, "transcript.edit", court_id=case.court_id, hearing=hearing)
            if hearing.state.value == "cancelled":
                raise InvalidInput("a cancelled hearing has no transcript")
            transcript = await uow.transcripts.of_hearing(hearing_id)
            if transcript is None:
                transcript = Transcript(hearing_id=hearing.id, case_id=hearing.case_id)
                uow.transcripts.add(transcript)
            before = transcript.body
            transcript.save(body, version, actor.label)
            if actor.kind == "staff" and actor.staff_role is StaffRole.CLERK:
                transcript.keeper(actor.id, actor.name)
            await uow.audit.append(actor.label, "record.saved", hearing_id, {
                "version": transcript.version, "length": len(transcript.body),
                "sha256": hashlib.sha256(transcript.body.encode()).hexdigest(),
                "edit": edit_between(before, transcript.body)})
            view = self._view(actor, hearing, case, transcript)
            uow.record(TranscriptChanged(hearing_id, "record.saved", view.event()))
            await uow.commit()
        return view

    async def send_for_signature(self, actor: Actor, hearing_id: str) -> TranscriptView:
        """Freeze the text, render the transcript, and open the signing order (an interrogation's
        interrogator may send it too, from a join link: `transcript_send_action`)."""
        async with self._locks[hearing_id]:
            async with self._uow() as uow:
                hearing = await uow.hearings.get(hearing_id)
                case = await uow.cases.get(hearing.case_id)
                require(actor, transcript_send_action(hearing), court_id=case.court_id,
                        hearing=hearing)
                transcript = await uow.transcripts.of_hearing(hearing_id)
                if transcript is None:
                    raise InvalidInput("the transcript is empty: there is nothing to sign")
                transcript.check_freezable()
                court = await uow.courts.get(case.court_id)
                clerk = await _clerk(uow, hearing, transcript, case.court_id)
                context: TranscriptContext
                if hearing.kind is HearingKind.REMOTE_INTERROGATION:
                    slots, context = await self._interrogation(uow, hearing, case, transcript,
                                                               court.name, clerk)
                    kind = DocumentKind.INTERROGATION_RECORD
                else:
                    persons = recorded_persons(hearing.participants)
                    judge = await _judge(uow, hearing)
                    slots = trial_slots(persons, clerk, judge)
                    context = self._context(hearing, case, transcript, court.name, judge[1],
                                            clerk[1], tuple(PartyInfo(p.name, ROLE_LABELS[p.role])
                                                            for p in persons))
                    kind = DocumentKind.HEARING_RECORD
                seen = transcript.version
            document = Document(kind=kind, hearing_id=hearing_id, case_id=case.id, sha256="")
            document.start_signing(await self._documents.draft_transcript(document, context))
            async with self._uow() as uow:
                hearing = await uow.hearings.get(hearing_id)
                transcript = await uow.transcripts.of_hearing(hearing_id)
                if transcript is None or transcript.version != seen:
                    raise Conflict("the transcript changed while it was being prepared; retry")
                answers = await _reopened(uow, hearing)  # the correction (refusal) answered
                transcript.freeze(document.id, slots)
                uow.documents.add(document)
                await uow.audit.append(actor.label, "record.frozen", hearing_id, {
                    "version": transcript.version, "document_id": document.id,
                    "sha256": document.sha256, "order": [s.field for s in transcript.slots]})
                view = self._view(actor, hearing, case, transcript)
                uow.record(TranscriptChanged(hearing_id, "record.frozen", view.event()))
                if answers is not None:  # the room is told a new version is on the screen
                    uow.record(TranscriptChanged(hearing_id, "record.revised", dataclasses.replace(
                        view, reopened=answers).event()))
                await uow.commit()
        return view

    def _context(self, hearing: Hearing, case: Case, transcript: Transcript, court: str,
                 presiding: str, clerk: str, persons: tuple[PartyInfo, ...]) -> TranscriptContext:
        start = hearing.started_at or hearing.scheduled_at
        return TranscriptContext(
            court=court, case_number=case.number, date=start.astimezone(self._tz).date(),
            start=start.astimezone(self._tz),
            end=hearing.closed_at.astimezone(self._tz) if hearing.closed_at else None,
            place=f"{court}云庭在线法庭", presiding_judge=presiding, clerk=clerk,
            participants=persons, utterances=tuple(utterances(transcript.body)))

    async def _interrogation(self, uow: UnitOfWork, hearing: Hearing, case: Case,
                             transcript: Transcript, court: str, clerk: tuple[str | None, str]
                             ) -> tuple[list[TranscriptSlot], InterrogationContext]:
        """The 讯问笔录's signing order and context (hearings/domain/interrogation.py)."""
        if transcript.rights_acknowledged_at is None:
            raise InvalidInput("the notice of rights has not been read and acknowledged: "
                               "record it before sending the transcript for signature")
        persons = interrogation_persons(hearing.participants)
        if not any(p.role is Role.DEFENDANT for p in persons):
            raise InvalidInput("no detainee took part: there is nobody to sign the transcript")
        asking = interrogators(hearing.participants)
        judge = await _judge(uow, hearing) if not asking else None
        slots = interrogation_slots(persons, asking, judge, clerk)
        base = self._context(hearing, case, transcript, court,
                             "、".join(s.signer for s in slots if s.role == "interrogator"),
                             clerk[1], tuple(PartyInfo(p.name, INTERROGATION_LABELS[p.role])
                                             for p in persons))
        place = await _place(uow, hearing, court)
        return slots, InterrogationContext(
            **{**vars(base), "place": place},
            interrogators=tuple(s.signer for s in slots if s.role == "interrogator"),
            rights_acknowledged_at=transcript.rights_acknowledged_at.astimezone(self._tz),
            statement=DETAINEE_STATEMENT)

    async def acknowledge_rights(self, actor: Actor, hearing_id: str) -> TranscriptView:
        """The interrogator read the notice of rights and the detainee acknowledged it."""
        async with self._locks[hearing_id], self._uow() as uow:
            hearing = await uow.hearings.get(hearing_id)
            case = await uow.cases.get(hearing.case_id)
            require(actor, "transcript.edit", court_id=case.court_id, hearing=hearing)
            if hearing.kind is not HearingKind.REMOTE_INTERROGATION:
                raise InvalidInput("only an interrogation has a notice of rights to record")
            if not hearing.is_live:
                raise Conflict("the notice of rights is read during the interrogation")
            transcript = await uow.transcripts.of_hearing(hearing_id)
            if transcript is None:
                transcript = Transcript(hearing_id=hearing.id, case_id=hearing.case_id)
                uow.transcripts.add(transcript)
            if transcript.acknowledge_rights():
                await uow.audit.append(actor.label, "record.rights_acknowledged", hearing_id,
                                       {"at": transcript.rights_acknowledged_at.isoformat()
                                        if transcript.rights_acknowledged_at else None})
            view = self._view(actor, hearing, case, transcript)
            uow.record(TranscriptChanged(hearing_id, "record.saved", view.event()))
            await uow.commit()
        return view

    async def reopen(self, actor: Actor, hearing_id: str, reason: object, *,
                     refused: bool) -> TranscriptView:
        """A signer asks for a correction (`refused` False) or refuses to sign, with a
        reason: the frozen copy is abandoned, the transcript is edited and sent again."""
        async with self._locks[hearing_id], self._uow() as uow:
            hearing = await uow.hearings.get(hearing_id)
            case = await uow.cases.get(hearing.case_id)
            if actor.kind != "participant" or actor.hearing_id != hearing.id:
                raise PermissionDenied("only a signer of the transcript may ask for a correction "
                                       "or refuse to sign it")
            transcript = await uow.transcripts.of_hearing(hearing_id)
            if transcript is None:
                raise InvalidInput("the transcript has not been sent for signature")
            signed = [s.field for s in transcript.slots if s.signed_at is not None]
            version = transcript.version
            abandoned, why = transcript.reopen(actor.id, reason)
            (await uow.documents.get(abandoned)).abandon()
            action = "record.refused" if refused else "record.correction_requested"
            await uow.audit.append(actor.label, action, hearing_id, {
                "participant_id": actor.id, "reason": why, "version": version,
                "abandoned_document_id": abandoned, "abandoned_signatures": signed})
            view = dataclasses.replace(self._view(actor, hearing, case, transcript), reopened={
                "by": actor.name, "reason": why, "refused": refused, "at": utcnow().isoformat()})
            uow.record(TranscriptChanged(hearing_id, action, view.event()))
            await uow.commit()
        return view

    async def hearing_closed(self, hearing_id: str) -> None:
        """At close (`freeze_transcript`, subscribed to `HearingChanged` by bootstrap): freeze
        a transcript with text in it, in the background, so that the bus — and the room's
        `hearing.closed` after it — is not held up by the rendering."""
        task = asyncio.create_task(self._freeze_at_close(hearing_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _freeze_at_close(self, hearing_id: str) -> None:
        async with self._uow() as uow:
            transcript = await uow.transcripts.of_hearing(hearing_id)
            if transcript is None or transcript.state is not TranscriptState.DRAFTING \
                    or not utterances(transcript.body):
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
                   capture: object, statement: object = None) -> TranscriptView:
        if capture is not None and not isinstance(capture, dict):
            raise InvalidInput("'capture' must be a signature capture object")
        case: Case | None = None
        participant: str | None = None  # whose recorded track the signature is made in
        mark: dict[str, Any] | None = None  # the moment in the recording, once committed

        async def read(uow: UnitOfWork) -> Turn[TranscriptSlot]:
            nonlocal case
            hearing = await uow.hearings.get(hearing_id)
            case = await uow.cases.get(hearing.case_id)
            transcript = await uow.transcripts.of_hearing(hearing_id)
            if transcript is None:
                raise InvalidInput("the transcript has not been sent for signature")
            slot = transcript.check_turn(field_name)
            _require_signer(actor, hearing, slot)
            assert transcript.document_id is not None
            document = await uow.documents.get(transcript.document_id)
            if slot.staff_user_id is None and capture is None:
                raise InvalidInput("'capture' is required: a person recorded signs by hand")
            nonlocal participant
            participant = slot.participant_id or _seat_of(hearing, slot.staff_user_id)
            _check_statement(hearing, slot, statement)
            return Turn(slot, document, transcript.order.is_last(slot),
                        SIGNING_ROLES[slot.role] or _person_role(hearing, slot),
                        slot.staff_user_id)  # a staff field signs by key: _require_signer

        transcript: Transcript | None = None

        async def mark_signed(uow: UnitOfWork, slot: TranscriptSlot, how: str) -> bool | None:
            nonlocal transcript
            transcript = await uow.transcripts.of_hearing(hearing_id)
            return None if transcript is None else transcript.record_signature(slot.field, how)

        async def tell(uow: UnitOfWork, signed: Signature[TranscriptSlot]) -> TranscriptView:
            assert case is not None and transcript is not None
            hearing = await uow.hearings.get(hearing_id)
            document = signed.document
            nonlocal mark
            media: dict[str, Any] = {}
            if hearing.recording_state in ON_CAMERA:  # signed on camera: the moment is evidence
                mark, media = await mark_on_camera(self._marks, hearing_id, signed, participant,
                                                   signed.slot.staff_user_id, capture)
            await uow.audit.append(actor.label, "record.signed", hearing_id, {
                "field": signed.slot.field, "signer": signed.slot.signer, "how": signed.how,
                "document_id": document.id, "sha256": signed.sha256,
                "complete": signed.complete,
                **({"statement": DETAINEE_STATEMENT} if statement is not None else {}),
                **({"media": media} if media else {})})
            view = self._view(actor, hearing, case, transcript)
            uow.record(TranscriptChanged(hearing_id, "record.signed", view.event()))
            if signed.complete:
                uow.record(DocumentDelivered(hearing_id, document.id, document.kind.value,
                                             document.title, document_url(document.id)))
            return view

        async with self._locks[hearing_id]:
            view = await sign_next_slot(
                self._uow, self._documents, capture,
                read=read, mark=mark_signed, tell=tell,
                changed="the transcript changed while it was being signed; retry")
            if mark is not None:  # committed: the recording's evidence names the moment
                await self._marks.signed(hearing_id, mark)
        return view

    def _view(self, actor: Actor, hearing: Hearing, case: Case,
              transcript: Transcript | None) -> TranscriptView:
        # A participant reads the text once it is frozen, never the clerk's live draft.
        with_body = actor.kind != "participant" or (
            transcript is not None and transcript.state is not TranscriptState.DRAFTING)
        return TranscriptView(hearing, case, transcript, with_body)


async def _reopened(uow: UnitOfWork, hearing: Hearing) -> dict[str, Any] | None:
    """The correction asked for (or the refusal) that sent the transcript back, if any since
    the last freeze: what the clerk and the interrogator must act on."""
    entries = await uow.audit.entries(hearing.id, actions=REOPENING | {"record.frozen"})
    last = entries[-1] if entries else None
    if last is None or last.action not in REOPENING:
        return None
    who = next((p.name for p in hearing.participants
                if p.id == last.payload.get("participant_id")), None)
    return {"by": who, "reason": last.payload.get("reason"),
            "refused": last.action == "record.refused", "at": last.at.isoformat()}


def _person_role(hearing: Hearing, slot: TranscriptSlot) -> str:
    if slot.participant_id is None:
        return "讯问人" if slot.role == "interrogator" else "当事人"
    role = hearing.participant(slot.participant_id).role
    if hearing.kind is HearingKind.REMOTE_INTERROGATION:
        return INTERROGATION_LABELS.get(role, "讯问人")
    return ROLE_LABELS.get(role, "当事人")


def _seat_of(hearing: Hearing, staff_user_id: str | None) -> str | None:
    """The participant seat of a staff account (whose camera records the clerk, the judge)."""
    return next((p.id for p in hearing.participants if staff_user_id is not None
                 and p.staff_user_id == staff_user_id), None)


def _check_statement(hearing: Hearing, slot: TranscriptSlot, statement: object) -> None:
    """In an interrogation the detainee signs only after choosing the statement that the
    transcript was read and is right (刑事诉讼法 第一百二十二条)."""
    detainee = (hearing.kind is HearingKind.REMOTE_INTERROGATION and slot.participant_id
                and hearing.participant(slot.participant_id).role is Role.DEFENDANT)
    if detainee and statement != DETAINEE_STATEMENT:
        raise InvalidInput(f"'statement' must be {DETAINEE_STATEMENT!r} (got {statement!r}): "
                           "the detainee confirms the transcript before signing, or asks for a "
                           "correction")
    if not detainee and statement is not None:
        raise InvalidInput("'statement' is only the detainee's, in an interrogation")



async def _place(uow: UnitOfWork, hearing: Hearing, court: str) -> str:
    """Where the interrogation takes place: the detainee's site (看守所), else online."""
    detainee = next((p for p in hearing.participants if p.role is Role.DEFENDANT
                     and p.site_id is not None), None)
    if detainee is None or detainee.site_id is None:
        return f"{court}云庭在线法庭"
    return (await uow.sites.get(detainee.site_id)).name


async def _clerk(uow: UnitOfWork, hearing: Hearing, transcript: Transcript, court_id: str
                 ) -> tuple[str | None, str]:
    """Who signs as clerk: the transcript's keeper, else the hearing's clerk, else the court's."""
    if transcript.clerk_user_id and transcript.clerk_name:
        return transcript.clerk_user_id, transcript.clerk_name
    seat = next((p for p in hearing.participants if p.role is Role.CLERK
                 and p.state is not ParticipantState.REMOVED), None)
    if seat is not None:
        return await _seated(uow, seat)
    clerks = await uow.staff.of_court(court_id, StaffRole.CLERK)
    if clerks:
        return clerks[0].id, clerks[0].display_name
    raise InvalidInput("the court has no clerk to sign the transcript")


async def _judge(uow: UnitOfWork, hearing: Hearing) -> tuple[str | None, str]:
    if hearing.presiding_user_id:
        judge = await uow.staff.get(hearing.presiding_user_id)
        return judge.id, judge.display_name
    seat = next((p for p in hearing.participants if p.role is Role.JUDGE
                 and p.state is not ParticipantState.REMOVED), None)
    if seat is None:
        raise InvalidInput("the hearing has no presiding judge to sign the transcript")
    return await _seated(uow, seat)


async def _seated(uow: UnitOfWork, seat: Participant) -> tuple[str | None, str]:
    """Who signs for a staff seat: the account bound to it, under the account's own name."""
    if seat.staff_user_id is None:
        return None, seat.name
    user = await uow.staff.get(seat.staff_user_id)
    return user.id, user.display_name


def _require_signer(actor: Actor, hearing: Hearing, slot: TranscriptSlot) -> None:
    """A field belongs to one identity: the person recorded (their own join token) or the
    staff account bound to the clerk's or judge's seat (its own session); that account's
    key signs, so nobody signs with someone else's key."""
    require_seat(actor, staff_user_id=slot.staff_user_id,
                 participant_id=slot.participant_id if slot.staff_user_id is None else None,
                 hearing=hearing, what=f"field {slot.field!r} ({slot.signer})")
