"""The one place that wires hearings' services to their adapters (cosmicpython's bootstrap)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from hearings.access import Access
from hearings.accounts import Accounts
from hearings.adapters.database import Database
from hearings.adapters.passwords import Argon2Passwords
from hearings.adapters.unit_of_work import SqlUnitOfWork
from hearings.bus import Bus
from hearings.confirming import Confirmations
from hearings.control import Control
from hearings.events import HearingChanged
from hearings.mediating import Mediations
from hearings.notify import Backoff, Outbox
from hearings.ports import Documents, Notifier, UnitOfWork
from hearings.records import Records
from hearings.room import Room
from hearings.scheduling import Scheduling
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
    outbox: Outbox
    records: Records
    documents: Documents  # the PDF store (read a hearing's signed documents for evidence)
    accounts: Accounts  # staff accounts (web/app.py hooks its sockets' end on disabling)
    bus: Bus  # domain events after commit (web/app.py subscribes signaling and recording)

    def uow(self) -> UnitOfWork:
        return SqlUnitOfWork(self.database, self.audit_key, self.bus)


def bootstrap(settings: Settings, database: Database, *, bus: Bus | None = None,
              documents: Documents | None = None, notifier: Notifier | None = None) -> Services:
    """The services on one bus; the hearings' own subscribers (the transcript freezes at
    close) are registered here, the outside's (signaling, recording) by create_app."""
    key = settings.audit_key_bytes()
    bus = bus or Bus()

    def uow() -> UnitOfWork:
        return SqlUnitOfWork(database, key, bus)

    if documents is None:
        from docforge.forge import DocumentForge
        from web.documents import ForgeDocuments
        from web.wiring import docforge_config

        documents = ForgeDocuments(DocumentForge(docforge_config(settings)),
                                   settings.archive_dir / "documents")
    court_tz = ZoneInfo(settings.court_timezone)
    mediations = Mediations(uow, documents, court_tz=court_tz)
    records = Records(uow, documents, court_tz=court_tz)
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
        outbox=Outbox(uow, notifier, Backoff(timedelta(seconds=settings.notify_backoff_seconds),
                                              settings.notify_max_attempts),
                      documents=documents),
        records=records,
        documents=documents,
        accounts=Accounts(uow, Argon2Passwords()),
        bus=bus,
    )


def freeze_transcript(records: Records) -> Callable[[HearingChanged], Awaitable[None]]:
    """The hearing record (笔录) is frozen when the hearing closes."""
    async def on_hearing(event: HearingChanged) -> None:
        if event.action == "close":
            await records.hearing_closed(event.hearing_id)

    return on_hearing
