"""The unit of work: one transaction, its repositories and the audit log that goes with it."""

from __future__ import annotations

from types import TracebackType

from hearings.adapters.audit_store import SqlAuditLog
from hearings.adapters.database import Database
from hearings.adapters.repositories import (
    CaseRepo,
    CourtRepo,
    HearingRepo,
    SessionRepo,
    SiteRepo,
    StaffRepo,
    TokenRepo,
)

__all__ = ["SqlUnitOfWork"]


class SqlUnitOfWork:
    """`async with uow:` opens a transaction; leaving without `commit()` rolls it back."""

    def __init__(self, database: Database, audit_key: bytes) -> None:
        self._db = database
        self._audit_key = audit_key

    async def __aenter__(self) -> SqlUnitOfWork:
        if self._db.writer_lock is not None:
            await self._db.writer_lock.acquire()
        self.session = self._db.sessions()
        self.courts = CourtRepo(self.session)
        self.sites = SiteRepo(self.session)
        self.cases = CaseRepo(self.session)
        self.hearings = HearingRepo(self.session)
        self.tokens = TokenRepo(self.session)
        self.staff = StaffRepo(self.session)
        self.sessions = SessionRepo(self.session)
        self.audit = SqlAuditLog(self.session, self._audit_key)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            # close() rolls back anything uncommitted; unlike rollback() it leaves the
            # loaded objects readable for the caller after the unit of work ends.
            await self.session.close()
        finally:
            if self._db.writer_lock is not None:
                self._db.writer_lock.release()

    async def commit(self) -> None:
        await self.session.commit()

    async def rollback(self) -> None:
        await self.session.rollback()
