"""Reconnection is re-authorised and gets a snapshot; a second connection waits for the judge."""

from __future__ import annotations

from tests.integration.signaling.conftest import Room_, in_session


async def test_drop_and_reconnect(room: Room_) -> None:
    judge, people = await in_session(room, "defendant")
    pid = room.trial.people["defendant"].id
    await people["defendant"].close()
    await judge.wait("participants", lambda d: any(
        p["id"] == pid and p["state"] == "disconnected" and not p["online"]
        for p in d["participants"]))
    again = await room.join("defendant")  # the same token, checked again
    snap = again.seen("snapshot")[-1]
    assert snap["you"]["state"] == "in_hearing"  # back where they were, not in the lobby
    assert snap["hearing"]["state"] == "in_session"
    assert any(p["id"] == pid for p in snap["participants"])
    await judge.wait("participants", lambda d: any(
        p["id"] == pid and p["state"] == "in_hearing" and p["online"]
        for p in d["participants"]))
    async with room.services.uow() as uow:
        actions = [(e.action, e.payload.get("participant_id"))
                   for e in await uow.audit.entries(room.trial.hearing.id)]
    assert ("participant.drop", pid) in actions and ("participant.rejoin", pid) in actions


async def test_lobby_drop_returns_to_lobby(room: Room_) -> None:
    await room.join("judge")
    witness = await room.join("witness")
    await witness.close()
    await room.settle()
    again = await room.join("witness")
    assert again.seen("snapshot")[-1]["you"]["state"] == "waiting"


async def test_second_connection_is_held_until_the_judge_decides(room: Room_) -> None:
    judge, people = await in_session(room, "lawyer")
    first, pid = people["lawyer"], room.trial.people["lawyer"].id
    second = await room.join("lawyer")
    assert second.seen("snapshot")[-1]["you"]["standing"] == "held"
    await second.wait("session.held")
    dup = await judge.wait("session.duplicate")
    assert dup["identity"] == pid and len(dup["connections"]) == 2
    # The first is not evicted; the held one may do nothing but ask for a snapshot.
    assert first.sio.connected
    ack = await second.call("hand.raise")
    assert ack["error"]["code"] == "forbidden"
    assert (await first.call("hand.raise"))["ok"]
    # The judge keeps the new one: the old one is told and disconnected.
    ack = await judge.call("session.resolve", {"identity": pid, "keep": second.sid})
    assert ack == {"ok": True, "kept": second.sid}
    await first.wait("session.replaced")
    await first.disconnected.wait()
    await second.wait("session.active")
    assert (await second.call("hand.lower"))["ok"]
    async with room.services.uow() as uow:
        actions = [e.action for e in await uow.audit.entries(room.trial.hearing.id)]
    assert "signaling.duplicate" in actions and "signaling.duplicate_resolved" in actions


async def test_held_connection_takes_over_when_the_first_goes(room: Room_) -> None:
    _judge, people = await in_session(room, "lawyer")
    second = await room.join("lawyer")
    await second.wait("session.held")
    await people["lawyer"].close()
    await second.wait("session.active")
    assert (await second.call("hand.raise"))["ok"]
