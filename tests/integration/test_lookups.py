"""The look-ups the admin CLI and the demo seed make through the services instead of a unit
of work of their own (issue 14): a court by code, an account by username, a case by number
— the system finds any; staff only their own court's."""

from __future__ import annotations

import pytest

from hearings.adapters.passwords import Argon2Passwords
from hearings.domain.actors import SYSTEM
from hearings.domain.courts import Court
from hearings.domain.errors import PermissionDenied
from hearings.domain.staff import StaffUser
from hearings.services.accounts import Accounts
from tests.factories import make_trial
from web.app.bootstrap import Services


def _id(found: Court | StaffUser | None) -> str | None:
    return found.id if found is not None else None


async def test_the_system_finds_any_court_account_and_case(services: Services) -> None:
    trial = await make_trial(services)
    sch, accounts = services.scheduling, Accounts(services.uow, Argon2Passwords())
    assert _id(await sch.court_by_code(SYSTEM, trial.court.code)) == trial.court.id
    assert _id(await accounts.by_username(SYSTEM, trial.clerk.username)) == trial.clerk.id
    found = await sch.case_by_number(SYSTEM, trial.case.number)
    assert found is not None
    case, hearings = found
    assert case.id == trial.case.id and [h.id for h in hearings] == [trial.hearing.id]
    assert await sch.court_by_code(SYSTEM, "无此法院") is None
    assert await accounts.by_username(SYSTEM, "nobody") is None
    assert await sch.case_by_number(SYSTEM, "(2026)无0000刑初1号") is None


async def test_staff_find_only_their_own_court(services: Services) -> None:
    mine, theirs = await make_trial(services), await make_trial(services)
    clerk, sch = mine.clerk_actor, services.scheduling
    assert _id(await sch.court_by_code(clerk, mine.court.code)) == mine.court.id
    assert await sch.court_by_code(clerk, theirs.court.code) is None
    with pytest.raises(PermissionDenied):
        await sch.case_by_number(clerk, theirs.case.number)
    with pytest.raises(PermissionDenied):  # staff.list is the administrators'
        await Accounts(services.uow, Argon2Passwords()).by_username(clerk, mine.judge.username)
