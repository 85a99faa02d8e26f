"""The transcript tests' world: the services over the real database, documents and room events
through the confirmation tests' fakes of the ports (the API test in this folder uses the real
docforge). Their trial is tests/factories.py's `make_trial` with REMOTE_TRIAL's seats."""

from __future__ import annotations

import pytest

from hearings.adapters.database import Database
from hearings.services.bus import Bus
from tests.fakes import FakeDocuments
from tests.integration.confirmation.conftest import Pushes
from tests.wiring import wire


class World:
    def __init__(self, db: Database) -> None:
        self.bus = Bus()
        self.documents = FakeDocuments()
        self.events = Pushes().listen(self.bus)
        self.services = wire(db, documents=self.documents, bus=self.bus)
        s = self.services
        self.uow = s.uow
        self.transcripts, self.scheduling, self.access, self.control, self.room = (
            s.transcripts, s.scheduling, s.access, s.control, s.room)


@pytest.fixture
def world(database: Database) -> World:
    return World(database)
