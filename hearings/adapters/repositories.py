"""SQLAlchemy repositories: the domain's collections, loaded and stored through one session."""

from __future__ import annotations

from datetime import datetime
from typing import Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hearings.adapters import orm
from hearings.domain.cases import Case, CaseNumber
from hearings.domain.confirmation import ApplicationState, DutyShift, JudicialConfirmation
from hearings.domain.courts import Court, Site
from hearings.domain.documents import Delivery, Document
from hearings.domain.errors import InvalidInput, NotFound
from hearings.domain.hearing import Hearing
from hearings.domain.identity import utcnow
from hearings.domain.mediation import Mediation
from hearings.domain.staff import StaffRole, StaffSession, StaffUser
from hearings.domain.tokens import JoinToken
from hearings.services.notifications import Notification

__all__ = [
    "CaseRepo",
    "ConfirmationRepo",
    "CourtRepo",
    "DeliveryRepo",
    "DocumentRepo",
    "HearingRepo",
    "MediationRepo",
    "OutboxRepo",
    "RosterRepo",
    "SessionRepo",
    "SiteRepo",
    "StaffRepo",
    "TokenRepo",
]

T = TypeVar("T")


class _Repo(Generic[T]):
    model: type[T]
    noun: str

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def add(self, obj: T) -> None:
        self._session.add(obj)

    async def get(self, ident: str) -> T:
        obj = await self._session.get(self.model, ident) if isinstance(ident, str) else None
        if obj is None:
            raise NotFound(self.noun, ident)
        return obj

    async def _one(self, *where: sa.ColumnElement[bool]) -> T | None:
        result = await self._session.execute(sa.select(self.model).where(*where))
        return result.scalars().first()

    async def _all(self, stmt: sa.Select[tuple[T]]) -> list[T]:
        return list((await self._session.execute(stmt)).scalars().all())


class CourtRepo(_Repo[Court]):
    model, noun = Court, "court"

    async def by_code(self, code: str) -> Court | None:
        return await self._one(orm.courts.c.code == code)

    async def list(self) -> list[Court]:
        return await self._all(sa.select(Court).order_by(orm.courts.c.name))

    async def hold(self, court_id: str) -> Court:
        """Lock the court's row until commit: its case-number sequence is allotted one at a
        time (PostgreSQL row lock; SQLite already has a single writer)."""
        stmt = sa.select(Court).where(orm.courts.c.id == court_id).with_for_update(
            key_share=True)
        court = (await self._session.execute(stmt)).scalars().first()
        if court is None:
            raise NotFound("court", court_id)
        return court


class SiteRepo(_Repo[Site]):
    model, noun = Site, "site"

    async def of_court(self, court_id: str) -> list[Site]:
        stmt = sa.select(Site).where(orm.sites.c.court_id == court_id)
        return await self._all(stmt.order_by(orm.sites.c.name))


class CaseRepo(_Repo[Case]):
    model, noun = Case, "case"

    async def by_number(self, number: str) -> Case | None:
        try:
            canonical = str(CaseNumber.parse(number))
        except InvalidInput:
            return None
        return await self._one(orm.cases.c.number == canonical)

    async def last_sequence(self, court_code: str, year: int, procedure: str) -> int:
        """The highest number allotted so far, read under the court's row lock.

        The lock (FOR NO KEY UPDATE, so rows that merely refer to the court are not held
        up) lasts until the unit of work ends: the next allotter in the court waits for
        this one's commit and then counts its number too. SQLite has a single writer.
        """
        await self._session.execute(
            sa.select(orm.courts.c.id).where(orm.courts.c.code == court_code)
            .with_for_update(key_share=True))
        prefix = f"({year}){court_code}{procedure}"
        number = orm.cases.c.number
        stmt = sa.select(number).where(number.startswith(prefix, autoescape=True))
        numbers = (await self._session.execute(stmt)).scalars().all()
        sequences = [CaseNumber.parse(n) for n in numbers]
        return max((n.sequence for n in sequences if n.procedure == procedure), default=0)


class HearingRepo(_Repo[Hearing]):
    model, noun = Hearing, "hearing"

    async def scheduled_between(self, start: datetime, end: datetime,
                                court_id: str | None = None) -> list[Hearing]:
        at = orm.hearings.c.scheduled_at
        stmt = sa.select(Hearing).where(at >= start, at < end)
        if court_id is not None:
            stmt = stmt.join(orm.cases, orm.cases.c.id == orm.hearings.c.case_id).where(
                orm.cases.c.court_id == court_id)
        return await self._all(stmt.order_by(at))

    async def of_case(self, case_id: str) -> list[Hearing]:
        stmt = sa.select(Hearing).where(orm.hearings.c.case_id == case_id)
        return await self._all(stmt.order_by(orm.hearings.c.scheduled_at))


