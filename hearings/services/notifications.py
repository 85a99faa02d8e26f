"""Notifying people who are not in the room: an outbox of notifications, sent by a Notifier.

A handler adds `Notification` rows in its own unit of work (so a notification exists if
and only if what it announces was committed); `Outbox.dispatch` later hands unsent ones
to whichever `Notifier` is configured (SMS, e-mail); without one they wait in the table,
where a clerk sees them.

A failed send is retried later, each time waiting twice as long (`Backoff`: base·2^n, with a
little jitter so that a gateway that was down is not hit by every row at once), until the
row has failed `Backoff.max_attempts` times: then it is marked undelivered, and only a
clerk's `resend` puts it back in the queue (or the party is served by another means).

Invitations and reminders (a day and an hour before the hearing) carry the recipient's
join link, but no join secret is ever stored: the row says only what it announces
(`kind`), and the sender mints a fresh join token (stored as its digest, as every join
token) and, for a participant who comes to a clinic, a kiosk code at the moment it sends,
revoking the one it minted for an earlier attempt of the same row. Reminders are written
from the database (`Outbox.remind`, every round of the sender): a restart loses nothing,
and each carries a dedupe key (kind, recipient, hearing time) that is unique in the table,
so no recipient ever gets two reminders of one kind for one time.
"""

from __future__ import annotations

import dataclasses
import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo

from hearings.domain.actors import Actor, require_staff
from hearings.domain.documents import Delivery, DeliveryHow, Document
from hearings.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from hearings.domain.hearing import Hearing
from hearings.domain.identity import new_id, utcnow
from hearings.domain.mediation import PARTY_ROLES
from hearings.domain.participants import Participant
from hearings.domain.policy import court_filter, require
from hearings.domain.tokens import issue_join_token
from hearings.services.kiosks import issue_kiosk_code
from hearings.services.ports import Documents, Notifier, UnitOfWork

__all__ = ["JOIN_KINDS", "Backoff", "Notification", "Outbox", "by_channel", "mask_email",
           "mask_mobile", "notice"]

# What a notice announces; those that invite someone into the room carry a join link,
# minted when the notice is sent.
INVITATION, REMINDER_DAY, REMINDER_HOUR, RESCHEDULED = (
    "invitation", "reminder_day", "reminder_hour", "rescheduled")
JOIN_KINDS = frozenset({INVITATION, REMINDER_DAY, REMINDER_HOUR, RESCHEDULED})
AGREEMENT = "agreement"  # a signed mediation agreement served on a party (no join link)
_SUBJECTS = {
    INVITATION: "出庭通知 Invitation to a hearing",
    REMINDER_DAY: "开庭提醒（明天）Reminder: your hearing is tomorrow",
    REMINDER_HOUR: "开庭提醒（一小时后）Reminder: your hearing starts within the hour",
    RESCHEDULED: "改期通知 The hearing was rescheduled",
}
DAY, HOUR = timedelta(days=1), timedelta(hours=1)


def mask_email(address: str | None) -> str | None:
    """An address as lists show it: the first character of the local part, the domain."""
    if not address:
        return None
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"


def mask_mobile(number: str | None) -> str | None:
    """A mobile number as lists show it: 138****1234."""
    if not number:
        return None
    return f"{number[:3]}****{number[-4:]}"


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
    # What it announces (JOIN_KINDS, or None for a served document); a reminder's dedupe
    # key is unique in the table; the join token minted for its latest attempt (digest only).
    kind: str | None = None
    dedupe_key: str | None = None
    join_token_id: str | None = None
    id: str = field(default_factory=new_id)
    # Where it goes by SMS (through the webhook gateway): the party's mobile number, if they
    # consented; a notice to someone with both gets one row per channel (`by_channel`).
    mobile: str | None = None

    @property
    def masked_address(self) -> str | None:
        return mask_email(self.address)

    @property
    def masked_mobile(self) -> str | None:
        return mask_mobile(self.mobile)


def by_channel(note: Notification, participant: Participant) -> list[Notification]:
    """One notification per channel that reaches the participant (with their consent): the
    e-mail row as written, an SMS row (its own id, delivery link and dedupe key) for a
    mobile number; none if neither reaches them."""
    rows = [note] if participant.service_address is not None else []
    if participant.service_mobile is not None:
        rows.append(dataclasses.replace(
            note, id=new_id(), delivery_token=_delivery_token(), address=None,
            mobile=participant.service_mobile,
            dedupe_key=f"{note.dedupe_key}:sms" if note.dedupe_key else None))
    return rows


