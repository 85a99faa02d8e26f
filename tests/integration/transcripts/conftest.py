"""A remote trial with a presiding judge, a clerk, a defendant, a witness and a prosecutor who
never joins, over the real database; documents and room events through the confirmation
tests' fakes of the ports (the API test in this folder uses the real docforge)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from hearings.adapters.database import Database
from hearings.domain.actors import SYSTEM, Actor
from hearings.domain.commands import (
    ChangeHearing,
    ChangeParticipant,
    CreateCourt,
    CreateStaffUser,
    InviteParticipant,
    OpenCase,
    ScheduleHearing,
)
from hearings.domain.hearing import Hearing
from hearings.domain.participants import Participant, Role
from hearings.domain.staff import StaffUser
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


@dataclass
class Trial:
    hearing: Hearing
    judge: StaffUser
    clerk: StaffUser
    other_clerk: StaffUser
    people: dict[str, Participant]

    @property
    def hid(self) -> str:
        return self.hearing.id

    def as_(self, key: str) -> Actor:
        p = self.people[key]
        return Actor.participant(p.id, p.name, self.hearing.id, p.role)

    @property
    def judge_actor(self) -> Actor:
        return Actor.staff(self.judge)

    @property
    def clerk_actor(self) -> Actor:
        return Actor.staff(self.clerk)


_n = 0


async def make_trial(world: World) -> Trial:
    """Doors open, in session; the defendant and the witness connected and admitted."""
    global _n
    _n += 1
    n = _n
    sch = world.scheduling
    court = await sch.create_court(SYSTEM, CreateCourt(f"渝北区人民法院{n}", f"笔{n:04d}"))

    async def staff(name: str, display: str, role: str) -> StaffUser:
        return await world.access.create_staff_user(SYSTEM, CreateStaffUser(
            f"{name}{n}", display, role, f"{name}-password-1", court.id))  # type: ignore[arg-type]

    judge = await staff("judge", "审判员李明", "judge")
    clerk = await staff("clerk", "书记员王芳", "clerk")
    other = await staff("clerk_b", "书记员赵六", "clerk")
    case = await sch.open_case(SYSTEM, OpenCase(court.id, "criminal", "张某盗窃案",  # type: ignore[arg-type]
                                                number=f"(2026)笔{n:04d}刑初{n}号"))
    hearing = await sch.schedule_hearing(SYSTEM, ScheduleHearing(
        case.id, "trial", "张某盗窃案远程庭审", datetime.now(UTC), judge.id))  # type: ignore[arg-type]
    people = {}
    for key, name, role, user in (("judge", "审判员李明", Role.JUDGE, judge.id),
                                  ("clerk", "书记员王芳", Role.CLERK, clerk.id),
                                  ("prosecutor", "公诉人孙强", Role.PROSECUTOR, None),
                                  ("defendant", "张某", Role.DEFENDANT, None),
                                  ("witness", "村民刘大山", Role.WITNESS, None)):
        people[key] = await sch.invite(SYSTEM, InviteParticipant(hearing.id, name, role, None,
                                                                 user))
    trial = Trial(hearing, judge, clerk, other, people)
    for action in ("open_doors", "start"):
        await world.control.change_hearing(trial.judge_actor, ChangeHearing(hearing.id, action))
    for key in ("defendant", "witness"):
        await world.room.arrive(trial.as_(key), hearing.id, people[key].id)
        await world.control.change_participant(trial.judge_actor, ChangeParticipant(
            hearing.id, people[key].id, "admit"))
    return trial


@pytest.fixture
def world(database: Database) -> World:
    return World(database)
