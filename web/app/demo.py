"""Demo data (idempotent): a court with its sites, a criminal trial and a civil mediation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from hearings.domain.actors import SYSTEM
from hearings.domain.cases import CaseType
from hearings.domain.commands import (
    CreateCourt,
    CreateSite,
    CreateStaffUser,
    InviteParticipant,
    IssueJoinLink,
    OpenCase,
    ScheduleHearing,
)
from hearings.domain.courts import Site, SiteKind
from hearings.domain.hearing import Hearing, HearingKind
from hearings.domain.identity import utcnow
from hearings.domain.participants import Role
from hearings.domain.staff import StaffRole, StaffUser
from web.app.bootstrap import Services

__all__ = ["DEMO_STAFF", "DemoLink", "seed_demo", "staff_logins"]

COURT_CODE = "渝0112"
TRIAL_NUMBER = "(2026)渝0112刑初88号"
MEDIATION_NUMBER = "(2026)渝0112民诉前调166号"
# Development-only accounts; `make run` prints them. Never use these in production.
DEMO_STAFF = {
    "admin": ("系统管理员", StaffRole.ADMIN, "yunting-demo-admin"),
    "clerk": ("书记员王芳", StaffRole.CLERK, "yunting-demo-clerk"),
    "judge": ("审判员李明", StaffRole.JUDGE, "yunting-demo-judge"),
    "duty_judge": ("值班法官陈静", StaffRole.JUDGE, "yunting-demo-duty"),
    "mediator": ("人民调解员周建国", StaffRole.MEDIATOR, "yunting-demo-mediator"),
}
SITES = [
    ("courtroom", "渝北区人民法院第三法庭", SiteKind.COURTROOM, "standard"),
    ("detention", "渝北区看守所远程提讯室", SiteKind.DETENTION_CENTRE, "interrogation"),
    ("clinic_1", "大盛镇青龙村法官e站", SiteKind.JUDGE_CLINIC, "kiosk"),
    ("clinic_2", "洛碛镇法官e站", SiteKind.JUDGE_CLINIC, "kiosk"),
    ("mediation", "双龙湖派出所人民调解室", SiteKind.MEDIATION_ROOM, "standard"),
]


@dataclass(frozen=True)
class DemoLink:
    role_key: str
    name: str
    role: Role
    hearing_id: str
    url: str
    code: str

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "role": self.role.value, "hearing_id": self.hearing_id,
                "url": self.url, "code": self.code}


def staff_logins(public_url: str) -> dict[str, dict[str, str]]:
    """The demo staff accounts by username, as `yunting demo` prints them (text and --json)."""
    login = f"{public_url.rstrip('/')}/login"
    return {username: {"name": display, "role": role.value, "password": password,
                       "login_url": login}
            for username, (display, role, password) in DEMO_STAFF.items()}


async def seed_demo(services: Services, public_url: str) -> list[DemoLink]:
    sch = services.scheduling
    court = await sch.court_by_code(SYSTEM, COURT_CODE)
    if court is None:
        court = await sch.create_court(SYSTEM, CreateCourt("重庆市渝北区人民法院", COURT_CODE))
    staff = {key: await _staff(services, court.id, key) for key in DEMO_STAFF}
    await _duty_roster(services, court.id, staff["duty_judge"])
    existing = {s.name: s for s in await sch.sites(SYSTEM, court.id)}
    sites: dict[str, Site] = {}
    for key, name, kind, profile in SITES:
        sites[key] = existing.get(name) or await sch.create_site(
            SYSTEM, CreateSite(court.id, name, kind, profile))
    trial = await _hearing(services, court.id, TRIAL_NUMBER, CaseType.CRIMINAL,
                           "张某盗窃案", HearingKind.TRIAL, "张某盗窃案远程开庭审理",
                           staff["judge"], [
        ("judge", "审判员李明", Role.JUDGE, "courtroom", staff["judge"]),
        ("clerk", "书记员王芳", Role.CLERK, "courtroom", staff["clerk"]),
        ("prosecutor", "公诉人孙强", Role.PROSECUTOR, "courtroom", None),
        ("defendant", "张某", Role.DEFENDANT, "detention", None),
        ("defence_lawyer", "辩护律师赵敏", Role.DEFENCE_LAWYER, None, None),
        ("witness", "村民刘大山", Role.WITNESS, "clinic_1", None),
    ], sites)
    mediation = await _hearing(services, court.id, MEDIATION_NUMBER, CaseType.MEDIATION,
                               "刘某与陈某邻里纠纷", HearingKind.MEDIATION,
                               "刘某与陈某邻里纠纷视频调解", staff["mediator"], [
        ("mediator", "人民调解员周建国", Role.MEDIATOR, "mediation", staff["mediator"]),
        ("party_applicant", "刘桂兰", Role.PARTY, "clinic_2", None),
        ("party_respondent", "陈国富", Role.PARTY, "mediation", None),
    ], sites)
    links = []
    base = public_url.rstrip("/")
    for hearing, people in (trial, mediation):
        for role_key, participant_id in people.items():
            link = await sch.issue_join_link(SYSTEM, IssueJoinLink(hearing.id, participant_id))
            links.append(DemoLink(role_key, link.participant.name, link.participant.role,
                                  hearing.id, f"{base}/join/{link.secret}", link.secret))
    return links


async def _staff(services: Services, court_id: str, key: str) -> StaffUser:
    display, role, password = DEMO_STAFF[key]
    user = await services.accounts.by_username(SYSTEM, key)
    if user is not None:
        return user
    return await services.access.create_staff_user(SYSTEM, CreateStaffUser(
        key, display, role, password, court_id, on_duty=key == "duty_judge"))


async def _duty_roster(services: Services, court_id: str, judge: StaffUser) -> None:
    """The duty judge is on the confirmation roster from now on (open-ended shift)."""
    roster = await services.duty.roster(court_id)
    if not any(s.judge_user_id == judge.id for s in roster.shifts):
        await services.duty.add_shift(SYSTEM, court_id, judge.id, utcnow(), None)


async def _hearing(
    services: Services, court_id: str, number: str, case_type: CaseType, case_title: str,
    kind: HearingKind, title: str, host: StaffUser,
    people: list[tuple[str, str, Role, str | None, StaffUser | None]], sites: dict[str, Site],
) -> tuple[Hearing, dict[str, str]]:
    sch = services.scheduling
    found = await sch.case_by_number(SYSTEM, number)
    if found is None:
        case = await sch.open_case(SYSTEM, OpenCase(court_id, case_type, case_title, number))
        hearings: list[Hearing] = []
    else:
        case, hearings = found
    live = [h for h in hearings if not h.is_over]
    if live:
        hearing = live[0]
        by_name = {p.name: p.id for p in hearing.participants}
        return hearing, {key: by_name[name] for key, name, *_ in people if name in by_name}
    hearing = await sch.schedule_hearing(SYSTEM, ScheduleHearing(
        case.id, kind, title, utcnow() + timedelta(minutes=30), host.id))
    ids = {}
    for key, name, role, site_key, user in people:
        participant = await sch.invite(SYSTEM, InviteParticipant(
            hearing.id, name, role, sites[site_key].id if site_key else None,
            user.id if user else None))
        ids[key] = participant.id
    return hearing, ids
