"""Notifying people who are not in the room: an outbox of notifications, sent by a Notifier.

A handler adds `Notification` rows in its own unit of work (so a notification exists if
and only if what it announces was committed); `Outbox.dispatch` later hands unsent ones
to whichever `Notifier` is configured (SMS, e-mail); without one they wait in the table,
where a clerk sees them.

A failed send is retried later, each time waiting twice as long (`Backoff`: base·2^n, with a
little jitter so that a gateway that was down is not hit by every row at once), until the
row has failed `Backoff.max_attempts` times: then it is marked undelivered, and only a
clerk's `resend` puts it back in the queue (or the party is served by another means).
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hearings.actors import Actor, require_staff
from hearings.documents import Delivery, DeliveryHow, Document
from hearings.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from hearings.identity import new_id, utcnow
from hearings.participants import Participant
from hearings.policy import court_filter, require
from hearings.ports import Documents, Notifier, UnitOfWork

__all__ = ["Backoff", "Notification", "Outbox", "mask_email"]


def mask_email(address: str | None) -> str | None:
    """An address as lists show it: the first character of the local part, the domain."""
    if not address:
        return None
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"


def _delivery_token() -> str:
    return secrets.token_urlsafe(24)


@dataclass(eq=False)
class Notification:
    hearing_id: str
    recipient: str  # participant id
    recipient_name: str
    subject: str
    body: str
    document_id: str | None = None
    channel: str = "outbox"  # which notifier sent it, once sent
    created_at: datetime = field(default_factory=utcnow)
    sent_at: datetime | None = None
    attempts: int = 0
    last_error: str | None = None
    # A sender's lease on the row while it sends (several processes send the outbox): no
    # other sender takes it before `claimed_until`; a crashed sender's lease just expires.
    claimed_by: str | None = None
    claimed_until: datetime | None = None
    # Where it goes by e-mail (the participant's address, if they consented to electronic
    # service when it was written); None: the webhook gateway's channel only.
    address: str | None = None
    # The recipient's own link in the message (`/api/served/<token>`): it opens this delivery.
    delivery_token: str | None = field(default_factory=_delivery_token)
    # Not tried again before this (a failed send backs off); None: at once.
    next_attempt_at: datetime | None = None
    # Set once the attempts ran out: nobody sends it again unless a clerk resends it.
    undelivered_at: datetime | None = None
    # The receipt: when the recipient first opened their delivery link, from where, with what.
    opened_at: datetime | None = None
    opened_from: str | None = None
    opened_user_agent: str | None = None
    id: str = field(default_factory=new_id)

    @property
    def masked_address(self) -> str | None:
        return mask_email(self.address)


@dataclass(frozen=True)
class Backoff:
    """When a failed notification is tried again: `base`·2^(n-1) after its n-th failure
    (times 1 to 1+`jitter`), and never again after `max_attempts` failures."""

    base: timedelta = timedelta(seconds=30)
    max_attempts: int = 8
    jitter: float = 0.25

    def delay(self, attempts: int) -> timedelta:
        spread = 1.0 + random.random() * self.jitter  # spreading retries, not a secret
        return self.base * (2 ** max(attempts - 1, 0)) * spread


# How a clerk may have served a party instead (the notification's channel then).
OTHER_MEANS = frozenset({"post", "in_person", "other"})

# How long a sender holds the notifications it took: far longer than a round of sends
# (the gateway's timeout is 5 s each), so that only a crashed sender's lease runs out.
CLAIM_LEASE = timedelta(minutes=5)


class Outbox:
    def __init__(self, uow: Callable[[], UnitOfWork], notifier: Notifier | None = None,
                 backoff: Backoff | None = None,
                 clock: Callable[[], datetime] = utcnow,
                 documents: Documents | None = None) -> None:
        self._uow = uow
        self._documents = documents  # to hand a notice's document over its delivery link
        self._notifier = notifier
        self._backoff = backoff or Backoff()
        self._clock = clock
        self.sender = new_id()  # this process's name on the rows it claims

    async def of_hearing(self, actor: Actor, hearing_id: str) -> list[Notification]:
        """What was (or is still to be) sent about a hearing: staff of its court only."""
        require_staff(actor)
        async with self._uow() as uow:
            hearing = await uow.hearings.get(hearing_id)
            case = await uow.cases.get(hearing.case_id)
            if actor.court_id not in (None, case.court_id):
                raise PermissionDenied("this hearing belongs to another court")
            return await uow.outbox.of_hearing(hearing_id)

    async def undelivered(self, actor: Actor) -> list[Notification]:
        """What could not be delivered after every attempt, for the actor's court."""
        require_staff(actor)
        court_id = court_filter(actor)
        require(actor, "notification.read", court_id=court_id)
        async with self._uow() as uow:
            return await uow.outbox.undelivered(court_id)

    async def resend(self, actor: Actor, notification_id: str) -> Notification:
        """A clerk puts an undelivered (or failing) notification back in the queue, with
        its attempts counted from zero; the next round sends it."""
        require_staff(actor)
        async with self._uow() as uow:
            note = await uow.outbox.get(notification_id)
            hearing = await uow.hearings.get(note.hearing_id)
            court_id = (await uow.cases.get(hearing.case_id)).court_id
            require(actor, "notification.resend", court_id=court_id, hearing=hearing)
            if note.sent_at is not None:
                return note  # already delivered: nothing to resend
            note.attempts, note.next_attempt_at, note.undelivered_at = 0, None, None
            await uow.audit.append(actor.label, "notification.resend", hearing.id,
                                   {"notification_id": note.id})
            await uow.commit()
            return note

    async def mark_served(self, actor: Actor, notification_id: str, means: str) -> Notification:
        """The clerk served the party another way (by post, in person): the notification is
        done, its channel names the means, and nobody sends it again."""
        if means not in OTHER_MEANS:
            raise InvalidInput(f"means must be in {sorted(OTHER_MEANS)} (got {means!r})")
        require_staff(actor)
        async with self._uow() as uow:
            note = await uow.outbox.get(notification_id)
            hearing = await uow.hearings.get(note.hearing_id)
            court_id = (await uow.cases.get(hearing.case_id)).court_id
            require(actor, "notification.resend", court_id=court_id, hearing=hearing)
            if note.sent_at is not None:
                raise Conflict("this notification was already delivered")
            note.sent_at, note.channel = self._clock(), means
            note.undelivered_at = note.next_attempt_at = None
            await uow.audit.append(actor.label, "notification.served_otherwise", hearing.id,
                                   {"notification_id": note.id, "means": means})
            await uow.commit()
            return note

    async def open_delivery(self, token: str, client: str | None,
                            user_agent: str | None) -> Notification:
        """The recipient opened their delivery link: the first opening is the receipt (time,
        client address, user agent), audited once; later openings change nothing."""
        if not token or len(token) > 64:
            raise NotFound("delivery", "(this link)")
        async with self._uow() as uow:
            note = await uow.outbox.by_token(token)
            if note is None:
                raise NotFound("delivery", "(this link)")
            if note.opened_at is None:
                note.opened_at = self._clock()
                note.opened_from = (client or "")[:64] or None
                note.opened_user_agent = (user_agent or "")[:300] or None
                await uow.audit.append("system:yunting", "notification.opened", note.hearing_id,
                                       {"notification_id": note.id,
                                        "recipient": note.recipient})
                await uow.commit()
            return note

    async def served_document(self, token: str, client: str | None,
                              user_agent: str | None) -> tuple[Document, bytes]:
        """The document a notification serves, over its recipient's delivery link: the
        download is a receipt of the document (a `Delivery`, for the proof of service), once
        per recipient, audited; opening the link this way also records the link's receipt."""
        note = await self.open_delivery(token, client, user_agent)
        if note.document_id is None or self._documents is None:
            raise NotFound("document", "(of this link)")
        async with self._uow() as uow:
            document = await uow.documents.get(note.document_id)
        data = await self._documents.read(document)
        async with self._uow() as uow:
            document = await uow.documents.get(document.id)
            known = [d for d in await uow.deliveries.of_document(document.id)
                     if d.recipient == note.recipient and d.how is DeliveryHow.DOWNLOAD]
            if not known:
                uow.deliveries.add(Delivery(document.id, document.hearing_id, note.recipient,
                                            note.recipient_name, DeliveryHow.DOWNLOAD,
                                            document.sha256))
                document.deliver()
                await uow.audit.append("system:yunting", "document.receipt",
                                       document.hearing_id, {
                                           "document_id": document.id, "how": "download",
                                           "via": "delivery link",
                                           "notification_id": note.id,
                                           "sha256": document.sha256})
                await uow.commit()
        return document, data

    async def set_contact(self, actor: Actor, hearing_id: str, participant_id: str,
                          email: object, consent: object) -> Participant:
        """A clerk records a party's e-mail and whether they consented to electronic
        service. The audit entry says that it changed, never the address."""
        async with self._uow() as uow:
            hearing = await uow.hearings.get(hearing_id)
            court_id = (await uow.cases.get(hearing.case_id)).court_id
            require(actor, "participant.contact", court_id=court_id, hearing=hearing)
            participant = hearing.participant(participant_id)
            participant.set_contact(email, consent)
            await uow.audit.append(actor.label, "participant.contact", hearing.id, {
                "participant_id": participant.id, "email": participant.email is not None,
                "consent_electronic_service": participant.consent_electronic_service})
            await uow.commit()
            return participant

    async def dispatch(self, limit: int = 100) -> int:
        """Send what is waiting, each notification by one sender only; a failure is recorded
        on the row and retried next time.

        Several processes run this: each first claims the rows it will send (a lease, in a
        transaction of its own), sends them with no transaction open, then records the
        outcome of each row it still holds. A row claimed by a sender that died is taken
        again once its lease has run out.
        """
        notifier = self._notifier
        if notifier is None:
            return 0
        now = self._clock()
        async with self._uow() as uow:
            notes = await uow.outbox.claim(self.sender, now + CLAIM_LEASE, limit, now)
            await uow.commit()
        outcome: dict[str, tuple[bool, str]] = {}  # id: (sent, channel or error)
        for note in notes:
            try:
                channel = await notifier.send(note)
            except Exception as exc:  # an adapter's failure must not stop the others
                outcome[note.id] = (False, f"{type(exc).__name__}: {exc}"[:500])
            else:
                outcome[note.id] = (True, channel or notifier.channel)
        if not outcome:
            return 0
        sent = 0
        now = self._clock()
        async with self._uow() as uow:
            for note in await uow.outbox.claimed(self.sender, list(outcome)):
                note.attempts += 1
                ok, detail = outcome[note.id]
                # each attempt, for the proof of service (hearings/service_proof.py)
                await uow.audit.append("system:yunting", "notification.attempt",
                                       note.hearing_id, {
                                           "notification_id": note.id,
                                           "attempt": note.attempts,
                                           "outcome": "delivered" if ok else "failed",
                                           "channel": detail if ok else notifier.channel,
                                           "error": None if ok else detail})
                if ok:
                    note.sent_at, note.channel, note.next_attempt_at = now, detail, None
                    sent += 1
                else:
                    note.last_error = detail
                    if note.attempts >= self._backoff.max_attempts:
                        note.undelivered_at, note.next_attempt_at = now, None
                    else:
                        note.next_attempt_at = now + self._backoff.delay(note.attempts)
                note.claimed_by = note.claimed_until = None
            await uow.commit()
        return sent
