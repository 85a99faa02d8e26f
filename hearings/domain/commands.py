"""Commands: what staff, participants and the system ask the hearings service to do."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hearings.domain.cases import CaseType
from hearings.domain.courts import SiteKind
from hearings.domain.hearing import HearingKind
from hearings.domain.participants import Role
from hearings.domain.staff import StaffRole

__all__ = [
    "ChangeHearing",
    "ChangeParticipant",
    "ChangeRecording",
    "CreateCourt",
    "CreateSite",
    "CreateStaffUser",
    "InviteParticipant",
    "IssueJoinLink",
    "OpenCase",
    "RevokeJoinLinks",
    "ScheduleHearing",
]


@dataclass(frozen=True)
class CreateCourt:
    name: str
    code: str


@dataclass(frozen=True)
class CreateSite:
    court_id: str
    name: str
    kind: SiteKind
    device_profile: str = "standard"


@dataclass(frozen=True)
class OpenCase:
    """Open a case; without `number` the next one in the court's sequence is allotted."""

    court_id: str
    case_type: CaseType
    title: str
    number: str | None = None
    procedure: str | None = None
    year: int | None = None


@dataclass(frozen=True)
class ScheduleHearing:
    case_id: str
    kind: HearingKind
    title: str
    scheduled_at: datetime
    presiding_user_id: str | None = None


@dataclass(frozen=True)
class InviteParticipant:
    hearing_id: str
    name: str
    role: Role
    site_id: str | None = None
    staff_user_id: str | None = None
    minor: bool = False  # the appropriate adult signs an interrogation transcript with a minor


@dataclass(frozen=True)
class IssueJoinLink:
    hearing_id: str
    participant_id: str


@dataclass(frozen=True)
class RevokeJoinLinks:
    hearing_id: str
    participant_id: str


@dataclass(frozen=True)
class ChangeHearing:
    hearing_id: str
    action: str
    reason: str | None = None


@dataclass(frozen=True)
class ChangeParticipant:
    hearing_id: str
    participant_id: str
    action: str


@dataclass(frozen=True)
class ChangeRecording:
    hearing_id: str
    action: str
    detail: str | None = None


@dataclass(frozen=True)
class CreateStaffUser:
    username: str
    display_name: str
    role: StaffRole
    password: str
    court_id: str | None = None
    on_duty: bool = False
