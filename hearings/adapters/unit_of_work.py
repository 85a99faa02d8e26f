"""The unit of work: one transaction, its repositories and the audit log that goes with it."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING

from hearings.adapters.audit_store import SqlAuditLog
from hearings.adapters.booking_repo import BookingRepo
from hearings.adapters.collisions import as_conflict
from hearings.adapters.database import Database
from hearings.adapters.inquiry_repo import InquiryRepo
from hearings.adapters.kiosk_repo import KioskRepo
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
from hearings.adapters.transcript_repo import PleaRepo, TranscriptRepo

if TYPE_CHECKING:
    from hearings.domain.events import Event
    from hearings.services.bus import Bus

__all__ = ["SqlUnitOfWork"]


class SqlUnitOfWork:
    """`async with uow:` opens a transaction; leaving without `commit()` rolls it back.

    A collision with a concurrent writer — at the commit, or at any flush before it (the
    audit append flushes, and so does every query) — rolls the whole unit back, audit
    entries included, and leaves as the domain's `Conflict` naming what collided.
    Nothing is retried here: the handler's side effects (documents made, events pushed)
    happen outside the unit of work, so only the caller can tell whether to try again.

    Events recorded (`record`) go to the bus once the unit of work has ended — the
    transaction committed and the writer lock released — and only those recorded before
    a commit that succeeded: a rolled-back change is never heard of.
    """

    def __init__(self, database: Database, audit_key: bytes, bus: Bus | None = None) -> None:
        self._db = database
        self._audit_key = audit_key
        self._bus = bus
        self._recorded: list[Event] = []
        self._committed: list[Event] = []

    def record(self, event: Event) -> None:
        self._recorded.append(event)

    async def __aenter__(self) -> SqlUnitOfWork:
        self._recorded, self._committed = [], []
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
        self.transcripts = TranscriptRepo(self.session)
        self.pleas = PleaRepo(self.session)
        self.inquiries = InquiryRepo(self.session)
        self.kiosks = KioskRepo(self.session)
        self.bookings = BookingRepo(self.session)
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
        committed, self._committed = self._committed, []
        if committed and self._bus is not None:
            await self._bus.publish(committed)  # never raises
        conflict = as_conflict(exc) if exc is not None else None
        if conflict is not None:
            raise conflict from exc

    async def commit(self) -> None:
        try:
            await self.session.commit()
        except Exception as exc:
            self._recorded = []
            conflict = as_conflict(exc)
            if conflict is None:
                raise
            await self.session.rollback()
            raise conflict from exc
        self._committed += self._recorded
        self._recorded = []

    async def rollback(self) -> None:
        self._recorded = []
        await self.session.rollback()
