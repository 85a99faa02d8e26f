"""SQLAlchemy repositories: the domain's collections, loaded and stored through one session."""

from __future__ import annotations

from datetime import datetime
from typing import Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hearings.adapters import orm
from hearings.cases import Case, CaseNumber
from hearings.courts import Court, Site
from hearings.errors import InvalidInput, NotFound
from hearings.hearing import Hearing
from hearings.staff import StaffSession, StaffUser
from hearings.tokens import JoinToken

__all__ = [
    "CaseRepo",
    "CourtRepo",
    "HearingRepo",
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
        prefix = f"({year}){court_code}{procedure}"
        number = orm.cases.c.number
        stmt = sa.select(number).where(number.startswith(prefix, autoescape=True))
        numbers = (await self._session.execute(stmt)).scalars().all()
        sequences = [CaseNumber.parse(n) for n in numbers]
        return max((n.sequence for n in sequences if n.procedure == procedure), default=0)


class HearingRepo(_Repo[Hearing]):
    model, noun = Hearing, "hearing"

    async def scheduled_between(self, start: datetime, end: datetime) -> list[Hearing]:
        at = orm.hearings.c.scheduled_at
        stmt = sa.select(Hearing).where(at >= start, at < end).order_by(at)
        return await self._all(stmt)

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


class SessionRepo(_Repo[StaffSession]):
    model, noun = StaffSession, "session"

    async def by_digest(self, digest: str) -> StaffSession | None:
        return await self._one(orm.staff_sessions.c.digest == digest)

    async def delete(self, session: StaffSession) -> None:
        await self._session.delete(session)
