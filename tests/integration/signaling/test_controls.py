"""The judge's controls, participants' controls, and what everyone receives."""

from __future__ import annotations

import contextlib

import socketio

from tests.integration.signaling.conftest import Room_, in_session


async def test_hearing_lifecycle(room: Room_) -> None:
    judge, people = await in_session(room, "lawyer")
    lawyer = people["lawyer"]
    await lawyer.wait("hearing.state", lambda d: d["state"] == "in_session")
    assert (await judge.call("hearing.control", {"action": "pause"}))["state"] == "paused"
    await lawyer.wait("hearing.state", lambda d: d["state"] == "paused"
                      and d["recording_state"] == "paused")
    ack = await judge.call("hearing.control", {"action": "suspend"})
    assert ack["error"]["code"] == "invalid_message"
    ack = await judge.call("hearing.control", {"action": "suspend", "reason": "看守所网络中断"})
    assert ack["state"] == "suspended"
    state = await lawyer.wait("hearing.state", lambda d: d["state"] == "suspended")
    assert state["suspend_reason"] == "看守所网络中断"
    assert (await judge.call("hearing.control", {"action": "resume"}))["state"] == "in_session"
    await lawyer.wait("hearing.state", lambda d: d["action"] == "resume")
    # An illegal transition is an error event; the connection stays.
    ack = await judge.call("hearing.control", {"action": "start"})
    assert ack["error"]["code"] == "illegal_transition"
    assert judge.seen("error")[-1]["code"] == "illegal_transition"
    assert (await judge.call("hearing.control", {"action": "close"}))["state"] == "closed"
    await lawyer.wait("hearing.closed")
    await lawyer.disconnected.wait()


async def test_mute_request_and_lock(room: Room_) -> None:
    judge, people = await in_session(room, "defendant")
    defendant, pid = people["defendant"], room.trial.people["defendant"].id
    ack = await judge.call("participant.mute", {"participant_id": pid, "muted": True})
    assert ack == {"ok": True, "muted": True, "locked": False}
    assert (await defendant.wait("mute"))["locked"] is False
    assert (await defendant.call("self.mute", {"muted": False}))["muted"] is False
    ack = await judge.call("participant.mute", {"participant_id": pid, "muted": True,
                                                "locked": True})
    assert ack["locked"] is True
    await defendant.wait("mute", lambda d: d["locked"])
    ack = await defendant.call("self.mute", {"muted": False})
    assert ack["error"] == {"event": "self.mute", "code": "forbidden",
                            "message": "the judge has locked your microphone"}
    listed = await judge.wait("participants", lambda d: any(
        p["id"] == pid and p["mute_locked"] for p in d["participants"]))
    assert listed


async def test_remove_revokes_and_disconnects(room: Room_) -> None:
    judge, people = await in_session(room, "lawyer", "witness")
    pid = room.trial.people["witness"].id
    assert (await judge.call("participant.remove", {"participant_id": pid}))["state"] == "removed"
    assert (await people["witness"].wait("removed"))["reason"] == "remove"
    await people["witness"].disconnected.wait()
    await people["lawyer"].wait("participants", lambda d: any(
        p["id"] == pid and p["state"] == "removed" for p in d["participants"]))
    back = room.client("back")
    with contextlib.suppress(socketio.exceptions.ConnectionError):
        await back.connect({"token": room.trial.links["witness"],
                            "hearing_id": room.trial.hearing.id})
    assert back.refusal["data"]["code"] == "revoked"


async def test_call_witness_in_and_dismiss(room: Room_) -> None:
    judge, _ = await in_session(room, "lawyer")
    witness = await room.join("witness")
    pid = room.trial.people["witness"].id
    await judge.wait("lobby", lambda d: [p["id"] for p in d["waiting"]] == [pid])
    ack = await judge.call("witness.call", {"participant_id": room.trial.people["lawyer"].id})
    assert ack["error"]["code"] == "invalid_input" and "not a witness" in ack["error"]["message"]
    assert (await judge.call("witness.call", {"participant_id": pid}))["state"] == "in_hearing"
    await witness.wait("participant.state", lambda d: d["state"] == "in_hearing")
    assert (await judge.call("witness.dismiss", {"participant_id": pid}))["state"] == "waiting"
    await witness.wait("participant.state", lambda d: d["state"] == "waiting")
    async with room.services.uow() as uow:
        actions = [e.action for e in await uow.audit.entries(room.trial.hearing.id)]
    assert "witness.called" in actions and "witness.dismissed" in actions


