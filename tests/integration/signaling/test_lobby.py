"""The lobby: admit, deny, send back, and a hearing closed while people wait."""

from __future__ import annotations

import contextlib

import socketio

from tests.integration.signaling.conftest import Room_, admit


async def test_admit_moves_into_the_hearing(room: Room_) -> None:
    judge = await room.join("judge")
    lawyer = await admit(room, judge, "lawyer")
    listed = await judge.wait("participants", lambda d: any(
        p["id"] == room.trial.people["lawyer"].id and p["state"] == "in_hearing"
        and p["online"] for p in d["participants"]))
    assert {p["role"] for p in listed["participants"]} >= {"judge", "defence_lawyer"}
    # Once inside, the lawyer sees the list too.
    await lawyer.wait("participants")


async def test_deny_removes_and_disconnects(room: Room_) -> None:
    judge = await room.join("judge")
    witness = await room.join("witness")
    pid = room.trial.people["witness"].id
    await judge.wait("lobby", lambda d: len(d["waiting"]) == 1)
    assert (await judge.call("lobby.deny", {"participant_id": pid}))["state"] == "removed"
    assert (await witness.wait("removed"))["reason"] == "deny"
    await witness.disconnected.wait()
    again = room.client("again")
    with contextlib.suppress(socketio.exceptions.ConnectionError):
        await again.connect({"token": room.trial.links["witness"],
                             "hearing_id": room.trial.hearing.id})
    assert again.refusal["data"]["code"] == "revoked"


async def test_send_back_to_lobby(room: Room_) -> None:
    judge = await room.join("judge")
    defendant = await admit(room, judge, "defendant")
    pid = room.trial.people["defendant"].id
    assert (await judge.call("lobby.send_back", {"participant_id": pid}))["state"] == "waiting"
    await defendant.wait("participant.state", lambda d: d["state"] == "waiting")
    await judge.wait("lobby", lambda d: [p["id"] for p in d["waiting"]] == [pid])
    # Back in the lobby, they no longer receive what happens inside.
    before = len(defendant.seen("participants"))
    await judge.call("lobby.admit", {"participant_id": room.trial.people["judge"].id})
    await judge.call("hand.clear", {"participant_id": pid})
    await judge.wait("hand")
    assert len(defendant.seen("participants")) == before
    assert defendant.seen("hand") == []


async def test_hearing_closed_while_waiting(room: Room_) -> None:
    judge = await room.join("judge")
    witness = await room.join("witness")
    await judge.wait("lobby", lambda d: len(d["waiting"]) == 1)
    await judge.call("hearing.control", {"action": "open_doors"})
    assert (await judge.call("hearing.control", {"action": "close"}))["state"] == "closed"
    state = await witness.wait("hearing.state", lambda d: d["state"] == "closed")
    assert state["action"] == "close"
    assert (await witness.wait("hearing.closed"))["reason"] == "hearing_closed"
    await witness.disconnected.wait()
    await judge.disconnected.wait()
    late = room.client("late")
    with contextlib.suppress(socketio.exceptions.ConnectionError):
        await late.connect({"token": room.trial.links["witness"],
                            "hearing_id": room.trial.hearing.id})
    assert late.refusal["data"]["code"] == "hearing_closed"
