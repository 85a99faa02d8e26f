"""The one place that wires hearings' services to their adapters (cosmicpython's bootstrap)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from hearings.access import Access
from hearings.adapters.database import Database
from hearings.adapters.passwords import Argon2Passwords
from hearings.adapters.unit_of_work import SqlUnitOfWork
from hearings.control import Control
from hearings.ports import UnitOfWork
from hearings.scheduling import Scheduling
from web.settings import Settings

__all__ = ["Services", "bootstrap"]


@dataclass(frozen=True)
class Services:
    database: Database
    scheduling: Scheduling
    control: Control
    access: Access
    audit_key: bytes

    def uow(self) -> UnitOfWork:
        return SqlUnitOfWork(self.database, self.audit_key)


def bootstrap(settings: Settings, database: Database) -> Services:
    key = settings.audit_key_bytes()

    def uow() -> UnitOfWork:
        return SqlUnitOfWork(database, key)

    return Services(
        database=database,
        scheduling=Scheduling(uow, link_lifetime=timedelta(days=settings.join_link_days),
                              court_tz=ZoneInfo(settings.court_timezone)),
        control=Control(uow),
        access=Access(uow, Argon2Passwords(), session_hours=settings.session_hours),
        audit_key=key,
    )
