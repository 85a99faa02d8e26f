"""The access policy's rules on plain objects: court scope, roles, host, seats."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hearings.domain.actors import SYSTEM, Actor
from hearings.domain.documents import DocumentKind
from hearings.domain.errors import PermissionDenied
from hearings.domain.hearing import Hearing, HearingKind
from hearings.domain.participants import Role
from hearings.domain.policy import document_action, may, recording_action, require, require_seat
from hearings.domain.staff import StaffRole


def staff(role: StaffRole, court: str | None, user: str = "u") -> Actor:
    return Actor("staff", user, user, staff_role=role, court_id=court)


def trial(presiding: str | None = "judge-a") -> Hearing:
    return Hearing(case_id="c", kind=HearingKind.TRIAL, title="庭审",
                   scheduled_at=datetime.now(UTC), presiding_user_id=presiding)


def test_staff_act_in_their_own_court_and_a_courtless_admin_in_all() -> None:
    assert may(staff(StaffRole.CLERK, "A"), "case.read", court_id="A")
    assert not may(staff(StaffRole.CLERK, "B"), "case.read", court_id="A")
    assert may(staff(StaffRole.ADMIN, None), "case.read", court_id="A")
    assert not may(staff(StaffRole.CLERK, None), "case.read", court_id="A")  # no court: none
    assert not may(staff(StaffRole.ADMIN, "A"), "court.create")
    assert may(staff(StaffRole.ADMIN, None), "court.create")
    assert not may(staff(StaffRole.CLERK, "A"), "court.create")
    assert may(SYSTEM, "court.create")


def test_the_host_hosts_only_in_the_court_of_the_hearing() -> None:
    hearing = trial()
    assert may(staff(StaffRole.JUDGE, "A", "judge-a"), "hearing.start", court_id="A",
               hearing=hearing)
    assert not may(staff(StaffRole.JUDGE, "B", "judge-a"), "hearing.start", court_id="A",
                   hearing=hearing)
    assert not may(staff(StaffRole.CLERK, "A"), "hearing.start", court_id="A", hearing=hearing)
    assert may(staff(StaffRole.CLERK, "A"), "hearing.open_doors", court_id="A",
               hearing=hearing)
    judge_token = Actor.participant("p", "审判员", hearing.id, Role.JUDGE)
    assert may(judge_token, "hearing.start", hearing=hearing)
    assert not may(Actor.participant("p", "审判员", "other", Role.JUDGE), "hearing.read",
                   hearing=hearing)
    assert not may(judge_token, "transcript.edit", hearing=hearing)  # staff sessions only
    assert may(staff(StaffRole.JUDGE, "A", "judge-a"), "transcript.edit", court_id="A",
               hearing=hearing)
    with pytest.raises(PermissionDenied, match="another court"):
        require(staff(StaffRole.CLERK, "B"), "hearing.cancel", court_id="A", hearing=hearing)


def test_trial_material_is_for_trial_staff() -> None:
    mediator = staff(StaffRole.MEDIATOR, "A")
    assert document_action(DocumentKind.HEARING_RECORD) == "document.read.trial"
    assert document_action(DocumentKind.MEDIATION_AGREEMENT) == "document.read.mediation"
    assert not may(mediator, "document.read.trial", court_id="A")
    assert may(mediator, "document.read.mediation", court_id="A")
    assert recording_action(trial()) == "recording.read.trial"
    assert not may(mediator, recording_action(trial()), court_id="A")
    assert may(staff(StaffRole.JUDGE, "A"), "recording.read.trial", court_id="A")


def test_a_seat_is_signed_only_by_its_own_identity() -> None:
    hearing = trial(None)
    require_seat(staff(StaffRole.JUDGE, "A", "judge-a"), staff_user_id="judge-a",
                 participant_id=None, hearing=hearing, what="judge")
    with pytest.raises(PermissionDenied):
        require_seat(staff(StaffRole.CLERK, "A", "clerk-a"), staff_user_id="judge-a",
                     participant_id=None, hearing=hearing, what="judge")
    with pytest.raises(PermissionDenied):  # a seat bound to nobody is signed by nobody
        require_seat(staff(StaffRole.CLERK, "A", "clerk-a"), staff_user_id=None,
                     participant_id=None, hearing=hearing, what="judge")
    party = Actor.participant("p1", "张某", hearing.id, Role.DEFENDANT)
    require_seat(party, staff_user_id=None, participant_id="p1", hearing=hearing, what="p")
    with pytest.raises(PermissionDenied):
        require_seat(party, staff_user_id=None, participant_id="p2", hearing=hearing, what="p")
