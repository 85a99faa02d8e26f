"""Bad input gets an error event and the connection stays; a flood disconnects only the flooder."""

from __future__ import annotations

import asyncio

from tests.integration.signaling.conftest import Room_, in_session

SDP_HEAD = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"


async def test_malformed_payloads_keep_the_connection(room: Room_) -> None:
    _judge, people = await in_session(room, "lawyer")
    lawyer = people["lawyer"]
    cases = [
        ("heartbeat", "garbage", "invalid_message", "payload must be an object (got str)"),
        ("heartbeat", {"loss_pct": "x", "rtt_ms": 1, "bitrate_kbps": 1}, "invalid_message",
         "'loss_pct' must be a number (got 'x')"),
        ("no.such.event", {}, "unknown_event", "unknown event 'no.such.event'"),
        ("rtc.offer", {"to": "media", "sdp": "v=0\r\ngarbage"}, "invalid_message",
         "SDP line 2 must look like x=value (got 'garbage')"),
    ]
    for event, payload, code, message in cases:
        ack = await lawyer.call(event, payload)
        assert ack == {"ok": False, "error": {"event": event, "code": code, "message": message}}
        assert lawyer.seen("error")[-1]["message"] == message
    await lawyer.sio.emit("heartbeat", ({"loss_pct": 1}, {"x": 1}), namespace="/hearing")
    err = await lawyer.wait("error", lambda d: d["message"] == "send one payload object per event")
    assert err["code"] == "invalid_message"
    assert lawyer.sio.connected
    assert (await lawyer.call("heartbeat", {"loss_pct": 1, "rtt_ms": 1, "bitrate_kbps": 1}))["ok"]


async def test_size_limits(room_factory) -> None:  # type: ignore[no-untyped-def]
    room: Room_ = await room_factory(max_message_bytes=4000, max_sdp_bytes=1000)
    judge, people = await in_session(room, "lawyer")
    lawyer = people["lawyer"]
    ack = await lawyer.call("chat.send", {"text": "字" * 1999})
    assert ack["error"]["code"] == "too_large"
    assert ack["error"]["message"].startswith("a message must be at most 4000 bytes (got ")
    sdp = SDP_HEAD + "a=x:" + "y" * 1200 + "\r\n"
    ack = await lawyer.call("rtc.offer", {"to": room.trial.people["judge"].id, "sdp": sdp})
    assert ack["error"]["code"] == "too_large"
    assert ack["error"]["message"] == f"'sdp' must be at most 1000 bytes (got {len(sdp)})"
    assert judge.seen("rtc.offer") == []
    assert (await lawyer.call("hand.raise"))["ok"]
    # Far over the limit, engine.io itself drops the connection.
    await lawyer.emit("chat.send", {"text": "x" * 20_000})
    await asyncio.wait_for(lawyer.disconnected.wait(), 10)


async def test_flood_disconnects_only_the_flooder(room_factory) -> None:  # type: ignore[no-untyped-def]
    room: Room_ = await room_factory(rate_per_s=5, rate_burst=10)
    judge, people = await in_session(room, "lawyer", "defendant")
    flooder = people["lawyer"]
    for _ in range(40):
        await flooder.emit("heartbeat", {"loss_pct": 1, "rtt_ms": 1, "bitrate_kbps": 1})
    await asyncio.wait_for(flooder.disconnected.wait(), 10)
    assert any(e["code"] == "rate_limited" for e in flooder.seen("error"))
    ack = await people["defendant"].call("heartbeat", {"loss_pct": 2, "rtt_ms": 1,
                                                       "bitrate_kbps": 1})
    assert ack["ok"]
    assert (await judge.call("snapshot.request"))["ok"]
    await judge.wait("participants", lambda d: any(
        p["id"] == room.trial.people["lawyer"].id and p["state"] == "disconnected"
        for p in d["participants"]))
