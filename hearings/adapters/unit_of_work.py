"""The unit of work: one transaction, its repositories and the audit log that goes with it."""

from __future__ import annotations

from types import TracebackType

from hearings.adapters.audit_store import SqlAuditLog
from hearings.adapters.collisions import as_conflict
from hearings.adapters.database import Database
from hearings.adapters.inquiry_repo import InquiryRepo
from hearings.adapters.record_repo import RecordRepo
from hearings.adapters.repositories import (
    CaseRepo,
    ConfirmationRepo,
    CourtRepo,
    DeliveryRepo,
    DocumentRepo,
    HearingRepo,
    MediationRepo,
    OutboxRepo,
    RosterRepo,
    SessionRepo,
    SiteRepo,
    StaffRepo,
    TokenRepo,
)

__all__ = ["SqlUnitOfWork"]


class SqlUnitOfWork:
    """`async with uow:` opens a transaction; leaving without `commit()` rolls it back.

    A collision with a concurrent writer — at the commit, or at any flush before it (the
    audit append flushes, and so does every query) — rolls the whole unit back, audit
    entries included, and leaves as the domain's `Conflict` naming what collided.
    Nothing is retried here: the handler's side effects (documents made, events pushed)
    happen outside the unit of work, so only the caller can tell whether to try again.
    """

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
        self.mediations = MediationRepo(self.session)
        self.confirmations = ConfirmationRepo(self.session)
        self.documents = DocumentRepo(self.session)
        self.deliveries = DeliveryRepo(self.session)
        self.roster = RosterRepo(self.session)
        self.outbox = OutboxRepo(self.session)
        self.records = RecordRepo(self.session)
        self.inquiries = InquiryRepo(self.session)
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
        conflict = as_conflict(exc) if exc is not None else None
        if conflict is not None:
            raise conflict from exc

    async def commit(self) -> None:
        try:
            await self.session.commit()
        except Exception as exc:
            conflict = as_conflict(exc)
            if conflict is None:
                raise
            await self.session.rollback()
            raise conflict from exc

    async def rollback(self) -> None:
        await self.session.rollback()