async def test_hands(room: Room_) -> None:
    judge, people = await in_session(room, "lawyer")
    lawyer, pid = people["lawyer"], room.trial.people["lawyer"].id
    await lawyer.call("hand.raise")
    assert (await judge.wait("hand"))["raised"] is True
    snap = await judge.call("snapshot.request")
    assert snap["ok"]
    assert any(p["id"] == pid and p["hand"] for p in (await judge.wait("snapshot"))["participants"])
    await lawyer.call("hand.lower")
    await judge.wait("hand", lambda d: d["raised"] is False)
    await lawyer.call("hand.raise")
    await judge.call("hand.clear", {"participant_id": pid})
    await lawyer.wait("hand", lambda d: d["raised"] is False and d["participant_id"] == pid)


async def test_chat_to_the_clerk_and_help(room: Room_) -> None:
    clerk = room.client("clerk")
    secret = (await room.services.access.login(room.trial.clerk.username,
                                               "clerk-password-1")).secret
    await clerk.connect({"session": secret, "hearing_id": room.trial.hearing.id})
    await clerk.wait("snapshot")
    judge, people = await in_session(room, "defendant")
    waiting = await room.join("witness")
    await waiting.call("chat.send", {"text": "我听不到法官的声音"})
    said = await clerk.wait("chat.message")
    assert said["text"] == "我听不到法官的声音" and said["from"]["role"] == "witness"
    assert people["defendant"].seen("chat.message") == []  # parties do not see it
    await clerk.call("chat.reply", {"to": room.trial.people["witness"].id, "text": "请检查耳机"})
    assert (await waiting.wait("chat.message", lambda d: d["to"] is not None))["text"] == "请检查耳机"
    await people["defendant"].call("help.request", {"text": "画面卡住"})
    assert (await clerk.wait("help.requested"))["text"] == "画面卡住"
    await judge.wait("help.requested")
    async with room.services.uow() as uow:
        assert "participant.help_requested" in [
            e.action for e in await uow.audit.entries(room.trial.hearing.id)]


async def test_heartbeat_quality_shown_to_the_judge_only(room: Room_) -> None:
    judge, people = await in_session(room, "lawyer", "defendant")
    lawyer = people["lawyer"]
    for loss, level in ((3, "good"), (12, "poor"), (20, "bad")):
        ack = await lawyer.call("heartbeat", {"loss_pct": loss, "rtt_ms": 120, "bitrate_kbps": 800})
        assert ack == {"ok": True, "level": level}
        q = await judge.wait("quality", lambda d, lv=level: d["level"] == lv)
        assert q["participant_id"] == room.trial.people["lawyer"].id and q["rtt_ms"] == 120
    assert people["defendant"].seen("quality") == []
    await judge.call("snapshot.request")
    snap = await judge.wait("snapshot", lambda d: bool(d.get("quality")))
    assert snap["quality"][room.trial.people["lawyer"].id]["level"] == "bad"
    async with room.services.uow() as uow:  # heartbeats never write the database
        assert not [e for e in await uow.audit.entries(room.trial.hearing.id)
                    if "quality" in e.action or "heartbeat" in e.action]


async def test_publish_from_outside(room: Room_) -> None:
    judge, people = await in_session(room, "lawyer")
    await room.signaling.publish(room.trial.hearing.id, "recording.alert",
                                 {"state": "failed"}, audience="staff")
    assert (await judge.wait("recording.alert"))["state"] == "failed"
    await room.signaling.publish(room.trial.hearing.id, "document.delivered", {"id": "d1"})
    await people["lawyer"].wait("document.delivered")
    assert people["lawyer"].seen("recording.alert") == []


async def test_judge_leaving_promotes_nobody(room: Room_) -> None:
    judge, people = await in_session(room, "lawyer")
    await judge.close()
    listed = await people["lawyer"].wait("participants", lambda d: any(
        p["role"] == "judge" and p["state"] == "disconnected" for p in d["participants"]))
    assert listed
    ack = await people["lawyer"].call("hearing.control", {"action": "pause"})
    assert ack["error"]["code"] == "forbidden"
    ack = await people["lawyer"].call("lobby.admit", {"participant_id": "x"})
    assert ack["error"]["code"] == "forbidden"
