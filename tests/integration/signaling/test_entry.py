"""Getting in: join tokens and staff sessions; every refusal has a reason and an audit entry."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import socketio

from hearings.domain.actors import SYSTEM
from hearings.domain.commands import ChangeHearing, IssueJoinLink, RevokeJoinLinks
from hearings.services.scheduling import Scheduling
from tests.factories import make_trial
from tests.integration.signaling.conftest import ORIGIN, Room_

FAKE_TOKEN = "0000-0000-0000-0000-0000-0000-0000-0000"


async def audit_actions(room: Room_, hearing_id: str | None) -> list[tuple[str, dict]]:
    async with room.services.uow() as uow:
        return [(e.action, e.payload) for e in await uow.audit.entries(hearing_id)]


async def refused(room: Room_, auth: dict, headers: dict | None = None) -> dict:
    c = room.client("refused")
    with pytest.raises(socketio.exceptions.ConnectionError):
        await c.connect(auth, headers)
    assert c.refusal is not None
    return c.refusal


async def test_participant_joins_with_token(room: Room_) -> None:
    lawyer = await room.join("lawyer")
    snap = lawyer.seen("snapshot")[-1]
    assert snap["you"]["participant_id"] == room.trial.people["lawyer"].id
    assert snap["you"]["state"] == "waiting"
    assert snap["hearing"]["id"] == room.trial.hearing.id
    assert snap["participants"] == []  # the lobby does not see who is inside
    actions = [a for a, _ in await audit_actions(room, room.trial.hearing.id)]
    assert "participant.connect" in actions and "participant.enter_lobby" in actions


async def test_unknown_token(room: Room_) -> None:
    why = await refused(room, {"token": FAKE_TOKEN, "hearing_id": room.trial.hearing.id})
    assert why["data"]["code"] == "unknown_token"
    assert ("token.refused", {"reason": "unknown_token", "token_hearing": None}) in \
        await audit_actions(room, room.trial.hearing.id)


async def test_wrong_hearing(room: Room_) -> None:
    other = await make_trial(room.services)
    why = await refused(room, {"token": room.trial.links["lawyer"], "hearing_id": other.hearing.id})
    assert why["data"]["code"] == "wrong_hearing"
    entries = await audit_actions(room, other.hearing.id)
    assert entries[-1][0] == "token.refused" and entries[-1][1]["reason"] == "wrong_hearing"


async def test_revoked(room: Room_) -> None:
    t = room.trial
    await room.services.scheduling.revoke_join_links(
        t.clerk_actor, RevokeJoinLinks(t.hearing.id, t.people["witness"].id))
    why = await refused(room, {"token": t.links["witness"], "hearing_id": t.hearing.id})
    assert why["data"]["code"] == "revoked"
    assert (await audit_actions(room, t.hearing.id))[-1][1]["reason"] == "revoked"


async def test_token_expired(room: Room_) -> None:
    t = room.trial
    short = Scheduling(room.services.uow, link_lifetime=timedelta(seconds=-1),
                       court_tz=ZoneInfo("Asia/Shanghai"))
    link = await short.issue_join_link(t.clerk_actor, IssueJoinLink(t.hearing.id,
                                                                    t.people["witness"].id))
    why = await refused(room, {"token": link.secret, "hearing_id": t.hearing.id})
    assert why["data"]["code"] == "token_expired"
    assert (await audit_actions(room, t.hearing.id))[-1][1]["reason"] == "token_expired"


async def test_hearing_closed(room: Room_) -> None:
    t = room.trial
    for action in ("open_doors", "close"):
        await room.services.control.change_hearing(SYSTEM, ChangeHearing(t.hearing.id, action))
    why = await refused(room, {"token": t.links["lawyer"], "hearing_id": t.hearing.id})
    assert why["data"]["code"] == "hearing_closed"
    assert (await audit_actions(room, t.hearing.id))[-1][1]["reason"] == "hearing_closed"


async def test_no_credentials(room: Room_) -> None:
    why = await refused(room, {"hearing_id": room.trial.hearing.id})
    assert why["data"]["code"] == "unauthenticated"
    assert (await audit_actions(room, room.trial.hearing.id))[-1] == (
        "signaling.refused", {"reason": "unauthenticated"})


async def test_bad_session(room: Room_) -> None:
    why = await refused(room, {"session": "not-a-session", "hearing_id": room.trial.hearing.id})
    assert why["data"]["code"] == "unauthenticated"


async def login(room: Room_, who: str) -> str:
    user = room.trial.judge if who == "judge" else room.trial.clerk
    return (await room.services.access.login(user.username, f"{who}-password-1")).secret


async def test_judge_joins_with_session_cookie(room: Room_) -> None:
    secret = await login(room, "judge")
    judge = room.client("judge")
    await judge.connect({"hearing_id": room.trial.hearing.id},
                        headers={"Cookie": f"yunting_session={secret}"})
    snap = await judge.wait("snapshot")
    assert snap["you"]["standing"] == "host"
    # The judge's seat in the hearing is theirs: same identity as with the join link.
    assert snap["you"]["participant_id"] == room.trial.people["judge"].id
    assert snap["you"]["state"] == "in_hearing"


async def test_clerk_joins_with_session_in_auth(room: Room_) -> None:
    clerk = room.client("clerk")
    await clerk.connect({"session": await login(room, "clerk"),
                         "hearing_id": room.trial.hearing.id})
    snap = await clerk.wait("snapshot")
    assert snap["you"]["standing"] == "staff"
    assert snap["you"]["identity"] == f"staff:{room.trial.clerk.id}"
    assert "quality" in snap


async def test_another_courts_clerk_is_refused(room: Room_) -> None:
    other = await make_trial(room.services)  # a second court, with its own clerk
    secret = (await room.services.access.login(other.clerk.username, "clerk-password-1")).secret
    why = await refused(room, {"session": secret, "hearing_id": room.trial.hearing.id})
    assert why["data"]["code"] == "wrong_hearing"
    entries = await audit_actions(room, room.trial.hearing.id)
    assert entries[-1][0] == "signaling.refused" and entries[-1][1]["reason"] == "wrong_hearing"


async def test_foreign_origin_refused(room: Room_) -> None:
    c = room.client("evil")
    with pytest.raises(socketio.exceptions.ConnectionError):
        await c.connect({"token": room.trial.links["lawyer"], "hearing_id": room.trial.hearing.id},
                        headers={"Origin": "http://evil.example"})
    ok = room.client("ok")
    await ok.connect({"token": room.trial.links["lawyer"], "hearing_id": room.trial.hearing.id},
                     headers={"Origin": ORIGIN})
    await ok.wait("snapshot")
