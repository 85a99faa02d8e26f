"""Delivering a confirmation ruling (送达): pushed into the mediation room to whoever is
there, notified to the absent parties through the outbox, each receipt a `Delivery`."""

from __future__ import annotations

from hearings.domain.confirmation import JudicialConfirmation, ruling_notice
from hearings.domain.documents import Delivery, DeliveryHow, Document, document_url
from hearings.domain.events import DocumentDelivered
from hearings.domain.hearing import Hearing
from hearings.domain.identity import utcnow
from hearings.domain.mediation import PARTY_ROLES
from hearings.domain.participants import Participant
from hearings.domain.states import ParticipantState
from hearings.services.mediations import record_change
from hearings.services.notifications import Notification, by_channel
from hearings.services.ports import UnitOfWork

__all__ = ["deliver_ruling"]

_PRESENT = frozenset({ParticipantState.JOINING, ParticipantState.WAITING,
                      ParticipantState.IN_HEARING, ParticipantState.IN_CONSULTATION})


async def deliver_ruling(uow: UnitOfWork, app: JudicialConfirmation, document: Document
                         ) -> None:
    """Push the ruling into the room; record who had it there; notify the absent parties.

    Whether or not the room's session is still live: a closed room has nobody to push to,
    so every party is notified through the outbox. The room hears `DocumentDelivered`
    (then the mediation's new state) once the unit of work committed.
    """
    published = utcnow()
    hearing = await uow.hearings.get(app.mediation_hearing_id)
    app.delivered(published)
    present, absent = _split(hearing)
    for p in present:
        uow.deliveries.add(Delivery(document.id, hearing.id, p.id, p.name, DeliveryHow.PUSHED,
                                    document.sha256, at=published))
    for p in absent:
        note = Notification(
            hearing.id, p.id, p.name, f"{document.title} {app.case_number}",
            ruling_notice(p.name, app.case_number, app.decision, document_url(document.id)),
            document_id=document.id, address=p.service_address)
        # By e-mail and/or SMS where the party consented; otherwise the gateway as before.
        for row in by_channel(note, p) or [note]:
            uow.outbox.add(row)
    document.deliver()
    await uow.audit.append("system:yunting", "document.delivered", hearing.id, {
        "document_id": document.id, "sha256": document.sha256,
        "pushed_to": [p.id for p in present], "notified": [p.id for p in absent],
        "decide_to_delivered_ms": round(app.decide_to_delivered_ms or 0, 1)})
    uow.record(DocumentDelivered(hearing.id, document.id, document.kind.value, document.title,
                                 document_url(document.id), decision=app.decision))
    await record_change(uow, hearing.id, "document.delivered")


def _split(hearing: Hearing) -> tuple[list[Participant], list[Participant]]:
    """Who had the pushed ruling (connected to the live room), and which parties did not."""
    people = [p for p in hearing.participants if p.state is not ParticipantState.REMOVED]
    present = [p for p in people if hearing.is_live and p.state in _PRESENT]
    absent = [p for p in people if p.role in PARTY_ROLES and p not in present]
    return present, absent
