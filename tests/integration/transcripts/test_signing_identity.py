"""Issue 11: a clerk signed the transcript as the judge, with the judge's key — a hearing without
a presiding judge, a 'judge' seat named like the judge but bound to the clerk's own account.
Now a staff field is signed only by the account bound to its seat, with that account's key
(found by user id, never by the name on the seat)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hearings.domain.actors import SYSTEM
from hearings.domain.commands import ChangeHearing, InviteParticipant, ScheduleHearing
from hearings.domain.errors import InvalidInput, PermissionDenied
from hearings.domain.participants import Role
from tests.factories import REMOTE_TRIAL, make_trial
from tests.integration.transcripts.conftest import World

BODY = "审：现在开庭。\n被告人：我叫张某。"


async def test_a_clerk_cannot_seat_themselves_as_judge_nor_sign_the_judges_field(
        world: World) -> None:
    t = await make_trial(world.services, seats=REMOTE_TRIAL, clerks=2,
                         present=("defendant", "witness"))
    sch, clerk = world.scheduling, t.clerk_actor
    hearing = await sch.schedule_hearing(clerk, ScheduleHearing(
        t.hearing.case_id, "trial", "无审判长的庭审", datetime.now(UTC), None))  # type: ignore[arg-type]
    with pytest.raises(PermissionDenied, match="your own account"):
        await sch.invite(clerk, InviteParticipant(hearing.id, t.judge.display_name, Role.JUDGE,
                                                  None, t.clerk.id))
    with pytest.raises(InvalidInput, match="role 'clerk'"):
        await sch.invite(clerk, InviteParticipant(hearing.id, t.judge.display_name, Role.JUDGE,
                                                  None, t.clerks[1].id))
    with pytest.raises(InvalidInput, match="presiding judge must be"):
        await sch.schedule_hearing(clerk, ScheduleHearing(
            t.hearing.case_id, "trial", "书记员当审判长", datetime.now(UTC), t.clerk.id))  # type: ignore[arg-type]
    # The seat named like someone else, bound to the real judge: it signs as the judge's
    # account (its name), with the judge's key, and only by the judge's session.
    await sch.invite(clerk, InviteParticipant(hearing.id, "假冒的名字", Role.JUDGE, None,
                                              t.judge.id))
    for action in ("open_doors", "start", "close"):
        await world.control.change_hearing(SYSTEM, ChangeHearing(hearing.id, action))
    await world.transcripts.idle()
    await world.transcripts.save(clerk, hearing.id, BODY, 0)
    view = await world.transcripts.send_for_signature(clerk, hearing.id)
    assert view.transcript is not None
    judge_slot = view.transcript.slots[-1]
    assert (judge_slot.field, judge_slot.signer, judge_slot.staff_user_id) == (
        "judge", t.judge.display_name, t.judge.id)
    await world.transcripts.sign(clerk, hearing.id, "clerk", None)
    with pytest.raises(PermissionDenied, match="only the staff user of that seat"):
        await world.transcripts.sign(clerk, hearing.id, "judge", None)
    await world.transcripts.sign(t.judge_actor, hearing.id, "judge", None)
    assert world.documents.keys == [("clerk", t.clerk.id), ("judge", t.judge.id)]
