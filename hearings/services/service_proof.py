"""The proof of service (电子送达回证) of one notification: what was served (the document's
title, kind and SHA-256), on whom (name, role, the address masked), each delivery attempt
(from the audit log's `notification.attempt` entries: number, time, channel, outcome — of
this notification and of the same notice's other channel: e-mail and SMS), the
receipts (the delivery link's first opening: time, address, user agent; the document's
download) or the clerk's service by another means (post, in person: by whom, when).

Compiled for the court's clerks and administrators (policy `notification.resend`, as the
other clerk actions on a notification), audited as `notification.proof_of_service`;
docforge lays it out and seals it (docforge/service_proof.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from hearings.domain.actors import Actor, require_staff
from hearings.domain.documents import Delivery, DeliveryHow, Document
from hearings.domain.errors import NotFound
from hearings.domain.policy import require
from hearings.services.notifications import Notification
from hearings.services.ports import UnitOfWork

__all__ = ["Attempt", "OtherService", "ServiceFacts", "ServiceProofs"]


@dataclass(frozen=True)
class Attempt:
    number: int
    at: datetime
    channel: str
    delivered: bool
    error: str | None
    to: str | None = None  # where to, masked (z***@example.cn, 138****8000)


@dataclass(frozen=True)
class OtherService:
    means: str  # post | in_person | other
    by: str  # the clerk's name (and account), or the audit label
    at: datetime


@dataclass(frozen=True)
class ServiceFacts:
    court_name: str
    case_number: str
    case_title: str
    notification: Notification
    recipient_role: str  # the participant's Role value
    document: Document | None
    attempts: list[Attempt]
    downloads: list[Delivery]
    otherwise: OtherService | None


class ServiceProofs:
    def __init__(self, uow: Callable[[], UnitOfWork]) -> None:
        self._uow = uow

    async def compile(self, actor: Actor, notification_id: str) -> ServiceFacts:
        require_staff(actor)
        async with self._uow() as uow:
            note = await uow.outbox.get(notification_id)
            hearing = await uow.hearings.get(note.hearing_id)
            case = await uow.cases.get(hearing.case_id)
            require(actor, "notification.resend", court_id=case.court_id, hearing=hearing)
            court = await uow.courts.get(case.court_id)
            try:
                role = hearing.participant(note.recipient).role.value
            except NotFound:
                role = ""
            document = downloads = None
            if note.document_id is not None:
                document = await uow.documents.get(note.document_id)
                downloads = [d for d in await uow.deliveries.of_document(document.id)
                             if d.recipient == note.recipient
                             and d.how is DeliveryHow.DOWNLOAD]
            attempts: list[Attempt] = []
            otherwise = None
            rows = {n.id: n for n in await uow.outbox.of_hearing(hearing.id)
                    if same_notice(n, note)} | {note.id: note}
            for entry in await uow.audit.entries(hearing.id):
                row = rows.get(str(entry.payload.get("notification_id")))
                if row is None:
                    continue
                if entry.action == "notification.attempt":
                    attempts.append(Attempt(
                        int(entry.payload["attempt"]), entry.at,
                        "sms" if row.mobile else str(entry.payload["channel"]),
                        entry.payload["outcome"] == "delivered", entry.payload.get("error"),
                        row.masked_mobile or row.masked_address))
                elif row is note and entry.action == "notification.served_otherwise":
                    otherwise = OtherService(str(entry.payload["means"]),
                                             await _person(uow, entry.actor), entry.at)
            await uow.audit.append(actor.label, "notification.proof_of_service", hearing.id, {
                "notification_id": note.id, "attempts": len(attempts),
                "opened": note.opened_at is not None,
                "document_id": note.document_id})
            await uow.commit()
            return ServiceFacts(court.name, case.number, case.title, note, role, document,
                                attempts, downloads or [], otherwise)


def same_notice(a: Notification, b: Notification) -> bool:
    """Whether two rows are one notice to one person by two channels (`by_channel`)."""
    if (a.recipient, a.kind, a.document_id) != (b.recipient, b.kind, b.document_id):
        return False
    if a.dedupe_key or b.dedupe_key:
        return (a.dedupe_key or "").removesuffix(":sms") == (b.dedupe_key or "").removesuffix(
            ":sms")
    return a.created_at == b.created_at


async def _person(uow: UnitOfWork, label: str) -> str:
    """A staff member's name and account for an audit label `staff:<id>`; else the label."""
    kind, _, user_id = label.partition(":")
    if kind != "staff":
        return label
    try:
        user = await uow.staff.get(user_id)
    except NotFound:
        return label
    return f"{user.display_name}（{user.username}）"