def notice(kind: str, hearing: Hearing, participant: Participant, case_number: str,
           court_tz: tzinfo) -> Notification:
    """An invitation, reminder or rescheduling notice to one participant (with consent and
    an address), keyed so that a second one of that kind for that time is a duplicate."""
    when = hearing.scheduled_at.astimezone(court_tz)
    body = (f"{participant.name}：\n案号 Case: {case_number}\n{hearing.title}\n"
            f"时间 Time: {when:%Y-%m-%d %H:%M} ({getattr(court_tz, 'key', court_tz)})\n"
            "请按时通过下方链接（或在法官e站输入自助终端码）参加。\n"
            "Join at that time with the link below (or the kiosk code at the clinic).")
    return Notification(hearing.id, participant.id, participant.name, _SUBJECTS[kind], body,
                        address=participant.service_address, kind=kind,
                        dedupe_key=f"{kind}:{participant.id}:"
                                   f"{hearing.scheduled_at.astimezone(UTC).isoformat()}")


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
                 documents: Documents | None = None, *, join_base: str = "",
                 link_lifetime: timedelta = timedelta(days=30),
                 court_tz: tzinfo = UTC) -> None:
        self._uow = uow
        self._join_base = join_base.rstrip("/")  # <public url>: links are <base>/join/<secret>
        self._link_lifetime, self._court_tz = link_lifetime, court_tz
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
                          email: object, consent: object,
                          mobile: object = None) -> Participant:
        """A clerk records a party's e-mail, mobile number and whether they consented to
        electronic service. The audit entry says whether each is on file, never what."""
        async with self._uow() as uow:
            hearing = await uow.hearings.get(hearing_id)
            court_id = (await uow.cases.get(hearing.case_id)).court_id
            require(actor, "participant.contact", court_id=court_id, hearing=hearing)
            participant = hearing.participant(participant_id)
            participant.set_contact(email, consent, mobile)
            await uow.audit.append(actor.label, "participant.contact", hearing.id, {
                "participant_id": participant.id, "email": participant.email is not None,
                "mobile": participant.mobile is not None,
                "consent_electronic_service": participant.consent_electronic_service})
            await uow.commit()
            return participant

    async def invite(self, actor: Actor, hearing_id: str, participant_id: str) -> Notification:
        """The clerk sends a participant who consented to electronic service an invitation
        with their own join link (minted when it is sent); once per hearing time."""
        async with self._uow() as uow:
            hearing = await uow.hearings.get(hearing_id)
            case = await uow.cases.get(hearing.case_id)
            require(actor, "notification.invite", court_id=case.court_id, hearing=hearing)
            participant = hearing.participant(participant_id)
            if hearing.is_over:
                raise Conflict("the hearing is over: nobody is invited to it any more")
            if not participant.reachable:
                raise InvalidInput("this participant has no e-mail address or mobile number "
                                   "with consent to electronic service")
            notes = by_channel(notice(INVITATION, hearing, participant, case.number,
                                      self._court_tz), participant)
            if await uow.outbox.known_keys([n.dedupe_key or "" for n in notes]):
                raise Conflict("this participant was invited to this hearing time already; "
                               "resend that invitation instead")
            for note in notes:
                uow.outbox.add(note)
                await uow.audit.append(actor.label, "notification.invitation", hearing.id,
                                       {"notification_id": note.id,
                                        "participant_id": participant.id,
                                        "sms": note.mobile is not None})
            await uow.commit()
            return notes[0]

    async def remind(self, now: datetime | None = None) -> int:
        """Write the reminders that are due — a day before a hearing, and an hour before —
        for every participant with an address and consent, from the database alone (a
        restart loses none), never twice (the dedupe key). Returns how many were written."""
        now = now or self._clock()
        try:
            async with self._uow() as uow:
                wanted: list[Notification] = []
                numbers: dict[str, str] = {}
                for hearing in await uow.hearings.scheduled_between(now, now + DAY):
                    if hearing.is_over or hearing.started_at is not None:
                        continue
                    kind = REMINDER_HOUR if hearing.scheduled_at - now <= HOUR else REMINDER_DAY
                    for participant in hearing.participants:
                        if not participant.reachable or participant.staff_user_id:
                            continue
                        if hearing.case_id not in numbers:
                            numbers[hearing.case_id] = (await uow.cases.get(
                                hearing.case_id)).number
                        wanted.extend(by_channel(notice(
                            kind, hearing, participant, numbers[hearing.case_id],
                            self._court_tz), participant))
                known = await uow.outbox.known_keys([n.dedupe_key or "" for n in wanted])
                fresh = [n for n in wanted if n.dedupe_key not in known]
                for note in fresh:
                    uow.outbox.add(note)
                    await uow.audit.append("system:yunting", f"notification.{note.kind}",
                                           note.hearing_id, {"notification_id": note.id,
                                                             "participant_id": note.recipient})
                if fresh:
                    await uow.commit()
                return len(fresh)
        except Conflict:  # another process wrote the same reminder first: it is written
            return 0

    async def serve_agreement(self, hearing_id: str) -> int:
        """Once a mediation agreement is signed by everyone, each party who consented to
        electronic service is served a copy by e-mail: the delivery link hands over the
        signed PDF (the download is the receipt, for the proof of service); once per party
        and document. Returns how many notices were written."""
        try:
            async with self._uow() as uow:
                mediation = await uow.mediations.of_hearing(hearing_id)
                if mediation is None or mediation.document_id is None:
                    return 0
                hearing = await uow.hearings.get(hearing_id)
                case = await uow.cases.get(hearing.case_id)
                document = await uow.documents.get(mediation.document_id)
                notes = [n for p in hearing.participants
                         if p.role in PARTY_ROLES and p.reachable
                         for n in by_channel(Notification(
                    hearing.id, p.id, p.name, f"调解协议 Mediation agreement {case.number}",
                    f"{p.name}：\n案号 Case: {case.number}\n{hearing.title}\n"
                    "各方已签署的调解协议随本通知送达，请通过下方送达链接下载。\n"
                    "The mediation agreement signed by all is served with this notice: "
                    "download it from your delivery link below.",
                    document_id=document.id, address=p.service_address, kind=AGREEMENT,
                    dedupe_key=f"{AGREEMENT}:{p.id}:{document.id}"), p)]
                known = await uow.outbox.known_keys([n.dedupe_key or "" for n in notes])
                notes = [n for n in notes if n.dedupe_key not in known]
                for note in notes:
                    uow.outbox.add(note)
                    await uow.audit.append("system:yunting", "notification.agreement",
                                           hearing.id, {"notification_id": note.id,
                                                        "participant_id": note.recipient,
                                                        "document_id": document.id})
                if notes:
                    await uow.commit()
                return len(notes)
        except Conflict:  # another process served it first
            return 0

    async def _with_join_link(self, note: Notification) -> Notification:
        """The message as it is sent: for an invitation or reminder, a copy whose body ends
        with a join link (and kiosk code) minted now; the row keeps only the token's id."""
        if note.kind not in JOIN_KINDS:
            return note
        async with self._uow() as uow:
            hearing = await uow.hearings.get(note.hearing_id)
            if hearing.is_over:
                raise Conflict("the hearing is over: no join link to send")
            participant = hearing.participant(note.recipient)
            if note.join_token_id is not None:  # the link of an earlier attempt goes
                for token in await uow.tokens.of_participant(participant.id):
                    if token.id == note.join_token_id:
                        token.revoke()
            lifetime = max(self._link_lifetime,
                           hearing.scheduled_at + DAY - self._clock())
            secret, token = issue_join_token(hearing.id, participant.id, participant.role,
                                             valid_for=lifetime)
            uow.tokens.add(token)
            code = None
            if participant.site_id:
                code, kiosk_code = issue_kiosk_code(token, participant.site_id)
                uow.kiosks.add_code(kiosk_code)
            row = await uow.outbox.get(note.id)
            row.join_token_id = note.join_token_id = token.id
            await uow.audit.append("system:yunting", "join_link.issued", hearing.id, {
                "participant_id": participant.id, "token_id": token.id,
                "expires_at": token.expires_at.isoformat(), "kiosk_code": code is not None,
                "notification_id": note.id})
            await uow.commit()
        lines = [note.body, "", "入庭链接（仅限本人使用，请勿转发）Your join link (for you only):",
                 f"{self._join_base}/join/{secret}"]
        if code is not None:
            lines.append(f"法官e站自助终端码 Kiosk code at the clinic: {code}")
        return dataclasses.replace(note, body="\n".join(lines))

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
                channel = await notifier.send(await self._with_join_link(note))
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
                # each attempt, for the proof of service (hearings/services/service_proof.py)
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