class TokenRepo(_Repo[JoinToken]):
    model, noun = JoinToken, "join token"

    async def by_digest(self, digest: str) -> JoinToken | None:
        return await self._one(orm.join_tokens.c.digest == digest)

    async def of_participant(self, participant_id: str) -> list[JoinToken]:
        return await self._all(
            sa.select(JoinToken).where(orm.join_tokens.c.participant_id == participant_id))


class StaffRepo(_Repo[StaffUser]):
    model, noun = StaffUser, "staff user"

    async def by_username(self, username: str) -> StaffUser | None:
        return await self._one(orm.staff_users.c.username == username)

    async def of_court(self, court_id: str, role: StaffRole) -> list[StaffUser]:
        u = orm.staff_users
        return await self._all(sa.select(StaffUser).where(u.c.court_id == court_id,
                                                          u.c.role == role.value)
                               .order_by(u.c.username))

    async def listed(self, court_id: str | None) -> list[StaffUser]:
        u = orm.staff_users
        stmt = sa.select(StaffUser).order_by(u.c.username)
        if court_id is not None:
            stmt = stmt.where(u.c.court_id == court_id)
        return await self._all(stmt)


class SessionRepo(_Repo[StaffSession]):
    model, noun = StaffSession, "session"

    async def by_digest(self, digest: str) -> StaffSession | None:
        return await self._one(orm.staff_sessions.c.digest == digest)

    async def delete(self, session: StaffSession) -> None:
        await self._session.delete(session)

    async def of_user(self, user_id: str) -> list[StaffSession]:
        s = orm.staff_sessions
        return await self._all(sa.select(StaffSession).where(s.c.user_id == user_id))


class MediationRepo(_Repo[Mediation]):
    model, noun = Mediation, "mediation"

    async def of_hearing(self, hearing_id: str) -> Mediation | None:
        return await self._one(orm.mediations.c.hearing_id == hearing_id)


class ConfirmationRepo(_Repo[JudicialConfirmation]):
    model, noun = JudicialConfirmation, "application"

    async def take_if_free(self, application_id: str, judge_user_id: str, at: datetime) -> bool:
        """The one atomic step of taking: only a queued, untaken row changes hands.

        A conditional UPDATE is atomic on PostgreSQL (the second writer waits for the
        first's row lock, re-checks the WHERE and finds it false) and on SQLite (one
        writer at a time), so of two judges pressing at once exactly one gets rowcount 1.
        """
        t = orm.confirmations
        stmt = (sa.update(t)
                .where(t.c.id == application_id, t.c.taken_by.is_(None),
                       t.c.state == ApplicationState.QUEUED.value)
                .values(taken_by=judge_user_id, taken_at=at, state=ApplicationState.TAKEN.value)
                .execution_options(synchronize_session=False))
        result = await self._session.execute(stmt)
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    async def of_court(self, court_id: str, states: tuple[str, ...]
                       ) -> list[JudicialConfirmation]:
        t = orm.confirmations
        stmt = sa.select(JudicialConfirmation).where(t.c.court_id == court_id,
                                                     t.c.state.in_(states))
        return await self._all(stmt.order_by(t.c.applied_at))

    async def of_hearing(self, hearing_id: str) -> list[JudicialConfirmation]:
        t = orm.confirmations
        stmt = sa.select(JudicialConfirmation).where(t.c.mediation_hearing_id == hearing_id)
        return await self._all(stmt.order_by(t.c.applied_at))

    async def delivered(self, court_id: str | None) -> list[JudicialConfirmation]:
        t = orm.confirmations
        stmt = sa.select(JudicialConfirmation).where(t.c.delivered_at.is_not(None))
        if court_id is not None:
            stmt = stmt.where(t.c.court_id == court_id)
        return await self._all(stmt)


class DocumentRepo(_Repo[Document]):
    model, noun = Document, "document"

    async def of_hearing(self, hearing_id: str) -> list[Document]:
        t = orm.documents
        stmt = sa.select(Document).where(t.c.hearing_id == hearing_id)
        return await self._all(stmt.order_by(t.c.created_at, t.c.id))


