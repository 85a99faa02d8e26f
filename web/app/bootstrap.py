"""The one place that wires hearings' services to their adapters (cosmicpython's bootstrap)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from hearings.adapters.database import Database
from hearings.adapters.passwords import Argon2Passwords
from hearings.adapters.unit_of_work import SqlUnitOfWork
from hearings.domain.events import HearingChanged
from hearings.services.access import Access, Refusals
from hearings.services.access_log import AccessLog
from hearings.services.accounts import Accounts
from hearings.services.bookings import Bookings
from hearings.services.bus import Bus
from hearings.services.confirmations import Confirmations
from hearings.services.control import Control
from hearings.services.documents import DocumentService
from hearings.services.duty import DutyDesk
from hearings.services.efiles import Compile, Efiles, ReadDocument, Timestamp, UploadStore
from hearings.services.inquiries import Inquiries
from hearings.services.kiosks import Kiosks
from hearings.services.mediations import Mediations
from hearings.services.notifications import Backoff, Outbox
from hearings.services.particulars import Particulars
from hearings.services.pleas import Pleas
from hearings.services.ports import Documents, Notifier, UnitOfWork
from hearings.services.recordings import Recordings
from hearings.services.rescheduling import Rescheduling
from hearings.services.room import Room
from hearings.services.scheduling import Scheduling
from hearings.services.service_proof import ServiceProofs
from hearings.services.summons import Summonses
from hearings.services.transcripts import Transcripts
from web.settings import Settings

__all__ = ["Services", "bootstrap", "freeze_transcript"]


@dataclass(frozen=True)
class Services:
    database: Database
    scheduling: Scheduling
    control: Control
    access: Access
    room: Room
    audit_key: bytes
    mediations: Mediations
    confirmations: Confirmations
    duty: DutyDesk  # the duty roster and its shifts, the queue of applications, the figures
    outbox: Outbox
    transcripts: Transcripts
    pleas: Pleas  # an interrogation's plea statement (认罪认罚具结书)
    documents: Documents  # the PDF store (read a hearing's signed documents for evidence)
    document_service: DocumentService  # read, verify, receipt a document (as the policy says)
    particulars: Particulars  # a hearing's case and sites, a court's judges, audit trails
    accounts: Accounts  # staff accounts (web.app.application hooks its sockets' end on disabling)
    bus: Bus  # domain events after commit (web.app.application subscribes signaling and recording)
    recordings: Recordings  # the clerk's search; the audit log as the recording driver sees it
    access_log: AccessLog  # who read what (the access-log page and API)
    bookings: Bookings  # e+ clinic slots and bookings
    kiosks: Kiosks  # clinic kiosks and their codes
    rescheduling: Rescheduling
    service_proofs: ServiceProofs  # the facts of a proof of service (送达回证)
    summonses: Summonses
    unit_of_work: Callable[[], UnitOfWork]  # the one factory every service above was given

    def inquiries(self, refusals: Refusals | None) -> Inquiries:
        """One Case, One Code, its misses counted in `refusals` (web/http/api/inquiry.py's window,
        which lives and closes with the app)."""
        return Inquiries(self.uow, refusals)

    def efiles(self, *, store: UploadStore, read_document: ReadDocument, timestamp: Timestamp,
               compile: Compile) -> Efiles:
        """E-files over the web side's file store and forge (web/bridges/jobs_efile.py)."""
        return Efiles(self.uow, store=store, read_document=read_document, timestamp=timestamp,
                      compile=compile)

    def uow(self) -> UnitOfWork:
        """The test seam: tests (and benchmarks) arrange and inspect the database in a unit of
        work of their own. The services above use the same factory; nothing in web/ but this
        module calls it — web/ asks the services (tests/unit/web/test_layering.py)."""
        return self.unit_of_work()


def bootstrap(settings: Settings, database: Database, *, bus: Bus | None = None,
              documents: Documents | None = None, notifier: Notifier | None = None,
              unit_of_work: Callable[[], UnitOfWork] | None = None) -> Services:
    """The services on one bus; the hearings' own subscribers (the transcript freezes at
    close) are registered here, the outside's (signaling, recording) by create_app.

    `documents`, `notifier` and `unit_of_work` are the ports a caller may bring its own of:
    the tests wire through here too (tests/wiring.py), with fakes where docforge or a mail
    server would do the work, and a unit of work that counts itself where a test asks how
    many a command opens."""
    key = settings.audit_key_bytes()
    bus = bus or Bus()

    def sql_uow() -> UnitOfWork:
        return SqlUnitOfWork(database, key, bus)

    uow = unit_of_work or sql_uow

    if documents is None:
        from docforge.forge import DocumentForge
        from web.app.wiring import docforge_config
        from web.bridges.documents import ForgeDocuments

        documents = ForgeDocuments(DocumentForge(docforge_config(settings)),
                                   settings.archive_dir / "documents")
    court_tz = ZoneInfo(settings.court_timezone)
    mediations = Mediations(uow, documents, court_tz=court_tz)
    records = Transcripts(uow, documents, court_tz=court_tz)
    bus.subscribe(HearingChanged, freeze_transcript(records))
    return Services(
        database=database,
        scheduling=Scheduling(uow, link_lifetime=timedelta(days=settings.join_link_days),
                              court_tz=ZoneInfo(settings.court_timezone)),
        control=Control(uow),
        access=Access(uow, Argon2Passwords(), session_hours=settings.session_hours),
        room=Room(uow),
        audit_key=key,
        mediations=mediations,
        confirmations=Confirmations(uow, documents, court_tz=court_tz),
        duty=DutyDesk(uow),
        outbox=Outbox(uow, notifier, Backoff(timedelta(seconds=settings.notify_backoff_seconds),
                                              settings.notify_max_attempts),
                      documents=documents, join_base=settings.public_url,
                      link_lifetime=timedelta(days=settings.join_link_days), court_tz=court_tz),
        transcripts=records,
        pleas=Pleas(uow, documents, court_tz=court_tz),
        documents=documents,
        document_service=DocumentService(uow, documents),
        particulars=Particulars(uow),
        accounts=Accounts(uow, Argon2Passwords()),
        bus=bus,
        recordings=Recordings(uow, court_tz=court_tz),
        access_log=AccessLog(uow, court_tz=court_tz),
        bookings=Bookings(uow, court_tz=court_tz),
        kiosks=Kiosks(uow, court_tz=court_tz),
        rescheduling=Rescheduling(uow, court_tz=court_tz),
        service_proofs=ServiceProofs(uow),
        summonses=Summonses(uow, link_lifetime=timedelta(days=settings.join_link_days)),
        unit_of_work=uow,
    )


def freeze_transcript(records: Transcripts) -> Callable[[HearingChanged], Awaitable[None]]:
    """The transcript (笔录) is frozen when the hearing closes."""
    async def on_hearing(event: HearingChanged) -> None:
        if event.action == "close":
            await records.hearing_closed(event.hearing_id)

    return on_hearing
