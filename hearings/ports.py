"""The ports the service layer needs: repositories, the audit log, a unit of work, passwords.

Adapters live in hearings/adapters (SQLAlchemy); tests may use those on SQLite.
"""

from __future__ import annotations

from datetime import datetime
from types import TracebackType
from typing import Any, Protocol

from hearings.audit import AuditEntry
from hearings.cases import Case
from hearings.courts import Court, Site
from hearings.hearing import Hearing
from hearings.staff import StaffSession, StaffUser
from hearings.tokens import JoinToken

__all__ = [
    "AuditLog",
    "CaseRepository",
    "CourtRepository",
    "HearingRepository",
    "PasswordHasher",
    "SessionRepository",
    "SiteRepository",
    "StaffRepository",
    "TokenRepository",
    "UnitOfWork",
]


class CourtRepository(Protocol):
    def add(self, court: Court) -> None: ...
    async def get(self, court_id: str) -> Court: ...
    async def by_code(self, code: str) -> Court | None: ...
    async def list(self) -> list[Court]: ...


class SiteRepository(Protocol):
    def add(self, site: Site) -> None: ...
    async def get(self, site_id: str) -> Site: ...
    async def of_court(self, court_id: str) -> list[Site]: ...


class CaseRepository(Protocol):
    def add(self, case: Case) -> None: ...
    async def get(self, case_id: str) -> Case: ...
    async def by_number(self, number: str) -> Case | None: ...
    async def last_sequence(self, court_code: str, year: int, procedure: str) -> int: ...


class HearingRepository(Protocol):
    def add(self, hearing: Hearing) -> None: ...
    async def get(self, hearing_id: str) -> Hearing: ...
    async def scheduled_between(self, start: datetime, end: datetime) -> list[Hearing]: ...
    async def of_case(self, case_id: str) -> list[Hearing]: ...


class TokenRepository(Protocol):
    def add(self, token: JoinToken) -> None: ...
    async def by_digest(self, digest: str) -> JoinToken | None: ...
    async def of_participant(self, participant_id: str) -> list[JoinToken]: ...


class StaffRepository(Protocol):
    def add(self, user: StaffUser) -> None: ...
    async def get(self, user_id: str) -> StaffUser: ...
    async def by_username(self, username: str) -> StaffUser | None: ...


class SessionRepository(Protocol):
    def add(self, session: StaffSession) -> None: ...
    async def by_digest(self, digest: str) -> StaffSession | None: ...
    async def delete(self, session: StaffSession) -> None: ...


class AuditLog(Protocol):
    async def append(
        self, actor: str, action: str, hearing_id: str | None, payload: dict[str, Any]
    ) -> AuditEntry: ...
    async def entries(self, hearing_id: str | None = None) -> list[AuditEntry]: ...


class UnitOfWork(Protocol):
    courts: CourtRepository
    sites: SiteRepository
    cases: CaseRepository
    hearings: HearingRepository
    tokens: TokenRepository
    staff: StaffRepository
    sessions: SessionRepository
    audit: AuditLog

    async def __aenter__(self) -> UnitOfWork: ...
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    async def commit(self) -> None: ...
    async def rollback(self) -> None: ...


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...
    def verify(self, password_hash: str, password: str) -> bool: ...