class DeliveryRepo(_Repo[Delivery]):
    model, noun = Delivery, "delivery"

    async def of_document(self, document_id: str) -> list[Delivery]:
        t = orm.document_deliveries
        stmt = sa.select(Delivery).where(t.c.document_id == document_id)
        return await self._all(stmt.order_by(t.c.at))


class RosterRepo(_Repo[DutyShift]):
    model, noun = DutyShift, "duty shift"

    async def of_court(self, court_id: str) -> list[DutyShift]:
        t = orm.duty_shifts
        return await self._all(sa.select(DutyShift).where(t.c.court_id == court_id)
                                .order_by(t.c.starts_at))

    async def standing(self, court_id: str) -> list[str]:
        """Judges whose account is on standing duty (StaffUser.on_duty)."""
        u = orm.staff_users
        stmt = sa.select(u.c.id).where(u.c.court_id == court_id, u.c.on_duty.is_(True),
                                       u.c.role == StaffRole.JUDGE.value)
        return list((await self._session.execute(stmt)).scalars().all())


class OutboxRepo(_Repo[Notification]):
    model, noun = Notification, "notification"

    async def unsent(self, limit: int) -> list[Notification]:
        t = orm.notifications
        stmt = sa.select(Notification).where(t.c.sent_at.is_(None)).order_by(t.c.created_at)
        return await self._all(stmt.limit(limit))

    async def claim(self, sender: str, until: datetime, limit: int,
                    now: datetime | None = None) -> list[Notification]:
        """Take up to `limit` unsent notifications that are due (not backing off after a
        failure, not given up on) and that nobody holds (or whose holder's lease ran out)
        for `sender` until `until`; commit to make the claim visible to the others.

        PostgreSQL: the rows are locked as they are picked, skipping those another sender
        is claiming right now; the update checks again that nobody holds them, so two
        senders never get one row. SQLite has one writer at a time.
        """
        t = orm.notifications
        now = now or utcnow()
        free = sa.and_(t.c.sent_at.is_(None), t.c.undelivered_at.is_(None),
                       sa.or_(t.c.next_attempt_at.is_(None), t.c.next_attempt_at <= now),
                       sa.or_(t.c.claimed_until.is_(None), t.c.claimed_until < now))
        picked = (sa.select(t.c.id).where(free).order_by(t.c.created_at).limit(limit)
                  .with_for_update(skip_locked=True))
        ids = list((await self._session.execute(picked)).scalars().all())
        if not ids:
            return []
        await self._session.execute(
            sa.update(t).where(t.c.id.in_(ids), free)
            .values(claimed_by=sender, claimed_until=until)
            .execution_options(synchronize_session=False))
        return await self.claimed(sender, ids)

    async def claimed(self, sender: str, ids: list[str]) -> list[Notification]:
        """Those of `ids` that `sender` holds (still unsent), as they are now."""
        t = orm.notifications
        stmt = (sa.select(Notification)
                .where(t.c.id.in_(ids), t.c.claimed_by == sender, t.c.sent_at.is_(None))
                .order_by(t.c.created_at).execution_options(populate_existing=True))
        return await self._all(stmt)

    async def by_token(self, delivery_token: str) -> Notification | None:
        t = orm.notifications
        found = await self._all(sa.select(Notification).where(
            t.c.delivery_token == delivery_token))
        return found[0] if found else None

    async def undelivered(self, court_id: str | None) -> list[Notification]:
        """Notifications given up on after every attempt (of one court's hearings)."""
        t, h, c = orm.notifications, orm.hearings, orm.cases
        stmt = sa.select(Notification).where(t.c.undelivered_at.is_not(None))
        if court_id is not None:
            stmt = (stmt.join(h, h.c.id == t.c.hearing_id).join(c, c.c.id == h.c.case_id)
                    .where(c.c.court_id == court_id))
        return await self._all(stmt.order_by(t.c.undelivered_at))

    async def known_keys(self, keys: list[str]) -> set[str]:
        """Those of `keys` some notification already carries as its dedupe key."""
        if not keys:
            return set()
        t = orm.notifications
        found = await self._session.execute(sa.select(t.c.dedupe_key).where(
            t.c.dedupe_key.in_(keys)))
        return {k for k in found.scalars().all() if k is not None}

    async def of_hearing(self, hearing_id: str) -> list[Notification]:
        t = orm.notifications
        stmt = sa.select(Notification).where(t.c.hearing_id == hearing_id)
        return await self._all(stmt.order_by(t.c.created_at))
