"""Factories: the tests' one trial and one mediation, built through the services as a clerk
would build them — a court with its staff and sites, a case, a hearing, its seats and their
join links. What the callers vary (who sits where, how far the hearing has gone) is a
keyword; every other detail is the same in every test."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from hearings.domain.actors import SYSTEM, Actor
from hearings.domain.cases import Case
from hearings.domain.commands import (
    ChangeHearing,
    ChangeParticipant,
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

__all__ = ["INTERROGATION", "MEDIATION_PARTIES", "OPEN_TRIAL", "REMOTE_TRIAL", "Mediation",
           "Seat", "Trial", "adult", "make_mediation", "make_trial"]


@dataclass(frozen=True)
class Seat:
    """One invitation: `key` names it in the scene's `people`, `site` is a key of the scene's
    sites (None: joins from anywhere), `account` a key of its staff (a seat bound to a staff
    account, signed for with that account's key)."""

    key: str
    name: str
    role: Role
    site: str | None = None
    account: str | None = None
    minor: bool = False


# A public trial: the judge in the courtroom, the defendant in the detention centre's room,
# the witness at a village clinic, the lawyer from wherever.
OPEN_TRIAL = (
    Seat("judge", "审判员李明", Role.JUDGE, "courtroom", "judge"),
    Seat("defendant", "张某", Role.DEFENDANT, "detention"),
    Seat("lawyer", "律师赵敏", Role.DEFENCE_LAWYER),
    Seat("witness", "村民刘大山", Role.WITNESS, "clinic"),
)
# A remote trial whose transcript is signed: the clerk has a seat, the prosecutor one who
# never joins.
REMOTE_TRIAL = (
    Seat("judge", "审判员李明", Role.JUDGE, account="judge"),
    Seat("clerk", "书记员王芳", Role.CLERK, account="clerk"),
    Seat("prosecutor", "公诉人孙强", Role.PROSECUTOR),
    Seat("defendant", "张某", Role.DEFENDANT),
    Seat("witness", "村民刘大山", Role.WITNESS),
)
# A remote interrogation (讯问) of a minor detainee, with the appropriate adult beside them and
# an interpreter who never comes; `replace` the detainee's seat for an adult detainee.
INTERROGATION = (
    Seat("judge", "审判员李明", Role.JUDGE, account="judge"),
    Seat("clerk", "书记员王芳", Role.CLERK, account="clerk"),
    Seat("prosecutor", "检察员孙强", Role.PROSECUTOR),
    Seat("detainee", "张小某", Role.DEFENDANT, "detention", minor=True),
    Seat("adult", "张母", Role.APPROPRIATE_ADULT, "detention"),
    Seat("lawyer", "律师周正", Role.DEFENCE_LAWYER),
    Seat("interpreter", "未到的翻译", Role.INTERPRETER),
)
# The two parties of a neighbours' dispute: one at a village clinic, one in the mediation room.
MEDIATION_PARTIES = (
    Seat("party1", "刘桂兰", Role.PARTY, "clinic"),
    Seat("party2", "陈国富", Role.PARTY, "room"),
)
_MEDIATOR = Seat("mediator", "人民调解员周建国", Role.MEDIATOR, "room", "mediator")


def adult(seats: Sequence[Seat], key: str = "detainee") -> tuple[Seat, ...]:
    """`seats` with the seat `key` of an adult."""
    return tuple(replace(s, minor=False) if s.key == key else s for s in seats)


@dataclass
class Trial:
    court: Court
    courtroom: Site
    detention: Site
    clinic: Site
    case: Case
    hearing: Hearing
    judge: StaffUser
    clerks: list[StaffUser]  # the first keeps the record; a second is a colleague of hers
    people: dict[str, Participant]
    links: dict[str, str]

    @property
    def hid(self) -> str:
        return self.hearing.id

    @property
    def clerk(self) -> StaffUser:
        return self.clerks[0]

    @property
    def judge_actor(self) -> Actor:
        return Actor.staff(self.judge)

    @property
    def clerk_actor(self) -> Actor:
        return Actor.staff(self.clerk)

    def as_(self, key: str) -> Actor:
        """The participant of seat `key`, as their join link makes them."""
        p = self.people[key]
        return Actor.participant(p.id, p.name, self.hearing.id, p.role)


@dataclass
class Mediation:
    court: Court
    room: Site
    clinic: Site
    case: Case
    hearing: Hearing
    mediator: StaffUser
    judges: list[StaffUser]  # on duty from an hour ago: a confirmation goes to them
    clerk: StaffUser
    parties: list[Participant]
    mediator_seat: Participant
    links: dict[str, str]  # by seat key: "mediator", "party1", "party2"

    @property
    def hid(self) -> str:
        return self.hearing.id

    @property
    def mediator_actor(self) -> Actor:
        return Actor.staff(self.mediator)

    def party(self, i: int) -> Actor:
        p = self.parties[i]
        return Actor.participant(p.id, p.name, self.hearing.id, p.role)

    def judge(self, i: int = 0) -> Actor:
        return Actor.staff(self.judges[i])


_counter = 0


def _next() -> int:
    """A number of its own for each scene: courts, usernames and case numbers are unique."""
    global _counter
    _counter += 1
    return _counter


async def _court(services: Any, n: int) -> Court:
    court: Court = await services.scheduling.create_court(SYSTEM, CreateCourt(
        f"重庆市渝北区人民法院{n}", f"渝{n:04d}"))
    return court


async def _staff(services: Any, court: Court, n: int, key: str, display: str, role: str
                 ) -> StaffUser:
    """Staff user `<key><n>`, password `<key>-password-1`."""
    user: StaffUser = await services.access.create_staff_user(SYSTEM, CreateStaffUser(
        f"{key}{n}", display, role, f"{key}-password-1", court.id))  # type: ignore[arg-type]
    return user


async def _seat(services: Any, clerk: Actor, hearing: Hearing, seat: Seat,
                sites: dict[str, Site], staff: dict[str, StaffUser]) -> tuple[Participant, str]:
    """Invite the seat's participant and issue their join link."""
    sch = services.scheduling
    p: Participant = await sch.invite(clerk, InviteParticipant(
        hearing.id, seat.name, seat.role, sites[seat.site].id if seat.site else None,
        staff[seat.account].id if seat.account else None, minor=seat.minor))
    link = await sch.issue_join_link(clerk, IssueJoinLink(hearing.id, p.id))
    return p, link.secret


_HEARD = {"trial": "公开开庭审理", "remote_interrogation": "远程提讯"}  # the hearing's title


async def make_trial(services: Any, *, kind: str = "trial", seats: Sequence[Seat] = OPEN_TRIAL,
                     case_title: str = "张某盗窃案", number: str | None = None, clerks: int = 1,
                     present: Sequence[str] | None = None) -> Trial:
    """A criminal case's hearing of `kind`, five minutes from now, with `seats` invited and
    linked. `clerks=2` adds a colleague of the recording clerk (书记员赵六). With `present`
    the judge opens the doors and starts, and those seats connect and are admitted."""
    n = _next()
    sch = services.scheduling
    court = await _court(services, n)
    staff = {"clerk": await _staff(services, court, n, "clerk", "书记员王芳", "clerk"),
             "judge": await _staff(services, court, n, "judge", "审判员李明", "judge")}
    colleagues = [await _staff(services, court, n, "clerk_b", "书记员赵六", "clerk")
                  for _ in range(clerks - 1)]
    clerk = Actor.staff(staff["clerk"])
    sites = {key: await sch.create_site(clerk, CreateSite(court.id, *spec))
             for key, spec in (("courtroom", ("第一法庭", "courtroom")),
                               ("detention", ("渝北区看守所提讯室", "detention_centre",
                                              "interrogation")),
                               ("clinic", ("大盛镇法官e站", "judge_clinic", "kiosk")))}
    case = await sch.open_case(clerk, OpenCase(
        court.id, "criminal", case_title, number=number or f"(2026)渝{n:04d}刑初{n}号"))  # type: ignore[arg-type]
    hearing = await sch.schedule_hearing(clerk, ScheduleHearing(
        case.id, kind, case_title + _HEARD[kind], datetime.now(UTC) + timedelta(minutes=5),  # type: ignore[arg-type]
        staff["judge"].id))
    people: dict[str, Participant] = {}
    links: dict[str, str] = {}
    for seat in seats:
        people[seat.key], links[seat.key] = await _seat(services, clerk, hearing, seat, sites,
                                                        staff)
    trial = Trial(court, sites["courtroom"], sites["detention"], sites["clinic"], case, hearing,
                  staff["judge"], [staff["clerk"], *colleagues], people, links)
    if present is not None:
        await _convene(services, trial, present)
    trial.hearing = await sch.hearing(clerk, hearing.id)
    return trial


async def _convene(services: Any, trial: Trial, present: Sequence[str]) -> None:
    for action in ("open_doors", "start"):
        await services.control.change_hearing(trial.judge_actor, ChangeHearing(trial.hid, action))
    for key in present:
        await services.room.arrive(trial.as_(key), trial.hid, trial.people[key].id)
        await services.control.change_participant(trial.judge_actor, ChangeParticipant(
            trial.hid, trial.people[key].id, "admit"))


async def make_mediation(services: Any, *, judges: int = 2,
                         parties: Sequence[Seat] = MEDIATION_PARTIES) -> Mediation:
    """A pre-litigation mediation (诉前调解) scheduled now: the mediator seated in the
    mediation room, `parties` invited and everyone linked, `judges` duty judges on shift
    (`duty0_<n>`, password `duty0_-password-1`, …) and a clerk."""
    n = _next()
    sch = services.scheduling
    court = await _court(services, n)
    staff = {"mediator": await _staff(services, court, n, "mediator", "人民调解员周建国",
                                      "mediator"),
             "clerk": await _staff(services, court, n, "clerk", "书记员王芳", "clerk")}
    duty = [await _staff(services, court, n, f"duty{i}_", f"值班法官{i}", "judge")
            for i in range(judges)]
    for judge in duty:
        await services.duty.add_shift(SYSTEM, court.id, judge.id,
                                      datetime.now(UTC) - timedelta(hours=1), None)
    clerk = Actor.staff(staff["clerk"])
    sites = {key: await sch.create_site(clerk, CreateSite(court.id, *spec))
             for key, spec in (("room", ("双龙湖派出所人民调解室", "mediation_room")),
                               ("clinic", ("洛碛镇法官e站", "judge_clinic", "kiosk")))}
    case = await sch.open_case(clerk, OpenCase(
        court.id, "mediation", "刘某与陈某邻里纠纷", number=f"(2026)渝{n:04d}民诉前调{n}号"))  # type: ignore[arg-type]
    hearing = await sch.schedule_hearing(clerk, ScheduleHearing(
        case.id, "mediation", "邻里纠纷视频调解", datetime.now(UTC), staff["mediator"].id))  # type: ignore[arg-type]
    people: dict[str, Participant] = {}
    links: dict[str, str] = {}
    for seat in (_MEDIATOR, *parties):
        people[seat.key], links[seat.key] = await _seat(services, clerk, hearing, seat, sites,
                                                        staff)
    hearing = await sch.hearing(clerk, hearing.id)
    return Mediation(court, sites["room"], sites["clinic"], case, hearing, staff["mediator"],
                     duty, staff["clerk"], [people[s.key] for s in parties], people["mediator"],
                     links)
