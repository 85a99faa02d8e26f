"""Factories: a court with sites, a case, a hearing with participants, built through services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from hearings.domain.actors import SYSTEM, Actor
from hearings.domain.cases import Case
from hearings.domain.commands import (
    CreateCourt,
    CreateSite,
    CreateStaffUser,
    InviteParticipant,
    IssueJoinLink,
    OpenCase,
    ScheduleHearing,
)
from hearings.domain.courts import Court, Site
from hearings.domain.hearing import Hearing
from hearings.domain.participants import Participant, Role
from hearings.domain.staff import StaffUser


@dataclass
class Trial:
    court: Court
    courtroom: Site
    detention: Site
    clinic: Site
    case: Case
    hearing: Hearing
    judge: StaffUser
    clerk: StaffUser
    people: dict[str, Participant]
    links: dict[str, str]

    @property
    def judge_actor(self) -> Actor:
        return Actor.staff(self.judge)

    @property
    def clerk_actor(self) -> Actor:
        return Actor.staff(self.clerk)


_counter = 0


async def make_trial(services: Any, *, number: str | None = None) -> Trial:
    global _counter
    _counter += 1
    n = _counter
    sch = services.scheduling
    court = await sch.create_court(SYSTEM, CreateCourt(f"重庆市渝北区人民法院{n}", f"渝{n:04d}"))
    clerk = await services.access.create_staff_user(SYSTEM, CreateStaffUser(
        f"clerk{n}", "书记员王芳", "clerk", "clerk-password-1", court.id))  # type: ignore[arg-type]
    judge = await services.access.create_staff_user(SYSTEM, CreateStaffUser(
        f"judge{n}", "审判员李明", "judge", "judge-password-1", court.id))  # type: ignore[arg-type]
    clerk_actor = Actor.staff(clerk)
    courtroom = await sch.create_site(clerk_actor, CreateSite(court.id, "第一法庭", "courtroom"))  # type: ignore[arg-type]
    detention = await sch.create_site(clerk_actor, CreateSite(
        court.id, "渝北区看守所提讯室", "detention_centre", "interrogation"))  # type: ignore[arg-type]
    clinic = await sch.create_site(clerk_actor, CreateSite(
        court.id, "大盛镇法官e站", "judge_clinic", "kiosk"))  # type: ignore[arg-type]
    case = await sch.open_case(clerk_actor, OpenCase(
        court.id, "criminal", "张某盗窃案", number=number or f"(2026)渝{n:04d}刑初{n}号"))  # type: ignore[arg-type]
    hearing = await sch.schedule_hearing(clerk_actor, ScheduleHearing(
        case.id, "trial", "张某盗窃案公开开庭审理",  # type: ignore[arg-type]
        datetime.now(UTC) + timedelta(minutes=5), judge.id))
    people: dict[str, Participant] = {}
    links: dict[str, str] = {}
    for key, name, role, site in [
        ("judge", "审判员李明", Role.JUDGE, courtroom),
        ("defendant", "张某", Role.DEFENDANT, detention),
        ("lawyer", "律师赵敏", Role.DEFENCE_LAWYER, None),
        ("witness", "村民刘大山", Role.WITNESS, clinic),
    ]:
        p = await sch.invite(clerk_actor, InviteParticipant(
            hearing.id, name, role, site.id if site else None,
            judge.id if role is Role.JUDGE else None))
        people[key] = p
        links[key] = (await sch.issue_join_link(clerk_actor, IssueJoinLink(hearing.id, p.id))).secret
    hearing = await sch.hearing(clerk_actor, hearing.id)
    return Trial(court, courtroom, detention, clinic, case, hearing, judge, clerk, people, links)
