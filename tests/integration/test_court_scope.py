"""Staff work within their own court: another court's cases, hearings and day lists are
out of reach; an administrator without a court sees all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hearings.domain.actors import Actor
from hearings.domain.commands import (
    CreateSite,
    CreateStaffUser,
    InviteParticipant,
    IssueJoinLink,
    OpenCase,
    ScheduleHearing,
)
from hearings.domain.errors import InvalidInput, PermissionDenied
from hearings.domain.participants import Role
from tests.factories import make_trial
from web.app.bootstrap import Services


async def test_a_clerk_cannot_reach_into_another_court(services: Services) -> None:
    mine, theirs = await make_trial(services), await make_trial(services)
    clerk, sch = mine.clerk_actor, services.scheduling
    with pytest.raises(PermissionDenied):
        await sch.hearing(clerk, theirs.hearing.id)
    with pytest.raises(PermissionDenied):
        await sch.open_case(clerk, OpenCase(theirs.court.id, "civil", "借款纠纷",  # type: ignore[arg-type]
                                            procedure="民初"))
    with pytest.raises(PermissionDenied):
        await sch.create_site(clerk, CreateSite(theirs.court.id, "第二法庭", "courtroom"))  # type: ignore[arg-type]
    with pytest.raises(PermissionDenied):
        await sch.schedule_hearing(clerk, ScheduleHearing(
            theirs.case.id, "trial", "庭审", datetime.now(UTC), None))  # type: ignore[arg-type]
    with pytest.raises(PermissionDenied):
        await sch.invite(clerk, InviteParticipant(theirs.hearing.id, "某人", Role.WITNESS))
    with pytest.raises(PermissionDenied):
        await sch.issue_join_link(clerk, IssueJoinLink(theirs.hearing.id,
                                                       theirs.people["witness"].id))
    with pytest.raises(InvalidInput, match="another court"):
        await sch.schedule_hearing(clerk, ScheduleHearing(
            mine.case.id, "trial", "庭审", datetime.now(UTC), theirs.judge.id))  # type: ignore[arg-type]
    assert (await sch.hearing(clerk, mine.hearing.id)).id == mine.hearing.id


async def test_the_day_list_shows_the_own_court_only(services: Services) -> None:
    mine, theirs = await make_trial(services), await make_trial(services)
    day = (mine.hearing.scheduled_at + timedelta(hours=8)).date()  # the court's calendar
    listed = {h.id for h in await services.scheduling.hearings_of_day(mine.clerk_actor, day)}
    assert mine.hearing.id in listed and theirs.hearing.id not in listed
    admin = await services.access.create_staff_user(Actor("system", "t", "t"), CreateStaffUser(
        "root-admin", "系统管理员", "admin", "admin-password-1", None))  # type: ignore[arg-type]
    everything = {h.id for h in await services.scheduling.hearings_of_day(Actor.staff(admin), day)}
    assert {mine.hearing.id, theirs.hearing.id} <= everything
