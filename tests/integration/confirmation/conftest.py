"""The confirmation tests' world: the services over the real database, documents through a
fake of their port (docforge itself is exercised by the API test in this folder), and what
the room would be told read off the bus (`Pushes`). Their mediation is tests/factories.py's
`make_mediation`; `open_room` and `signed` take it further."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from hearings.adapters.database import Database
from hearings.adapters.unit_of_work import SqlUnitOfWork
from hearings.domain.commands import ChangeHearing, ChangeParticipant
from hearings.domain.events import Event, envelope, from_envelope
from hearings.services.bus import Bus
from signaling.follow import PUSHED, push_of
from tests.conftest import AUDIT_KEY
from tests.factories import Mediation
from tests.fakes import FakeDocuments
from tests.wiring import wire

TZ = ZoneInfo("Asia/Shanghai")
TERMS = [{"obligor": "陈国富", "obligee": "刘桂兰", "obligation": "赔偿院墙修复费用",
          "amount_yuan": "3200.00", "deadline": "2026-12-31"},
         {"obligor": "刘桂兰", "obligee": "陈国富", "obligation": "不再就此事另行主张权利"}]
CAPTURE = {"strokes": [[{"x": 1, "y": 2, "time": 0, "pressure": 0.5}]]}


@dataclass
class Pushes:
    """What signaling would push, heard on the bus after each commit (signaling/follow.py's
    mapping) and through the events' JSON envelope: into a hearing's room, or to a court's
    staff consoles."""

    hearing: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    court: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    def listen(self, bus: Bus) -> Pushes:
        async def heard(event: Event) -> None:
            # as another process would have it: every real event crosses as JSON
            push = push_of(from_envelope(json.loads(json.dumps(envelope(event)))))
            if push.court_id is not None:
                self.court.append((push.court_id, push.name, push.payload))
            else:
                assert push.hearing_id is not None
                self.hearing.append((push.hearing_id, push.name, push.payload))

        for event_type in PUSHED:
            bus.subscribe(event_type, heard)
        return self

    def named(self, event: str) -> list[dict[str, Any]]:
        return [p for _, e, p in self.hearing + self.court if e == event]


class World:
    def __init__(self, db: Database) -> None:
        self.bus = Bus()
        self.units = 0  # units of work opened (one decision should open few)

        def uow() -> SqlUnitOfWork:
            self.units += 1
            return SqlUnitOfWork(db, AUDIT_KEY, self.bus)

        self.documents = FakeDocuments()
        self.events = Pushes().listen(self.bus)
        self.services = wire(db, documents=self.documents, bus=self.bus, unit_of_work=uow)
        self.uow = self.services.uow
        s = self.services
        self.scheduling, self.access, self.control, self.room = (
            s.scheduling, s.access, s.control, s.room)
        self.mediations, self.confirmations, self.duty, self.document_service = (
            s.mediations, s.confirmations, s.duty, s.document_service)


@pytest.fixture
def world(database: Database) -> World:
    return World(database)


async def open_room(world: World, scene: Mediation, *, present: tuple[int, ...] = (0, 1)) -> None:
    """Doors open, the mediator and the given parties connect and are admitted."""
    hid = scene.hearing.id
    await world.control.change_hearing(scene.mediator_actor, ChangeHearing(hid, "open_doors"))
    await world.control.change_hearing(scene.mediator_actor, ChangeHearing(hid, "start"))
    await world.room.arrive(scene.mediator_actor, hid, scene.mediator_seat.id)
    for i in present:
        await world.room.arrive(scene.party(i), hid, scene.parties[i].id)
        await world.control.change_participant(scene.mediator_actor, ChangeParticipant(
            hid, scene.parties[i].id, "admit"))


async def signed(world: World, scene: Mediation) -> None:
    """Agreement drafted and signed by both parties and the mediator."""
    hid = scene.hearing.id
    await world.mediations.draft(scene.mediator_actor, hid, "双方因院墙修缮发生纠纷。", TERMS)  # type: ignore[arg-type]
    await world.mediations.start_signing(scene.mediator_actor, hid)
    await world.mediations.sign(scene.party(0), hid, "party1", CAPTURE)
    await world.mediations.sign(scene.party(1), hid, "party2", CAPTURE)
    await world.mediations.sign(scene.mediator_actor, hid, "mediator", None)
